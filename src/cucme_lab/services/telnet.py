"""The telnet server on the router's addresses (port 23, or the lab's offset).

A thin adapter: telnet bytes are decoded by `wire.telnet`, the user's data goes to the
vty front end (the lab's, through the ServiceHost), and what the shell writes goes back escaped.

Both directions are bounded (`vty_listener`'s bounds). Input: the reader waits while the shell
has INPUT_CHUNKS chunks not yet taken, so a client typing (or pasting) faster than the shell
answers is held back by TCP, not buffered here. Output: the shell's writes cannot wait (its
`Link.send` is synchronous), so a client that leaves more than OUTPUT_LIMIT bytes unread is
disconnected and the router logs why, as a peer that stopped reading is on any listener here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import trio

from cucme_lab.router import access as ra
from cucme_lab.services import vty_listener
from cucme_lab.services.manager import Binding
from cucme_lab.services.vty_listener import bindings, listen
from cucme_lab.wire.telnet import TelnetCodec, escape

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

DRAIN_TIMEOUT = 2.0


class StreamLink:
    """A `Link` over a trio stream: writes are queued and sent by a writer task."""

    def __init__(self) -> None:
        self.input_send, self.input = trio.open_memory_channel[Any](
            vty_listener.INPUT_CHUNKS)
        self.out_send, self.out_receive = trio.open_memory_channel[bytes](math.inf)
        self.closed = False
        self.unsent = 0  # bytes queued for the client
        self.overflowed = False
        self.on_overflow: Callable[[], None] = lambda: None  # ends the connection

    def send(self, data: bytes) -> None:
        self.send_raw(escape(data))

    def send_raw(self, data: bytes) -> None:
        if self.closed or not data:
            return
        self.unsent += len(data)
        if self.unsent > vty_listener.OUTPUT_LIMIT:  # the client stopped reading: end it
            self.overflowed = True
            self.close()
            self.on_overflow()
            return
        self.out_send.send_nowait(data)

    def sent(self, count: int) -> None:
        self.unsent -= count

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.out_send.close()


class TelnetService:
    name = "telnet"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        return bindings(lab, "telnet", 23)

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        async def handler(stream: trio.SocketStream, conn: ra.VtyConnection) -> None:
            await serve_telnet(lab, stream, conn)

        await listen(lab, binding, "telnet", handler, task_status)


async def serve_telnet(lab: ServiceHost, stream: trio.SocketStream,
                       conn: ra.VtyConnection) -> None:
    codec = TelnetCodec()
    link = StreamLink()

    async def reader() -> None:
        try:
            while True:
                data = await stream.receive_some(4096)
                if not data:
                    break
                user, reply = codec.receive(data)
                link.send_raw(reply)
                events, codec.events[:] = list(codec.events), []
                for event in events:
                    await link.input_send.send(("window", event.width, event.height))
                if user:
                    await link.input_send.send(user)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            link.input_send.close()

    async def writer() -> None:
        try:
            async for chunk in link.out_receive:
                await stream.send_all(chunk)
                link.sent(len(chunk))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async with stream:
        async with trio.open_nursery() as nursery:
            link.on_overflow = nursery.cancel_scope.cancel  # the shell's session ends too
            link.send_raw(codec.greeting())
            nursery.start_soon(reader)
            writer_done = trio.Event()

            async def write_then_signal() -> None:
                try:
                    await writer()
                finally:
                    writer_done.set()

            nursery.start_soon(write_then_signal)
            try:
                await lab.vty_frontend.serve(lab.router, conn, link)
            finally:
                link.close()
                if link.overflowed:
                    vty_listener.output_overflow(lab.router, "telnet", conn.peer)
                with trio.move_on_after(DRAIN_TIMEOUT) as drain:
                    drain.shield = True
                    await writer_done.wait()
                nursery.cancel_scope.cancel()
