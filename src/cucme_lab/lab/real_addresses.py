"""A lab on real addresses: services bind the configured addresses as they are.

The default plan (`lab.addresses.AddressPlan`) maps every configured subnet onto loopback, so a
lab needs no privileges and never touches the host's network. A lab whose configured addresses
really exist on the host (or on a network namespace the lab runs in: see `lab.netns`) can bind
them as they are instead, and phones on other hosts or namespaces reach it through them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cucme_lab.lab.addresses import can_bind_privileged, port_on_host


@dataclass
class RealAddresses:
    """The identity address map (an `AddressMap`): a configured address is where sockets bind
    and connect. Ports below 1024 still move up when the process may not bind them."""

    privileged_ok: bool | None = None

    def to_loopback(self, configured: str) -> str:
        return str(ipaddress.IPv4Address(configured))

    def to_configured(self, loopback: str) -> str:
        return str(ipaddress.IPv4Address(loopback))

    def port(self, configured: int) -> int:
        if self.privileged_ok is None:
            self.privileged_ok = can_bind_privileged()
        return port_on_host(configured, self.privileged_ok)

    def describe(self) -> dict:
        """What lab.json says of the plan, for `cucme-phones` to rebuild it elsewhere."""
        return {"mode": "real", "privileged_ports_moved_by": self.port(69) - 69}
