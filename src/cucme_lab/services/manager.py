"""Starts and stops the router's network services as its configuration changes.

Each service declares which sockets the configuration asks for (`wanted`), and how to serve one
(`serve`). The manager compares what is wanted with what runs whenever the router reports a
change, starting each missing service in its own cancel scope and cancelling those no longer
wanted, so `no ip http server` really closes port 80. Every service task lives in the manager's
nursery; a service that fails to bind is logged and retried on the next change.

Nothing a service does ends the manager, the other services or the phones: an exception from a
running service (or one failing on its way up, for a reason other than its socket) is logged,
with its traceback, as IOS reports a process that died, and that service alone starts again
after a pause that doubles from RESTART_FIRST up to RESTART_MAX, back to RESTART_FIRST once an
instance has stayed up RESTART_RESET seconds. A service's `task_status.started()` reaches the
manager once, however many instances report it.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import trio

if TYPE_CHECKING:
    from cucme_lab.router.addresses import AddressMap
    from cucme_lab.services.host import ServiceHost

log = logging.getLogger(__name__)

STOP_WAIT = 5.0  # seconds a restarted service waits for its old instance to let go
RESTART_FIRST = 0.1  # seconds before a crashed service starts again, doubled at each crash
RESTART_MAX = 5.0  # the longest pause between two starts of a crashing service
RESTART_RESET = 30.0  # an instance up this long was healthy: the next pause is the first again
TRACEBACK_FRAMES = 8  # innermost frames named in the log's -Traceback= line


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

    def client_ends(self, plan: AddressMap) -> tuple[str, tuple[str, int]]:
        """For a binding that sends (syslog, NTP): where its socket binds, the loopback
        address of its `source` option (else 127.0.0.1), and where its configured destination
        stands."""
        source = self.option("source")
        return (plan.to_loopback(source) if source else "127.0.0.1",
                (plan.to_loopback(self.configured_address), plan.port(self.configured_port)))


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
    restarts: int = 0  # instances that ended with an exception and were started again


_pids = itertools.count(100)  # the "pid" a log line gives each service instance, as IOS does


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
        self.write_manifest()

    async def _start(self, nursery: trio.Nursery, service: Service, binding: Binding) -> None:
        running = _Running(trio.CancelScope())
        self.running[binding] = running

        async def guarded(task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            outer = _Once(task_status)
            with running.scope:
                await self._supervise(service, binding, running, outer)
            outer.started()  # (cancelled before it started: the manager must not wait)
            running.stopped.set()  # (cancelled or not: the scope above absorbs its own cancel)
            if self.running.get(binding) is running:
                del self.running[binding]
                self.write_manifest()

        await nursery.start(guarded)

    async def _supervise(self, service: Service, binding: Binding, running: _Running,
                         outer: _Once) -> None:
        """Run `service` on `binding`, again after each crash, until cancelled or it ends."""
        delay = RESTART_FIRST
        while True:
            reporter = _Reporter(self, binding, running, outer)
            began = trio.current_time()
            pid = next(_pids)
            try:
                await service.serve(self.lab, binding, task_status=reporter)
                return  # it ended by itself (no credentials, say): the next change may retry
            except OSError as exc:
                if running.scope.cancel_called:
                    return
                if not reporter.reported:  # its socket: the address is taken or not there
                    self.lab.router.log.log(
                        f"%SYS-3-SOCKET_BIND: {binding.service} cannot listen on "
                        f"{binding.configured_address}:{binding.configured_port}: "
                        f"{exc.strerror or exc}")  # [U] lab wording
                    log.warning("service %s on %s:%s failed: %s", binding.service,
                                binding.configured_address, binding.configured_port, exc)
                    return  # retried on the next change
                failure: Exception = exc
            except Exception as exc:
                if running.scope.cancel_called:
                    return  # it failed while being stopped: nothing to start again
                failure = exc
            if trio.current_time() - began >= RESTART_RESET:
                delay = RESTART_FIRST
            self._crashed(binding, running, failure, pid, delay)
            outer.started()  # the manager goes on; this service comes back on its own
            await trio.sleep(delay)
            delay = min(delay * 2, RESTART_MAX)
            running.restarts += 1

    def _crashed(self, binding: Binding, running: _Running, exc: BaseException, pid: int,
                 delay: float) -> None:
        """Log a service instance that ended with an exception, as IOS logs a process fault:
        the message, then `-Process=` and `-Traceback=` lines (here: file:line of Python)."""
        log.error("service %s on %s:%s crashed; restarting in %g s", binding.service,
                  binding.configured_address, binding.configured_port, delay, exc_info=exc)
        if running.entry is not None:
            running.entry = None
            self.write_manifest()  # not listening until it is back
        where = f"{binding.configured_address}:{binding.configured_port}"
        # [U] IOS 12.4 has no process restart; the text is the lab's, the -Process= and
        # -Traceback= lines follow IOS's traceback reports.
        self.lab.router.log.log(
            f"%SYS-3-PROC_RESTART: Process \"{binding.service}\" ({where}) terminated "
            f"abnormally: {_describe(exc)}; restarting in {delay:g} seconds\n"
            f"-Process= \"{binding.service}\", level= 0, pid= {pid}\n"
            f"-Traceback= {_frames(exc)}")

    def write_manifest(self) -> None:
        """Record the services in `lab.json`; a failed write (disk full) costs the file's
        freshness, not the lab: the next change writes it again."""
        try:
            self.lab.write_manifest()
        except Exception:
            log.exception("cannot write the lab manifest")

    def entries(self) -> list[ServiceEntry]:
        return [r.entry for r in self.running.values() if r.entry is not None]


def _innermost(exc: BaseException) -> BaseException:
    """The exception that started it: the first leaf of (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    leaf = _innermost(exc)
    text = str(leaf).replace("\n", " ")
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(leaf).__name__}: {text}" if text else type(leaf).__name__


def _frames(exc: BaseException) -> str:
    """file:line of the innermost frames where it was raised, outermost first."""
    summary = traceback.extract_tb(_innermost(exc).__traceback__)[-TRACEBACK_FRAMES:]
    return " ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in summary)


class _Once:
    """A task status whose `started()` passes on the first call only: a service restarted
    after a crash reports again, and trio allows one report per task."""

    def __init__(self, outer: trio.TaskStatus[None]) -> None:
        self.outer, self.done = outer, False

    def started(self) -> None:
        if not self.done:
            self.done = True
            self.outer.started()


class _Reporter:
    """Turns a service's `task_status.started((addr, port))` into a manifest entry."""

    def __init__(self, manager: ServiceManager, binding: Binding, running: _Running,
                 outer: _Once) -> None:
        self.manager, self.binding, self.running, self.outer = manager, binding, running, outer
        self.reported = False

    def started(self, value: tuple[str, int] | None = None) -> None:
        if self.reported:
            raise RuntimeError("started() called twice by one service instance")
        self.reported = True
        if value is not None:
            b = self.binding
            self.running.entry = ServiceEntry(b.service, b.configured_address, b.configured_port,
                                              value[0], value[1], b.transport)
        if self.outer.done:  # a restarted instance: the manager is not waiting, tell the lab
            self.manager.write_manifest()
        self.outer.started()
