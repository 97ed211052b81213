"""telephony-service, ephone-dn, ephone and ephone-template: the blocks of both source documents
(NSA CUCME guide sections 4-5 and Appendices B-C; Cisco CME security chapter) pasted into a real
session, the lines IOS would refuse, and the canonical `show running-config` text."""

from __future__ import annotations

import re
from pathlib import Path

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.router.telephony import settings as tm
from cucme_lab.shell.boot import apply_config
from cucme_lab.shell.commands import command_set

PROMPT = re.compile(r"^\S+?(\([\w-]+\))?[#>]")


def rejected(output: str) -> list[tuple[str, str]]:
    """(typed line, first `%` line) for every line the shell refused."""
    found: list[tuple[str, str]] = []
    current = ""
    for line in output.splitlines():
        m = PROMPT.match(line)
        if m:
            current = line[m.end():].strip()
        elif line.startswith("%") and not line.startswith("%SYS") and not provisioning(line):
            found.append((current, line))
    return found


def provisioning(line: str) -> bool:
    """Errors of the provisioning layer (missing flash files, trustpoints without certificates):
    the documents name files and certificates this lab folder does not have. They are tested in
    tests/provisioning."""
    return (line.startswith(("%Error opening flash:", "% TFTP server credentials:",
                             "% CTL file generation failed:"))
            or "signed configuration files need" in line)


def caret_under(output: str, typed: str) -> str:
    """The text from the caret on, for the (first) echo of `typed`."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = PROMPT.match(line)
        if m and line[m.end():] == typed:
            col = lines[i + 1].index("^")
            return line[col:]
    raise AssertionError(f"{typed!r} not echoed")


def blocks(router: Router, prefix: str) -> str:
    """The top-level blocks of running-config whose header starts with `prefix`."""
    out: list[str] = []
    keep = False
    for line in router.running_config_lines():
        if not line.startswith((" ", "!")):
            keep = line.startswith(prefix)
        if keep and line != "!":
            out.append(line)
    return "\n".join(out) + "\n"


# --- NSA guide, Appendix B (global hardening), telephony part verbatim ----------------------

NSA_APPENDIX_B = """\
telephony-service
  max-ephones 4
  max-dn 4
  ip source-address 1.2.3.4 port 2000
  secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
  service phone disableSpeaker true
  service phone disableSpeakerAndHeadset true
  service phone forwardingDelay 1
  service phone garp 1
  service phone pcPort 1
  service phone spanToPCPort 1
  service phone voiceVlanAccess 0
  service phone webAccess 1
  service phone settingsAccess 2
  secure-signaling trustpoint CME
  cnf-file perphone
  dialplan-pattern 1 27... extension-length 4
  tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
  server-security-mode secure
  device-security-mode encrypted
  load-cfg-file flash:P00308000500.sbn alias P00308000500.sbn sign
  load-cfg-file flash:P00308000500.sb2 alias P00308000500.sb2 sign
  load-cfg-file flash:P00308000500.loads alias P00308000500.loads sign
  create cnf-files version-stamp Jan 01 2002 00:00:00
!
ephone-dn 1
  number 7001
!
ephone-dn 2
  number 7002
!
ephone-dn 3
  number 7003
!
ephone-dn 4
  number 7004
!
ephone 1
  device-security-mode encrypted
  mac-address CAFE.CAFE.1234
  type 7970
  button 1:1
!
ephone 2
  device-security-mode encrypted
