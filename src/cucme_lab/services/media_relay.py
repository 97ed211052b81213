"""The router as a media party: music on hold and the three-way software conference, plain RTP
over UDP sockets on the router's SCCP address (NSA guide 2: neither is secure).

The SCCP service makes one RouterMedia in its nursery and offers it to call control
(`router.phones.calls.attach_media`); call control (router/telephony/calls.py, sans I/O) asks it
to `play` music on hold to a held phone, to `join` a party to a conference bridge (returning
the router port the phone is told to send to), and to `release` a party. Each party has its
own socket, bound at once (a stdlib socket handed to trio, so the port is known before the
call-control answer is written) and closed when released or when the service stops. One task
per music-on-hold stream and one per conference (the 20 ms mixing tick, `mixing.mix_for_all`)
plus one receiver per conference party; all in the service's nursery, each under its own
cancel scope.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

import trio

from cucme_lab.router.telephony.mixing import MixSource, RtpSender, mix_for_all, payload_of
from cucme_lab.wire import rtp

Dest = tuple[IPv4Address | IPv6Address, int]
STEP = rtp.PACKET_MS / 1000
BEHIND_LIMIT = 0.2  # seconds late after which a sender skips ahead instead of bursting


@dataclass(eq=False)
class _Port:
    sock: trio.socket.SocketType
    dest: tuple[str, int]
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    sender: RtpSender = field(default_factory=lambda: RtpSender(secrets.randbits(32),
                                                                secrets.randbits(16)))
    source: MixSource = field(default_factory=MixSource)
    bridge: int = 0
    sent: int = 0
    received: int = 0


class RouterMedia:
    """The router's RTP sockets for one SCCP service (calls.RouterMedia)."""

    def __init__(self, nursery: trio.Nursery, bind_host: str, address: IPv4Address,
                 to_loopback: Callable[[str], str]) -> None:
        self._nursery = nursery
        self._bind_host = bind_host  # the loopback address the service listens on
        self.address = address  # the configured one phones are told
        self._to_loopback = to_loopback
        self.ports: dict[object, _Port] = {}
        self.bridges: dict[int, dict[object, _Port]] = {}
        self._bridge_scopes: dict[int, trio.CancelScope] = {}

    def _open(self, dest: Dest) -> _Port:
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            raw.bind((self._bind_host, 0))
            raw.setblocking(False)
        except BaseException:
            raw.close()
            raise
        return _Port(trio.socket.from_stdlib_socket(raw),
                     (self._to_loopback(str(dest[0])), dest[1]))

    # ---- calls.RouterMedia ------------------------------------------------------------------

    def play(self, owner: object, dest: Dest) -> None:
        self.release(owner)
        try:
            port = self._open(dest)
        except OSError:
            return  # no socket: the held party hears silence
        self.ports[owner] = port
        self._nursery.start_soon(self._play, port)

    def join(self, bridge: int, owner: object, dest: Dest) -> int:
        self.release(owner)
        port = self._open(dest)
        port.bridge = bridge
        self.ports[owner] = port
        parties = self.bridges.setdefault(bridge, {})
        parties[owner] = port
        self._nursery.start_soon(self._receive, port)
        if bridge not in self._bridge_scopes:
            scope = self._bridge_scopes[bridge] = trio.CancelScope()
            self._nursery.start_soon(self._mix, scope, parties)
        return port.sock.getsockname()[1]

    def release(self, owner: object) -> None:
        port = self.ports.pop(owner, None)
        if port is None:
            return
        port.scope.cancel()
        port.sock.close()
        if port.bridge:
            parties = self.bridges.get(port.bridge, {})
            parties.pop(owner, None)
            if not parties:
                self.bridges.pop(port.bridge, None)
                scope = self._bridge_scopes.pop(port.bridge, None)
                if scope is not None:
                    scope.cancel()

    def close_all(self) -> None:
        """The service stops: every stream ends, every socket closes."""
        for owner in list(self.ports):
            self.release(owner)
        for scope in self._bridge_scopes.values():
            scope.cancel()
        self._bridge_scopes.clear()

    # ---- tasks -----------------------------------------------------------------------------

    async def _play(self, port: _Port) -> None:
        with port.scope:
            due = trio.current_time()
            while True:
                try:
                    await port.sock.sendto(port.sender.packet(rtp.MOH_FRAME), port.dest)
                    port.sent += 1
                except OSError:
                    pass  # nobody there: the packet is lost
                due = await _tick(due)

    async def _receive(self, port: _Port) -> None:
        with port.scope:
            while True:
                try:
                    data = await port.sock.recv(2048)
                except trio.ClosedResourceError:
                    return
                except OSError:
                    continue
                payload = payload_of(data)
                if payload is not None and len(payload) == rtp.FRAME_SAMPLES:
                    port.source.latest = payload
                    port.received += 1

    async def _mix(self, scope: trio.CancelScope, parties: dict[object, _Port]) -> None:
        with scope:
            due = trio.current_time()
            while True:
                mixes = mix_for_all({k: p.source for k, p in parties.items()})
                for owner, frame in mixes.items():
                    port = parties.get(owner)
                    if port is None:
                        continue
                    try:
                        await port.sock.sendto(port.sender.packet(frame), port.dest)
                        port.sent += 1
                    except (OSError, trio.ClosedResourceError):
                        pass
                due = await _tick(due)


async def _tick(due: float) -> float:
    due += STEP
    now = trio.current_time()
    if due < now - BEHIND_LIMIT:
        due = now  # fell far behind (a busy host): skip ahead, do not burst
    await trio.sleep_until(due)
    return due
