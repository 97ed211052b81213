"""The SNMP agent's decisions, sans I/O: one datagram in, one answer (or none) out.

`handle` authenticates a request by community and the community's ACL (a wrong community or a
manager the ACL denies gets no answer and a `%SNMP-3-AUTHFAIL` line, as IOS), answers Get,
GetNext, GetBulk and Set from the `MibView`, and keeps the counters `show snmp` prints. A SET
through an RW community of sysName, sysContact or sysLocation changes `hostname`,
`snmp-server contact` or `snmp-server location`.

Bounded work: a datagram over MAX_REQUEST_OCTETS is dropped unread; a GetBulk gets at most
MAX_BULK_REPETITIONS repetitions and MAX_VARBINDS varbinds, and every answer is cut to fit
MAX_RESPONSE_OCTETS (IOS's "Maximum packet size 1500").
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.access import Packet, acl_permits
from cucme_lab.router.config.snmp import SnmpAccess, SnmpCommunity
from cucme_lab.router.snmp.mib import (
    SNAPSHOT_SECONDS,
    SYS_CONTACT,
    SYS_LOCATION,
    SYS_NAME,
    WRITABLE,
    MibView,
    build_view,
)
from cucme_lab.wire import snmp as wire

log = logging.getLogger(__name__)

SNMP_PORT = 161
MAX_BULK_REPETITIONS = 100
MAX_VARBINDS = 200
MAX_RESPONSE_OCTETS = 1500
MAX_NAME_OCTETS = 255  # sysName, sysContact, sysLocation are DisplayStrings (SIZE 0..255)
# what `hostname` takes (shell/commands/system.py): a Set of sysName may not do more
HOSTNAME = re.compile(r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass
class SnmpCounters:
    """The counters of `show snmp`, in its order."""

    packets_in: int = 0
    bad_version: int = 0
    unknown_community: int = 0
    illegal_operation: int = 0
    encoding_errors: int = 0
    requested_variables: int = 0
    altered_variables: int = 0
    get_requests: int = 0
    getnext_requests: int = 0  # GetBulk counted here too
    set_requests: int = 0
    packets_out: int = 0
    too_big: int = 0
    no_such_name: int = 0
    bad_values: int = 0
    general_errors: int = 0
    responses: int = 0
    other_pdus: int = 0  # Responses, Traps and Informs sent to the agent (dropped)


@dataclass
class SnmpState:
    """The agent's runtime memory: counters and the current MIB snapshot (`router.snmp`)."""

    counters: SnmpCounters = field(default_factory=SnmpCounters)
    view: MibView | None = None

    def current_view(self, router: Any) -> MibView:
        if self.view is None or time.monotonic() - self.view.built_at > SNAPSHOT_SECONDS:
            self.view = build_view(router)
        return self.view


def community_for(router: Any, name: bytes) -> SnmpCommunity | None:
    try:
        text = name.decode()
    except UnicodeDecodeError:
        return None
    return router.config.snmp_communities.get(text)


def handle(router: Any, state: SnmpState, data: bytes, peer: str, local: str = "") -> bytes | None:
    """The answer to one datagram from `peer` (its configured address), or None to drop it."""
    counters = state.counters
    counters.packets_in += 1
    try:
        request = wire.decode(data)
    except wire.SnmpDecodeError as exc:
        if exc.reason == "version":
            counters.bad_version += 1
        elif exc.reason == "pdu":
            counters.other_pdus += 1
        else:
            counters.encoding_errors += 1
        log.info("SNMP datagram from %s dropped: %s", peer, exc)
        return None
    community = community_for(router, request.community)
    if community is None or (community.acl is not None and not acl_permits(
            router, community.acl, Packet(peer, local, SNMP_PORT, proto="udp"))):
        counters.unknown_community += 1
        # [C] Cisco's message reference: "Authentication failure for SNMP req from host %i"
        router.log.log(f"%SNMP-3-AUTHFAIL: Authentication failure for SNMP req from host {peer}")
        return None
    counters.requested_variables += len(request.varbinds)
    view = state.current_view(router)
    if request.kind == "set":
        counters.set_requests += 1
        varbinds, status, index = _set(router, state, community, request)
    elif request.kind == "get":
        counters.get_requests += 1
        varbinds, status, index = _get(view, request)
    elif request.kind == "getnext":
        counters.getnext_requests += 1
        varbinds, status, index = _getnext(view, request)
    else:
        counters.getnext_requests += 1
        varbinds, status, index = _getbulk(view, request), wire.NO_ERROR, 0
    if status == wire.NO_SUCH_NAME:
        counters.no_such_name += 1
    answer = _encode_fitting(request, varbinds, status, index, counters)
    counters.packets_out += 1
    counters.responses += 1
    return answer


def _v1_exception(request: wire.Request, varbinds: list) -> tuple[int, int]:
    """v1 has no varbind exceptions: the first one becomes noSuchName at its index."""
    if request.version == wire.V1:
        for i, (_, value) in enumerate(varbinds, start=1):
            if isinstance(value, wire._Exception):
                return wire.NO_SUCH_NAME, i
    return wire.NO_ERROR, 0


def _get(view: MibView, request: wire.Request) -> tuple[list, int, int]:
    varbinds = [(oid, view.get(oid)) for oid, _ in request.varbinds]
    status, index = _v1_exception(request, varbinds)
    return (request.varbinds if status else varbinds), status, index