mac-address CAFE.CAFE.2345
button 1:2
!
ephone 3
device-security-mode encrypted
mac-address CAFE.CAFE.3456
button 1:3
!
ephone 4
device-security-mode encrypted
mac-address CAFE.CAFE.4567
button 1:4
"""

APPENDIX_B_TELEPHONY = """\
telephony-service
 secure-signaling trustpoint CME
 max-ephones 4
 max-dn 4
 ip source-address 1.2.3.4 port 2000
 service phone disableSpeaker true
 service phone disableSpeakerAndHeadset true
 service phone forwardingDelay 1
 service phone garp 1
 service phone pcPort 1
 service phone spanToPCPort 1
 service phone voiceVlanAccess 0
 service phone webAccess 1
 service phone settingsAccess 2
 cnf-file perphone
 dialplan-pattern 1 27... extension-length 4
 tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
 server-security-mode secure
 device-security-mode encrypted
 load-cfg-file flash:P00308000500.sbn alias P00308000500.sbn sign
 load-cfg-file flash:P00308000500.sb2 alias P00308000500.sb2 sign
 load-cfg-file flash:P00308000500.loads alias P00308000500.loads sign
 create cnf-files version-stamp Jan 01 2002 00:00:00
"""


async def test_nsa_appendix_b_pastes_cleanly_and_renders_canonically(shell, router):
    out = await shell.paste_config(NSA_APPENDIX_B)
    assert rejected(out) == []
    # the second secure-signaling line replaces the first; IOS prints it first in the block
    assert blocks(router, "telephony-service") == APPENDIX_B_TELEPHONY
    assert blocks(router, "ephone-dn") == "".join(
        f"ephone-dn  {n}\n number 700{n}\n" for n in range(1, 5))
    assert blocks(router, "ephone ") == (
        "ephone  1\n device-security-mode encrypted\n mac-address CAFE.CAFE.1234\n type 7970\n"
        " button  1:1\n"
        "ephone  2\n device-security-mode encrypted\n mac-address CAFE.CAFE.2345\n"
        " button  1:2\n"
        "ephone  3\n device-security-mode encrypted\n mac-address CAFE.CAFE.3456\n"
        " button  1:3\n"
        "ephone  4\n device-security-mode encrypted\n mac-address CAFE.CAFE.4567\n"
        " button  1:4\n")
    text = router.running_config(header=False)
    assert "!\ntelephony-service\n" in text
    assert " create cnf-files version-stamp Jan 01 2002 00:00:00\n!\n!\nephone-dn  1\n" in text
    # sections in IOS order: telephony-service, ephone-dn, ephone, then the lines
    assert text.index("telephony-service") < text.index("ephone-dn  1") < text.index(
        "ephone  1") < text.index("line con 0")


# --- NSA guide, Appendix C (templates); the .loads line is wrapped in the document ------------

NSA_APPENDIX_C = """\
telephony-service
  max-ephones 4
  max-dn 4
  ip source-address 1.2.3.4 port 2000
  secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
  cnf-file perphone
  dialplan-pattern 1 27... extension-length 4
  tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
  server-security-mode secure
  device-security-mode encrypted
  load-cfg-file flash:P00308000500.sbn alias P00308000500.sbn sign
  load-cfg-file flash:P00308000500.sb2 alias P00308000500.sb2 sign
  load-cfg-file flash:P00308000500.loads alias P00308000500.loads
  sign
  create cnf-files version-stamp Jan 01 2002 00:00:00
!
ephone-template 1
  service phone disableSpeaker true
  service phone disableSpeakerAndHeadset true
  service phone forwardingDelay 1
  service phone garp 1
  service phone pcPort 1
  service phone spanToPCPort 1
  service phone voiceVlanAccess 1
  service phone webAccess 1
  service phone settingsAccess 1
!
ephone-template 2
  service phone disableSpeaker true
  service phone disableSpeakerAndHeadset true
  service phone forwardingDelay 1
  service phone garp 1
  service phone pcPort 1
  service phone spanToPCPort 1
  service phone voiceVlanAccess 1
  service phone webAccess 1
  service phone settingsAccess 0
!
ephone-dn 1
  number 7001
!
ephone-dn 2
  number 7002
!
ephone-dn 3
  number 7003
"""
# the document has two trailing spaces on each line from here on; typed as they are
NSA_APPENDIX_C += "".join(line + "  \n" for line in """\
!
ephone-dn 4
  number 7004
!
ephone 1
  device-security-mode encrypted
  mac-address CAFE.CAFE.1234
  ephone-template 1
  button 1:1
