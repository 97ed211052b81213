"""Both source documents, pasted block by block into configuration mode.

The documents' fenced blocks, verbatim and without their prose, are test data:
tests/data/documents/nsa_guide_blocks.txt and cisco_chapter_blocks.txt.

Every configuration block is accepted line by line, except the lines real IOS would refuse too.
Those are listed here with the reason, so a change in what the parser accepts shows up as a
change to this list. Blocks that are not configuration (syntax templates with <placeholders>,
sample outputs, a URL) are left out, and the reason for each is recorded as well.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from doc_paste import fenced_blocks, paste_document  # noqa: E402

from cucme_lab.lab.addresses import AddressPlan  # noqa: E402
from cucme_lab.router.router import Router  # noqa: E402

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
NSA = "nsa_guide_blocks.txt"  # the NSA CUCME 7.0/4.3 authentication and encryption guide
CISCO = "cisco_chapter_blocks.txt"  # Cisco chapter "...CallManager Express Security Best Practices"


def not_configuration(block: list[str]) -> str | None:
    """Why a fenced block is not a configuration to paste, or None when it is one."""
    text = "\n".join(block)
    if "<" in text and ">" in text and "<cr>" not in text:
        return "syntax template with <placeholders>"
    if any(line.lstrip().startswith("%IPPHONE") for line in block):
        return "sample syslog output"
    if any(line.startswith("Wed Jun 25") for line in block):
        return "sample TACACS+ accounting records"
    if text.strip().startswith("http://"):
        return "a URL to open in a browser"
    return None


def write_blocks(seed: Path, tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A copy of the document holding only its configuration blocks."""
    kept, skipped = [], []
    for block in fenced_blocks(seed.read_text()):
        reason = not_configuration(block)
        if reason:
            skipped.append((block[0].strip() if block else "", reason))
        else:
            kept.append("```\n" + "\n".join(block) + "\n```")
    out = tmp_path / seed.name
    out.write_text("\n".join(kept) + "\n")
    return out, skipped


NSA_REJECTED = [
    ("cert-enroll-trustpoint CAserver password 1 01234567891",
     "% Invalid encrypted password", "section 3.3 sample: not a valid type 1 string"),
    ("cnf-perphone", "% Invalid input detected", "section 4.1 sample: typo for cnf-file perphone"),
    ("cnf-perphone", "% Invalid input detected", "section 4.2 sample: the same typo"),
    ("capf-auth-string 1234", "% Invalid input detected",
     "section 4.2 sample: the keyword is capf-auth-str"),
    ("rsa-keypair CMEServer", "% Invalid input detected",
     "Appendix B: the keyword is rsakeypair (Appendix C has it right)"),
    ("rsa-keypair CUCME_CAPF_TFTP_SAST1 1024 1024", "% Invalid input detected", "Appendix B"),
    ("rsa-keypair CUCME_CAPF_TFTP_SAST1 1024 1024", "% Invalid input detected", "Appendix B"),
    *[("...", "% Invalid input detected",
       "elided certificate hex in a chain: not hex")] * 5,
    *[("...", "% Invalid input detected", "Appendix C: elided certificate hex")] * 5,
    ("sign", "% Invalid input detected",
     "Appendix C: `sign` wrapped onto its own line by the page layout"),
]

