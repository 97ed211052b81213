"""One test per check: a configuration that breaks its recommendation gives its finding, and
the configuration that follows the recommendation clears it (the default lab underneath)."""

from __future__ import annotations

import jsonschema
import pytest
import trio

from cucme_lab.lab.audit import CHECKS, audit_router
from cucme_lab.router.provisioning.tftp_table import CTL_FILENAME
from cucme_lab.scenarios.steps import REJECTED

from .test_audit_states import SCHEMA, default_lab, ids

SECURE = "telephony-service\n device-security-mode encrypted\n exit\n"
CTL = ("crypto pki trustpoint TP1\n exit\ncrypto pki trustpoint TP2\n exit\n"
       "ctl-client\n server cme-tftp 1.2.3.4 trustpoint TP1\n sast1 trustpoint TP1\n"
       " sast2 trustpoint TP2\n exit\n")
HARDENING = "".join(f" service phone {k} {v}\n" for k, v in (
    ("disableSpeaker", "true"), ("disableSpeakerAndHeadset", "true"), ("forwardingDelay", "1"),
    ("garp", "1"), ("pcPort", "1"), ("spanToPCPort", "1"), ("voiceVlanAccess", "1"),
    ("webAccess", "1"), ("settingsAccess", "2")))
PSTN = "dial-peer voice 11 pots\n destination-pattern 9011T\n port 1/0\n exit\n"
WAN = "interface FastEthernet0/0\n ip address 203.0.113.1 255.255.255.0\n no shutdown\n exit\n"