!
ephone 2
  device-security-mode authenticated
  mac-address CAFE.CAFE.2345
  ephone-template 2
  button 1:2
!
ephone 3
  device-security-mode encrypted
  mac-address CAFE.CAFE.3456
  ephone-template 2
  button 1:3
!
ephone 4
  device-security-mode encrypted
  mac-address CAFE.CAFE.4567
  ephone-template 2
  button 1:4
""".splitlines())


async def test_nsa_appendix_c_rejects_only_the_wrapped_sign(shell, router):
    out = await shell.paste_config(NSA_APPENDIX_C)
    # The document wraps `... alias P00308000500.loads sign`: the first half is a valid line
    # (no signing), and `sign` alone is no command, in telephony-service nor globally.
    assert rejected(out) == [("sign", "% Invalid input detected at '^' marker.")]
    assert " load-cfg-file flash:P00308000500.loads alias P00308000500.loads\n" in blocks(
        router, "telephony-service")
    template = "".join(f" service phone {k} {v}\n" for k, v in (
        ("disableSpeaker", "true"), ("disableSpeakerAndHeadset", "true"),
        ("forwardingDelay", 1), ("garp", 1), ("pcPort", 1), ("spanToPCPort", 1),
        ("voiceVlanAccess", 1), ("webAccess", 1)))
    assert blocks(router, "ephone-template") == (
        "ephone-template  1\n" + template + " service phone settingsAccess 1\n"
        "ephone-template  2\n" + template + " service phone settingsAccess 0\n")
    assert blocks(router, "ephone  2") == (
        "ephone  2\n device-security-mode authenticated\n mac-address CAFE.CAFE.2345\n"
        " ephone-template 2\n button  1:2\n")
    # typed read access for later services
    ep2 = tm.ephone(router.config, 2)
    assert ep2 is not None and ep2.template == 2 and ep2.device_name == "SEPCAFECAFE2345"
    assert tm.effective_service_phone(router.config, ep2)["settingsAccess"] == "0"
    assert tm.effective_security_mode(router.config, ep2) == "authenticated"
    assert [b.dns for b in ep2.buttons] == [(2,)]
    ts = tm.telephony_service(router.config)
    assert ts is not None and ts.load_cfg_files[2] == (
        "flash:P00308000500.loads", "P00308000500.loads", False)
    assert (ts.max_ephones, ts.max_dn, ts.port, ts.version_stamp) == (
        4, 4, 2000, "Jan 01 2002 00:00:00")


# --- NSA guide, sections 4.1, 4.2, 5.1 and 5.2 -----------------------------------------------

NSA_SECTION_4 = """\
telephony-service
secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
cnf-perphone
tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
device-security-mode encrypted
load-cfg-file flash:Ringlist.xml alias Ringlist.xml sign
  reset all
ephone 1
  mac-address CAFÉ.CAFE.1234
  mac-address CAFE.CAFE.1234
  device-security-mode encrypted
!
ephone 2
 mac-address CAFE.CAFE.1235
 device-security-mode authenticated
 capf-auth-string 1234
 capf-auth-str 1234
 cert-oper upgrade auth-mode auth-string
  reset