CISCO_REJECTED = [
    ("ip http authentication", "% Incomplete command.", "the method is missing"),
    ("ip http secure-port port_number", "% Invalid input detected", "placeholder for a number"),
    ("ip http authentication AAA | TACACS | local", "% Invalid input detected",
     "syntax notation: one method must be chosen"),
    ("crypto key generate rsa usage 1024", "% Invalid input detected",
     "the size needs the modulus keyword"),
    ("privilege exec level 14", "% Incomplete command.", "the command to move is missing"),
    ("aaa accounting command 1 start-stop tacacs+", "% Invalid input detected",
     "the method list name (default) is missing"),
    ("(runs accounting for commands at the specified privilege level 1)",
     "% Invalid input detected", "prose inside the block"),
    ("aaa accounting exec start-stop tacacs+", "% Invalid input detected",
     "the method list name (default) is missing"),
    ("ephone-dv 2", "% Invalid input detected", "typo for ephone-dn 2"),
    ("CME-3.0(config-telephony)# ip source-address 10.1.1.1 port 2000 strict-match",
     "% Invalid input detected", "the block shows the prompt in front of the command"),
    ("CME-4.0(config-telephony)# no auto-reg-ephone", "% Invalid input detected", "prompt shown"),
    ("CMEtest4-3745(config)# telephony-service", "% Invalid input detected", "prompt shown"),
    ("CMEtest4-3745(config-telephony)# auto assign 1 to 500", "% Invalid input detected",
     "prompt shown"),
    ("logging console | buffered", "% Invalid input detected",
     "syntax notation: console or buffered"),
    ("interface Serial0/3/0", "% Invalid input detected",
     "the default chassis (2811, EtherSwitch in slot 3) has no Serial0/3/0"),
    *[(line, "% Invalid input detected", "the interface above was refused, so these reach "
       "global configuration") for line in (
        "ip address 10.168.11.2 255.255.255.0", "ip access-group 121 in",
        "ip access-group 120 out", "ip inspect LOCAL-H323 in", "ip inspect LOCAL-H323 out",
        "encapsulation frame-relay", "frame-relay map ip 10.168.11.1 168 broadcast",
        "no frame-relay inverse-arp", "frame-relay intf-type dce")],
    ("rsa-keypair laverda-ca", "% Invalid input detected", "the keyword is rsakeypair"),
    *[(f"crypto pki enrollment {tp}", "% Invalid input detected",
       "the command is crypto pki enroll") for tp in
      ("capf-server", "cme-server", "tftp-server", "sast1", "sast2")],
    *[(line, "% Invalid input detected", "shown alone; the text says to type it in "
       "telephony-service mode") for line in (
        "secure-signaling trustpoint cme-server",
        "tftp-server-credentials trustpoint tftp-server", "server-security-mode secure",
        "device-security-mode authenticated", "cnf-file perphone")],
]

SKIPPED_BLOCKS = {
    NSA: 12,  # syntax templates of sections 3.1 to 5.2
    CISCO: 4,  # a URL, accounting records, two syslog samples
}


@pytest.mark.parametrize(("seed", "expected"), [(NSA, NSA_REJECTED), (CISCO, CISCO_REJECTED)])
async def test_document_blocks_are_accepted_except_real_ios_rejections(
        seed, expected, tmp_path):
    doc, skipped = write_blocks(DOCUMENTS / seed, tmp_path)
    assert len(skipped) == SKIPPED_BLOCKS[seed], skipped
    router = Router.open(tmp_path / "lab", addresses=AddressPlan())
    result = await paste_document(router, doc)
    rejected = result.rejected()
    assert [(line, err.split(" at ")[0]) for line, err in rejected] == \
        [(line, err) for line, err, _why in expected]
    assert "Traceback" not in "".join(result.outputs)


async def test_serial_block_is_accepted_on_a_chassis_that_has_the_interface(tmp_path):
    from cucme_lab.router.chassis import Chassis

    doc, _ = write_blocks(DOCUMENTS / CISCO, tmp_path)
    chassis = Chassis.from_dict({"interfaces": ["FastEthernet0/0", "FastEthernet0/1",
                                                "Serial0/3/0"]})
    router = Router.open(tmp_path / "lab", addresses=AddressPlan(), chassis=chassis)
    result = await paste_document(router, doc)
    lines = [line for line, _ in result.rejected()]
    assert "interface Serial0/3/0" not in lines
    assert "frame-relay map ip 10.168.11.1 168 broadcast" not in lines
    section = router.config.find("interface", ("Serial0/3/0",))
    assert [s.line for _, s in section.body()] == [
        "ip address 10.168.11.2 255.255.255.0", "ip access-group 121 in",
        "ip access-group 120 out", "ip inspect LOCAL-H323 in", "ip inspect LOCAL-H323 out",
        "encapsulation frame-relay", "shutdown", "frame-relay map ip 10.168.11.1 168 broadcast",
        "no frame-relay inverse-arp", "frame-relay intf-type dce"]


def test_the_rejection_lists_explain_every_line():
    for _line, _err, why in NSA_REJECTED + CISCO_REJECTED:
        assert why
    json.dumps(NSA_REJECTED)  # plain data, printable in a report
