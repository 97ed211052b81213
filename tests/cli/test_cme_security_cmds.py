"""CTL client, CAPF server and CTL provider lines of the NSA guide and the Cisco CME chapter:
what is accepted or refused, the running-config they give, and their show commands."""

from __future__ import annotations

from cucme_lab.router.capf.config import capf_server
from cucme_lab.router.passwords import type7_decode
from cucme_lab.router.telephony.settings import ephone

INVALID = "% Invalid input detected at '^' marker."


def rejected(out: str) -> list[str]:
    lines = out.splitlines()
    return [lines[i - 2] for i, line in enumerate(lines) if line == INVALID]


def blocks(running: str, *headers: str) -> str:
    """The running-config blocks starting at the given header lines, `!` included."""
    lines = running.splitlines()
    out: list[str] = []
    for header in headers:
        i = lines.index(header)
        out.append(header)
        for line in lines[i + 1:]:
            out.append(line)
            if line == "!":
                break
    return "\n".join(out) + "\n"


NSA_APPENDIX_CTL_CAPF = """\
ctl-client
server cme-tftp 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
server capf 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
sast1 trustpoint CUCME_CAPF_TFTP_SAST1
sast2 trustpoint SAST2
!
capf-server
port 3804
auth-mode auth-str
cert-enroll-trustpoint CAServer password 1 03085A090A0E23404F0B
trustpoint-label CUCME_CAPF_TFTP_SAST1
source-addr 1.2.3.4
!
"""


async def test_nsa_appendix_ctl_client_and_capf(shell, router):
    # Appendices B and C carry the same block; it comes before the trustpoints it names,
    # which is why names are not checked when typed.
    out = await shell.paste_config(NSA_APPENDIX_CTL_CAPF)
    assert rejected(out) == []
    assert blocks(router.running_config(), "ctl-client", "capf-server") == """\
ctl-client
 server cme-tftp 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
 server capf 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
 sast1 trustpoint CUCME_CAPF_TFTP_SAST1
 sast2 trustpoint SAST2
!
capf-server
 port 3804
 auth-mode auth-string
 cert-enroll-trustpoint CAServer password 1 03085A090A0E23404F0B
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 1.2.3.4
!
"""
    capf = capf_server(router.config)
    assert capf is not None and capf.cert_enroll_trustpoint is not None
    assert capf.cert_enroll_trustpoint.password == "lablablab"


NSA_3_3_AND_3_4 = """\
capf-server
  auth-mode auth-string
  cert-enroll-trustpoint CAserver password 1 01234567891
  trustpoint-label CUCME_CAPF_TFTP_SAST1
  source-addr 3.3.3.1
ctl-client
server cme-tftp 3.3.3.1 trustpoint CUCME_CAPF_TFTP_SAST1
server capf 3.3.3.1 trustpoint CUCME_CAPF_TFTP_SAST1
sast1 trustpoint CUCME_CAPF_TFTP_SAST1
sast2 trustpoint SAST2
"""


async def test_nsa_sections_3_3_and_3_4(shell, router):
    out = await shell.paste_config(NSA_3_3_AND_3_4)
    # `01234567891` is no type 1 (type-7) string: two seed digits, then an odd number of hex
    # digits. The line is refused and nothing is stored.
    assert rejected(out) == []
    assert ("Router(config-capf-server)#  cert-enroll-trustpoint CAserver password 1 "
            "01234567891\n% Invalid encrypted password\n") in out
    assert blocks(router.running_config(), "capf-server", "ctl-client") == """\
capf-server
 auth-mode auth-string
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 3.3.3.1
!
ctl-client
 server cme-tftp 3.3.3.1 trustpoint CUCME_CAPF_TFTP_SAST1
 server capf 3.3.3.1 trustpoint CUCME_CAPF_TFTP_SAST1
 sast1 trustpoint CUCME_CAPF_TFTP_SAST1
 sast2 trustpoint SAST2
!
"""


CISCO_STEPS_5_6 = """\

ctl-client
server capf 192.168.1.1 trustpoint capf-server
server tftp 192.168.1.1 trustpoint tftp-server
server cme 192.168.1.1 trustpoint cme-server
sast1 trustpoint sast1
sast2 trustpoint sast2

regenerate

capf-server
port 3804
auth-mode null-string
cert-enroll-trustpoint laverda-ca password 1 1511021F07257A767B
trustpoint-label capf-server
source-addr 192.168.1.1
!
"""


