"""`debug` flags and the lines they produce.

A subsystem asks `router.debug.on("capf-server messages")` before it writes a debug line with
`router.debug.emit(...)`; the line goes to the event log with the same timestamp a syslog line
gets, which is how IOS shows debug output on the console and in the log buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cucme_lab.router.eventlog import EventLog


@dataclass
class Debugging:
    log: EventLog
    flags: dict[str, str] = field(default_factory=dict)  # flag -> how `show debugging` names it

    def enable(self, flag: str, description: str) -> None:
        self.flags[flag] = description

    def disable(self, prefix: str | None = None) -> None:
        """`undebug all` (prefix None) or one area (`no debug capf-server`)."""
        for flag in [f for f in self.flags if prefix is None or f.startswith(prefix)]:
            del self.flags[flag]

    def on(self, flag: str) -> bool:
        """Is this flag, or an `all` flag of its area, set?"""
        if not self.flags:  # the usual case, asked at every message of every phone
            return False
        area = flag.split()[0]
        return flag in self.flags or f"{area} all" in self.flags

    def emit(self, flag: str, text: str) -> None:
        if self.on(flag):
            self.log.log(text)
