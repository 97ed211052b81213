"""Call legs as IOS records them, sans I/O: the active call table, the call history table
(`dial-control-mib retain-timer` minutes, at most `max-size` entries) and, with
`gw-accounting syslog`, one `%VOIPAAA-5-VOIP_CALL_HISTORY` record per leg when it ends.

A call from a phone has the phone's leg (CME's ephone-dn peer, port 50/0/DN, Answer, CallOrigin
1: the router answered the phone's setup) and the called side's leg (the voice port, or the
called phone's 50/0/DN, Originate, CallOrigin 2), sharing one ConnectionId. A call refused
(COR, after-hours, a number nothing answers) leaves the phone's leg alone, with its cause.

Record fields and their order come from real CME syslog CDRs (`CallLegType 2, ConnectionId
CA5210B0..., SetupTime 10:14:59.214 CET Thu Dec 16 2010, PeerAddress 510, PeerSubAddress ,
DisconnectCause 10  , DisconnectText normal call clearing (16), ConnectTime ..., DisconnectTime
..., CallOrigin 1, ChargedUnits 0, InfoType 2, TransmitPackets ...`). CallLegType 1 (telephony)
for every leg, the connect time of a leg that never connected (IOS's epoch) and the packet
counts of a phone's leg (0: its media never crosses the router) are this lab's choices [U].
"""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum


class Cause(IntEnum):
    """Q.850 disconnect causes; IOS prints them in hex with the text below."""

    UNASSIGNED = 0x01
    NORMAL = 0x10
    BUSY = 0x11
    NO_ANSWER = 0x13
    REJECTED = 0x15
    NO_CIRCUIT = 0x22
    INVALID_NUMBER = 0x1C


CAUSE_TEXT = {
    Cause.UNASSIGNED: "unassigned number (1)",
    Cause.NORMAL: "normal call clearing (16)",
    Cause.BUSY: "user busy (17)",
    Cause.NO_ANSWER: "no answer (19)",
    Cause.REJECTED: "call rejected (21)",
    Cause.NO_CIRCUIT: "no circuit (34)",
    Cause.INVALID_NUMBER: "invalid number (28)",
}

EPOCH = datetime(1900, 1, 1)  # [U] what an unconnected leg shows as its ConnectTime


@dataclass
class LegRecord:
    """One call leg in the active or history table."""

    ident: int  # call leg id
    call_id: int  # the call's id, shared by its legs
    connection_id: tuple[int, int, int, int]
    setup: datetime
    setup_uptime_ms: int
    peer_address: str  # the number at the other end of this leg
    peer_id: int  # the dial-peer (20000 + dn for a phone's ephone-dn peer)
    port: str  # "1/0", or "50/0/DN" for an ephone-dn
    originate: bool  # CallOrigin 2 (the router placed it) or 1 (answered)
    connect: datetime | None = None
    disconnect: datetime | None = None
    cause: Cause | None = None
    tx_packets: int = 0
    rx_packets: int = 0
    state: str = "active"

    @property
    def connection_hex(self) -> str:
        return "".join(f"{word:X}" for word in self.connection_id)


@dataclass
class CallHistory:
    """The active and history tables; `now` is the router's local clock, `zone` its name,
    `log` the event log, `settings()` the (retain minutes, max size, syslog on) to apply."""

    now: Callable[[], datetime]
    zone: Callable[[], str]
    uptime_ms: Callable[[], int]
    log: Callable[[str], object]
    settings: Callable[[], tuple[int, int, bool]]
    active: dict[object, LegRecord] = field(default_factory=dict)
    history: deque[LegRecord] = field(default_factory=deque)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @staticmethod
    def new_connection() -> tuple[int, int, int, int]:
        raw = secrets.token_bytes(16)
        return tuple(int.from_bytes(raw[i:i + 4], "big") for i in range(0, 16, 4))  # type: ignore[return-value]

    def start(self, owner: object, call_id: int, connection: tuple[int, int, int, int],
              peer_address: str, peer_id: int, port: str, originate: bool) -> LegRecord:
        record = LegRecord(next(self._ids), call_id, connection, self.now(), self.uptime_ms(),
                           peer_address, peer_id, port, originate)
        self.active[owner] = record
        return record

    def connected(self, owner: object) -> None:
        record = self.active.get(owner)
        if record is not None and record.connect is None:
            record.connect = self.now()

    def end(self, owner: object, cause: Cause, packets: tuple[int, int] | None = None
            ) -> LegRecord | None:
        """The leg ends; `packets` (sent, received) when its media crossed the router."""
        record = self.active.pop(owner, None)
        if record is None:
            return None
        if packets is not None:
            record.tx_packets, record.rx_packets = packets
        record.disconnect = self.now()
        record.cause = cause
        record.state = "disconnected"
        retain, size, syslog = self.settings()
        self.history.append(record)
        self._trim(retain, size)
        if syslog:
            self.log(self.cdr(record))
        return record

    def _trim(self, retain_minutes: int, size: int) -> None:
        oldest = self.now() - timedelta(minutes=retain_minutes)
        while self.history and (len(self.history) > size or
                                (self.history[0].disconnect or oldest) < oldest):
            self.history.popleft()

    def recent(self) -> list[LegRecord]:
        retain, size, _ = self.settings()
        self._trim(retain, size)
        return list(self.history)

    # ---- texts ---------------------------------------------------------------------------------

    def stamp(self, when: datetime | None) -> str:
        when = when or EPOCH
        zone = self.zone() if when is not EPOCH else "UTC"
        return (f"{when:%H:%M:%S}.{when.microsecond // 1000:03d} {zone} "
                f"{when:%a %b} {when.day} {when.year}")

    def cdr(self, r: LegRecord) -> str:
        cause = r.cause if r.cause is not None else Cause.NORMAL
        return ("%VOIPAAA-5-VOIP_CALL_HISTORY: CallLegType 1, "
                f"ConnectionId {r.connection_hex}, SetupTime {self.stamp(r.setup)}, "
                f"PeerAddress {r.peer_address}, PeerSubAddress , "
                f"DisconnectCause {cause:<4X}, DisconnectText {CAUSE_TEXT[cause]}, "
                f"ConnectTime {self.stamp(r.connect)}, "
                f"DisconnectTime {self.stamp(r.disconnect)}, "
                f"CallOrigin {2 if r.originate else 1}, ChargedUnits 0, InfoType 2, "
                f"TransmitPackets {r.tx_packets}, TransmitBytes {r.tx_packets * 160}, "
                f"ReceivePackets {r.rx_packets}, ReceiveBytes {r.rx_packets * 160}")
