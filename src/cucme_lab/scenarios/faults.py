"""Faults a scenario injects, each through the path the real fault takes.

- **stop-service**: the service's task is cancelled by the router's service manager, exactly as
  when the configuration stops wanting it, so its socket really closes and nothing answers
  (a crashed process). The manager is told the service wants no sockets until the fault is
  cleared; no flag is checked anywhere else.
- **drop-traffic**: the phone's packets to the router go into a black hole: new connections
  reach a listener on loopback that accepts and never answers (TCP) or swallows datagrams
  (TFTP), so the phone's own timeouts fire; on a connection already open the phone's
  `PhoneNetwork.blocked` flag makes both directions vanish, so keepalives go unanswered.
- **skew-clock** / **unset-clock**: the router's clock moves (`Clock.skew`), or goes back to the
  calendar of a router whose clock was never set (1 March 2002, not authoritative).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import trio

from cucme_lab.router.clock import UNSET_EPOCH

SETTLE_TIMEOUT = 5.0


class StoppedService:
    """Stands in for a service in the manager's list while the service is down."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.name = service.name

    def wanted(self, lab: Any) -> list:
        return []

    async def serve(self, lab: Any, binding: Any, task_status: Any) -> None:  # never called
        task_status.started()


async def stop_service(manager: Any, name: str) -> str:
    """Take a service down; returns what was seen (the sockets that closed)."""
    closed = [f"{b.configured_address}:{b.configured_port}/{b.transport}"
              for b in manager.running if b.service == name]
    for i, service in enumerate(manager.services):
        if service.name == name and not isinstance(service, StoppedService):
            manager.services[i] = StoppedService(service)
    manager.poke()
    with trio.move_on_after(SETTLE_TIMEOUT):
        while any(b.service == name for b in manager.running):
            await trio.sleep(0.01)
    return (f"{name} stopped; closed {', '.join(closed)}" if closed
            else f"{name} stopped (it was not listening)")


async def start_service(manager: Any, name: str) -> str:
    for i, service in enumerate(manager.services):
        if isinstance(service, StoppedService) and service.name == name:
            manager.services[i] = service.service
    manager.poke()
    with trio.move_on_after(SETTLE_TIMEOUT):
        while not any(b.service == name for b in manager.running) and \
                any(s.name == name for s in manager.wanted().values()):
            await trio.sleep(0.01)
    bound = [f"{b.configured_address}:{b.configured_port}/{b.transport}"
             for b in manager.running if b.service == name]
    return (f"{name} running again on {', '.join(bound)}" if bound
            else f"{name} allowed again (the configuration does not ask for it)")


@dataclass
class BlackHole:
    """A loopback address where packets vanish: TCP accepted and never answered, UDP eaten."""

    host: str = "127.0.0.1"
    tcp_port: int = 0
    udp_port: int = 0
    _held: list[Any] = field(default_factory=list)

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host=self.host)
        self.tcp_port = listeners[0].socket.getsockname()[1]
        udp = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        await udp.bind((self.host, 0))
        self.udp_port = udp.getsockname()[1]
        task_status.started()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._accept, listeners[0])
                while True:
                    await udp.recvfrom(65536)  # swallowed
        finally:
            udp.close()
            for stream in self._held:
                stream.socket.close()
            for listener in listeners:
                listener.socket.close()

    async def _accept(self, listener: trio.SocketListener) -> None:
        while True:
            stream = await listener.accept()
            self._held.append(stream)  # never read, never answered


@dataclass
class TrafficDrops:
    """Phones whose traffic with the router is dropped, and how to put them back."""

    hole: BlackHole
    saved: dict[str, tuple] = field(default_factory=dict)

    def drop(self, phone: Any) -> str:
        net = phone.network
        if phone.mac not in self.saved:
            self.saved[phone.mac] = (net.tftp, net.route)
        hole = self.hole
        net.tftp = lambda: (hole.host, hole.udp_port)
        net.route = lambda address, port: (hole.host, hole.tcp_port)
        net.blocked = True
        return f"{phone.device_name}: traffic to and from the router dropped"

    def restore(self, phone: Any) -> str:
        saved = self.saved.pop(phone.mac, None)
        if saved is None:
            return f"{phone.device_name}: its traffic was not dropped"
        phone.network.tftp, phone.network.route = saved
        phone.network.blocked = False
        return f"{phone.device_name}: traffic with the router flows again"


def skew_clock(router: Any, seconds: float) -> str:
    router.clock.skew(seconds)
    return f"router clock skewed {seconds:+g}s, now {router.clock.show_clock()}"


def unset_clock(router: Any) -> str:
    import time

    router.clock.offset = UNSET_EPOCH.timestamp() - time.time()
    router.clock.authoritative = False
    router.clock.synced = False
    return f"router clock unset, now {router.clock.show_clock()}"
