"""What the SSH and telnet services share: where they listen and who they let in.

Both listen on each address of the router (every interface with an `ip address` that is not
shut down), at the IOS port or the lab's offset. A new connection is judged before a byte of
protocol is spoken: a vty line must be free and accept the protocol (`transport input`), and
the line's `access-class` must permit the client's configured address. A refused connection is
reset, which is what a client of a real router sees.

Both bound a session's traffic alike (docs/robustness.md): the shell's input waits, as TCP
does, while INPUT_CHUNKS chunks are untaken, and a client that leaves more than OUTPUT_LIMIT
bytes of the shell's output unread is disconnected (`output_overflow`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import trio

from cucme_lab.router import access as ra
from cucme_lab.router.config.interfaces import up_addresses
from cucme_lab.services import ingress
from cucme_lab.services.guard import contained, reset
from cucme_lab.services.manager import Binding

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

INPUT_CHUNKS = 64  # chunks read from a client and not yet taken by the shell
OUTPUT_LIMIT = 4 * 1024 * 1024  # bytes of the shell's output a client has not taken


def output_overflow(router: Any, protocol: str, peer: str) -> None:
    """Log why a session that stopped reading its output was dropped."""
    router.log.log(f"%{protocol.upper()}-4-OUTPUT: {protocol} client {peer} left more than "
                   f"{OUTPUT_LIMIT} bytes unread: disconnected")  # [U]


def router_addresses(router: Any) -> list[str]:
    """The configured addresses the router answers on."""
    return [str(addr) for addr in up_addresses(router.config)]


def bindings(lab: ServiceHost, service: str, port: int) -> list[Binding]:
    return [Binding(service, addr, port) for addr in router_addresses(lab.router)]


Handler = Callable[[trio.SocketStream, ra.VtyConnection], Awaitable[None]]


async def listen(lab: ServiceHost, binding: Binding, protocol: str, handler: Handler,
                 task_status: trio.TaskStatus[tuple[str, int]]) -> None:
    """Bind, report the bound address, then admit or refuse each connection."""
    host = lab.addresses.to_loopback(binding.configured_address)
    port = lab.addresses.port(binding.configured_port)
    listeners = await trio.open_tcp_listeners(port, host=host)
    task_status.started((host, port))

    async def on_connect(stream: trio.SocketStream) -> None:
        try:
            peer_host, peer_port = stream.socket.getpeername()[:2]
        except OSError:
            await stream.aclose()
            return
        peer = lab.addresses.to_configured(peer_host)
        admission = ra.admit(lab.router, protocol, peer, peer_port,
                             binding.configured_address)
        if admission.conn is None:
            reset(stream.socket)
            return
        conn = admission.conn
        try:
            # A fault in one session (a handler bug a client's input reaches) ends that
            # session, logged, and not the listener with every other session on it.
            await contained(lab.router.log, protocol, peer, lambda: handler(stream, conn),
                            stream.aclose)
        finally:
            lab.router.vty.release(conn)

    await trio.serve_listeners(ingress.filtered(lab, binding, on_connect), listeners)