"""


async def test_nsa_section_4_typos_are_refused_with_a_caret(shell, router):
    out = await shell.paste_config(NSA_SECTION_4)
    assert [line for line, _ in rejected(out)] == [
        "cnf-perphone", "mac-address CAFÉ.CAFE.1234", "capf-auth-string 1234"]
    assert caret_under(out, "cnf-perphone") == "perphone"  # `cnf-` is as far as it matches
    assert caret_under(out, "  mac-address CAFÉ.CAFE.1234").startswith("CAF")
    assert caret_under(out, " capf-auth-string 1234") == "ing 1234"
    assert blocks(router, "telephony-service") == (
        "telephony-service\n secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1\n"
        " tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1\n"
        " device-security-mode encrypted\n"
        " load-cfg-file flash:Ringlist.xml alias Ringlist.xml sign\n")
    # cert-oper shows while the operation is pending
    assert blocks(router, "ephone ") == (
        "ephone  1\n device-security-mode encrypted\n mac-address CAFE.CAFE.1234\n"
        "ephone  2\n device-security-mode authenticated\n capf-auth-str 1234\n"
        " cert-oper upgrade auth-mode auth-string\n mac-address CAFE.CAFE.1235\n")


NSA_SECTION_5 = """\
telephony-service
  service phone disableSpeaker true
  service phone disableSpeakerAndHeadset true
  service phone forwardingDelay 1
  service phone garp 1
  service phone pcPort 1
  service phone spanToPCPort 1
  service phone voiceVlanAccess 1
  service phone webAccess 1
  service phone settingsAccess 2
create cnf-files
reset all
ephone-template 1
  service phone settingsAccess 0
  exit
ephone 1
  ephone-template 1
  exit
telephony-service
  create cnf-files
  exit
ephone 1
  reset
"""


class Hooks:
    """Records the action hooks the CLI calls."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def create_cnf_files(self, stamp: str) -> str:
        self.calls.append(("create", stamp))
        return "CNF files updated"

    def reset_phones(self, tags: list[int] | None, restart: bool) -> None:
        self.calls.append(("reset", tags, restart))


async def test_nsa_section_5_hardening_and_action_hooks(shell, router):
    hooks = Hooks()
    router.telephony_hooks = hooks
    out = await shell.paste_config(NSA_SECTION_5)
    assert rejected(out) == []
    stamp = router.clock.now_local().strftime("%b %d %Y")
    ts = tm.telephony_service(router.config)
    assert ts is not None and ts.version_stamp is not None and ts.version_stamp.startswith(stamp)
    assert re.fullmatch(r"[A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d", ts.version_stamp)
    assert blocks(router, "telephony-service").endswith(
        f" service phone settingsAccess 2\n create cnf-files version-stamp {ts.version_stamp}\n")
    # `create cnf-files` and `reset` act directly now (tests/provisioning, tests/sccp)
    assert blocks(router, "ephone ") == "ephone  1\n ephone-template 1\n"


# --- Cisco CME security chapter ----------------------------------------------------------------

CISCO_REGISTRATION = """\
telephony-service
ip source-address 10.1.1.1 port 2000 strict-match
no auto-reg-ephone
ephone-dn 1
number 1001

ephone-dn 2
number 1002

ephone 1
mac-address 1111.2222.3333
button 1:1 2:2
telephony-service
auto assign 1 to 500
"""


async def test_cisco_registration_control(shell, router):
    out = await shell.paste_config(CISCO_REGISTRATION)
    assert rejected(out) == []
    assert blocks(router, "telephony-service") == (
        "telephony-service\n ip source-address 10.1.1.1 port 2000 strict-match\n"
        " no auto-reg-ephone\n auto assign 1 to 500\n")
    assert blocks(router, "ephone ") == (
        "ephone  1\n mac-address 1111.2222.3333\n button  1:1 2:2\n")
    ts = tm.telephony_service(router.config)
    assert ts is not None and ts.strict_match and not ts.auto_reg_ephone
    assert ts.auto_assign == (1, 500)
    # auto-reg-ephone is on by default: turning it back on removes the line
    await shell.type("conf t", "telephony-service", "auto-reg-ephone")
    assert " auto-reg-ephone" not in blocks(router, "telephony-service")


CISCO_AFTER_HOURS_1 = """\
telephony-service
after-hours block pattern 2 .1264 7-24
after-hours block pattern 3 .1268 7-24
after-hours block pattern 4 .1246 7-24
after-hours block pattern 5 .1441 7-24
after-hours block pattern 6 .1284 7-24
after-hours block pattern 7 9011
after-hours day Sun 19:00 07:00
after-hours day Mon 19:00 07:00
after-hours day Tue 19:00 07:00
after-hours day Wed 19:00 07:00
after-hours day Thu 19:00 07:00
after-hours day Fri 19:00 07:00
after-hours day Sat 19:00 07:00
"""

