"""Starts and stops the router's network services as its configuration changes.

Each service declares which sockets the configuration asks for (`wanted`), and how to serve one
(`serve`). The manager compares what is wanted with what runs whenever the router reports a
change, starting each missing service in its own cancel scope and cancelling those no longer
wanted, so `no ip http server` really closes port 80. Every service task lives in the manager's
nursery; a service that fails to bind is logged and retried on the next change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import trio

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

log = logging.getLogger(__name__)

STOP_WAIT = 5.0  # seconds a restarted service waits for its old instance to let go


@dataclass
class ServiceEntry:
    """A service listening, as the manifest (`lab.json`) lists it."""

    name: str  # "tftp", "http", "capf", "sccp", "sccp-tls", "ssh", "telnet"
    configured_address: str
    configured_port: int
    bound_address: str
    bound_port: int
    transport: str = "tcp"


@dataclass(frozen=True)
class Binding:
    """One socket a service should have, in configured terms."""

    service: str
    configured_address: str
    configured_port: int
    transport: str = "tcp"
    options: tuple[tuple[str, Any], ...] = ()  # anything else that, when changed, means restart

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


class Service(Protocol):
    name: str

    def wanted(self, lab: ServiceHost) -> list[Binding]: ...

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        """Bind, report (loopback address, port) through task_status, then serve until cancelled."""


@dataclass
class _Running:
    scope: trio.CancelScope
    entry: ServiceEntry | None = None
    stopped: trio.Event = field(default_factory=trio.Event)  # its task has ended


@dataclass
class ServiceManager:
    lab: ServiceHost
    services: list[Service]
    running: dict[Binding, _Running] = field(default_factory=dict)
    on_change: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._wake = trio.Event()

    def poke(self) -> None:
        """Called (in the trio thread) whenever the router's configuration changed."""
        self._wake.set()

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            await self.reconcile(nursery)
            task_status.started()
            while True:
                await self._wake.wait()
                self._wake = trio.Event()
                await self.reconcile(nursery)

    def wanted(self) -> dict[Binding, Service]:
        result: dict[Binding, Service] = {}
        for service in self.services:
            try:
                for binding in service.wanted(self.lab):
                    result[binding] = service
            except Exception:  # a bad configuration must not stop the other services
                log.exception("service %s: cannot work out its sockets", service.name)
        return result

    async def reconcile(self, nursery: trio.Nursery) -> None:
        wanted = self.wanted()
        stopping = [self.running.pop(b) for b in list(self.running) if b not in wanted]
        for old in stopping:
            old.scope.cancel()
        # A restarted service binds the address its old instance still listens on until that
        # task has run its cleanup: wait for it (bounded), or the new bind finds it in use.
        with trio.move_on_after(STOP_WAIT):
            for old in stopping:
                await old.stopped.wait()
        for binding, service in wanted.items():
            if binding not in self.running:
                await self._start(nursery, service, binding)
        self.lab.write_manifest()

    async def _start(self, nursery: trio.Nursery, service: Service, binding: Binding) -> None:
        running = _Running(trio.CancelScope())
        self.running[binding] = running

        async def guarded(task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            with running.scope:
                try:
                    await service.serve(self.lab, binding, task_status=_Reporter(
                        self, binding, running, task_status))
                except OSError as exc:
                    self.lab.router.log.log(
                        f"%SYS-3-SOCKET_BIND: {binding.service} cannot listen on "
                        f"{binding.configured_address}:{binding.configured_port}: {exc.strerror}")
                    log.warning("service %s on %s:%s failed: %s", binding.service,
                                binding.configured_address, binding.configured_port, exc)
                    task_status.started()
                except Exception:
                    log.exception("service %s crashed", binding.service)
                    task_status.started()
            running.stopped.set()  # (cancelled or not: the scope above absorbs its own cancel)
            if self.running.get(binding) is running:
                del self.running[binding]
                self.lab.write_manifest()

        await nursery.start(guarded)

    def entries(self) -> list[ServiceEntry]:
        return [r.entry for r in self.running.values() if r.entry is not None]


class _Reporter:
    """Turns a service's `task_status.started((addr, port))` into a manifest entry."""

    def __init__(self, manager: ServiceManager, binding: Binding, running: _Running,
                 outer: trio.TaskStatus[None]) -> None:
        self.manager, self.binding, self.running, self.outer = manager, binding, running, outer

    def started(self, value: tuple[str, int] | None = None) -> None:
        if value is not None:
            b = self.binding
            self.running.entry = ServiceEntry(b.service, b.configured_address, b.configured_port,
                                              value[0], value[1], b.transport)
        self.outer.started()
