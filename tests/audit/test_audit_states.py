"""The audit of three states of the lab lists exactly the findings each leaves.

- the default lab (the NSA guide's starting point: CUCME without security);
- after Appendix B (the NSA guide's global-settings configuration pasted; its `rsa-keypair`
  lines spelled `rsakeypair`, as IOS takes them, so SAST2 really shares SAST1's key pair as
  the appendix means);
- after Appendix B and the Cisco chapter's access hardening on top.

The JSON follows docs/audit.schema.json in every state.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import trio

from cucme_lab.lab.audit import audit_router
from cucme_lab.lab.labfile import DEFAULT_LAB, load_lab
from cucme_lab.shell.boot import reload_router
from cucme_lab.shell.commands import command_set

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SCHEMA = json.loads((ROOT / "docs" / "audit.schema.json").read_text())

# The Cisco chapter's hardening ("Configuring Basic Cisco Unified CME Access Security",
# "Securing GUI Access", "Using HTTPS...", "Configuring Accounting and Auditing on AAA",
# "Disabling Cisco Discovery Protocol", "IP Phone Registration Control", "Call Activity
# Monitoring and Call History Logging", step 1 of "Secure SCCP Signaling via TLS"), as one
# administrator would type it. The lab has no SNMP community, no PSTN dial-peer and no
# interface but the phones' (Vlan10), so the SNMP, toll-fraud and ACL sections need nothing.
CHAPTER_HARDENING = """\
enable secret secretword1
no enable password
service password-encryption
username admin privilege 15 secret adminpass1
aaa new-model
aaa authentication login default group tacacs+ local
tacacs-server host 10.17.1.2
tacacs-server key xyz
aaa accounting exec default start-stop group tacacs+
aaa accounting commands 15 default start-stop group tacacs+
access-list 10 permit 10.1.1.0 0.0.0.255
line vty 0 4
 access-class 10 in
 transport input ssh
 exit
ip http authentication local
ip http access-class 10
ip http secure-server
ntp server 171.68.10.80
no cdp run
dial-control-mib retain-timer 10080
dial-control-mib max-size 500
gw-accounting syslog
telephony-service
 ip source-address 1.2.3.4 port 2000 strict-match
 no auto-reg-ephone
 exit