# check id -> (finding id, configuration breaking it, configuration following it)
CASES: dict[str, tuple[str, str, str]] = {
    "ca-grant-auto": ("ca-grant-auto/CA", "crypto pki server CA\n grant auto\n exit\n",
                      "crypto pki server CA\n no grant auto\n exit\n"),
    "revocation-check-none": ("revocation-check-none/TP",
                              "crypto pki trustpoint TP\n revocation-check none\n exit\n",
                              "crypto pki trustpoint TP\n revocation-check crl\n exit\n"),
    "rsa-key-small": ("rsa-key-small/TP", "crypto pki trustpoint TP\n rsakeypair TP 512 512\n",
                      "crypto pki trustpoint TP\n rsakeypair TP 1024 1024\n"),
    "rsa-key-small-generated": ("rsa-key-small/K", "crypto key generate rsa general-keys "
                                "label K modulus 512\n",
                                "crypto key generate rsa general-keys label K modulus 1024\n"
                                "yes\n"),
    "sast-shared-key": ("sast-shared-key",
                        "crypto pki trustpoint A\n rsakeypair K 1024 1024\n exit\n"
                        "crypto pki trustpoint B\n rsakeypair K 1024 1024\n exit\n"
                        "ctl-client\n sast1 trustpoint A\n sast2 trustpoint B\n exit\n",
                        "crypto pki trustpoint B\n rsakeypair B 1024 1024\n exit\n"),
    "capf-null-string": ("capf-null-string", "capf-server\n auth-mode null-string\n exit\n",
                         "capf-server\n auth-mode auth-string\n exit\n"),
    "ctl-client-incomplete": ("ctl-client-incomplete", SECURE, CTL),
    "ctl-not-regenerated": ("ctl-not-regenerated", SECURE + CTL, "<write CTL file>"),
    "telephony-security-incomplete": (
        "telephony-security-incomplete/secure-signaling", SECURE,
        "crypto pki trustpoint TP\n exit\ntelephony-service\n secure-signaling trustpoint TP\n"
        " exit\n"),
    "phone-not-encrypted": ("phone-not-encrypted/1", "", SECURE),
    "phone-not-hardened": ("phone-not-hardened/2", "",
                           "telephony-service\n" + HARDENING + " exit\n"),
    "http-authentication-enable": ("http-authentication-enable", "ip http server\n",
                                   "ip http authentication local\n"),
    "http-no-access-class": ("http-no-access-class", "ip http server\n",
                             "access-list 10 permit 10.1.1.0 0.0.0.255\n"
                             "ip http access-class 10\n"),
    "http-clear-text": ("http-clear-text", "ip http server\n", "ip http secure-server\n"),
    "enable-password": ("enable-password/15", "enable password cisco1\n",
                        "enable secret secretword1\nno enable password\n"),
    "enable-secret-missing": ("enable-secret-missing", "", "enable secret secretword1\n"),
    "password-encryption-off": ("password-encryption-off", "", "service password-encryption\n"),
    "vty-no-access-class": ("vty-no-access-class/vty0-4", "",
                            "access-list 10 permit 10.1.1.0 0.0.0.255\nline vty 0 4\n"
                            " access-class 10 in\n exit\n"),
    "vty-telnet": ("vty-telnet/vty0-4", "", "line vty 0 4\n transport input ssh\n exit\n"),
    "vty-no-local-login": ("vty-no-local-login/vty0-4", "",
                           "username joe secret joepass1\nline vty 0 4\n login local\n exit\n"),
    "aaa-not-used": ("aaa-not-used", "", "aaa new-model\n"),
    "sccp-no-strict-match": ("sccp-no-strict-match", "",
                             "telephony-service\n ip source-address 1.2.3.4 port 2000 "
                             "strict-match\n exit\n"),
    "auto-registration-on": ("auto-registration-on", "",
                             "telephony-service\n no auto-reg-ephone\n exit\n"),
    "ntp-missing": ("ntp-missing", SECURE, "ntp server 171.68.10.80\n"),
    "load-cfg-file-unsigned": ("load-cfg-file-unsigned/Ringlist.xml",
                               SECURE + "telephony-service\n load-cfg-file flash:Ringlist.xml "
                               "alias Ringlist.xml\n exit\n",
                               "telephony-service\n no load-cfg-file flash:Ringlist.xml alias "
                               "Ringlist.xml\n load-cfg-file flash:Ringlist.xml alias "
                               "Ringlist.xml sign create\n exit\n"),
    "ephone-without-mac": ("ephone-without-mac/1", "ephone 1\n no mac-address\n exit\n",
                           "ephone 1\n mac-address CAFE.CAFE.1234\n exit\n"),
    "capf-auth-string-shared": ("capf-auth-string-shared/1-2-3-4",
                                "capf-server\n auth-string generate all 1234\n exit\n",
                                "capf-server\n auth-string delete all\n exit\n"),
    "mtp-configured": ("mtp-configured/1", "ephone 1\n mtp\n exit\n",
                       "ephone 1\n no mtp\n exit\n"),
    "aaa-no-accounting": ("aaa-no-accounting", "aaa new-model\n",
                          "aaa accounting exec default start-stop group tacacs+\n"
                          "aaa accounting commands 15 default start-stop group tacacs+\n"),
    "snmp-community-no-acl": ("snmp-community-no-acl/changeme-ro",
                              "snmp-server community changeme-ro RO\n",
                              "access-list 10 permit 10.1.1.0 0.0.0.255\n"
                              "snmp-server community changeme-ro RO 10\n"),
    "snmp-community-well-known": ("snmp-community-well-known/public",
                                  "access-list 10 permit 10.1.1.0 0.0.0.255\n"
                                  "snmp-server community public RO 10\n",
                                  "no snmp-server community public\n"
                                  "snmp-server community changeme-ro RO 10\n"),
    "cdp-enabled": ("cdp-enabled", "", "no cdp run\n"),
    "pstn-dial-peer-no-cor": ("pstn-dial-peer-no-cor/11", PSTN,
                              "dial-peer cor custom\n name callint\n exit\n"
                              "dial-peer cor list callint\n member callint\n exit\n"
                              "dial-peer voice 11 pots\n corlist outgoing callint\n exit\n"),
    "pstn-no-after-hours-block": ("pstn-no-after-hours-block", PSTN,
                                  "telephony-service\n after-hours block pattern 1 9011 7-24\n"
                                  " exit\n"),
    "logging-off": ("logging-off", "no logging buffered\n", "logging 192.168.153.129\n"),
    "logging-off-trap": ("logging-off", "logging buffered warnings\n"
                         "logging 192.168.153.129\nlogging trap warnings\n",
                         "logging trap informational\n"),
    "call-history-off": ("call-history-off", "",
                         "dial-control-mib retain-timer 10080\ndial-control-mib max-size 500\n"
                         "gw-accounting syslog\n"),
    "listeners-no-acl": ("listeners-no-acl/FastEthernet0-0", WAN,
                         "access-list 101 deny tcp any any eq 2000\n"
                         "access-list 101 deny tcp any any eq 3804\n"
                         "access-list 101 permit ip any any\n"
                         "interface FastEthernet0/0\n ip access-group 101 in\n exit\n"),
}
LIVE = {"phone-registered-below-mode",  # tested with real phones: test_audit_live.py
        "ctl-stale"}  # tested with real certificates below


