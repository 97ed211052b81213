"""Interface ACLs on traffic to the router's own services: `ip access-group N in`.

A peer arrives on the interface whose configured subnet (primary or secondary) holds its
configured address; a peer outside every configured subnet arrives on the WAN interface the
lab file names (`Router.wan_interface`). That interface's inbound ACL judges the first packet
of the flow (a TCP connection's SYN, an SNMP datagram), counting the hit on the entry that
decided, as `show access-lists` shows it; an entry with `log` writes `%SEC-6-IPACCESSLOGP`
(extended, with ports) or `%SEC-6-IPACCESSLOGS` (standard) the first time a flow matches, and
again at most once every LOG_INTERVAL seconds per flow, as IOS's ACL logging does (IOS also
prints a summary with the packets counted in between; the lab does not).

`ip access-group N out` judges packets routed out of an interface. IOS does not apply
outbound ACLs to packets the router itself originates, and the router's services only answer,
so an outbound ACL changes nothing here, as on IOS.

Sans I/O: the services tell `admit` a flow's addresses (configured) and ports (IOS's, not the
lab's moved ones) and drop what it refuses.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.access import Packet, acl_counters, entry_matches
from cucme_lab.router.access_config import Remark, is_standard
from cucme_lab.router.config.interfaces import Interface, interface, interfaces

LOG_INTERVAL = 300.0  # seconds: IOS logs a flow's first match, then every five minutes


@dataclass(frozen=True)
class Flow:
    """The first packet of a connection or a datagram, as an interface ACL sees it."""

    peer: str  # configured source address
    peer_port: int
    local: str  # configured destination address (the router's)
    local_port: int  # the IOS port (2000, 161), not the lab's moved one
    proto: str = "tcp"


@dataclass
class IngressLog:
    """When each logged flow was last written to the log (runtime, bounded)."""

    last: dict[tuple, float] = field(default_factory=dict)

    def due(self, key: tuple) -> bool:
        now = time.monotonic()
        if len(self.last) > 10_000:  # forget old flows rather than grow without end
            self.last = {k: t for k, t in self.last.items() if now - t < LOG_INTERVAL}
        seen = self.last.get(key)
        if seen is not None and now - seen < LOG_INTERVAL:
            return False
        self.last[key] = now
        return True


def arrival_interface(router: Any, peer: str) -> Interface | None:
    """The interface a peer's packets arrive on: the one whose subnet holds the peer, else the
    lab's WAN interface."""
    try:
        address = ipaddress.IPv4Address(peer)
    except ValueError:
        return None
    for intf in interfaces(router.config):
        if intf.ip is None or intf.shutdown:
            continue
        for net in ([intf.ip.primary] if intf.ip.primary else []) + list(intf.ip.secondaries):
            if address in net.network:
                return intf
    wan = getattr(router, "wan_interface", None)
    return interface(router.config, wan) if wan else None


def admit(router: Any, flow: Flow) -> bool:
    """Whether the arrival interface's inbound ACL lets the flow in (counted, logged)."""
    intf = arrival_interface(router, flow.peer)
    if intf is None or intf.access_group_in is None:
        return True
    number = intf.access_group_in
    entries = [e for e in router.config.access_lists.get(number, []) if not isinstance(e, Remark)]
    if not entries:
        return True  # an access-group naming an undefined list lets everything through
    packet = Packet(flow.peer, flow.local, flow.local_port, flow.peer_port, flow.proto)
    for entry in entries:
        if entry_matches(entry, packet):
            acl_counters(router).count(entry)
            permitted = entry.action == "permit"
            if entry.log:
                _log_match(router, number, permitted, flow)
            return permitted
    return False  # the implicit deny at the end of every list


def _log_match(router: Any, number: int, permitted: bool, flow: Flow) -> None:
    verdict = "permitted" if permitted else "denied"
    key = (number, verdict, flow.proto, flow.peer, flow.local, flow.local_port)
    if not router.ingress_log.due(key):
        return
    # [C] IOS's ACL log lines (`%SEC-6-IPACCESSLOGP: list 101 denied tcp 10.1.1.1(1234) ->
    # 10.2.2.2(2000), 1 packet`); the standard list's form `%SEC-6-IPACCESSLOGS` [M]
    if is_standard(number):
        router.log.log(f"%SEC-6-IPACCESSLOGS: list {number} {verdict} {flow.peer} 1 packet")
    else:
        router.log.log(f"%SEC-6-IPACCESSLOGP: list {number} {verdict} {flow.proto} "
                       f"{flow.peer}({flow.peer_port}) -> {flow.local}({flow.local_port}), "
                       f"1 packet")