"""

DEFAULT_FINDINGS = {
    "phone-not-encrypted/1", "phone-not-encrypted/2", "phone-not-encrypted/3",
    "phone-not-encrypted/4", "phone-not-hardened/1", "phone-not-hardened/2",
    "phone-not-hardened/3", "phone-not-hardened/4", "vty-telnet/vty0-4",
    "enable-secret-missing", "vty-no-access-class/vty0-4", "vty-no-local-login/vty0-4",
    "sccp-no-strict-match", "auto-registration-on", "password-encryption-off", "aaa-not-used",
    "cdp-enabled", "call-history-off",
}
# Not found in the default lab (nor after Appendix B): no SNMP community, no PSTN dial-peer
# (so no COR or after-hours finding), registration events go to the logging buffer (on, at
# level debugging, by IOS's default), no AAA for accounting to be missing from, and CAPF and
# SCCP listen only on the phones' own interface.
# What the appendix leaves: the CA still granting automatically, SAST2 on SAST1's key pair,
# no CTL file (the appendix lists no `regenerate`), `secure-signaling trustpoint CME` (a
# trustpoint that does not exist) in force, and `voiceVlanAccess 0` (enabled) on every phone.
NSA_LEFT = {
    "ca-grant-auto/CAServer", "sast-shared-key", "ctl-not-regenerated",
    "telephony-security-incomplete/secure-signaling", "phone-not-hardened/1",
    "phone-not-hardened/2", "phone-not-hardened/3", "phone-not-hardened/4",
}
APPENDIX_B_FINDINGS = NSA_LEFT | {
    "http-authentication-enable", "http-no-access-class", "http-clear-text",
    "enable-secret-missing", "password-encryption-off", "vty-telnet/vty0-4",
    "vty-no-access-class/vty0-4", "vty-no-local-login/vty0-4", "aaa-not-used",
    "sccp-no-strict-match", "auto-registration-on", "ntp-missing", "cdp-enabled",
    "call-history-off",
}
HARDENED_FINDINGS = NSA_LEFT


def appendix_b() -> str:
    return (DATA / "nsa_appendix_b.txt").read_text().replace("rsa-keypair", "rsakeypair")


async def default_lab(router) -> None:
    nvram = router.storage.nvram / "startup-config"
    nvram.parent.mkdir(parents=True, exist_ok=True)
    nvram.write_text(load_lab(DEFAULT_LAB).startup_config)
    await reload_router(router, command_set())


def ids(report: dict) -> set[str]:
    return {f["id"] for f in report["findings"]}


def check_report(report: dict) -> dict:
    jsonschema.validate(report, SCHEMA)
    assert len(ids(report)) == len(report["findings"]), "finding ids are unique"
    return report


async def test_the_default_lab(router):
    with trio.fail_after(30):
        await default_lab(router)
        report = check_report(audit_router(router))
    assert ids(report) == DEFAULT_FINDINGS
    assert 0 < report["score"] < 100


async def test_after_appendix_b(shell):
    with trio.fail_after(30):
        await shell.paste_config(appendix_b())
        report = check_report(audit_router(shell.router))
    assert ids(report) == APPENDIX_B_FINDINGS


async def test_after_appendix_b_and_the_chapters_hardening(shell):
    with trio.fail_after(30):
        await shell.paste_config(appendix_b())
        before = audit_router(shell.router)["score"]
        out = await shell.paste_config(CHAPTER_HARDENING)
        report = check_report(audit_router(shell.router))
    assert "% Invalid" not in out, out
    assert ids(report) == HARDENED_FINDINGS
    assert report["score"] > before


async def test_each_finding_names_its_document_section_and_fix(shell):
    with trio.fail_after(30):
        await shell.paste_config(appendix_b())
        report = audit_router(shell.router)
    by_id = {f["id"]: f for f in report["findings"]}
    assert by_id["sast-shared-key"]["document"] == "NSA"
    assert by_id["sast-shared-key"]["section"] == "3.2.2"
    assert "CUCME_CAPF_TFTP_SAST1" in by_id["sast-shared-key"]["title"]
    assert by_id["ca-grant-auto/CAServer"]["fix"] == ["crypto pki server CAServer",
                                                      " no grant auto"]
    assert "voiceVlanAccess 0" in by_id["phone-not-hardened/1"]["title"]
    assert " service phone voiceVlanAccess 1" in by_id["phone-not-hardened/1"]["fix"]
    assert by_id["http-authentication-enable"]["document"] == "Cisco"
    assert by_id["http-authentication-enable"]["section"] == "Securing GUI Access"
    severities = [f["severity"] for f in report["findings"]]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)


async def test_typing_the_fixes_clears_the_nsa_findings(shell):
    """The fix lines are real commands: typed (placeholders filled), the findings go."""
    with trio.fail_after(60):
        await shell.paste_config(appendix_b())
        lines = """\
crypto pki server CAServer
 no grant auto
 exit
crypto pki trustpoint SAST2
 rsakeypair SAST2 1024 1024
 exit
telephony-service
 secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
 service phone voiceVlanAccess 1
 exit
"""
        out = await shell.paste_config(lines)
        report = audit_router(shell.router)
    assert "% Invalid" not in out, out
    assert ids(report) & NSA_LEFT == {"ctl-not-regenerated"}


# --- one test per finding each state leaves ------------------------------------------------

STATES = {"default-lab": DEFAULT_FINDINGS, "appendix-b": APPENDIX_B_FINDINGS,
          "appendix-b-and-chapter-hardening": HARDENED_FINDINGS}
_reports: dict[str, dict] = {}


def state_report(state: str, tmp_path_factory) -> dict:
    """The audit of one state, computed once per test session."""
    if state not in _reports:
        from conftest import Shell

        from cucme_lab.lab.addresses import AddressPlan
        from cucme_lab.router.router import Router

        async def build() -> dict:
            router = Router.open(tmp_path_factory.mktemp(state), addresses=AddressPlan())
            with trio.fail_after(60):
                if state == "default-lab":
                    await default_lab(router)
                else:
                    await Shell(router).paste_config(appendix_b())
                    if state != "appendix-b":
                        await Shell(router).paste_config(CHAPTER_HARDENING)
            return audit_router(router)

        _reports[state] = trio.run(build)
    return _reports[state]


@pytest.mark.parametrize("state, finding", sorted(
    (state, finding) for state, found in STATES.items() for finding in found))
def test_each_finding_of_each_state(state, finding, tmp_path_factory):
    report = state_report(state, tmp_path_factory)
    entry = next((f for f in report["findings"] if f["id"] == finding), None)
    assert entry is not None, f"{state}: {finding} not found in {sorted(ids(report))}"
    assert entry["document"] in ("NSA", "Cisco") and entry["section"] and entry["fix"]
