"""The router's event log: syslog lines with IOS timestamps, kept for `show logging`.

Listeners (the console, vty sessions with `terminal monitor`) are told of each new line; the log
itself is a bounded buffer like `logging buffered`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cucme_lab.router.clock import Clock

Listener = Callable[[str], None]


@dataclass
class EventLog:
    clock: Clock
    capacity: int = 4096
    lines: deque[str] = field(default_factory=deque)
    listeners: list[Listener] = field(default_factory=list)
    logged: int = 0

    def log(self, message: str) -> str:
        """Record `%FAC-SEV-MNEMONIC: text` with a timestamp and tell every listener."""
        line = f"{self.clock.log_stamp()}: {message}"
        self.lines.append(line)
        while len(self.lines) > self.capacity:
            self.lines.popleft()
        self.logged += 1
        for listener in list(self.listeners):
            listener(line)
        return line

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def contains(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)