CISCO_AFTER_HOURS_2_CODES = ("1242", "1264", "1268", "1246", "1441", "1284", "1345", "1767",
                             "1809", "1473", "1876", "1664", "1787", "1869", "1758", "1900",
                             "1976", "1868", "1649", "1340", "1784", "1684", "1590", "1456")


async def test_cisco_after_hours_blocks(shell, router):
    out = await shell.paste_config(CISCO_AFTER_HOURS_1)
    assert rejected(out) == []
    days = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    assert blocks(router, "telephony-service") == "telephony-service\n" + "".join(
        f" after-hours block pattern {n} .{code} 7-24\n"
        for n, code in ((2, 1264), (3, 1268), (4, 1246), (5, 1441), (6, 1284))) + (
        " after-hours block pattern 7 9011\n") + "".join(
        f" after-hours day {d} 19:00 07:00\n" for d in days)

    second = ["telephony-service"] + [
        f"  after-hours block pattern {n} .{code}"
        for n, code in enumerate(CISCO_AFTER_HOURS_2_CODES, start=1)] + [
        f"after-hours day {d} 00:00 23:59" for d in reversed(days)]
    out = await shell.paste_config("\n".join(second))
    assert rejected(out) == []
    body = blocks(router, "telephony-service").splitlines()
    # patterns sort by number (10 after 9), days Sunday first, whatever the typing order
    assert body[1:25] == [f" after-hours block pattern {n} .{code}"
                          for n, code in enumerate(CISCO_AFTER_HOURS_2_CODES, start=1)]
    assert body[25:] == [f" after-hours day {d} 00:00 23:59" for d in days]
    ts = tm.telephony_service(router.config)
    assert ts is not None and ts.after_hours_patterns[7] == (".1345", False)
    assert ts.after_hours_days["Sun"] == ("00:00", "23:59")


async def test_cisco_remote_phone_mtp_and_codec(shell, router):
    out = await shell.paste_config("ephone 1\n mtp\n codec g729r8\n")
    assert rejected(out) == []
    assert blocks(router, "ephone ") == "ephone  1\n codec g729r8\n mtp\n"
    ep = tm.ephone(router.config, 1)
    assert ep is not None and ep.mtp and ep.codec == "g729r8" and not ep.dspfarm_assist


CISCO_TLS_STEP_4 = """\
telephony-service
secure-signaling trustpoint cme-server
tftp-server-credentials trustpoint tftp-server
server-security-mode secure
device-security-mode authenticated
cnf-file perphone
ephone 1
  device-security-mode authenticated
"""


async def test_cisco_secure_sccp_step_4(shell, router):
    out = await shell.paste_config(CISCO_TLS_STEP_4)
    assert rejected(out) == []
    assert blocks(router, "telephony-service") == (
        "telephony-service\n secure-signaling trustpoint cme-server\n cnf-file perphone\n"
        " tftp-server-credentials trustpoint tftp-server\n server-security-mode secure\n"
        " device-security-mode authenticated\n")


# --- validation, abbreviations, `no` forms, help ----------------------------------------------


async def test_tags_limited_by_max_ephones_and_max_dn(shell, router):
    out = await shell.type("conf t", "ephone 3", "ephone-dn 40", "telephony-service",
                           "max-ephones 4", "max-dn 2", "max-dn 45", "ephone 5", "ephone-dn 46",
                           "ephone 4", "ephone-dn 45", "telephony-service", "max-ephones 1001")
    assert rejected(out) == [
        ("max-dn 2", "% max-dn 2 is less than the highest ephone-dn tag (40) configured."),
        ("ephone 5", "% Ephone tag exceeds max-ephones."),
        ("ephone-dn 46", "% Ephone-dn tag exceeds max-dn."),
        ("max-ephones 1001", "% Invalid input detected at '^' marker."),
    ]
    assert caret_under(out, "max-ephones 1001") == "1001"
    assert [e.tag for e in tm.ephones(router.config)] == [3, 4]
    assert [d.tag for d in tm.ephone_dns(router.config)] == [40, 45]


