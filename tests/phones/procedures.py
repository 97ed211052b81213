"""The NSA guide's procedures as a trainee types them on the default lab (dialogue answers on
the lines that follow the command that asks)."""

from __future__ import annotations

CA_AND_TRUSTPOINTS = """\
ip domain name lab.local
ip http server
crypto pki server CAServer
 database level complete
 database url flash:
 grant auto
exit
crypto pki trustpoint CAServer
 enrollment url http://1.2.3.4:80
 exit
crypto pki server CAServer
 no shutdown
labpass1
labpass1
 exit
"""


def enrol(tp: str) -> str:
    return f"""\
crypto pki trustpoint {tp}
 enrollment url http://1.2.3.4:80
 serial-number
 revocation-check crl
 rsakeypair {tp} 1024 1024
 exit
crypto pki authenticate {tp}
yes
crypto pki enroll {tp}
chall1
chall1
no
yes
"""


CAPF_AND_CTL = """\
capf-server
 port 3804
 auth-mode auth-string
 cert-enroll-trustpoint CAServer password 0 lablablab
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 1.2.3.4
ctl-client
 server cme-tftp 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
 server capf 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
 sast1 trustpoint CUCME_CAPF_TFTP_SAST1
 sast2 trustpoint SAST2
 regenerate
"""


def per_phone_capf(strings: dict[int, str]) -> str:
    return "".join(f"ephone {tag}\n capf-auth-str {digits}\n cert-oper upgrade auth-mode "
                   f"auth-string\n" for tag, digits in strings.items())


def telephony_security(mode: str = "encrypted") -> str:
    return f"""\
telephony-service
 secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
 tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
 cnf-file perphone
 server-security-mode secure
 device-security-mode {mode}
 create cnf-files
 reset all
"""


def appendix_b() -> list[str]:
    """Sections 3 and 4 with Appendix B's global settings, auth strings 1234..4567."""
    text = (CA_AND_TRUSTPOINTS + enrol("CUCME_CAPF_TFTP_SAST1") + enrol("SAST2")
            + CAPF_AND_CTL + per_phone_capf({1: "1234", 2: "2345", 3: "3456", 4: "4567"})
            + telephony_security())
    return ["enable", "configure terminal", *text.splitlines(), "end"]
