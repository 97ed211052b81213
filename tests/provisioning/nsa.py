"""The NSA guide's sections 3 and 4 as typed, with the test CA standing in for enrolment.

Addresses and names are those of the guide's Appendix B (CUCME at 1.2.3.4). Where the guide
runs `no shutdown` on the CA and `crypto pki authenticate` / `enroll` (interactive, served by
the IOS CA), `type_nsa` installs certificates from the test CA instead.
"""

from __future__ import annotations

from .certs import enroll, install_ca

SECTION_3_1_AND_3_2 = """\
interface FastEthernet0/0
 ip address 1.2.3.4 255.255.255.0
 no shutdown
ip http server
crypto pki server CAserver
  database level complete
  database url flash:
  grant auto
exit
crypto pki trustpoint CAserver
  enrollment url http://1.2.3.4:80
  exit
crypto pki trustpoint CUCME_CAPF_TFTP_SAST1
  enrollment url http://1.2.3.4:80
  revocation-check crl
  rsakeypair CUCME_CAPF_TFTP_SAST1 1024 1024
  exit
crypto pki trustpoint SAST2
  enrollment url http://1.2.3.4:80
  revocation-check crl
  rsakeypair SAST2 1024 1024
  exit
"""

SECTION_3_3 = """\
capf-server
  trustpoint-label CUCME_CAPF_TFTP_SAST1
  cert-enroll-trustpoint CAserver password 0 lablablab
  source-addr 1.2.3.4
  auth-mode null-string
  exit
"""

SECTION_3_4 = """\
ctl-client
  server capf 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
  server cme-tftp 1.2.3.4 trustpoint CUCME_CAPF_TFTP_SAST1
  sast1 trustpoint CUCME_CAPF_TFTP_SAST1
  sast2 trustpoint SAST2
  regenerate
  exit
"""

SECTION_4 = """\
telephony-service
 max-ephones 4
 max-dn 4
 ip source-address 1.2.3.4 port 2000
secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
cnf-file perphone
exit
ephone-dn 1
  number 7001
ephone-dn 2
  number 7002
telephony-service
  device-security-mode encrypted
  exit
ephone 1
  mac-address CAFE.CAFE.1234
  device-security-mode encrypted
  cert-oper upgrade auth-mode null-string
  button 1:1
ephone 2
  mac-address CAFE.CAFE.1235
  device-security-mode authenticated
  capf-auth-str 1234
  button 1:2
telephony-service
  create cnf-files
  exit
"""

TPS = ("CUCME_CAPF_TFTP_SAST1", "SAST2")


def rejected(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("%")]


async def type_nsa(shell, *, sections: str = "all") -> str:
    """Type sections 3.1 to 4 into `shell`; returns everything the console showed."""
    out = await shell.paste_config(SECTION_3_1_AND_3_2)
    router = shell.router
    install_ca(router, "CAserver")
    for tp in TPS:
        enroll(router, tp)
    out += await shell.paste_config(SECTION_3_3 + SECTION_3_4)
    if sections != "3":
        out += await shell.paste_config(SECTION_4)
    return out
