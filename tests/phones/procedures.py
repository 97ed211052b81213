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


CTL_CLIENT = """\
ctl-client
 server cme-tftp 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
 server capf 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
 sast1 trustpoint CUCME_CAPF_TFTP_SAST1
 sast2 trustpoint SAST2
 regenerate
"""

CAPF_AND_CTL = """\
capf-server
 port 3804
 auth-mode auth-string
 cert-enroll-trustpoint CAServer password 0 lablablab
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 1.2.3.4
""" + CTL_CLIENT


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


TEMPLATES_C = """\
exit
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
ephone 1
 device-security-mode encrypted
 ephone-template 1
ephone 2
 device-security-mode authenticated
 ephone-template 2
ephone 3
 device-security-mode encrypted
 ephone-template 2
ephone 4
 device-security-mode encrypted
 ephone-template 2
"""


def appendix_c() -> list[str]:
    """Appendix C: individual settings, templates 1 and 2, phone 2 authenticated.

    The templates are typed from global configuration: inside an ephone, `ephone-template 1`
    would apply template 1 to that ephone (on IOS as here), not create it.
    """
    text = (CA_AND_TRUSTPOINTS + enrol("CUCME_CAPF_TFTP_SAST1") + enrol("SAST2")
            + CAPF_AND_CTL + per_phone_capf({1: "1234", 2: "2345", 3: "3456", 4: "4567"})
            + TEMPLATES_C + telephony_security())
    return ["enable", "configure terminal", *text.splitlines(), "end"]


AUTH_STRINGS = ["1234", "2345", "3456", "4567"]


def fleet_startup(phones: int, mac_start: int = 0x1001) -> str:
    """A router for a fleet: one subnet, 1.2.3.4 its SCCP source, one ephone per phone with
    the MACs `cucme-phones` numbers from 0000.0000.1001."""
    lines = ["hostname CME", "interface Vlan20", " ip address 1.2.3.4 255.255.0.0",
             "telephony-service", f" max-ephones {phones}", f" max-dn {phones}",
             " ip source-address 1.2.3.4 port 2000", " cnf-file perphone"]
    for i in range(1, phones + 1):
        mac = f"{mac_start + i - 1:012X}"
        lines += [f"ephone {i}", f" mac-address {mac[:4]}.{mac[4:8]}.{mac[8:]}"]
    return "\n".join(lines) + "\n"


def fleet_security(bits: int) -> str:
    """The NSA guide's global rollout for a fleet: CAPF with null-string and `cert-oper
    upgrade all`, phone keys of `bits`, every phone encrypted."""
    return (CA_AND_TRUSTPOINTS + enrol("CUCME_CAPF_TFTP_SAST1") + enrol("SAST2") + f"""\
capf-server
 auth-mode null-string
 cert-enroll-trustpoint CAServer password 0 lablablab
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 1.2.3.4
 phone-key-size {bits}
 cert-oper upgrade all
""" + CTL_CLIENT + """\
telephony-service
 secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
 tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
 device-security-mode encrypted
 create cnf-files
""")
