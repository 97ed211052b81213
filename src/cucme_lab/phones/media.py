"""A phone's media for one call: RTP, or SRTP when the router gave keys, over UDP.

The router opens the stream in two steps (specs/sccp.md 6): OpenReceiveChannel asks the phone
for a receive port (the phone binds a UDP socket on its own address and answers with it), and
StartMediaTransmission says where to send. One socket does both, as real phones send from the
port they receive on. What is sent is the lab's test signal (`wire.rtp`: a 1 kHz tone, G.711
mu-law, one 20 ms frame per packet); what is received is counted and checked against it. The
configured address the router names is reached through the phone's network mapping, like any
of its traffic.

With a key block of algorithm AES_CM_128_HMAC_SHA1_32 (or _80) the packets are protected with
libsrtp (pylibsrtp): the OpenReceiveChannel's key decrypts what arrives, the
StartMediaTransmission's key encrypts what leaves. A packet that fails authentication (a wrong
key, plain RTP, tampering) or the replay check is dropped and counted.

The packets of every stream in a process are sent and received in batches by one media clock
(`MediaClock`, one per trio run): every 20 ms it drains each stream's socket (non-blocking
`recv` until nothing is left) and sends each sending stream's due packets with `sendto` in a
loop, so 200 calls cost one timer wake-up per tick rather than 800 task switches. The clock is
a trio system task that exists while streams do: no stream, no task.

Each stream also holds a task in the nursery it is given (the phone's registration nursery),
so `close` (hang-up) or the phone's power-off ends it; its socket is closed and it leaves the
clock when it closes, whatever ended it.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import pylibsrtp
import trio

from cucme_lab.wire import rtp, sccp

RECEIVE_SIZE = 2048
PROGRESS_EVERY = 50  # packets sent between progress reports: one second of audio
BEHIND_LIMIT = 0.2  # seconds late after which the sender skips ahead instead of bursting
_Alg, _Policy = sccp.EncryptionAlgorithm, pylibsrtp.Policy
_PROFILES = {_Alg.AES_CM_128_HMAC_SHA1_32: _Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
             _Alg.AES_CM_128_HMAC_SHA1_80: _Policy.SRTP_PROFILE_AES128_CM_SHA1_80}


class MediaKeyError(ValueError):
    """A key block this phone cannot use (an algorithm it lacks, a short key)."""


def srtp_session(key: sccp.MediaEncryptionKeyInfo, outbound: bool) -> pylibsrtp.Session | None:
    """A libsrtp session for one direction; None for the zero block (plain RTP)."""
    if key.algorithm_id == sccp.EncryptionAlgorithm.NO_ENCRYPTION:
        return None
    profile = _PROFILES.get(key.algorithm_id)
    if profile is None:
        raise MediaKeyError(f"SRTP algorithm {key.algorithm_id} is not supported")
    if len(key.key) != 16 or len(key.salt) != 14:
        raise MediaKeyError(f"SRTP key of {len(key.key)} bytes and salt of {len(key.salt)}, "
                            "not 16 and 14")
    ssrc = pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND
    return pylibsrtp.Session(pylibsrtp.Policy(key=key.key + key.salt, ssrc_type=ssrc,
                                              srtp_profile=profile))


@dataclass
class MediaCounters:
    """What `lab.json` and `:phone N` show of a call's media."""

    sent: int = 0
    received: int = 0
    lost: int = 0
    auth_failures: int = 0  # SRTP packets that failed authentication or replay check: dropped
    replayed: int = 0  # of which the replay check refused (RFC 3711 3.3.2)
    malformed: int = 0  # not RTP at all
    signal_errors: int = 0  # RTP whose payload is not the test signal (nor MOH, silence)
    moh: int = 0  # packets of the router's music on hold (wire.rtp.MOH_FRAME)
    silence: int = 0  # silent frames (a conference mix with nobody else speaking)
    srtp: bool = False  # keys in use (either direction)

    @property
    def signal_ok(self) -> bool:
        """The test signal arrived, and nothing but it, music on hold or silence."""
        return self.received > self.moh + self.silence and self.signal_errors == 0

    def as_dict(self) -> dict[str, int | bool]:
        return {**asdict(self), "signal_ok": self.signal_ok}


