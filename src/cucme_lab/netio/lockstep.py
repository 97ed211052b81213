"""A lock-step UDP exchange (TFTP's): send, wait for an answer, resend on silence.

The protocol is a machine the caller gives (`LockstepMachine`: the request, what each
datagram asks to send, the last datagram to resend, the result); this module owns only the
socket, the timer and the retry count, so it knows nothing of TFTP.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Protocol

import trio

Address = tuple[str, int]


class LockstepMachine(Protocol):
    result: Any
    last: bytes

    @property
    def request(self) -> bytes: ...

    def destination(self, server: Address) -> Address: ...

    def receive(self, data: bytes, sender: Address, server: Address) -> Any:
        """A reply with `send`, `to` and `progressed`."""
        ...


class LockstepTimeout(Exception):
    """The peer stayed silent through every retry."""


async def run_lockstep(machine: LockstepMachine, server: Address, *, bind_host: str = "",
                       timeout: float = 1.0, retries: int = 5) -> Any:
    """Drive `machine` against `server` until it has a result; its errors pass through.

    A plain non-blocking socket waited on through trio, not a trio socket: a trio socket
    resolves the address again at every sendto and wraps every call, which was a tenth of a
    phone's TFTP cost in a fleet booting a thousand phones."""
    server = await _resolved(server)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.setblocking(False)
        sock.bind((bind_host or "0.0.0.0", 0))
        await _sendto(sock, machine.request, server)
        silent = 0
        while machine.result is None:
            with trio.move_on_after(timeout) as scope:
                data, sender = await _recvfrom(sock)
            if scope.cancelled_caught:
                silent += 1
                if silent > retries:
                    raise LockstepTimeout(f"no answer from {server[0]}:{server[1]}")
                await _sendto(sock, machine.last, machine.destination(server))
                continue
            reply = machine.receive(data, sender[:2], server)
            if reply.send is not None:
                await _sendto(sock, reply.send, reply.to)
            if reply.progressed:
                silent = 0
        return machine.result


async def _resolved(server: Address) -> Address:
    """`server` with a numeric host (a name is looked up once, off the event loop)."""
    host, port = server
    try:
        ipaddress.IPv4Address(host)
        return server
    except ValueError:
        infos = await trio.socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
        return infos[0][4][0], port


async def _sendto(sock: socket.socket, data: bytes, to: Address) -> None:
    while True:
        try:
            sock.sendto(data, to)
            return
        except BlockingIOError:
            await trio.lowlevel.wait_writable(sock)


async def _recvfrom(sock: socket.socket) -> tuple[bytes, Address]:
    await trio.lowlevel.checkpoint_if_cancelled()
    while True:
        try:
            return sock.recvfrom(65536)
        except BlockingIOError:
            await trio.lowlevel.wait_readable(sock)
