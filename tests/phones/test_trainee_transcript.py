"""The NSA guide's sections 3 to 5 typed as a trainee types them at the default lab's console:
abbreviations everywhere (`exi` included), `?`, `do`, pipes, and Ctrl-C pressed once at each
dialogue before it is answered. Every line is accepted as IOS accepts it, each dialogue aborts
where IOS aborts, and the outputs are IOS's own; the four phones end encrypted with LSCs.

A line holding only `\\x03` is Ctrl-C at the question on screen; after a line ending in `?` the
next line continues the same command, as on a real console.
"""

from __future__ import annotations

import re

from phone_steps import registered, type_lines, until

CTRL_C = "\x03"

SECTION_3 = [
    "en",
    "conf t",
    # 3.1 the CA
    "ip domain na lab.local",
    "ip http ser",
    "cry pki ser CAServer",
    " data lev comp",
    " data url flash:",
    " gra au",
    " exi",
    "cry pki trustp CAServer",
    " enr url http://1.2.3.4:80",
    " rev crl",
    " exi",
    "cry pki ser CAServer",
    " no shut",
    CTRL_C,  # at the passphrase: the CA stays off
    " do sh cry pki ser | i Status",
    " no shut",
    "labpass1",
    "labpass1",
    " do sh cry pki ser | i Status",
    " exi",
    # 3.2 the servers' trustpoints
    *[line for tp in ("CUCME_CAPF_TFTP_SAST1", "SAST2") for line in (
        f"cry pki trustp {tp}",
        " enr url http://1.2.3.4:80",
        " seri",
        " rev crl",
        f" rsak {tp} 1024 1024",
        " exi",
        f"cry pki auth {tp}",
        CTRL_C,  # at "Do you accept this certificate?"
        f"cry pki auth {tp}",
        "yes",
        f"cry pki enr {tp}",
        CTRL_C,  # at the challenge password
        f"cry pki enr {tp}",
        "chall1",
        "chall1",
        "no",
        "yes",
    )],
    # 3.3 CAPF, with the global operation and a string per phone
    "capf-s",
    " ?",
    "po 3804",
    " auth-m auth-str",
    " cert-e CAServer pass 0 lablablab",
    " trustpoint-l CUCME_CAPF_TFTP_SAST1",
    " source-a 1.2.3.4",
    " cert-o up all",
    " auth-string gen all",
    " exi",
    # 3.4 the CTL
    "ctl-c",
    " ser cme-tftp 1.2.3.4 trustp CUCME_CAPF_TFTP_SAST1",
    " ser capf 1.2.3.4 trustp CUCME_CAPF_TFTP_SAST1",
    " sast1 trustp CUCME_CAPF_TFTP_SAST1",
    " sast2 trustp SAST2",
    " regen",
    " exi",
    "do dir flash: | i CTL",
]

SECTIONS_4_AND_5 = [
    # 4 telephony-service security, 4.1 the global mode, 5.1 global hardening
    "telephony-s",
    " secure-s trustp CUCME_CAPF_TFTP_SAST1",
    " tftp-server-c trustp CUCME_CAPF_TFTP_SAST1",
    " cnf-file perphone",  # `perp` is ambiguous (perphone, perphonetype)
    " device-s encrypted",
    " service phone garp 1",
    " service phone pcPort 1",
    " service phone spanToPCPort 1",
    " service phone voiceVlanAccess 1",
    " service phone webAccess 1",
    " service phone settingsAccess 2",
    " exi",
    # 4.2 one phone's own mode, 5.2 a template for it (typed from global configuration)
    "ephone-template 1",
    " service phone settingsAccess 0",
    " exi",
    "ephone 2",
    " device-s authenticated",
    " ephone-t 1",
    " exi",
    "telephony-s",
    " cre cnf",
    " reset all",  # `res` is ambiguous (reset, restart)
    " exi",
    "end",
    "sh capf-server auth-string",
]

ERRORS = ("% Invalid", "% Incomplete", "% Ambiguous", "% Unknown", "% Unrecognized")


def strings(out: str) -> list[str]:
    return re.findall(r"^([0-9A-F]{12})\s+(\d{4,10})\s*$", out, re.M)


async def test_sections_3_to_5_as_a_trainee_types_them(runtime):
    rt = runtime
    for phone in rt.phones:
        await until(phone, registered)
    out = await type_lines(rt.router, [*SECTION_3, *SECTIONS_4_AND_5])
    assert not [line for line in out.splitlines() if line.startswith(ERRORS)], out
    # `exi` leaves only the sub-mode
    assert "CME(cs-server)# exi\nCME(config)#cry pki trustp CAServer\n" in out
    # Ctrl-C at the CA's passphrase: aborted, the server stays disabled
    assert "Password: ^C\n" in out
    first, second = out.split(" do sh cry pki ser | i Status\n")[1:3]
    assert "Status: disabled" in first and "Status: enabled" in second
    # Ctrl-C at the CA certificate's question and at the challenge password
    assert out.count("% Do you accept this certificate? [yes/no]: ^C\n") == 2
    assert out.count("Trustpoint CA certificate accepted.\n") == 2
    assert out.count("%PKI-6-CERTRET: Certificate received from Certificate Authority") == 2
    # `?` lists the sub-mode's commands, then the line goes on
    assert "CME(config-capf-server)# ?\n" in out and "  cert-oper " in out
    assert "CTLFile.tlv" in out.split("do dir flash: | i CTL\n", 1)[1].split("\n", 1)[0]
    running = rt.router.running_config()
    for line in ("crypto pki server CAServer\n database level complete\n grant auto\n"
                 " database url flash:\n",
                 "capf-server\n port 3804\n auth-mode auth-string\n",
                 " cert-oper upgrade all\n", " device-security-mode encrypted\n",
                 " service phone settingsAccess 2\n"):
        assert line in running, line
    # each phone asks for its string; the trainee keys in what the router lists
    listed = dict(strings(out.split("sh capf-server auth-string\n", 1)[1]))
    assert set(listed) == {p.mac for p in rt.phones}
    for phone in rt.phones:
        await until(phone, lambda p: p.state == "waiting-auth-string", 40)
        phone.key_in_auth_string(listed[phone.mac])
    modes = ["encrypted", "authenticated", "encrypted", "encrypted"]
    for phone, mode in zip(rt.phones, modes, strict=True):
        await until(phone, lambda p, m=mode: registered(p) and p.security == m, 40)
        assert phone.applied.web_access == "disabled" and phone.applied.garp == "disabled"
    assert [p.applied.settings_access for p in rt.phones] == \
        ["restricted", "disabled", "restricted", "restricted"]
    check = await type_lines(rt.router, ["en", "sh ephone reg | count Encryption",
                                         "sh run | s capf-server"])
    assert "Number of lines which match regexp = 3" in check
    assert "capf-server\n port 3804\n" in check
