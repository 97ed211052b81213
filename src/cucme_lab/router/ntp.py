"""The router's NTP client, sans I/O: associations, the checks a reply must pass, the clock.

The NTP service (`services/ntp.py`) asks for each request's bytes and hands every datagram
back; this module decides. A reply sets the clock only if it answers our last request (its
origin timestamp is our transmit timestamp), comes from a synchronised server (leap not 3,
stratum 1-15), passes authentication when `ntp authenticate` is on (a MAC by the key the
`ntp server ... key N` line names, that key trusted and configured), and is sane: its time lies
in the years IOS's clock can hold (1993-2035, `clock set`'s range) and, once the clock is
synchronised, within NTP's panic threshold (1000 s) of it. A clock never set (or set by hand)
is stepped by any sane offset, as IOS steps a router booted in 1993.

Lab departure, documented: one good reply synchronises (ntpd wants several); the first
requests go out every 2 s until one is answered, then every poll interval (64 s).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Address

from cucme_lab.router.clock import Clock
from cucme_lab.wire import ntp as wire

log = logging.getLogger(__name__)

POLL = 64  # seconds between polls once answered (IOS's minpoll)
BURST_INTERVAL = 2.0  # seconds between requests until a first answer
STEP_THRESHOLD = 0.128  # seconds: NTP steps (and IOS logs it) beyond this, else it slews
PANIC_THRESHOLD = 1000.0  # seconds: a synchronised clock is never stepped further
MAX_DELAY = 16.0  # seconds: NTP's maximum distance
ERA = (datetime(1993, 1, 1, tzinfo=UTC).timestamp(), datetime(2036, 1, 1, tzinfo=UTC).timestamp())
PRECISION = -20  # our requests' precision (2**-20 s)
DEFAULT_VERSION = 3  # IOS 12.4's NTP is version 3 unless `ntp server ... version N`


@dataclass
class Association:
    """One configured server, as `show ntp associations` lists it."""

    address: IPv4Address
    reach: int = 0  # the 8-bit reachability register, shifted at each poll
    stratum: int = 16
    reference: str = ".INIT."
    delay_ms: float = 0.0
    offset_ms: float = 0.0
    dispersion_ms: float = 15937.0  # IOS's figure for a peer never heard
    poll: int = POLL
    last_reply: float | None = None  # host time.monotonic of the last good reply
    answered: int = 0  # good replies
    rejected: int = 0  # replies refused, whatever the reason
    last_rejection: str = ""
    rejections: dict[str, int] = field(default_factory=dict)  # refused replies by reason
    _sent: int | None = None  # transmit timestamp of our outstanding request
    _was_reachable: bool = False


@dataclass
class NtpAuth:
    """What `ntp authenticate`, `ntp authentication-key` and `ntp trusted-key` say."""

    required: bool = False
    keys: dict[int, bytes] = field(default_factory=dict)
    trusted: frozenset[int] = frozenset()


@dataclass
class NtpState:
    """The NTP client's runtime memory (`router.ntp`): associations and the system peer."""

    associations: dict[IPv4Address, Association] = field(default_factory=dict)
    sys_peer: IPv4Address | None = None
    stratum: int = 16
    reference_time: float | None = None  # router epoch of the last clock update
    root_delay_ms: float = 0.0
    root_dispersion_ms: float = 0.0
    last_update: float | None = None  # host monotonic time of the last update

    def association(self, address: IPv4Address) -> Association:
        found = self.associations.get(address)
        if found is None:
            found = self.associations[address] = Association(address)
        return found

    def remove(self, address: IPv4Address, clock: Clock) -> None:
        """`no ntp server`: the association goes; the clock stays set but not synchronised."""
        self.associations.pop(address, None)
        if self.sys_peer == address:
            self._lose_sync(clock)

    def _lose_sync(self, clock: Clock) -> None:
        self.sys_peer = None
        self.stratum = 16
        clock.synced = False

    # --- one poll ---------------------------------------------------------------------
    def request(self, assoc: Association, clock: Clock, key: tuple[int, bytes] | None,
                emit: Callable[[str], None] | None = None,
                version: int = DEFAULT_VERSION) -> bytes:
        """The next request's bytes; the reachability register shifts (a poll without an
        answer leaves a 0 in it)."""
        assoc.reach = (assoc.reach << 1) & 0xFF
        if assoc._was_reachable and assoc.reach == 0:
            assoc._was_reachable = False
            assoc.stratum, assoc.reference = 16, ".INIT."
            if emit is not None:
                emit(f"%NTP-6-PEERUNREACH: Peer {assoc.address} is unreachable")  # [M]
            if self.sys_peer == assoc.address:
                self._lose_sync(clock)
        transmit = wire.to_ntp(clock.now_utc().timestamp())
        assoc._sent = transmit
        packet = wire.NtpPacket(version=version, mode=wire.MODE_CLIENT, poll=6, precision=PRECISION,
                                transmit=transmit)
        return wire.encode(packet, key)

    def receive(self, assoc: Association, data: bytes, clock: Clock, auth: NtpAuth,
                key_id: int | None, prefer: bool, now_monotonic: float,
                emit: Callable[[str], None] | None = None,
                log_always: Callable[[str], None] | None = None) -> str | None:
        """Judge one datagram from the server; None when it was used, else why not.

        `emit` logs the `%NTP` lines (`ntp logging`), `log_always` the clock's own
        `%SYS-6-CLOCKUPDATE` when the clock is stepped."""
        arrived = clock.now_utc().timestamp()
        why = self._judge(assoc, data, clock, auth, key_id, arrived)
        if isinstance(why, str):
            assoc.rejected += 1
            if why != assoc.last_rejection:
                log.warning("NTP reply from %s refused: %s", assoc.address, why)
            assoc.last_rejection = why
            kind = why.split(" (")[0]
            assoc.rejections[kind] = assoc.rejections.get(kind, 0) + 1
            return why
        packet, offset, delay = why
        assoc._sent = None  # one answer per request
        assoc.reach |= 1
        assoc.answered += 1
        assoc.last_rejection = ""
        assoc.stratum = packet.stratum
        assoc.reference = packet.reference_text
        assoc.delay_ms, assoc.offset_ms = delay * 1000, offset * 1000
        assoc.dispersion_ms = wire.short_seconds(packet.root_dispersion) * 1000 + 0.12
        assoc.last_reply = now_monotonic
        if not assoc._was_reachable:
            assoc._was_reachable = True
            if emit is not None:
                emit(f"%NTP-6-PEERREACH: Peer {assoc.address} is reachable")  # [M]
        current = self.associations.get(self.sys_peer) if self.sys_peer else None
        if current is not None and current is not assoc and (current.reach or not prefer):
            return None  # another server keeps the clock
        first = self.sys_peer != assoc.address
        before = clock.config_stamp()
        clock.step(offset)
        if abs(offset) > STEP_THRESHOLD and log_always is not None:
            # [C] a capture of IOS 12.4 stepping its clock by NTP
            log_always(f"%SYS-6-CLOCKUPDATE: System clock has been updated from {before} to "
                       f"{clock.config_stamp()}, configured from NTP by {assoc.address}.")
        self.sys_peer = assoc.address
        self.stratum = min(packet.stratum + 1, 15)
        self.reference_time = clock.now_utc().timestamp()
        self.root_delay_ms = wire.short_seconds(packet.root_delay) * 1000 + delay * 1000
        self.root_dispersion_ms = assoc.dispersion_ms
        self.last_update = now_monotonic
        if first and emit is not None:
            emit(f"%NTP-5-PEERSYNC: NTP synced to peer {assoc.address}")  # [M]
        return None

    def _judge(self, assoc: Association, data: bytes, clock: Clock, auth: NtpAuth,
               key_id: int | None, arrived: float) -> str | tuple[wire.NtpPacket, float, float]:
        try:
            packet = wire.decode(data)
        except wire.NtpError as exc:
            return f"not an NTP packet ({exc})"
        if packet.mode != wire.MODE_SERVER:
            return f"mode {packet.mode}, not a server's answer"
        if assoc._sent is None or packet.origin != assoc._sent:
            return "does not answer our last request (bogus origin timestamp)"
        if packet.leap == wire.LEAP_UNSYNCHRONIZED or not 1 <= packet.stratum <= 15:
            return f"server not synchronised (leap {packet.leap}, stratum {packet.stratum})"
        if auth.required:
            if key_id is None:
                return "ntp authenticate is on and the server line names no key"
            if key_id not in auth.trusted or key_id not in auth.keys:
                return f"key {key_id} is not a trusted, configured key"
            if packet.key_id != key_id or not wire.verify(data, packet, {key_id: auth.keys[
                    key_id]}):
                return "authentication failed (no MAC, or a wrong one)"
        t1, t2 = wire.from_ntp(packet.origin), wire.from_ntp(packet.receive)
        t3, t4 = wire.from_ntp(packet.transmit), arrived
        if not ERA[0] <= t3 < ERA[1]:
            return "insane time (outside 1993-2035)"
        offset = ((t2 - t1) + (t3 - t4)) / 2
        delay = (t4 - t1) - (t3 - t2)
        if not 0 <= delay <= MAX_DELAY:
            if delay < 0 and delay > -0.01:  # rounding of a loopback round trip
                delay = 0.0
            else:
                return f"insane round-trip delay ({delay:.3f} s)"
        if clock.synced and abs(offset) > PANIC_THRESHOLD:
            return f"offset {offset:.0f} s beyond the panic threshold"
        return packet, offset, delay


def reference_stamp(epoch: float) -> str:
    """`DA088DD3.C4E659D3`: an NTP timestamp in hex, as `show ntp status` shows it."""
    stamp = wire.to_ntp(epoch)
    return f"{stamp >> 32:08X}.{stamp & 0xFFFFFFFF:08X}"
