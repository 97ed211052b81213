"""The telnet server on the router's addresses (port 23, or the lab's offset).

A thin adapter: telnet bytes are decoded by `wire.telnet`, the user's data goes to the
vty front end (the lab's, through the ServiceHost), and what the shell writes goes back escaped.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import trio

from cucme_lab.router import access as ra
from cucme_lab.services.manager import Binding
from cucme_lab.services.vty_listener import bindings, listen
from cucme_lab.wire.telnet import TelnetCodec, escape

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

DRAIN_TIMEOUT = 2.0


class StreamLink:
    """A `Link` over a trio stream: writes are queued and sent by a writer task."""

    def __init__(self) -> None:
        self.input_send, self.input = trio.open_memory_channel[Any](math.inf)
        self.out_send, self.out_receive = trio.open_memory_channel[bytes](math.inf)
        self.closed = False

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.out_send.send_nowait(escape(data))

    def send_raw(self, data: bytes) -> None:
        if not self.closed and data:
            self.out_send.send_nowait(data)

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
                for event in codec.events:
                    link.input_send.send_nowait(("window", event.width, event.height))
                codec.events.clear()
                if user:
                    link.input_send.send_nowait(user)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            link.input_send.close()

    async def writer() -> None:
        try:
            async for chunk in link.out_receive:
                await stream.send_all(chunk)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async with stream:
        async with trio.open_nursery() as nursery:
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
                with trio.move_on_after(DRAIN_TIMEOUT) as drain:
                    drain.shield = True
                    await writer_done.wait()
                nursery.cancel_scope.cancel()