async def test_cisco_chapter_steps_5_and_6(shell, router):
    out = await shell.paste_config(CISCO_STEPS_5_6)
    assert rejected(out) == []
    # `regenerate` ran (an action, not in the configuration); these trustpoints never enrolled
    assert "% CTL file generation failed: trustpoint sast1 does not exist" in out
    running = router.running_config()
    assert "regenerate" not in running
    assert blocks(running, "ctl-client", "capf-server") == """\
ctl-client
 server capf 192.168.1.1 trustpoint capf-server
 server tftp 192.168.1.1 trustpoint tftp-server
 server cme 192.168.1.1 trustpoint cme-server
 sast1 trustpoint sast1
 sast2 trustpoint sast2
!
capf-server
 port 3804
 auth-mode null-string
 cert-enroll-trustpoint laverda-ca password 1 1511021F07257A767B
 trustpoint-label capf-server
 source-addr 192.168.1.1
!
"""
    out = await shell.type("show ctl-client", "show capf-server summary")
    assert """\
CTL Client Information
-----------------------------
        SAST 1 Certificate Trustpoint: sast1
        SAST 2 Certificate Trustpoint: sast2
        List of Trusted Servers in the CTL
                CAPF    192.168.1.1     capf-server
                TFTP    192.168.1.1     tftp-server
                CME     192.168.1.1     cme-server
""" in out
    assert """\
CAPF Server Configuration Details
        Trustpoint for TLS With Phone: capf-server
        Trustpoint for CA operation: laverda-ca
        Source Address: 192.168.1.1
        Listening Port: 3804
        Phone Key Size: 1024
        Phone KeyGen Retries: 3
        Phone KeyGen Timeout: 30 minutes
        Device Authentication Mode: Null-String
""" in out


async def test_type_0_passwords_are_shown_as_type_1(shell, router):
    await shell.type("conf t", "capf-server", "cert-enroll-trustpoint CA password 0 lablablab",
                     "ctl-client", "server cme 10.0.0.2 username admin password 0 Secret1",
                     "credentials", "ctl-service admin ctlp secret 0 Provider9")
    running = router.running_config()
    line = next(ln for ln in running.splitlines() if "cert-enroll-trustpoint" in ln)
    assert line.startswith(" cert-enroll-trustpoint CA password 1 ")
    assert type7_decode(line.split()[-1]) == "lablablab"
    line = next(ln for ln in running.splitlines() if "username admin" in ln)
    assert line.startswith(" server cme 10.0.0.2 username admin password 1 ")
    assert type7_decode(line.split()[-1]) == "Secret1"
    line = next(ln for ln in running.splitlines() if "ctl-service" in ln)
    assert line.startswith(" ctl-service admin ctlp secret 1 ")
    assert type7_decode(line.split()[-1]) == "Provider9"
    assert type7_decode("03085A090A0E23404F0B") == "lablablab"


async def test_capf_options_and_abbreviations(shell, router):
    out = await shell.type("conf t", "capf-server", "auth-mode LSC", "auth-mode mic",
                           "phone-key-size 2048", "keygen-retry 5", "keygen-timeout 10",
                           "cert-oper fetch all", "port 80", "keygen-retry 101",
                           "auth-mode minimal", "cert-oper upgrade")
    assert rejected(out) == ["Router(config-capf-server)#port 80",
                             "Router(config-capf-server)#keygen-retry 101",
                             "Router(config-capf-server)#auth-mode minimal"]
    assert "Router(config-capf-server)#cert-oper upgrade\n% Incomplete command.\n" in out
    assert blocks(router.running_config(), "capf-server") == """\
capf-server
 auth-mode MIC
 phone-key-size 2048
 keygen-retry 5
 keygen-timeout 10
 cert-oper fetch all
!
"""
    await shell.type("conf t", "capf-server", "no cert-oper", "no auth-mode")
    assert blocks(router.running_config(), "capf-server") == (
        "capf-server\n phone-key-size 2048\n keygen-retry 5\n keygen-timeout 10\n!\n")
    await shell.type("conf t", "no capf-server")
    assert "capf-server" not in router.running_config()


async def test_capf_auth_string_sets_ephone_strings(shell, router):
    out = await shell.type("conf t", "ephone 1", "ephone 2", "capf-server",
                           "auth-string generate 1 12345",
                           "auth-string generate all", "auth-string delete 2",
                           "auth-string generate 2 123")
    assert rejected(out) == ["Router(config-capf-server)#auth-string generate 2 123"]
    one, two = (ephone(router.config, tag) for tag in (1, 2))
    assert len(one.capf_auth_str) == 4  # `all` replaced 12345
    assert two.capf_auth_str is None
    assert "auth-string" not in blocks(router.running_config(), "capf-server")


async def test_credentials_block_and_show(shell, router):
    out = await shell.type("conf t", "credentials", "ip source-address 10.10.10.1 port 2444",
                           "trustpoint CTLP-TP", "end", "show credentials")
    assert rejected(out) == []
    assert ("Credentials IP: 10.10.10.1\nCredentials PORT: 2444\nTrustpoint: CTLP-TP\n"
            in out)
    assert blocks(router.running_config(), "credentials") == (
        "credentials\n ip source-address 10.10.10.1 port 2444\n trustpoint CTLP-TP\n!\n")


async def test_ctl_client_import_and_remote_cme(shell, router):
    out = await shell.type("conf t", "ctl-client", "import certificate 5 CUCM flash:cucm.cer",
                           "server application 10.0.0.9 trustpoint APP",
                           "server cme 10.0.0.2 username admin password 1 03085A090A0E23404F0B")
    assert rejected(out) == []
    assert blocks(router.running_config(), "ctl-client") == """\
ctl-client
 server application 10.0.0.9 trustpoint APP
 server cme 10.0.0.2 username admin password 1 03085A090A0E23404F0B
 import certificate 5 CUCM flash:cucm.cer
!
"""
