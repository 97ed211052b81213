"""`interface` blocks as typed blocks: addresses, shutdown, duplex and speed.

The services listen on the addresses of the interfaces that are up, the registration policy
matches phones against an interface's subnet, and the PKI names the router by them; all read
these attributes. Lines nothing acts on (`description`, `switchport ...`)
stay plain settings of the block.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface

from cucme_lab.router.chassis import interface_sort_key
from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

INTERFACE = "interface"


class Duplex(StrEnum):
    AUTO = "auto"
    FULL = "full"
    HALF = "half"


class IpMethod(StrEnum):
    UNSET = "unset"
    NVRAM = "NVRAM"
    MANUAL = "manual"


class Speed(StrEnum):
    TEN = "10"
    HUNDRED = "100"
    AUTO = "auto"


@dataclass(frozen=True)
class IpAddressing:
    """An interface's `ip address` lines: a primary and its secondaries.

    No primary is IOS's `no ip address` (IP off on the interface); an interface that shows no
    `ip address` line at all (a switch port) has no IpAddressing.
    """

    primary: IPv4Interface | None = None
    secondaries: tuple[IPv4Interface, ...] = ()


def _address_line(address: IPv4Interface, secondary: bool = False) -> str:
    return f"ip address {address.ip} {address.netmask}" + (" secondary" if secondary else "")


def _addressing_lines(ip: IpAddressing) -> list[str]:
    # IOS prints the secondaries first, then the primary.
    out = [_address_line(a, secondary=True) for a in ip.secondaries]
    out.append(_address_line(ip.primary) if ip.primary is not None else "no ip address")
    return out


@dataclass(eq=False)
class Interface(ConfigBlock):
    """An `interface NAME` block."""

    ip: IpAddressing | None = line("ip address", _addressing_lines)
    shutdown: bool = line("shutdown", lambda down: "shutdown" if down else None, default=False)
    duplex: Duplex | None = line("duplex")
    speed: Speed | None = line("speed")
    # `ip access-group N in|out`: the ACLs judging traffic to and from the router's own
    # services through this interface (`cucme_lab.router.ingress`).
    access_group_in: int | None = line("ip access-group in",
                                       lambda acl: f"ip access-group {acl} in")
    access_group_out: int | None = line("ip access-group out",
                                        lambda acl: f"ip access-group {acl} out")
    # `no cdp enable`: CDP neighbours on this interface are not listened to.
    cdp_enable: bool = line("no cdp enable", lambda on: None if on else "no cdp enable",
                            default=True)
    # Not a line: how the address came, the Method column of `show ip interface brief`.
    # `unset` until configured, `NVRAM` once read from startup-config at boot, `manual` once
    # typed (a real `show ip interface brief` after a boot shows NVRAM for every interface the
    # startup-config holds, addressed or not, and unset for the others).
    ip_method: IpMethod = IpMethod.UNSET

    @property
    def name(self) -> str:
        return self.ident[0]

    @property
    def address(self) -> IPv4Interface | None:
        """The primary address with its mask (`10.1.1.1/24`), None without one."""
        return None if self.ip is None else self.ip.primary

    @property
    def up_address(self) -> IPv4Address | None:
        """The primary address when the interface is not shut down: where the router answers."""
        address = self.address
        return None if address is None or self.shutdown else address.ip

    def sort_key(self) -> tuple:
        return interface_sort_key(self.name)


# --- lookups ------------------------------------------------------------------------------------


def interfaces(config: Section) -> list[Interface]:
    """Every configured interface, in the order IOS lists them."""
    return [sec for sec in config.sections(INTERFACE) if isinstance(sec, Interface)]


def interface(config: Section, name: str) -> Interface | None:
    sec = config.find(INTERFACE, (name,))
    return sec if isinstance(sec, Interface) else None


def up_addresses(config: Section) -> list[IPv4Address]:
    """The primary addresses of the interfaces that are up, in interface order, once each."""
    found: list[IPv4Address] = []
    for sec in interfaces(config):
        addr = sec.up_address
        if addr is not None and addr not in found:
            found.append(addr)
    return found