Route = Callable[[str, int], tuple[str, int]]
DRAIN_LIMIT = 64  # datagrams taken from one socket per tick at most (a flood waits its turn)


class MediaClock:
    """The process's media timer: one task that, every PACKET_MS, receives what every stream's
    socket holds and sends every sending stream's due packets."""

    def __init__(self) -> None:
        self.streams: dict[MediaStream, None] = {}  # insertion-ordered set
        self.ticks = 0

    @staticmethod
    def join(stream: MediaStream) -> None:
        """Add a stream to this run's clock, starting the clock if it is not running."""
        clock = _CLOCK.get()
        if clock is None:
            clock = MediaClock()
            _CLOCK.set(clock)
            trio.lowlevel.spawn_system_task(clock._run, name="media clock")
        clock.streams[stream] = None

    @staticmethod
    def leave(stream: MediaStream) -> None:
        clock = _CLOCK.get()
        if clock is not None:
            clock.streams.pop(stream, None)

    async def _run(self) -> None:
        step = rtp.PACKET_MS / 1000
        tick = trio.current_time()
        try:
            while self.streams:
                now = trio.current_time()
                for stream in list(self.streams):
                    try:
                        stream.tick(now)
                    except Exception as exc:  # noqa: BLE001 - one stream's fault ends it only
                        stream.failure = f"{type(exc).__name__}: {exc}"
                        stream.close()
                self.ticks += 1
                tick += step
                if tick < now:
                    tick = now + step  # a late tick: the streams catch up by their own clocks
                await trio.sleep_until(tick)
        finally:
            if _CLOCK.get() is self:
                _CLOCK.set(None)


_CLOCK: trio.lowlevel.RunVar[MediaClock | None] = trio.lowlevel.RunVar("media_clock",
                                                                        default=None)


@dataclass
class _Sender:
    """Where and how one stream sends: its RTP header fields advance by one frame a packet."""

    dest: tuple[str, int]
    session: pylibsrtp.Session | None
    due: float
    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    seq: int = field(default_factory=lambda: secrets.randbits(16))
    stamp: int = field(default_factory=lambda: secrets.randbits(32))
    marker: bool = True