def test_every_active_check_has_a_case():
    assert {c.id for c in CHECKS} == {k.removesuffix("-generated").removesuffix("-trap")
                                          for k in CASES} | LIVE
    assert len({c.id for c in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize("check", sorted(CASES))
async def test_a_check_finds_its_fault_and_its_fix_clears_it(router, shell, check):
    finding, breaking, following = CASES[check]
    with trio.fail_after(30):
        await default_lab(router)
        router.storage.write_flash("Ringlist.xml", b"<CiscoIPPhoneRingList/>\n")
        out = await shell.paste_config(breaking) if breaking else ""
        assert not REJECTED.search(out), out
        report = audit_router(router)
        jsonschema.validate(report, SCHEMA)
        assert finding in ids(report)
        if following == "<write CTL file>":
            router.storage.write_flash(CTL_FILENAME, b"CTL")
        else:
            out = await shell.paste_config(following)
            assert not REJECTED.search(out), out
        assert finding not in ids(audit_router(router))


async def test_grant_auto_and_null_string_are_needed_during_the_rollout(router, shell):
    """While a phone waits for its certificate the CA must grant and CAPF may use a null
    string (NSA 3.1, 3.3): neither is a finding until the rollout ends."""
    with trio.fail_after(30):
        await default_lab(router)
        await shell.paste_config("crypto pki server CA\n grant auto\n exit\ncapf-server\n"
                                 " auth-mode null-string\n exit\nephone 1\n"
                                 " cert-oper upgrade auth-mode null-string\n exit\n")
        during = ids(audit_router(router))
        await shell.paste_config("ephone 1\n no cert-oper\n exit\n")
        after = ids(audit_router(router))
    assert not {"ca-grant-auto/CA", "capf-null-string"} & during
    assert {"ca-grant-auto/CA", "capf-null-string"} <= after


async def test_a_certificate_changed_after_regenerate_leaves_the_ctl_stale(shell, router):
    """NSA 3.4: the trustpoint re-enrolled, the CTL still lists its old certificate."""
    from provisioning.certs import enroll
    from provisioning.nsa import type_nsa

    with trio.fail_after(60):
        await type_nsa(shell)
        assert not any(f.startswith("ctl-") for f in ids(audit_router(router)))
        enroll(router, "SAST2", generation=1)
        assert "ctl-stale/SAST2" in ids(audit_router(router))
        await shell.paste_config("ctl-client\n regenerate\n")
        assert not any(f.startswith("ctl-") for f in ids(audit_router(router)))
        router.storage.write_flash(CTL_FILENAME, b"not a CTL file")
        assert "ctl-stale/SAST2" in ids(audit_router(router))


async def test_after_hours_patterns_need_a_window_or_7_24(router, shell):
    """A block pattern without `7-24` blocks only inside an `after-hours day|date` window:
    without one nothing is blocked (Restricting Outgoing Calling Patterns)."""
    with trio.fail_after(30):
        await default_lab(router)
        await shell.paste_config(PSTN + "telephony-service\n after-hours block pattern 1 9011\n"
                                 " exit\n")
        assert "pstn-no-after-hours-block" in ids(audit_router(router))
        await shell.paste_config("telephony-service\n after-hours day Sun 19:00 07:00\n exit\n")
        assert "pstn-no-after-hours-block" not in ids(audit_router(router))


async def test_the_phones_interface_needs_no_listener_acl_unless_it_is_the_wan(router, shell):
    """NSA 3.3: ACLs go on the interfaces that should not accept CAPF or SCCP; the phones'
    own (Vlan10, holding `ip source-address`) is one only when outside peers arrive on it."""
    with trio.fail_after(30):
        await default_lab(router)
        await shell.paste_config("capf-server\n source-addr 1.2.3.4\n exit\n")
        assert not any(f.startswith("listeners-no-acl") for f in ids(audit_router(router)))
        router.wan_interface = "Vlan10"
        report = audit_router(router)
    finding = next(f for f in report["findings"] if f["id"] == "listeners-no-acl/Vlan10")
    assert finding["fix"][0].startswith("access-list 101 permit tcp PHONE-SUBNET")
