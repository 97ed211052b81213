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

The TFTP server runs in a process of its own (`services.tftp_worker`) and must judge each
request there, without asking the router: `compile_gate` gives it a `Gate`, a picklable
snapshot of what `admit` would consult (the address map's description, each interface's
subnets and inbound ACL entries, the WAN interface), and `Gate.judge` decides with the same
`entry_matches`. The worker reports the deciding entry's index; the router counts and logs
it with `count_gate_hit`.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

from cucme_lab.router.access import Packet, acl_counters, entry_matches
from cucme_lab.router.access_config import AclEntry, Remark, is_standard
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
                log_match(router, number, permitted, flow)
            return permitted
    return False  # the implicit deny at the end of every list


def log_match(router: Any, number: int, permitted: bool, flow: Flow) -> None:
    """`%SEC-6-IPACCESSLOG*` for a flow an entry with `log` decided (rate-limited per flow)."""
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


# --- the gate a process of its own judges with (TFTP) ----------------------------------------

@dataclass(frozen=True)
class GateInterface:
    """One interface as `arrival_interface` and `admit` see it."""

    name: str
    networks: tuple[IPv4Network, ...]
    acl: int | None  # the inbound list, None when there is none or it has no entries
    entries: tuple[tuple[int, AclEntry], ...]  # (index among the list's lines, entry)


@dataclass(frozen=True)
class GateVerdict:
    """What decided a request: the list, the deciding line's index (None: implicit deny)."""

    acl: int
    index: int | None
    permitted: bool
    peer: str  # configured address


@dataclass(frozen=True)
class Gate:
    """Everything a server process needs to judge a peer without asking the router."""

    local: str  # the service's configured address
    port: int  # the IOS port (69)
    proto: str
    interfaces: tuple[GateInterface, ...]
    wan: str | None
    loopback_base: int | None = None  # None: addresses are configured ones (no loopback map)
    loopback_subnets: tuple[IPv4Network, ...] = ()

    def configured(self, address: str) -> str:
        """The configured address a socket address stands for, as the lab's map says."""
        octets = address.split(".")
        if self.loopback_base is None or len(octets) != 4 or octets[0] != "127" or \
                octets[1] != str(self.loopback_base) or not octets[2].isdigit() or \
                not octets[3].isdigit():
            return address
        k = int(octets[2])
        if not 1 <= k <= len(self.loopback_subnets):
            return address  # a subnet added after this gate: as the map itself answers
        network = str(self.loopback_subnets[k - 1].network_address)
        return f"{network.rpartition('.')[0]}.{int(octets[3])}"

    def arrival(self, peer: str) -> GateInterface | None:
        try:
            address = ipaddress.IPv4Address(peer)
        except ValueError:
            return None
        for intf in self.interfaces:
            if any(address in net for net in intf.networks):
                return intf
        return next((i for i in self.interfaces if i.name == self.wan), None)

    def judge(self, peer_address: str, peer_port: int) -> GateVerdict | None:
        """The inbound ACL's decision on a request from a socket address; None: no list."""
        peer = self.configured(peer_address)
        intf = self.arrival(peer)
        if intf is None or intf.acl is None:
            return None
        packet = Packet(peer, self.local, self.port, peer_port, self.proto)
        for index, entry in intf.entries:
            if entry_matches(entry, packet):
                return GateVerdict(intf.acl, index, entry.action == "permit", peer)
        return GateVerdict(intf.acl, None, False, peer)


def compile_gate(router: Any, local: str, port: int, proto: str = "udp",
                 addresses: dict | None = None) -> Gate:
    """The gate for a service on configured `local`:`port`; `addresses` is the lab map's
    `describe()` (a loopback plan's base and subnets), or None when addresses are real."""
    compiled = []
    for intf in interfaces(router.config):
        if intf.ip is None or intf.shutdown:
            nets: tuple[IPv4Network, ...] = ()
        else:
            nets = tuple(n.network for n in
                         ([intf.ip.primary] if intf.ip.primary else []) + list(intf.ip.secondaries))
        number = intf.access_group_in
        lines = router.config.access_lists.get(number, []) if number is not None else []
        entries = tuple((i, e) for i, e in enumerate(lines) if not isinstance(e, Remark))
        compiled.append(GateInterface(intf.name, nets, number if entries else None, entries))
    base, subnets = None, ()
    if addresses and addresses.get("mode") == "loopback":
        base = int(str(addresses["loopback_base"]).split(".")[1])
        subnets = tuple(ipaddress.IPv4Network(s) for s in addresses.get("subnets", []))
    wan = getattr(router, "wan_interface", None)
    if wan is not None and interface(router.config, wan) is None:
        wan = None
    return Gate(local, port, proto, tuple(compiled), wan, base, subnets)


def count_gate_hit(router: Any, gate: Gate, verdict: GateVerdict, peer_port: int) -> None:
    """Count a process's decision on its entry and log it if the entry says `log`; a decision
    on a list changed since the gate was compiled is not counted (its entry is gone)."""
    if verdict.index is None:
        return  # the implicit deny: nothing to count, as `show access-lists` shows
    lines = router.config.access_lists.get(verdict.acl, [])
    if verdict.index >= len(lines):
        return
    entry = lines[verdict.index]
    decided = next((e for i, e in _gate_entries(gate, verdict.acl) if i == verdict.index), None)
    if isinstance(entry, Remark) or entry != decided:
        return
    acl_counters(router).count(entry)
    if entry.log:
        log_match(router, verdict.acl, verdict.permitted,
                  Flow(verdict.peer, peer_port, gate.local, gate.port, gate.proto))


def _gate_entries(gate: Gate, acl: int) -> tuple[tuple[int, AclEntry], ...]:
    return next((i.entries for i in gate.interfaces if i.acl == acl), ())
