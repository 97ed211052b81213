"""Shared pieces of the PKI tests: the guide's procedures with their dialogue answers."""

from __future__ import annotations

import trio

INVALID = "% Invalid input detected at '^' marker."

# The lab router needs the address the guide's URLs name; the guide assumes it.
PREAMBLE = ["conf t", "hostname CME1", "ip domain name lab.local",
            "interface Vlan1", " ip address 3.3.3.1 255.255.255.0", "exit"]

# NSA guide 3.1, typed as the guide writes it (`database level` chosen as Appendix B does),
# with the passphrase answers of `no shutdown` on the lines after it.
NSA_3_1 = """\
ip http server
crypto pki server CAserver
  database level complete
  database url flash:
  grant auto
exit
crypto pki trustpoint CAserver
  enrollment url http://3.3.3.1:80
  exit
crypto pki server CAserver
  no shutdown
labpass1
labpass1
  exit
"""


def nsa_3_2(tp: str) -> str:
    """Section 3.2.1 (or 3.2.2 for SAST2), answers after `authenticate` and `enroll`."""
    return f"""\
crypto pki trustpoint {tp}
  enrollment url http://3.3.3.1:80
  revocation-check crl
  rsakeypair {tp} 1024 1024
  exit
crypto pki authenticate {tp}
yes
crypto pki enroll {tp}
chall1
chall1
no
no
yes
"""


def rejected(out: str) -> list[str]:
    lines = out.splitlines()
    return [lines[i - 2] for i, line in enumerate(lines) if line == INVALID]


async def wait_for_log(router, fragment: str, timeout: float = 5.0) -> None:
    with trio.fail_after(timeout):
        while not router.log.contains(fragment):
            await trio.sleep(0.02)
