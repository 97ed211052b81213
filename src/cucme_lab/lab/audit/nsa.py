"""Checks of the NSA guide's recommendations (I732-001R-2010, "Activating Authentication and
Encryption for CUCME 7.0/4.3"), one per recommendation; docs/audit.md lists them.

Every check reads the typed configuration model and the router's live state through
`AuditView`. The `fix` lines are IOS commands as typed at the console, sub-mode lines indented.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address

from cryptography.hazmat.primitives.serialization import Encoding

from cucme_lab.lab.audit.findings import NSA, Check, Finding, place
from cucme_lab.lab.audit.view import AuditView
from cucme_lab.router.capf.config import CapfAuthMode
from cucme_lab.router.pki.config import GrantMode, RevocationMethod
from cucme_lab.router.pki.credentials import certificate
from cucme_lab.router.telephony.settings import SecurityMode

MIN_KEY_BITS = 1024  # section 3.2.1: "A key size of 1024 is recommended"
# Section 5 and Table 1: the values the guide gives for a hardened phone (settingsAccess may be
# 0, disabled, for public spaces, or 2, restricted, for protected ones: section 5.2).
HARDENED: dict[str, tuple[str, ...]] = {
    "disableSpeaker": ("true",), "disableSpeakerAndHeadset": ("true",),
    "forwardingDelay": ("1",), "garp": ("1",), "pcPort": ("1",), "spanToPCPort": ("1",),
    "voiceVlanAccess": ("1",), "webAccess": ("1",), "settingsAccess": ("2", "0"),
}
RANK = {SecurityMode.NONE: 0, SecurityMode.AUTHENTICATED: 1, SecurityMode.ENCRYPTED: 2}


def _grant_auto(check: Check, v: AuditView) -> Iterator[Finding]:
    if v.rollout_in_progress:  # a pending cert-oper still needs the CA to grant
        return
    for ca in v.ca_servers:
        if ca.grant is GrantMode.AUTO:
            yield check.finding([f"crypto pki server {ca.name}", " no grant auto"],
                                what=ca.name,
                                title=f"`grant auto` left on CA {ca.name} after the rollout")


def _revocation_none(check: Check, v: AuditView) -> Iterator[Finding]:
    for tp in v.trustpoints.values():
        if RevocationMethod.NONE in tp.revocation_check:
            yield check.finding([f"crypto pki trustpoint {tp.name}", " revocation-check crl"],
                                what=tp.name,
                                title=f"trustpoint {tp.name}: `revocation-check none`")


def _small_keys(check: Check, v: AuditView) -> Iterator[Finding]:
    labels = set()
    for tp in v.trustpoints.values():
        labels.add(tp.key_label)
        configured = tp.rsakeypair.size if tp.rsakeypair is not None else None
        key = v.router.keystore.get(tp.key_label)
        bits = key.bits if key is not None else configured
        if bits is not None and bits < MIN_KEY_BITS:
            yield check.finding(
                [f"crypto pki trustpoint {tp.name}",
                 f" rsakeypair {tp.key_label} {MIN_KEY_BITS} {MIN_KEY_BITS}",
                 f"crypto pki enroll {tp.name}"],
                what=tp.name, title=f"trustpoint {tp.name}: a {bits}-bit key pair")
    for key in v.router.keystore.keys:  # `crypto key generate rsa` pairs (SSH, HTTPS)
        if key.label not in labels and key.bits < MIN_KEY_BITS:
            labels.add(key.label)
            yield check.finding([f"crypto key generate rsa general-keys label {key.label} "
                                 f"modulus {MIN_KEY_BITS}"], what=key.label,
                                title=f"key pair {key.label}: {key.bits} bits")


def _sast_shared_key(check: Check, v: AuditView) -> Iterator[Finding]:
    ctl = v.ctl
    if ctl is None or ctl.sast1 is None or ctl.sast2 is None:
        return
    one, two = v.trustpoints.get(ctl.sast1), v.trustpoints.get(ctl.sast2)
    label1 = one.key_label if one is not None else ctl.sast1
    label2 = two.key_label if two is not None else ctl.sast2
    if ctl.sast1 == ctl.sast2 or label1 == label2:
        yield check.finding(
            [f"crypto key generate rsa general-keys label {ctl.sast2} modulus 1024",
             f"crypto pki trustpoint {ctl.sast2}", f" rsakeypair {ctl.sast2} 1024 1024",
             f"crypto pki enroll {ctl.sast2}", "ctl-client", " regenerate"],
            title=f"SAST1 ({ctl.sast1}) and SAST2 ({ctl.sast2}) sign with one key pair "
                  f"({label1})")


def _capf_null_string(check: Check, v: AuditView) -> Iterator[Finding]:
    if v.capf is not None and v.capf.auth_mode is CapfAuthMode.NULL_STRING \
            and not v.rollout_in_progress:
        yield check.finding(["capf-server", " auth-mode auth-string"])


def _listener_acls(check: Check, v: AuditView) -> Iterator[Finding]:
    """CAPF (3804) and SCCP (2000) listen on every interface that is up: each interface the
    phones are not on (its subnets do not hold the listeners' source address) and the lab's
    WAN interface need an inbound ACL."""
    ts = v.telephony
    sources = {ip_address(a) for a in (
        ts.source_address if ts is not None else None,
        v.capf.source_address if v.capf is not None else None) if a is not None}
    if not sources:
        return  # neither CAPF nor SCCP listens
    for intf in v.interfaces:
        if intf.ip is None or intf.up_address is None or intf.access_group_in is not None:
            continue  # down, no IP, or an ACL already judges what arrives
        nets = [n.network for n in (intf.ip.primary, *intf.ip.secondaries) if n is not None]
        phones_side = any(a in n for a in sources for n in nets)
        if phones_side and intf.name != v.router.wan_interface:
            continue
        # on the phones' own subnet (a WAN shared with them) the phones must still get in
        permit = ["access-list 101 permit tcp PHONE-SUBNET WILDCARD any"] if phones_side else []
        yield check.finding([*permit, "access-list 101 deny tcp any any eq 2000",
                             "access-list 101 deny tcp any any eq 3804",
                             "access-list 101 permit ip any any",
                             f"interface {intf.name}", " ip access-group 101 in"],
                            what=place(intf.name),
                            title=f"CAPF and SCCP listen on {intf.name} without an ACL")


def _ctl_client(check: Check, v: AuditView) -> Iterator[Finding]:
    if not v.secure:
        return
    ctl = v.ctl
    if ctl is None or ctl.sast1 is None or ctl.sast2 is None or not ctl.local_servers():
        missing = "no ctl-client" if ctl is None else "a ctl-client without " + ", ".join(
            w for w, absent in (("sast1", ctl.sast1 is None), ("sast2", ctl.sast2 is None),
                                ("servers", not ctl.local_servers())) if absent)
        yield check.finding(
            ["ctl-client", " server capf A.B.C.D trustpoint TP", " server cme-tftp A.B.C.D "
             "trustpoint TP", " sast1 trustpoint TP", " sast2 trustpoint TP2", " regenerate"],
            title=f"phone security is configured with {missing}")


def _ctl_regenerate(check: Check, v: AuditView) -> Iterator[Finding]:
    ctl = v.ctl
    if v.secure and ctl is not None and ctl.sast1 and ctl.sast2 and not v.ctl_on_flash:
        yield check.finding(["ctl-client", " regenerate"])


def _ctl_stale(check: Check, v: AuditView) -> Iterator[Finding]:
    ctl = v.ctl
    if ctl is None or not v.ctl_on_flash:
        return
    listed = v.ctl_certificates
    names = [n for n in (ctl.sast1, ctl.sast2) if n] + [s.trustpoint for s in ctl.local_servers()]
    for name in dict.fromkeys(names):
        cert = certificate(v.router, name)
        if cert is not None and cert.public_bytes(Encoding.DER) not in listed:
            yield check.finding(["ctl-client", " regenerate"], what=name,
                                title=f"the CTL file does not list trustpoint {name}'s "
                                      "current certificate")


def _telephony_security(check: Check, v: AuditView) -> Iterator[Finding]:
    ts = v.telephony
    if ts is None or not v.secure:
        return
    for what, name, command in (
            ("secure-signaling", ts.secure_signaling_trustpoint, "secure-signaling trustpoint"),
            ("tftp-server-credentials", ts.tftp_server_trustpoint,
             "tftp-server-credentials trustpoint")):
        if name is None or name not in v.trustpoints:
            said = "is not configured" if name is None else f"names {name}, no trustpoint"
            yield check.finding(["telephony-service", f" {command} TP"], what=what,
                                title=f"`{command}` {said}")
    if ts.cnf_file != "perphone":
        yield check.finding(["telephony-service", " cnf-file perphone", " create cnf-files"],
                            what="cnf-file", title="`cnf-file perphone` is not configured")


def _shared_auth_strings(check: Check, v: AuditView) -> Iterator[Finding]:
    by_string: dict[str, list[int]] = {}
    for ep in v.ephones:
        if ep.capf_auth_str is not None:
            by_string.setdefault(ep.capf_auth_str, []).append(ep.tag)
    for tags in by_string.values():
        if len(tags) > 1:
            shown = ", ".join(map(str, tags))
            yield check.finding([line for t in tags for line in (
                f"ephone {t}", " capf-auth-str DIGITS-UNIQUE-TO-THIS-PHONE")],
                what="-".join(map(str, tags)),
                title=f"ephones {shown} share one CAPF authentication string")


def _not_encrypted(check: Check, v: AuditView) -> Iterator[Finding]:
    for ep in v.ephones:
        mode = v.mode(ep)
        if mode is SecurityMode.ENCRYPTED:
            continue
        fix = ([f"ephone {ep.tag}", " device-security-mode encrypted", " reset"]
               if ep.device_security_mode is not None else
               ["telephony-service", " device-security-mode encrypted", " reset all"])
        yield check.finding(fix, what=str(ep.tag),
                            severity="high" if mode is SecurityMode.NONE else "medium",
                            title=f"ephone {ep.tag} is {_mode_word(mode)}")


def _mode_word(mode: SecurityMode) -> str:
    return "non-secure" if mode is SecurityMode.NONE else str(mode)


def _registered_below_mode(check: Check, v: AuditView) -> Iterator[Finding]:
    for ep in v.ephones:
        reg = v.registrations.get(ep.tag)
        if reg is None:
            continue
        want = v.mode(ep)
        have = SecurityMode(reg.security_mode) if reg.security_mode in RANK else \
            SecurityMode.NONE
        if RANK[have] < RANK[want]:
            yield check.finding(
                [f"ephone {ep.tag}", " capf-auth-str DIGITS",
                 " cert-oper upgrade auth-mode auth-string", " reset"],
                what=str(ep.tag),
                title=f"ephone {ep.tag} is configured {want} but registered "
                      f"{_mode_word(have)} ({reg.transport})")


def _unsigned_files(check: Check, v: AuditView) -> Iterator[Finding]:
    ts = v.telephony
    if ts is None or not v.secure:
        return
    for f in ts.load_cfg_files:
        if not f.sign:
            yield check.finding(["telephony-service",
                                 f" load-cfg-file {f.file} alias {f.alias} sign create"],
                                what=f.alias, title=f"{f.alias} is served unsigned")


def _without_mac(check: Check, v: AuditView) -> Iterator[Finding]:
    for ep in v.ephones:
        if ep.mac is None:
            yield check.finding([f"ephone {ep.tag}", " mac-address H.H.H"], what=str(ep.tag),
                                title=f"ephone {ep.tag} has no MAC address")


def _hardening(check: Check, v: AuditView) -> Iterator[Finding]:
    for ep in v.ephones:
        params = v.service_phone(ep)
        weak = {k: params.get(k) for k, good in HARDENED.items() if params.get(k) not in good}
        if not weak:
            continue
        where = [f"ephone-template {ep.template}"] if ep.template is not None else \
            ["telephony-service"]
        fix = where + [f" service phone {k} {HARDENED[k][0]}" for k in weak]
        fix += ["telephony-service", " create cnf-files", f"ephone {ep.tag}", " reset"]
        said = ", ".join(f"{k} {'unset' if val is None else val}" for k, val in weak.items())
        yield check.finding(fix, what=str(ep.tag),
                            title=f"ephone {ep.tag} is not hardened: {said}")


CHECKS: list[Check] = [
    Check("ca-grant-auto", "high", NSA, "3.1",
          "`grant auto` left on after the rollout",
          "With `grant auto` the CA signs every enrolment request it receives, from anyone who "
          "reaches its HTTP port; the guide says to turn it off once the servers' and phones' "
          "certificates are enrolled.", _grant_auto),
    Check("revocation-check-none", "medium", NSA, "3.2.1",
          "a trustpoint does not check revocation",
          "With `revocation-check none` a revoked certificate (a stolen phone's LSC, a "
          "compromised server key) is still accepted; the guide checks revocation with a CRL.",
          _revocation_none),
    Check("rsa-key-small", "medium", NSA, "3.2.1",
          "a trustpoint's key pair is shorter than 1024 bits",
          "The guide recommends 1024-bit keys: 512-bit RSA keys can be factored, and a "
          "factored server or SAST key lets anyone sign a CTL file or impersonate CUCME.",
          _small_keys),
    Check("sast-shared-key", "high", NSA, "3.2.2",
          "SAST1 and SAST2 share one key pair",
          "SAST2 is the backup signer of the CTL file: if SAST1's key is compromised or "
          "revoked the phones trust SAST2 instead. One key pair for both (Appendix B's "
          "`rsa-keypair CUCME_CAPF_TFTP_SAST1` on trustpoint SAST2) leaves no backup.",
          _sast_shared_key),
    Check("capf-null-string", "high", NSA, "3.3",
          "CAPF authenticates phones with a null string after the rollout",
          "`auth-mode null-string` issues an LSC to any phone that asks; the guide accepts it "
          "only while first deploying security and wants an authentication string (or the "
          "existing LSC) when phones are managed or added.", _capf_null_string),
    Check("listeners-no-acl", "medium", NSA, "3.3",
          "CAPF and SCCP listen on an interface without an ACL",
          "CAPF \"will still listen for connections on all interfaces\"; the guide (and the "
          "Cisco chapter's IP Phone Registration Control) block ports 3804 and 2000 on the "
          "interfaces phones are not on, such as the WAN.", _listener_acls),
    Check("ctl-client-incomplete", "high", NSA, "3.4",
          "phone security without a complete CTL client",
          "Without a ctl-client naming the servers, SAST1 and SAST2 there is no CTL file: "
          "phones have no trust list, cannot check signed files or the TLS servers, and "
          "media and signalling encryption do not work (section 2).", _ctl_client),
    Check("ctl-not-regenerated", "high", NSA, "3.4",
          "the CTL file was never generated (`regenerate` forgotten)",
          "\"Without issuing this command the CTL file will not be created\": phones find no "
          "trust list on TFTP and stay non-secure.", _ctl_regenerate),
    Check("ctl-stale", "high", NSA, "3.4",
          "the CTL file predates a certificate (`regenerate` not run after a change)",
          "\"If a certificate changes and regenerate is not ran, then the phones will no "
          "longer trust the server that uses the updated certificate\": signed files and TLS "
          "fail on every phone.", _ctl_stale),
    Check("telephony-security-incomplete", "high", NSA, "4",
          "telephony-service lacks a security setting",
          "Secure signalling needs `secure-signaling trustpoint` naming an enrolled "
          "trustpoint, signed files need `tftp-server-credentials trustpoint`, and signing "
          "needs one configuration file per phone (`cnf-file perphone`).",
          _telephony_security),
    Check("capf-auth-string-shared", "medium", NSA, "4.2",
          "phones share a CAPF authentication string",
          "The string is each phone's password for its certificate; one string for many "
          "(`auth-string generate all DIGITS`) is the global string the guide calls \"not a "
          "secure method of authenticating the phones\".", _shared_auth_strings),
    Check("phone-not-encrypted", "high", NSA, "4.1, 4.2",
          "a phone is not in encrypted mode",
          "Non-secure phones send signalling and voice in clear; authenticated phones protect "
          "the signalling's integrity but not the voice. The guide recommends `encrypted` for "
          "the highest level of assurance.", _not_encrypted),
    Check("phone-registered-below-mode", "high", NSA, "4.1",
          "a registered phone runs below its configured security mode",
          "A phone keeps its old registration until it is reset, and registers securely only "
          "once it has a certificate: until then its calls are not protected as configured.",
          _registered_below_mode),
    Check("load-cfg-file-unsigned", "medium", NSA, "4.1",
          "a file CUCME did not make is served unsigned",
          "Once security is on, phones accept only signed files: an unsigned `load-cfg-file` "
          "is refused (or, on a non-secure phone, can be tampered with on the way).",
          _unsigned_files),
    Check("ephone-without-mac", "low", NSA, "4.2",
          "an ephone has no MAC address",
          "Without its MAC address an ephone goes to whichever phone registers first, so "
          "its security mode and certificate operation land on an unknown phone.",
          _without_mac),
    Check("phone-not-hardened", "medium", NSA, "5, 5.1, 5.2",
          "a phone lacks the hardening parameters",
          "Speaker and headset allow eavesdropping (Hack.lu 2007), the web page and settings "
          "menu disclose the phone's configuration, the PC port, span and voice VLAN access "
          "let a PC sniff voice traffic, and GARP lets a host spoof the gateway.", _hardening),
]