class MediaStream:
    """One call's RTP on one phone: a UDP socket on `bind_address`, receiving from `open`,
    sending from `start` until `stop` or `close`."""

    def __init__(self, bind_address: str, route: Route | None = None, *,
                 on_progress: Callable[[], None] | None = None) -> None:
        self.bind_address = bind_address
        self.route = route or (lambda host, port: (host, port))
        self.on_progress = on_progress
        self.counters = MediaCounters()
        self.port = 0
        self.remote: tuple[str, int] | None = None  # configured address the router named
        self.closed = False
        self.failure = ""  # why the media clock ended the stream, if it did
        self._sock: socket.socket | None = None
        self._holder: trio.CancelScope | None = None
        self._sender: _Sender | None = None
        self._rx: pylibsrtp.Session | None = None
        self._first: int | None = None  # first sequence number received
        self._highest = 0  # highest sequence number received, with its wrap count
        self._cycles = 0

    # ---- lifetime ---------------------------------------------------------------------------

    async def open(self, nursery: trio.Nursery, key: sccp.MediaEncryptionKeyInfo) -> int:
        """Bind the receive port and start receiving; returns the port. Raises OSError when
        no socket can be had, MediaKeyError for a key it cannot use."""
        self._rx = srtp_session(key, outbound=False)
        self.counters.srtp = self.counters.srtp or self._rx is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((self.bind_address, 0))  # a local address: binding never waits
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.port = sock.getsockname()[1]
        await nursery.start(self._hold)
        return self.port

    async def _hold(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        """The stream's place in its nursery: while it waits here the clock serves it."""
        try:
            with trio.CancelScope() as self._holder:
                MediaClock.join(self)
                task_status.started()
                await trio.sleep_forever()
        finally:
            self.close()

    def start(self, remote_host: str, remote_port: int, key: sccp.MediaEncryptionKeyInfo
              ) -> None:
        """Send the test signal to the configured address the router named (MediaKeyError
        for a key it cannot use)."""
        session = srtp_session(key, outbound=True)
        self.stop()
        if self.closed or self._sock is None:
            return
        self.counters.srtp = self.counters.srtp or session is not None
        self.remote = (remote_host, remote_port)
        self._sender = _Sender(self.route(remote_host, remote_port), session,
                               trio.current_time())

    def stop(self) -> None:
        """Stop sending (StopMediaTransmission); the port stays open."""
        self._sender = None

    def close(self) -> None:
        """End the stream: it leaves the clock, its task ends and its socket closes now."""
        self.closed = True
        self.stop()
        MediaClock.leave(self)
        if self._holder is not None:
            self._holder.cancel()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # ---- one tick of the media clock ----------------------------------------------------------

    def tick(self, now: float) -> None:
        """Take what arrived, then send what is due by `now` (skipping ahead, not bursting,
        when more than BEHIND_LIMIT late)."""
        sock = self._sock
        if sock is None:
            return
        for _ in range(DRAIN_LIMIT):
            try:
                data = sock.recv(RECEIVE_SIZE)
            except BlockingIOError:
                break
            except OSError:
                continue  # an ICMP error reported on the socket: not a packet
            self.take(data)
        sender = self._sender
        if sender is None:
            return
        step = rtp.PACKET_MS / 1000
        if sender.due < now - BEHIND_LIMIT:
            sender.due = now  # fell far behind (a busy host): skip ahead, do not burst
        while sender.due <= now:
            self._send_one(sock, sender)
            sender.due += step

    def _send_one(self, sock: socket.socket, sender: _Sender) -> None:
        counters = self.counters
        packet = rtp.pack_rtp(sender.seq, sender.stamp, sender.ssrc, rtp.SIGNAL_FRAME,
                              sender.marker)
        sender.marker = False
        sender.seq = (sender.seq + 1) & 0xFFFF
        sender.stamp = (sender.stamp + rtp.FRAME_SAMPLES) & 0xFFFFFFFF
        try:
            if sender.session is not None:
                packet = sender.session.protect(packet)
            sock.sendto(packet, sender.dest)
        except (OSError, pylibsrtp.Error):
            return  # nobody there (yet), a full buffer, or libsrtp refused: the packet is lost
        counters.sent += 1
        if counters.sent % PROGRESS_EVERY == 0 and self.on_progress is not None:
            self.on_progress()

    # ---- receiving --------------------------------------------------------------------------

    def take(self, data: bytes) -> None:
        """One datagram as it arrived: unprotect, check, count."""
        counters = self.counters
        if self._rx is not None:
            try:
                data = self._rx.unprotect(data)
            except pylibsrtp.Error as exc:
                counters.auth_failures += 1
                if "replay" in str(exc):
                    counters.replayed += 1
                return
            except ValueError:
                counters.malformed += 1
                return
        if len(data) < rtp.HEADER_SIZE or data[0] >> 6 != rtp.RTP_VERSION:
            counters.malformed += 1
            return
        if data[0] & 0x3F == 0:  # no CSRC, extension or padding: the header is 12 bytes
            seq = int.from_bytes(data[2:4], "big")
            payload = data[rtp.HEADER_SIZE:]
        else:
            try:
                packet = rtp.RtpPacket.decode(data)
            except rtp.RtpFormatError:
                counters.malformed += 1
                return
            seq, payload = packet.sequence, packet.payload
        counters.received += 1
        if self._sender is None and counters.received % PROGRESS_EVERY == 0 and \
                self.on_progress is not None:
            self.on_progress()  # a stream that only receives (music on hold) reports too
        self._sequence(seq)
        if not rtp.signal_matches(payload):
            if rtp.moh_matches(payload):
                counters.moh += 1
            elif payload == rtp.SILENCE_FRAME:
                counters.silence += 1
            else:
                counters.signal_errors += 1

    def _sequence(self, seq: int) -> None:
        """Track the highest sequence number (RFC 3550 A.1, simplified) for the loss count."""
        counters = self.counters
        if self._first is None:
            self._first = self._highest = seq
        elif (seq - self._highest) & 0xFFFF < 0x8000 and seq != self._highest:
            if seq < self._highest:
                self._cycles += 0x10000  # wrapped
            self._highest = seq
        expected = self._cycles + self._highest - self._first + 1
        counters.lost = max(0, expected - counters.received)