async def test_duplicate_mac_buttons_and_references(shell, router):
    out = await shell.type(
        "conf t", "ephone-dn 1", "ephone-dn 2 dual-line", "ephone 1", "mac-address cafe.cafe.1234",
        "ephone 2", "mac-address CAFE.CAFE.1234", "mac-address CAFE.CAFE.1234",
        "button 1:1 1:2", "button 1:3", "button 1:1,2", "button 1o1,2 2:2", "ephone-template 9",
        "ephone-template 21", "type 7999", "capf-auth-str 123", "capf-auth-str 12345678901",
        "capf-auth-str 0012345678")
    assert rejected(out) == [
        ("mac-address CAFE.CAFE.1234", "% MAC address CAFE.CAFE.1234 already in use by ephone 1"),
        ("mac-address CAFE.CAFE.1234", "% MAC address CAFE.CAFE.1234 already in use by ephone 1"),
        ("button 1:1 1:2", "% Button 1 is configured more than once."),
        ("button 1:3", "% ephone-dn 3 is not configured."),
        ("button 1:1,2", "% Invalid input detected at '^' marker."),
        ("ephone-template 9", "% ephone-template 9 is not configured."),
        ("ephone-template 21", "% Invalid input detected at '^' marker."),
        ("type 7999", "% Invalid input detected at '^' marker."),
        ("capf-auth-str 123", "% Invalid input detected at '^' marker."),
        ("capf-auth-str 12345678901", "% Invalid input detected at '^' marker."),
    ]
    assert blocks(router, "ephone") == (
        "ephone-dn  1\nephone-dn  2  dual-line\n"
        "ephone  1\n mac-address CAFE.CAFE.1234\n"
        "ephone  2\n capf-auth-str 0012345678\n button  1o1,2 2:2\n")
    dn2 = tm.ephone_dn(router.config, 2)
    assert dn2 is not None and dn2.dual_line
    assert tm.ephone_by_mac(router.config, "cafecafe1234").tag == 1  # type: ignore[union-attr]


async def test_ephone_typed_in_ephone_mode_is_the_global_command(shell, router):
    # `ephone 2` is a unique prefix of the ephone-mode `ephone-template`; IOS takes the global
    # `ephone` (pasted running-configs depend on it).
    out = await shell.type("conf t", "ephone-template 2", "ephone 1", "ephone 2", "type 7965",
                           "ephone 1", "ephone-template 2", "ephone-t 2", "no ephone 2")
    assert rejected(out) == []
    assert "Router(config-ephone)#type 7965" in out
    assert blocks(router, "ephone ") == "ephone  1\n ephone-template 2\n"


