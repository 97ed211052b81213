"""The lab's address plan: configured IPv4 subnets mapped onto loopback, ports below 1024.

Every configured /24 (the router's `ip address` subnets, and any other subnet a phone or server
is given) gets its own 127.B.k.0/24, keeping the host part: with B=20, 1.2.3.4 on the first
subnet is 127.20.1.4. Addresses map both ways, so services bind the loopback address of the
configured one, and ACLs, `strict-match` and `access-class` judge a peer by the configured address
its loopback source address stands for.

Ports below 1024 are used as they are when the process may bind them (root); otherwise they are
moved up by PRIVILEGED_OFFSET (TFTP 69 -> 20069, HTTP 80 -> 20080, SSH 22 -> 20022).

The router, its services and the shell see a plan only as a `router.addresses.AddressMap`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field

PRIVILEGED_OFFSET = 20000


def can_bind_privileged() -> bool:
    if os.geteuid() == 0:
        return True
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 1))
        return True
    except OSError:
        return False


def port_on_host(configured: int, privileged_ok: bool) -> int:
    """Where a configured port is bound: as it is, or moved up when below 1024 and the process
    may not bind such ports."""
    return configured if configured >= 1024 or privileged_ok else configured + PRIVILEGED_OFFSET


@dataclass
class AddressPlan:
    """Configured address <-> loopback address, for one lab (an `AddressMap`)."""

    base: int = 20  # second octet of the lab's loopback range 127.B.0.0/16
    subnets: list[ipaddress.IPv4Network] = field(default_factory=list)
    privileged_ok: bool | None = None
    _configured: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def _index(self, net: ipaddress.IPv4Network) -> int:
        if net not in self.subnets:
            if len(self.subnets) >= 255:
                raise ValueError("the lab has no loopback subnet left")
            self.subnets.append(net)
        return self.subnets.index(net) + 1

    def to_loopback(self, configured: str) -> str:
        addr = ipaddress.IPv4Address(configured)
        if addr.is_loopback:
            return str(addr)
        net = ipaddress.IPv4Network(f"{addr}/24", strict=False)
        k = self._index(net)
        return f"127.{self.base}.{k}.{int(addr) & 0xFF}"

    def to_configured(self, loopback: str) -> str:
        """The configured address a loopback address stands for (itself if it is not ours)."""
        known = self._configured.get(loopback)
        if known is None:
            known = self._to_configured(loopback)
            if known != loopback:  # subnets are only ever added: a mapping found stays true
                self._configured[loopback] = known
        return known

    def _to_configured(self, loopback: str) -> str:
        octets = loopback.split(".")
        if len(octets) != 4 or octets[0] != "127" or octets[1] != str(self.base) or \
                not octets[2].isdigit() or not octets[3].isdigit():
            return str(ipaddress.IPv4Address(loopback))  # not ours (or not canonical)
        k = int(octets[2])
        if not 1 <= k <= len(self.subnets):
            return loopback
        # every subnet is a /24 (to_loopback): its first three octets and the host's last one
        network = str(self.subnets[k - 1].network_address)
        return f"{network.rpartition('.')[0]}.{int(octets[3])}"

    def port(self, configured: int) -> int:
        if self.privileged_ok is None:
            self.privileged_ok = can_bind_privileged()
        return port_on_host(configured, self.privileged_ok)

    def describe(self) -> dict:
        """What lab.json says of the plan, for `cucme-phones` to rebuild it elsewhere."""
        return {
            "mode": "loopback",
            "loopback_base": f"127.{self.base}.0.0/16",
            "subnets": [str(n) for n in self.subnets],  # the k-th is 127.B.k.0/24
            "privileged_ports_moved_by": self.port(69) - 69,
        }


def plan_for_lab(lab_dir: str) -> AddressPlan:
    """A lab folder's preferred loopback range, from its path: stable from run to run. Two
    labs at once may hash alike: a running lab claims its range (lab/ranges.py)."""
    import zlib

    return AddressPlan(base=20 + zlib.crc32(os.path.abspath(lab_dir).encode()) % 200)
