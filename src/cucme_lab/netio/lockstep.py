"""A lock-step UDP exchange (TFTP's): send, wait for an answer, resend on silence.

The protocol is a machine the caller gives (`LockstepMachine`: the request, what each
datagram asks to send, the last datagram to resend, the result); this module owns only the
socket, the timer and the retry count, so it knows nothing of TFTP.
"""

from __future__ import annotations

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
    """Drive `machine` against `server` until it has a result; its errors pass through."""
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        await sock.bind((bind_host or "0.0.0.0", 0))
        await sock.sendto(machine.request, server)
        silent = 0
        while machine.result is None:
            with trio.move_on_after(timeout) as scope:
                data, sender = await sock.recvfrom(65536)
            if scope.cancelled_caught:
                silent += 1
                if silent > retries:
                    raise LockstepTimeout(f"no answer from {server[0]}:{server[1]}")
                await sock.sendto(machine.last, machine.destination(server))
                continue
            reply = machine.receive(data, sender[:2], server)
            if reply.send is not None:
                await sock.sendto(reply.send, reply.to)
            if reply.progressed:
                silent = 0
        return machine.result
