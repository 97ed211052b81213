"""Which of its own addresses the router sends from to an outside host (syslog, NTP).

`logging source-interface` and `ntp source` name an interface: its address when it is up.
Without one (or when it has no address), IOS uses the outgoing interface's address: here the
interface up on the host's subnet, else the first interface up with an address.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from cucme_lab.router.config.interfaces import interface, interfaces
from cucme_lab.router.config.section import Section


def source_for(config: Section, host: IPv4Address, source_interface: str | None = None
               ) -> IPv4Address | None:
    """The configured address to send to `host` from; None when no interface is up."""
    if source_interface:
        named = interface(config, source_interface)
        if named is not None and named.up_address is not None:
            return named.up_address
    first: IPv4Address | None = None
    for sec in interfaces(config):
        addr = sec.address
        if addr is None or sec.up_address is None:
            continue
        if host in addr.network:
            return addr.ip
        first = first or addr.ip
    return first
