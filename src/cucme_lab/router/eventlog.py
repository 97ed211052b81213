"""The router's event log: syslog lines with IOS timestamps, kept for `show logging`.

Every `%FAC-SEV-MNEMONIC` line goes through `EventLog.log`, which reads its severity (the digit)
and sends it where the logging configuration (`router/config/logging.py`) says: the buffer
(`logging buffered [SIZE] [LEVEL]`), the console and `terminal monitor` sessions (`logging
console|monitor LEVEL`), and one bounded outbox per syslog host (`logging HOST`, `logging
trap`), which the syslog service drains. An outbox that is full (a host the service cannot
keep up with, or no service running) drops the line and counts it, as IOS's `messages dropped`:
logging never blocks nor grows without bound.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.clock import Clock
from cucme_lab.router.config.logging import DEFAULT_TIMESTAMPS, LoggingSettings, Severity

Listener = Callable[[str], None]
SEVERITY = re.compile(r"%[A-Z0-9_]+-([0-7])-")
OUTBOX_LIMIT = 1024  # lines waiting for one syslog host before new ones are dropped


def severity_of(message: str) -> int:
    """The digit of `%FAC-SEV-MNEMONIC`; a line without one (debug output) is debugging."""
    m = SEVERITY.search(message, 0, 64)
    return int(m.group(1)) if m else Severity.DEBUGGING


class SyslogRecord(NamedTuple):
    """One line for a syslog host: what the datagram is made of (see `wire/syslog.py`)."""

    severity: int
    sequence: int
    stamp: str
    message: str
    service_sequence: bool  # `service sequence-numbers`: the number again before the stamp


@dataclass
class SyslogOutbox:
    """Lines for one syslog host, waiting for the syslog service; bounded."""

    limit: int = OUTBOX_LIMIT
    queue: deque[SyslogRecord] = field(default_factory=deque)
    dropped: int = 0
    sent: int = 0
    wake: Callable[[], None] | None = None  # the service's: something to send

    def offer(self, record: SyslogRecord) -> None:
        if len(self.queue) >= self.limit:
            self.dropped += 1
            return
        self.queue.append(record)
        if self.wake is not None:
            self.wake()


@dataclass
class LogCounters:
    """`show logging`'s counters: messages logged per destination."""

    console: int = 0
    monitor: int = 0
    buffer: int = 0
    trap: int = 0


def _no_settings() -> LoggingSettings | None:
    return None


def uptime_stamp(seconds: float) -> str:
    """IOS's `uptime` stamp: `00:00:46` under a day, `1d02h` under a week, then `1w2d`."""
    s = int(seconds)
    days, rest = divmod(s, 86400)
    if days >= 7:
        return f"{days // 7}w{days % 7}d"
    if days:
        return f"{days}d{rest // 3600:02d}h"
    return f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


@dataclass
class EventLog:
    clock: Clock
    capacity: int = 4096  # lines kept at most, whatever the buffer's size in bytes
    lines: deque[str] = field(default_factory=deque)
    listeners: list[Listener] = field(default_factory=list)
    logged: int = 0
    settings: Callable[[], LoggingSettings | None] = field(default=_no_settings, repr=False)
    uptime: Callable[[], float] = field(default=lambda: 0.0, repr=False)  # seconds since boot
    counters: LogCounters = field(default_factory=LogCounters)
    outboxes: dict[IPv4Address, SyslogOutbox] = field(default_factory=dict)
    sequence: int = 0
    # whether the line being told to listeners is for the console and for monitor sessions
    to_console: bool = True
    to_monitor: bool = True
    _buffer_bytes: int = 0

    def log(self, message: str) -> str:
        """Record `%FAC-SEV-MNEMONIC: text` with a timestamp and send it where it goes."""
        settings = self.settings()
        severity = severity_of(message)
        self.sequence += 1
        stamp = self._stamp(settings, severity == Severity.DEBUGGING and
                            not message.startswith("%"))
        numbered = settings is not None and settings.sequence_numbers
        line = f"{stamp}: {message}" if stamp else message
        if numbered:
            line = f"{self.sequence:06d}: {line}"
        self.logged += 1
        if settings is None:
            self._buffer(line, None)
            self.to_console = self.to_monitor = True
        else:
            buffer = settings.buffer
            if buffer.enabled and severity <= buffer.threshold:
                self._buffer(line, buffer.bytes if settings.logging_buffered else None)
            console, monitor = settings.console, settings.monitor
            self.to_console = console.enabled and severity <= console.level
            self.to_monitor = monitor.enabled and severity <= monitor.level
            self.counters.console += self.to_console
            self.counters.monitor += self.to_monitor
            if settings.logging_hosts and severity <= settings.trap:
                self.counters.trap += 1
                record = SyslogRecord(severity, self.sequence, stamp, message, numbered)
                for host in settings.logging_hosts:
                    self.outbox(host).offer(record)
        for listener in list(self.listeners):
            listener(line)
        return line

    def _stamp(self, settings: LoggingSettings | None, debug: bool) -> str:
        """The stamp `service timestamps log` (or `debug`, for a debug line) asks for."""
        if settings is None:
            return self.clock.log_stamp()
        ts = settings.timestamps_debug if debug else settings.timestamps_log
        if ts is DEFAULT_TIMESTAMPS or ts == DEFAULT_TIMESTAMPS:
            return self.clock.log_stamp()
        if ts.kind == "none":
            return ""
        if ts.kind == "uptime":
            return uptime_stamp(self.uptime())
        return self.clock.log_stamp(ts.msec, ts.year, ts.show_timezone)

    def _buffer(self, line: str, size: int | None) -> None:
        self.lines.append(line)
        self.counters.buffer += 1
        self._buffer_bytes += len(line) + 1
        while len(self.lines) > self.capacity or (
                size is not None and self._buffer_bytes > size and len(self.lines) > 1):
            self._buffer_bytes -= len(self.lines.popleft()) + 1

    def outbox(self, host: IPv4Address) -> SyslogOutbox:
        box = self.outboxes.get(host)
        if box is None:
            box = self.outboxes[host] = SyslogOutbox()
        return box

    @property
    def dropped(self) -> int:
        return sum(box.dropped for box in self.outboxes.values())

    def clear(self) -> None:
        """`clear logging`: the buffer empties; the counters stay."""
        self.lines.clear()
        self._buffer_bytes = 0

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def contains(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)
