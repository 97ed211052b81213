"""The one gate every listener's connections pass before a byte is read: interface ACLs.

`filtered(lab, binding, handler)` wraps a service's per-connection handler (a trio stream or a
bare socket, as netio's listeners give): the peer's and the router's loopback addresses are
mapped back to configured ones and `router.ingress.admit` judges the flow with the inbound
ACL of the interface the peer arrives on. A refused connection is reset before any protocol
byte, the nearest a lab on sockets comes to a router dropping the SYN. Datagram services
(SNMP) call `admitted_datagram` for each datagram.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from cucme_lab.router.ingress import Flow, admit
from cucme_lab.services.guard import reset

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost
    from cucme_lab.services.manager import Binding

Conn = TypeVar("Conn")


def _flow(lab: ServiceHost, peer: tuple, local: tuple, port: int, proto: str) -> Flow:
    to_configured = lab.addresses.to_configured
    return Flow(to_configured(peer[0]), int(peer[1]), to_configured(local[0]), port, proto)


def admitted_socket(lab: ServiceHost, sock: Any, port: int, proto: str = "tcp") -> bool:
    """Whether an accepted connection may be served (False too when it is already gone)."""
    try:
        peer, local = sock.getpeername(), sock.getsockname()
    except OSError:
        return False
    return admit(lab.router, _flow(lab, peer, local, port, proto))


def admitted_datagram(lab: ServiceHost, peer: tuple, local: tuple, port: int) -> bool:
    return admit(lab.router, _flow(lab, peer, local, port, "udp"))


def filtered(lab: ServiceHost, binding: Binding,
             handler: Callable[[Conn], Awaitable[None]]) -> Callable[[Conn], Awaitable[None]]:
    """`handler`, run only for connections the arrival interface's ACL lets in."""
    port = binding.configured_port

    async def gate(conn: Conn) -> None:
        sock = conn.socket if isinstance(conn, trio.SocketStream) else conn
        if not admitted_socket(lab, sock, port):
            reset(sock)
            await trio.lowlevel.checkpoint()
            return
        await handler(conn)

    return gate
