"""What keeps one client from taking a service down: fault containment and connection caps.

`contained` runs one connection's work so that an exception in it ends that connection only:
it is logged with its traceback (Python logging) and with one line in the router's log, and
the service goes on accepting. `ConnectionCap` bounds how many connections a listener holds,
in all and from one peer address, so a client opening sockets without end runs out of its own
share and not the router's descriptors. IOS has no command for these caps on SCCP; the limits
are the lab's, generous enough for the fleets the benchmarks register (docs/robustness.md).
"""

from __future__ import annotations

import logging
import socket
import struct
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import trio

if TYPE_CHECKING:
    from cucme_lab.router.eventlog import EventLog

log = logging.getLogger(__name__)

REFUSAL_LOG_INTERVAL = 10.0  # seconds between two log lines about refused connections


def reset(sock: Any) -> None:
    """Close with an RST (SO_LINGER 0), as a router refusing a connection does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def describe(exc: BaseException) -> str:
    """`Type: text` of the exception that started it (the first leaf of a group), shortened."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = " ".join(str(exc).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def contained(event_log: EventLog, service: str, peer: str,
                    work: Callable[[], Awaitable[None]],
                    cleanup: Callable[[], Awaitable[None]] | None = None) -> None:
    """Run one connection's `work`; an exception ends this connection only, logged.

    Cancellation passes through (the service is stopping). `cleanup` (closing the socket)
    runs after a fault, shielded and bounded, so a half-set-up connection does not linger.
    """
    try:
        await work()
    except Exception as exc:
        log.error("%s: connection from %s ended by an internal error", service, peer,
                  exc_info=exc)
        # [U] lab wording: IOS logs no such line (its process would have faulted instead)
        event_log.log(f"%SYS-3-CONN_FAULT: {service} connection from {peer} closed after an "
                      f"internal error: {describe(exc)}")
        if cleanup is not None:
            with trio.CancelScope(shield=True), trio.move_on_after(1):
                try:
                    await cleanup()
                except Exception:  # closing a broken connection may fail too: it is gone
                    pass


@dataclass
class ConnectionCap:
    """How many connections one listener holds: at most `total`, at most `per_peer` from one
    address. `admit` counts a connection in (or refuses it), `release` out; refusals are
    counted and logged at most once per REFUSAL_LOG_INTERVAL with the number since."""

    service: str
    total: int
    per_peer: int
    event_log: EventLog | None = None
    open: int = 0
    by_peer: Counter[str] = field(default_factory=Counter)
    refused: int = 0  # every refusal since the listener started
    _unlogged: int = 0
    _logged_at: float = float("-inf")

    def admit(self, peer: str) -> bool:
        if self.open >= self.total:
            self._refuse(peer, f"{self.open} connections open (limit {self.total})")
            return False
        if self.by_peer[peer] >= self.per_peer:
            self._refuse(peer, f"{self.by_peer[peer]} connections from that address "
                               f"(limit {self.per_peer})")
            return False
        self.open += 1
        self.by_peer[peer] += 1
        return True

    def release(self, peer: str) -> None:
        self.open -= 1
        left = self.by_peer[peer] - 1
        if left > 0:
            self.by_peer[peer] = left
        else:
            del self.by_peer[peer]  # the table holds only peers with connections open

    def _refuse(self, peer: str, why: str) -> None:
        self.refused += 1
        self._unlogged += 1
        now = trio.current_time()
        if now - self._logged_at < REFUSAL_LOG_INTERVAL:
            return
        more = f" ({self._unlogged - 1} more refused since the last report)" \
            if self._unlogged > 1 else ""
        self._logged_at, self._unlogged = now, 0
        log.warning("%s: connection from %s refused: %s", self.service, peer, why)
        if self.event_log is not None:
            # [U] lab wording: IOS has no such cap on SCCP, hence no message of its own
            self.event_log.log(f"%SYS-4-CONN_LIMIT: {self.service} connection from {peer} "
                               f"refused: {why}{more}")
