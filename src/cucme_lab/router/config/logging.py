"""The logging lines of the root block as typed settings: where each log line goes.

`logging buffered`, `logging console`, `logging monitor`, `logging trap`, `logging facility`,
`logging source-interface`, `logging HOST`, `service sequence-numbers` and `service
timestamps`. The event log (`router/eventlog.py`) reads these attributes for every line it
records; the syslog service reads the hosts, the facility and the source interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line


class Severity(IntEnum):
    """IOS's eight levels: the digit of `%FAC-SEV-MNEMONIC`, and the names the commands take."""

    EMERGENCIES = 0
    ALERTS = 1
    CRITICAL = 2
    ERRORS = 3
    WARNINGS = 4
    NOTIFICATIONS = 5
    INFORMATIONAL = 6
    DEBUGGING = 7

    @property
    def keyword(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, word: str) -> Severity:
        return cls[word.upper()]


# RFC 3164's facility codes, by the names `logging facility` takes
FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "sys9": 9, "sys10": 10, "sys11": 11, "sys12": 12, "sys13": 13,
    "sys14": 14, "cron": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}
DEFAULT_FACILITY = "local7"
DEFAULT_TRAP = Severity.INFORMATIONAL
DEFAULT_BUFFER_BYTES = 4096  # IOS 12.4's default `logging buffered` size


class Timestamps(NamedTuple):
    """`service timestamps log|debug datetime [msec] [localtime] [show-timezone] [year]`,
    `... uptime`, or `no service timestamps log|debug` (`kind` "none")."""

    kind: str = "datetime"  # "datetime", "uptime" or "none"
    msec: bool = True
    localtime: bool = False
    show_timezone: bool = False
    year: bool = False

    def render(self, which: str) -> str:
        if self.kind == "none":
            return f"no service timestamps {which}"
        if self.kind == "uptime":
            return f"service timestamps {which} uptime"
        words = [f"service timestamps {which} datetime"]
        words += [w for w, on in (("msec", self.msec), ("localtime", self.localtime),
                                  ("show-timezone", self.show_timezone), ("year", self.year))
                  if on]
        return " ".join(words)


DEFAULT_TIMESTAMPS = Timestamps()  # what a new router's configuration says, for both


class LogSink(NamedTuple):
    """`logging console|monitor [LEVEL]` or `no logging console|monitor`."""

    enabled: bool = True
    level: Severity = Severity.DEBUGGING


class BufferedLogging(NamedTuple):
    """`logging buffered [SIZE] [LEVEL]`: the buffer's size in bytes and its level."""

    size: int | None = None
    level: Severity | None = None
    enabled: bool = True

    @property
    def bytes(self) -> int:
        return self.size or DEFAULT_BUFFER_BYTES

    @property
    def threshold(self) -> Severity:
        return self.level if self.level is not None else Severity.DEBUGGING


DEFAULT_BUFFER = BufferedLogging()  # IOS's: enabled, level debugging, 4096 bytes
DEFAULT_SINK = LogSink()  # console and monitor: enabled, level debugging


def _sink_line(name: str):
    def render(sink: LogSink) -> str:
        if not sink.enabled:
            return f"no logging {name}"
        # [M] IOS leaves the default level (debugging) off the line
        if sink.level == Severity.DEBUGGING:
            return f"logging {name}"
        return f"logging {name} {sink.level.keyword}"
    return render


def _buffered_line(b: BufferedLogging) -> str:
    if not b.enabled:
        return "no logging buffered"
    words = ["logging buffered"]
    if b.size is not None:
        words.append(str(b.size))
    if b.level is not None and b.level != Severity.DEBUGGING:
        words.append(b.level.keyword)
    return " ".join(words)


def _hosts_lines(hosts: tuple[IPv4Address, ...]) -> list[str]:
    return [f"logging {h}" for h in hosts]  # IOS 12.4 prints `logging HOST` for both forms


@dataclass(eq=False)
class LoggingSettings(ConfigBlock):
    """Where log lines go: buffer, console, monitor sessions and syslog hosts, each by level."""

    timestamps_debug: Timestamps = line("service timestamps debug",
                                        lambda t: t.render("debug"),
                                        default=DEFAULT_TIMESTAMPS)
    timestamps_log: Timestamps = line("service timestamps log", lambda t: t.render("log"),
                                      default=DEFAULT_TIMESTAMPS)
    sequence_numbers: bool = line(
        "service sequence-numbers", lambda on: "service sequence-numbers" if on else None,
        default=False)
    logging_buffered: BufferedLogging | None = line("logging buffered", _buffered_line)
    logging_console: LogSink | None = line("logging console", _sink_line("console"))
    logging_monitor: LogSink | None = line("logging monitor", _sink_line("monitor"))
    logging_trap: Severity | None = line("logging trap",
                                         lambda s: f"logging trap {s.keyword}")
    logging_facility: str | None = line("logging facility")
    logging_source_interface: str | None = line("logging source-interface")
    logging_hosts: tuple[IPv4Address, ...] = line("logging host", _hosts_lines, default=())

    @property
    def buffer(self) -> BufferedLogging:
        return self.logging_buffered or DEFAULT_BUFFER

    @property
    def console(self) -> LogSink:
        return self.logging_console or DEFAULT_SINK

    @property
    def monitor(self) -> LogSink:
        return self.logging_monitor or DEFAULT_SINK

    @property
    def trap(self) -> Severity:
        return self.logging_trap if self.logging_trap is not None else DEFAULT_TRAP

    @property
    def facility(self) -> str:
        return self.logging_facility or DEFAULT_FACILITY