async def test_abbreviations_and_no_forms(shell, router):
    out = await shell.type(
        "conf t", "tel", "ip sou 10.0.0.1", "max-e 10", "max-d 20", "dev enc", "cnf perphone",
        "servi ph garp 1", "servi ph Garp 0", "no servi ph Garp", "load flash:a.xml al a.xml si cr",
        "load flash:b.xml alias b.xml", "no load-cfg-file flash:a.xml alias a.xml",
        "dialplan 2 4085551... ext 4", "secure trust TP", "tftp trust TP",
        "ephone-d 3", "num 1003 sec 1004", "na Front Desk", "cor in user", "cor out local",
        "no cor incoming", "ephone 3", "mac 1.2.3", "typ 7941G", "dev none", "cod g711u dsp",
        "cert del auth null", "capf-ip", "end")
    assert rejected(out) == []
    assert blocks(router, "telephony-service") == (
        "telephony-service\n secure-signaling trustpoint TP\n max-ephones 10\n max-dn 20\n"
        " ip source-address 10.0.0.1 port 2000\n service phone garp 1\n cnf-file perphone\n"
        " dialplan-pattern 2 4085551... extension-length 4\n"
        " tftp-server-credentials trustpoint TP\n device-security-mode encrypted\n"
        " load-cfg-file flash:b.xml alias b.xml\n")
    assert blocks(router, "ephone-dn") == (
        "ephone-dn  3\n number 1003 secondary 1004\n name Front Desk\n cor outgoing local\n")
    assert blocks(router, "ephone ") == (
        "ephone  3\n capf-ip-in-cnf\n device-security-mode none\n"
        " cert-oper delete auth-mode null-string\n mac-address 0001.0002.0003\n"
        " codec g711ulaw dspfarm-assist\n type 7941GE\n")
    out = await shell.type(
        "conf t", "telephony-service", "no dev", "no max-ephones", "no ip source-address",
        "no secure-signaling trustpoint", "no service phone", "no load-cfg-file",
        "no dialplan-pattern 2",
        "ephone 3", "no mac", "no type", "no codec", "no cert-oper", "no capf-ip-in-cnf",
        "default device-security-mode", "ephone-dn 3", "no number", "no name", "no cor")
    assert rejected(out) == []
    assert blocks(router, "telephony-service") == (
        "telephony-service\n max-dn 20\n cnf-file perphone\n"
        " tftp-server-credentials trustpoint TP\n")
    assert blocks(router, "ephone") == "ephone-dn  3\nephone  3\n"
    await shell.type("conf t", "no ephone 3", "no ephone-dn 3", "no telephony-service")
    assert blocks(router, "ephone") == "\n" and "telephony-service" not in router.running_config()


async def test_question_mark_help_in_telephony_modes(shell):
    out = await shell.type("conf t", "telephony-service", "device-security-mode ?", "en",
                           "ip source-address 1.1.1.1 ?", "", "after-hours ?", "day ?", "",
                           "ephone 1", "cert-oper fetch auth-mode ?", "LSC", "type 794?", "1",
                           "?", "")
    assert ("Router(config-telephony)#device-security-mode ?\n"
            "  authenticated  Device security mode authenticated\n"
            "  encrypted      Device security mode encrypted\n"
            "  none           Device security mode none\n\n"
            "Router(config-telephony)#device-security-mode en\n") in out
    assert ("  port          Define TCP port for skinny (SCCP) phones\n"
            "  strict-match  Strict IP address match for registration\n  <cr>\n") in out
    assert ("  block          Define after-hours block patterns\n"
            "  date           Define after-hours date\n"
            "  day            Define after-hours day\n"
            "  override-code  Define after-hours override code\n") in out
    assert "  Fri  \n" not in out and "  Sun" in out
    assert ("  auth-string  Authenticate with an authentication string\n"
            "  LSC          Authenticate with the locally significant certificate\n") in out
    assert "7940  7941  7941GE  7942  7945  \n" in out
    assert "Ephone configuration commands:\n  after-hour " in out and "\n  button " in out
    assert "  capf-auth-str         CAPF authentication string\n" in out


async def test_running_config_survives_a_reload(shell, router, tmp_path: Path):
    await shell.paste_config(NSA_APPENDIX_C)
    await shell.paste_config(CISCO_AFTER_HOURS_1)
    text = router.startup_config_text()
    other = Router.open(tmp_path / "other", addresses=AddressPlan())
    out = await apply_config(other, text, command_set())
    assert rejected(out) == []
    assert other.running_config(header=False) == router.running_config(header=False)


async def test_a_thousand_ephones_can_be_configured(shell, router):
    """CME 4.3 and later configure up to 1,000 SCCP phones; max-ephones caps registration."""
    out = await shell.type("conf t", "telephony-service", "max-ephones 1000", "ephone 1000",
                           "mac-address 0000.0000.1000", "ephone 1001")
    assert rejected(out) == [("ephone 1001", "% Invalid input detected at '^' marker.")]
    assert [e.tag for e in tm.ephones(router.config)] == [1000]
    assert " max-ephones 1000" in router.running_config()