def _getnext(view: MibView, request: wire.Request) -> tuple[list, int, int]:
    varbinds = [view.next(oid) for oid, _ in request.varbinds]
    status, index = _v1_exception(request, varbinds)
    return (request.varbinds if status else varbinds), status, index


def _getbulk(view: MibView, request: wire.Request) -> list:
    asked = request.varbinds
    non_repeaters = min(request.non_repeaters, len(asked))
    out = [view.next(oid) for oid, _ in asked[:non_repeaters]]
    repeaters = [oid for oid, _ in asked[non_repeaters:]]
    if not repeaters:
        return out[:MAX_VARBINDS]
    repetitions = min(request.max_repetitions, MAX_BULK_REPETITIONS,
                      max(1, (MAX_VARBINDS - len(out)) // len(repeaters)))
    for _ in range(repetitions):
        row = [view.next(oid) for oid in repeaters]
        out.extend(row)
        repeaters = [oid for oid, _ in row]
        if all(value == wire.END_OF_MIB_VIEW for _, value in row):
            break
    return out[:MAX_VARBINDS]


def _set(router: Any, state: SnmpState, community: SnmpCommunity,
         request: wire.Request) -> tuple[list, int, int]:
    counters = state.counters
    v1 = request.version == wire.V1
    if community.access is not SnmpAccess.RW:
        counters.illegal_operation += 1
        return request.varbinds, (wire.NO_SUCH_NAME if v1 else wire.NO_ACCESS), 1
    for i, (oid, value) in enumerate(request.varbinds, start=1):
        if oid not in WRITABLE:
            return request.varbinds, (wire.NO_SUCH_NAME if v1 else wire.NOT_WRITABLE), i
        if not isinstance(value, bytes):
            counters.bad_values += 1
            return request.varbinds, (wire.BAD_VALUE if v1 else wire.WRONG_TYPE), i
        if not _acceptable(oid, value):
            counters.bad_values += 1
            return request.varbinds, (wire.BAD_VALUE if v1 else wire.WRONG_VALUE), i
    config = router.config
    for oid, value in request.varbinds:
        text = value.decode()
        if oid == SYS_NAME:
            config.hostname = text
        elif oid == SYS_CONTACT:
            config.snmp_contact = text or None
        elif oid == SYS_LOCATION:
            config.snmp_location = text or None
    counters.altered_variables += len(request.varbinds)
    state.view = None  # the next read sees the change
    router.mark_changed("snmp")
    return request.varbinds, wire.NO_ERROR, 0


def _acceptable(oid: tuple, value: bytes) -> bool:
    """Printable text of at most 255 octets; a hostname as `hostname` takes one."""
    if len(value) > MAX_NAME_OCTETS:
        return False
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return False
    if not text.isprintable():
        return False
    if oid == SYS_NAME:
        return HOSTNAME.fullmatch(text) is not None
    return True


def _encode_fitting(request: wire.Request, varbinds: list, status: int, index: int,
                    counters: SnmpCounters) -> bytes:
    """The response, cut to MAX_RESPONSE_OCTETS: a GetBulk loses trailing varbinds, any other
    answer that does not fit becomes tooBig (RFC 3416 4.2.1-3)."""
    answer = wire.encode_response(request, varbinds, status, index)
    if len(answer) <= MAX_RESPONSE_OCTETS:
        return answer
    if request.kind == "getbulk":
        while len(answer) > MAX_RESPONSE_OCTETS and len(varbinds) > 1:
            keep = max(1, int(len(varbinds) * MAX_RESPONSE_OCTETS / len(answer)) - 1)
            varbinds = varbinds[:keep]
            answer = wire.encode_response(request, varbinds)
        if len(answer) <= MAX_RESPONSE_OCTETS:
            return answer
    counters.too_big += 1
    empty = [] if request.version == wire.V2C else request.varbinds
    return wire.encode_response(request, empty, wire.TOO_BIG, 0)


def show_snmp(router: Any, state: SnmpState) -> str:
    """`show snmp` as IOS 12.4 prints it (layout of a real 12.4 output, genieparser's
    fixture); `%SNMP agent not enabled` without a community."""
    config = router.config
    if not config.snmp_enabled:
        return "%SNMP agent not enabled\n"  # [M]
    c = state.counters
    lines = [f"Chassis: {router.serial}"]
    if config.snmp_contact:
        lines.append(f"Contact: {config.snmp_contact}")
    if config.snmp_location:
        lines.append(f"Location: {config.snmp_location}")
    lines += [
        f"{c.packets_in} SNMP packets input",
        f"    {c.bad_version} Bad SNMP version errors",
        f"    {c.unknown_community} Unknown community name",
        f"    {c.illegal_operation} Illegal operation for community name supplied",
        f"    {c.encoding_errors} Encoding errors",
        f"    {c.requested_variables} Number of requested variables",
        f"    {c.altered_variables} Number of altered variables",
        f"    {c.get_requests} Get-request PDUs",
        f"    {c.getnext_requests} Get-next PDUs",
        f"    {c.set_requests} Set-request PDUs",
        "    0 Input queue packet drops (Maximum queue size 1000)",
        f"{c.packets_out} SNMP packets output",
        f"    {c.too_big} Too big errors (Maximum packet size 1500)",
        f"    {c.no_such_name} No such name errors",
        f"    {c.bad_values} Bad values errors",
        f"    {c.general_errors} General errors",
        f"    {c.responses} Response PDUs",
        "    0 Trap PDUs",
        "SNMP global trap: disabled",
        "",
        "SNMP logging: disabled",
    ]
    return "\n".join(lines) + "\n"
