"""Time: `clock summer-time`, the NTP client's lines, `show ntp status|associations`,
`show clock detail`.

Each line writes a typed attribute (`router/config/time.py`, `ntp_servers` in
`router/config/system.py`); the NTP service and the clock act on them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address

from cucme_lab.router.clock import DAYS, MONTHS, Clock
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.system import NtpServer
from cucme_lab.router.config.time import (
    US_END,
    US_START,
    WEEKDAYS,
    NtpKey,
    RecurringPoint,
    SummerTime,
)
from cucme_lab.router.ntp import NtpState, reference_stamp
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, typed_setting = DECLARED.command, DECLARED.typed_setting

USER = 1
HELP = {
    "summer-time": "Configure summer (daylight savings) time",
    "recurring": "Configure recurring summer time",
    "date": "Configure absolute summer time",
    "ntp": "Configure NTP",
    "server": "Configure NTP server",
    "key": "Configure peer authentication key",
    "prefer": "Prefer this peer when possible",
    "version": "Configure NTP version",
    "authenticate": "Authenticate time sources",
    "authentication-key": "Authentication key for trusted time sources",
    "md5": "MD5 authentication",
    "trusted-key": "Key numbers for trusted time sources",
    "source": "Configure interface for source address",
    "logging": "Enable NTP message logging",
    "<1-4294967295>": "Key number",
    "first": "First week of the month",
    "last": "Last week of the month",
    "<1-1440>": "Offset to add in minutes",
}  # [C] IOS 12.4's `ntp ?` and `clock summer-time WORD ?` wordings, as far as known
WEEK = "{<1-4>|first|last}"
RULE = (f"[{WEEK}:sw WEEKDAY:sd MONTH:sm HH:MM:st {WEEK}:ew WEEKDAY:ed MONTH:em HH:MM:et "
        "[<1-1440>:offset]]")


def _root(c: Ctx) -> RootConfig:
    config = c.router.config
    assert isinstance(config, RootConfig)
    return config


def _apply_summer(c: Ctx, summer: SummerTime | None) -> None:
    if summer is None:
        _root(c).reset_setting("clock_summer_time")
    else:
        _root(c).clock_summer_time = summer
    c.router.clock.summer = summer
    c.router.clock._summer_minute = (None, False)  # judge the next stamp afresh


def _week(value: str | int) -> int:
    return {"first": 1, "last": 5}.get(str(value), None) or int(value)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


@command("config", f"clock summer-time WORD:zone recurring {RULE}", help=HELP,
         no="clock summer-time")
def clock_summer_recurring(c: Ctx) -> None:
    if c.no or c.default:
        _apply_summer(c, None)
        return
    if c.arg("sw") is None:
        summer = SummerTime(c.args["zone"], True, US_START, US_END)
    else:
        start = RecurringPoint(_week(c.args["sw"]), WEEKDAYS.index(c.args["sd"]),
                               c.args["sm"], _minutes(c.args["st"]))
        end = RecurringPoint(_week(c.args["ew"]), WEEKDAYS.index(c.args["ed"]),
                             c.args["em"], _minutes(c.args["et"]))
        summer = SummerTime(c.args["zone"], True, start, end, c.arg("offset", 60), True)
    _apply_summer(c, summer)


def _when(c: Ctx, end: str) -> datetime | None:
    e = end
    try:
        h, m = (int(x) for x in c.args[f"{e}t"].split(":"))
        return datetime(c.args[f"{e}y"], c.args[f"{e}m"], c.args[f"{e}d"], h, m)
    except ValueError:
        return None


def _date_rule(c: Ctx) -> None:
    if c.no or c.default:
        _apply_summer(c, None)
        return
    start, end = _when(c, "s"), _when(c, "e")
    if start is None or end is None:
        c.out("% Invalid date")  # [M] a 31st of a 30-day month
        return
    _apply_summer(c, SummerTime(c.args["zone"], False, start, end, c.arg("offset", 60), True))


@command("config", "clock summer-time WORD:zone date MONTH:sm <1-31>:sd <1993-2035>:sy "
         "HH:MM:st MONTH:em <1-31>:ed <1993-2035>:ey HH:MM:et [<1-1440>:offset]", help=HELP,
         no="clock summer-time")
def clock_summer_date_mdy(c: Ctx) -> None:
    _date_rule(c)


@command("config", "clock summer-time WORD:zone date <1-31>:sd MONTH:sm <1993-2035>:sy "
         "HH:MM:st <1-31>:ed MONTH:em <1993-2035>:ey HH:MM:et [<1-1440>:offset]", help=HELP,
         no="clock summer-time")
def clock_summer_date_dmy(c: Ctx) -> None:
    _date_rule(c)


# --- NTP ----------------------------------------------------------------------------------------

@command("config", "ntp server A.B.C.D:addr [version <1-4>:version] [key <0-4294967295>:key] "
         "[prefer]", help=HELP,
         no="ntp server A.B.C.D:addr")
def ntp_server(c: Ctx) -> None:
    """One line per server; typing a server again replaces its line, `no` removes it."""
    root = _root(c)
    address = IPv4Address(c.args["addr"])
    others = tuple(s for s in root.ntp_servers if s.address != address)
    if c.no or c.default:
        root.ntp_servers = others
        return
    if address.is_multicast or address.is_unspecified or address.is_loopback:
        c.out("%NTP: Invalid server address")  # [M]
        return
    root.ntp_servers = (*others, NtpServer(address, bool(c.args.get("prefer")), c.arg("key"),
                                           c.arg("version")))


@command("config", "ntp authentication-key <1-4294967295>:id md5 WORD:secret [<0-7>:enc]",
         help=HELP, no="ntp authentication-key <1-4294967295>:id")
def ntp_authentication_key(c: Ctx) -> None:
    from cucme_lab.router import passwords

    root = _root(c)
    key_id = c.args["id"]
    others = tuple(k for k in root.ntp_keys if k.key_id != key_id)
    if c.no or c.default:
        root.ntp_keys = others
        return
    secret = c.args["secret"]
    if c.arg("enc") == 7:  # a saved configuration: the key as IOS shows it
        try:
            secret = passwords.type7_decode(secret)
        except ValueError:
            c.out(f"Invalid encrypted password: {secret}")  # as `password 7` refuses one
            return
    if len(secret) > 32:
        c.out("%NTP: Key too long")  # [M] IOS keys are at most 32 characters
        return
    root.ntp_keys = (*others, NtpKey(key_id, secret))


typed_setting("config", RootConfig, "ntp authenticate", "ntp_authenticate", lambda a: True,
              help=HELP)
typed_setting("config", RootConfig, "ntp logging", "ntp_logging", lambda a: True, help=HELP)
typed_setting("config", RootConfig, "ntp source INTERFACE:intf", "ntp_source", help=HELP,
              no="ntp source")


@command("config", "ntp trusted-key <1-4294967295>:id", help=HELP,
         no="ntp trusted-key <1-4294967295>:id")
def ntp_trusted_key(c: Ctx) -> None:
    root = _root(c)
    others = tuple(k for k in root.ntp_trusted_keys if k != c.args["id"])
    root.ntp_trusted_keys = others if (c.no or c.default) else (*others, c.args["id"])


# --- show ntp, show clock detail ----------------------------------------------------------------

SHOW_HELP = {"ntp": "Network time protocol", "status": "NTP status",
             "associations": "NTP associations", "detail": "Display detailed information"}


# [C] genieparser's IOS `show ntp status` fixtures; the figures not kept by the lab are IOS's
# nominal ones (250 Hz, precision 2**24)
@command("exec", "show ntp status", priv=USER, help=SHOW_HELP)
def show_ntp_status(c: Ctx) -> None:
    if not _root(c).ntp_servers:
        c.out("%NTP is not enabled.")  # [C] IOS with no NTP configured
        return
    ntp: NtpState = c.router.ntp
    clock = c.router.clock
    peer = ntp.associations.get(ntp.sys_peer) if ntp.sys_peer else None
    if peer is not None and clock.synced:
        c.out(f"Clock is synchronized, stratum {ntp.stratum}, reference is {peer.address}")
    else:
        c.out("Clock is unsynchronized, stratum 16, no reference clock")
    c.out("nominal freq is 250.0000 Hz, actual freq is 250.0000 Hz, precision is 2**24")
    if ntp.reference_time is not None:
        c.out(f"reference time is {reference_stamp(ntp.reference_time)} "
              f"({_local_text(clock, ntp.reference_time)})")
    else:
        c.out("reference time is 00000000.00000000 (00:00:00.000 UTC Mon Jan 1 1900)")
    offset = peer.offset_ms if peer is not None else 0.0
    c.out(f"clock offset is {offset:.4f} msec, root delay is {ntp.root_delay_ms:.2f} msec")
    disp = peer.dispersion_ms if peer is not None else 0.0
    c.out(f"root dispersion is {ntp.root_dispersion_ms:.2f} msec, peer dispersion is "
          f"{disp:.2f} msec")
    if ntp.last_update is not None:
        ago = int(time.monotonic() - ntp.last_update)
        c.out("loopfilter state is 'CTRL' (Normal Controlled Loop), drift is 0.000000000 s/s")
        c.out(f"system poll interval is 64, last update was {ago} sec ago.")


# [C] genieparser's IOS `show ntp associations` fixtures: columns and the legend
@command("exec", "show ntp associations", priv=USER, help=SHOW_HELP)
def show_ntp_associations(c: Ctx) -> None:
    servers = _root(c).ntp_servers
    if not servers:
        c.out("%NTP is not enabled.")  # [C] IOS with no NTP configured
        return
    ntp: NtpState = c.router.ntp
    c.out("")
    c.out("  address         ref clock       st   when   poll reach  delay  offset   disp")
    for server in servers:
        a = ntp.associations.get(server.address)
        mark = "*" if ntp.sys_peer == server.address and c.router.clock.synced else " "
        if a is None or not a.answered or not a.reach:
            c.out(f"{mark}~{str(server.address):<16}{'.INIT.':<16}16      -     64     0"
                  "  0.000   0.000 15937.")
            continue
        when = int(time.monotonic() - a.last_reply) if a.last_reply is not None else 0
        c.out(f"{mark}~{str(server.address):<16}{a.reference:<16}{a.stratum:>2}{when:>7}"
              f"{a.poll:>7}{a.reach:>6o} {a.delay_ms:>6.3f} {a.offset_ms:>7.3f}"
              f" {a.dispersion_ms:>6.3f}")  # (a space always: a step's offset is wide)
    c.out(" * sys.peer, # selected, + candidate, - outlyer, x falseticker, ~ configured")


@command("exec", "show clock detail", priv=USER, help=SHOW_HELP)
def show_clock_detail(c: Ctx) -> None:
    clock = c.router.clock
    c.out(clock.show_clock())
    if clock.synced:
        c.out("Time source is NTP")
    elif clock.authoritative:
        c.out("Time source is user configuration")
    else:
        c.out("No time source")
    summer = _root(c).clock_summer_time
    if summer is not None and summer.recurring:
        # [M] the form of IOS's lines from memory: the dates of this year, each in the zone
        # in force just before it
        year = clock.now_local().year
        start, end = summer.start.on(year), summer.end.on(year)
        c.out(f"Summer time starts {start:%H:%M:%S} {clock.tz_name} "
              f"{DAYS[start.weekday()]} {MONTHS[start.month - 1]} {start.day} {year}")
        c.out(f"Summer time ends {end:%H:%M:%S} {summer.zone} "
              f"{DAYS[end.weekday()]} {MONTHS[end.month - 1]} {end.day} {year}")


def _local_text(clock: Clock, epoch: float) -> str:
    """`13:21:23.769 PST Fri Nov 15 2019`, a router instant in its zone."""
    utc = datetime.fromtimestamp(epoch, tz=UTC)
    t = utc + timedelta(minutes=clock.offset_minutes_at(utc))
    return (f"{t:%H:%M:%S}.{t.microsecond // 1000:03d} {clock.zone_at(utc)} "
            f"{DAYS[t.weekday()]} {MONTHS[t.month - 1]} {t.day} {t.year}")
