"""Logging: `logging ...` lines, `service sequence-numbers`, `show logging`, `clear logging`.

Every line writes a typed attribute of `router/config/logging.py`; the event log and the syslog
service act on them.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from cucme_lab.router.config.logging import (
    DEFAULT_BUFFER_BYTES,
    FACILITIES,
    BufferedLogging,
    LoggingSettings,
    LogSink,
    Severity,
    Timestamps,
)
from cucme_lab.router.config.root import RootConfig
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, typed_setting = DECLARED.command, DECLARED.typed_setting

USER = 1
LEVEL = "{<0-7>|emergencies|alerts|critical|errors|warnings|notifications|informational|" \
        "debugging}:level"
# [C] IOS 12.4's `logging console ?`
LEVEL_HELP = {
    "<0-7>": "Logging severity level",
    "alerts": "Immediate action needed           (severity=1)",
    "critical": "Critical conditions               (severity=2)",
    "debugging": "Debugging messages                (severity=7)",
    "emergencies": "System is unusable                (severity=0)",
    "errors": "Error conditions                  (severity=3)",
    "informational": "Informational messages            (severity=6)",
    "notifications": "Normal but significant conditions (severity=5)",
    "warnings": "Warning conditions                (severity=4)",
}
HELP = {
    "logging": "Modify message logging facilities",
    "buffered": "Set buffered logging parameters",
    "console": "Set console logging parameters",
    "monitor": "Set terminal line (monitor) logging parameters",
    "trap": "Set syslog server logging level",
    "facility": "Facility parameter for syslog messages",
    "source-interface": "Specify interface for source address in logging transactions",
    "host": "Set syslog server IP address and parameters",
    "A.B.C.D": "IP address of the logging host",
    "<4096-2147483647>": "Logging buffer size",
    "sequence-numbers": "Stamp logger messages with a sequence number",
    **LEVEL_HELP,
}


def level_of(value: str | int | None, default: Severity = Severity.DEBUGGING) -> Severity:
    if value is None:
        return default
    if isinstance(value, int) or value.isdigit():
        return Severity(int(value))
    return Severity.named(value)


def _root(c: Ctx) -> LoggingSettings:
    config = c.router.config
    assert isinstance(config, LoggingSettings)
    return config


typed_setting("config", RootConfig, "service sequence-numbers", "sequence_numbers",
              lambda a: True, help=HELP)


@command("config", f"logging buffered [<4096-2147483647>:size] [{LEVEL}]", help=HELP)
def logging_buffered(c: Ctx) -> None:
    root = _root(c)
    if c.default:
        root.reset_setting("logging_buffered")
    elif c.no:
        root.logging_buffered = BufferedLogging(enabled=False)
    else:
        level = c.arg("level")
        root.logging_buffered = BufferedLogging(
            c.arg("size"), None if level is None else level_of(level))


def _sink(c: Ctx, attr: str) -> None:
    root = _root(c)
    if c.default:
        root.reset_setting(attr)
    elif c.no:
        setattr(root, attr, LogSink(enabled=False))
    else:
        setattr(root, attr, LogSink(True, level_of(c.arg("level"))))


@command("config", f"logging console [{LEVEL}]", help=HELP)
def logging_console(c: Ctx) -> None:
    _sink(c, "logging_console")


@command("config", f"logging monitor [{LEVEL}]", help=HELP)
def logging_monitor(c: Ctx) -> None:
    _sink(c, "logging_monitor")


@command("config", f"logging trap [{LEVEL}]", help=HELP, no="logging trap")
def logging_trap(c: Ctx) -> None:
    root = _root(c)
    if c.no or c.default:
        root.reset_setting("logging_trap")
        return
    root.logging_trap = level_of(c.arg("level"), Severity.INFORMATIONAL)


FACILITY = "{" + "|".join(sorted(FACILITIES)) + "}:facility"
typed_setting("config", RootConfig, f"logging facility {FACILITY}", "logging_facility",
              help=HELP, no="logging facility")
typed_setting("config", RootConfig, "logging source-interface INTERFACE:intf",
              "logging_source_interface", help=HELP, no="logging source-interface")


def _host(c: Ctx) -> None:
    root = _root(c)
    host = IPv4Address(c.args["host"])
    others = tuple(h for h in root.logging_hosts if h != host)
    if c.no or c.default:
        if host in root.logging_hosts:  # [C] the same message as at the start
            c.log(f"%SYS-6-LOGGINGHOST_STARTSTOP: Logging to host {host} port 514 stopped - "
                  "CLI initiated")
        root.logging_hosts = others
        return
    if host.is_multicast or host.is_unspecified or host == IPv4Address("255.255.255.255"):
        c.out("% Invalid IP address")  # [M] wording for a host that cannot be one
        return
    if host not in root.logging_hosts:
        root.logging_hosts = (*root.logging_hosts, host)
        # [C] IOS 12.4(24)T and later announce a new host
        c.log(f"%SYS-6-LOGGINGHOST_STARTSTOP: Logging to host {host} port 514 started - "
              "CLI initiated")


@command("config", "logging A.B.C.D:host", help=HELP, no="logging A.B.C.D:host")
def logging_address(c: Ctx) -> None:
    _host(c)


@command("config", "logging host A.B.C.D:host", help=HELP, no="logging host A.B.C.D:host")
def logging_host(c: Ctx) -> None:
    _host(c)


# --- show logging, clear logging -------------------------------------------------------------

def _sink_text(sink: LogSink) -> str:
    return f"level {sink.level.keyword}" if sink.enabled else "disabled"


# [M] IOS 12.4's layout from memory; ntc-templates' `show logging` parses it into records
@command("exec", "show logging", priv=USER,
         help={"logging": "Show the contents of logging buffers"})
def show_logging(c: Ctx) -> None:
    log, root = c.router.log, _root(c)
    n = log.counters
    c.out(f"Syslog logging: enabled ({log.dropped} messages dropped, 0 messages rate-limited,\n"
          "                0 flushes, 0 overruns, xml disabled, filtering disabled)")
    c.out("")
    c.out("No Active Message Discriminator.")
    c.out("")
    c.out("")
    c.out("")
    c.out("No Inactive Message Discriminator.")
    c.out("")
    c.out("")
    c.out(f"    Console logging: {_sink_text(root.console)}, {n.console} messages logged, "
          "xml disabled,")
    c.out("                     filtering disabled")
    c.out(f"    Monitor logging: {_sink_text(root.monitor)}, {n.monitor} messages logged, "
          "xml disabled,")
    c.out("                     filtering disabled")
    buffer = root.buffer
    buffer_state = f"level {buffer.threshold.keyword}" if buffer.enabled else "disabled"
    c.out(f"    Buffer logging:  {buffer_state}, {n.buffer} messages logged, xml disabled,")
    c.out("                    filtering disabled")
    c.out("    Logging Exception size (4096 bytes)")
    c.out("    Count and timestamp logging messages: disabled")
    c.out("    Persistent logging: disabled")
    c.out("")
    c.out("No active filter modules.")
    c.out("")
    c.out(f"    Trap logging: level {root.trap.keyword}, {n.trap} message lines logged")
    for host in root.logging_hosts:
        box = log.outbox(host)
        c.out(f"        Logging to {host}  (udp port 514, audit disabled,")
        c.out("              link up),")
        c.out(f"              {box.sent} message lines logged, ")
        c.out("              0 message lines rate-limited, ")
        c.out(f"              {box.dropped} message lines dropped-by-MD, ")
        c.out("              xml disabled, sequence number disabled")
        c.out("              filtering disabled")
    c.out("")
    size = buffer.bytes if root.logging_buffered else DEFAULT_BUFFER_BYTES
    c.out(f"Log Buffer ({size} bytes):")
    c.out("")
    for line in log.lines:
        c.out(line)


@command("exec", "clear logging", help={"clear": "Reset functions",
                                        "logging": "Clear logging buffer"})
async def clear_logging(c: Ctx) -> None:
    if await c.confirm("Clear logging buffer [confirm]"):
        c.router.log.clear()


# --- service timestamps ----------------------------------------------------------------------

TS_HELP = {"timestamps": "Timestamp debug/log messages",
           "debug": "Timestamp debug messages", "log": "Timestamp log messages",
           "datetime": "Timestamp with date and time", "uptime": "Timestamp with system uptime",
           "msec": "Include milliseconds in timestamp",
           "localtime": "Use local time zone for timestamps",
           "show-timezone": "Add time zone information to timestamp",
           "year": "Include year in timestamp"}  # [C] IOS 12.4's `service timestamps ?`


@command("config", "service timestamps [{debug|log}:which] [uptime]", help=TS_HELP,
         no="service timestamps [{debug|log}:which]")
def service_timestamps_uptime(c: Ctx) -> None:
    _timestamps(c, Timestamps("none") if c.no else Timestamps("uptime", False))


@command("config", "service timestamps {debug|log}:which datetime [msec] [localtime] "
         "[show-timezone] [year]", help=TS_HELP)
def service_timestamps_datetime(c: Ctx) -> None:
    a = c.args
    _timestamps(c, Timestamps("none") if c.no else Timestamps(
        "datetime", bool(a.get("msec")), bool(a.get("localtime")),
        bool(a.get("show-timezone")), bool(a.get("year"))))


def _timestamps(c: Ctx, value: Timestamps) -> None:
    """IOS's `service timestamps` alone (or without `debug|log`) means `debug uptime`."""
    root = _root(c)
    which = c.arg("which") or "debug"
    attr = "timestamps_debug" if which == "debug" else "timestamps_log"
    if c.default:
        root.reset_setting(attr)
    else:
        setattr(root, attr, value)
