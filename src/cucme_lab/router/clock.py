"""The router's clock: host time plus an offset, and whether it was ever set.

The one place the time's marker comes from, for `show clock` and every log stamp alike. As
Cisco's `show clock` reference gives it: `*` the time is not authoritative (never set, not
synchronised), `.` authoritative but NTP is configured and not synchronised, nothing when
authoritative (set by `clock set` with no NTP configured, or synchronised). Certificates and
phone validity checks all read this clock, so an unset or skewed clock has its real effects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

UNSET_EPOCH = datetime(2002, 3, 1, 0, 0, 0, tzinfo=UTC)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Clock:
    """Router time = host time + offset. `authoritative` turns on once `clock set` or NTP ran;
    `ntp_configured` is asked of the configuration (the router gives it: `ntp server`)."""

    offset: float = 0.0
    authoritative: bool = False
    synced: bool = False
    ntp_configured: Callable[[], bool] = field(default=lambda: False, repr=False,
                                               compare=False)
    tz_name: str = "UTC"
    tz_offset_minutes: int = 0
    # `clock summer-time`: a `router.config.time.SummerTime`, or None
    summer: Any = field(default=None, repr=False, compare=False)
    _summer_minute: tuple[int | None, bool] = field(default=(None, False), init=False,
                                                     repr=False, compare=False)
    # the stamp of the last log line up to its seconds: a fleet's registrations log many
    # lines a second, and strftime is most of a stamp's cost
    _second_stamp: tuple[int | None, str, str] = field(default=(None, "", ""), init=False,
                                                       repr=False, compare=False)

    @classmethod
    def unset(cls) -> Clock:
        """A router without a calendar: boots at 1 March 2002, as old IOS routers do."""
        return cls(offset=UNSET_EPOCH.timestamp() - time.time())

    def now_utc(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset, tz=UTC)

    def now_local(self) -> datetime:
        return self.now_utc() + timedelta(minutes=self.offset_minutes_at(self.now_utc()))

    def in_summer(self, utc: datetime | float) -> bool:
        """Is `clock summer-time` in force at this instant (a datetime or a router epoch)?"""
        if self.summer is None:
            return False
        epoch = utc.timestamp() if isinstance(utc, datetime) else utc
        minute = int(epoch // 60)
        cached_minute, active = self._summer_minute
        if minute != cached_minute:
            standard = datetime.fromtimestamp(minute * 60 + self.tz_offset_minutes * 60, tz=UTC)
            active = self.summer.active(standard.replace(tzinfo=None))
            self._summer_minute = (minute, active)
        return active

    def offset_minutes_at(self, utc: datetime | float) -> int:
        """Minutes east of UTC at that instant: the zone's, plus summer time when in force."""
        if self.summer is not None and self.in_summer(utc):
            return self.tz_offset_minutes + self.summer.offset
        return self.tz_offset_minutes

    def zone_at(self, utc: datetime | float) -> str:
        return self.summer.zone if self.in_summer(utc) else self.tz_name

    def step(self, seconds: float) -> None:
        """NTP set the clock: it moves by `seconds` and is synchronised (authoritative)."""
        self.offset += seconds
        self.authoritative = True
        self.synced = True

    def set_local(self, when: datetime) -> None:
        """`clock set`: `when` is naive local time in the configured zone."""
        utc = when.replace(tzinfo=UTC) - timedelta(minutes=self.tz_offset_minutes)
        if self.summer is not None and self.in_summer(utc - timedelta(minutes=self.summer.offset)):
            utc -= timedelta(minutes=self.summer.offset)  # typed in summer time
        self.offset = utc.timestamp() - time.time()
        self.authoritative = True

    def skew(self, seconds: float) -> None:
        self.offset += seconds

    @property
    def marker(self) -> str:
        """`*` not authoritative, `.` NTP configured and not synchronised, else nothing."""
        if self.synced:
            return ""
        if not self.authoritative:
            return "*"
        return "." if self.ntp_configured() else ""

    def show_clock(self) -> str:
        """`*10:15:02.123 UTC Mon Jun 3 2024`."""
        utc = self.now_utc()
        t = utc + timedelta(minutes=self.offset_minutes_at(utc))
        return (f"{self.marker}{t:%H:%M:%S}.{t.microsecond // 1000:03d} {self.zone_at(utc)} "
                f"{DAYS[t.weekday()]} {MONTHS[t.month - 1]} {t.day} {t.year}")

    def log_stamp(self, msec: bool = True, year: bool = False, zone: bool = False) -> str:
        """`*Jun  3 10:05:01.644` as `service timestamps log datetime msec` prints it;
        without `msec` no milliseconds, with `year` the year after the day, with `zone` the
        zone's name after the time (`show-timezone`)."""
        if not msec or year or zone:
            return self._full_stamp(msec, year, zone)
        router_time = time.time() + self.offset
        local = router_time + self.offset_minutes_at(router_time) * 60
        second = int(local // 1)
        micro = round((local - second) * 1e6)  # as datetime rounds a timestamp
        if micro >= 1_000_000:
            second, micro = second + 1, 0
        marker = self.marker
        cached_second, cached_marker, text = self._second_stamp
        if second != cached_second or marker != cached_marker:
            t = datetime.fromtimestamp(second, tz=UTC)
            text = f"{marker}{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"
            self._second_stamp = (second, marker, text)
        return f"{text}.{micro // 1000:03d}"

    def _full_stamp(self, msec: bool, year: bool, zone: bool) -> str:
        utc = self.now_utc()
        t = utc + timedelta(minutes=self.offset_minutes_at(utc))
        text = f"{self.marker}{MONTHS[t.month - 1]} {t.day:2d}"
        text += f" {t.year}" if year else ""
        text += f" {t:%H:%M:%S}" + (f".{t.microsecond // 1000:03d}" if msec else "")
        return text + (f" {self.zone_at(utc)}" if zone else "")

    def config_stamp(self) -> str:
        """`10:15:02 UTC Mon Jun 3 2024`, used in `! Last configuration change at ...`."""
        utc = self.now_utc()
        t = utc + timedelta(minutes=self.offset_minutes_at(utc))
        return (f"{t:%H:%M:%S} {self.zone_at(utc)} {DAYS[t.weekday()]} {MONTHS[t.month - 1]} "
                f"{t.day} {t.year}")

    def cert_stamp(self, when: datetime) -> str:
        """`10:06:11 UTC Jun 3 2024`, the date form of `show crypto pki` outputs."""
        utc = when.astimezone(UTC)
        t = utc + timedelta(minutes=self.offset_minutes_at(utc))
        return f"{t:%H:%M:%S} {self.zone_at(utc)} {MONTHS[t.month - 1]} {t.day} {t.year}"

    def dir_stamp(self, epoch: float) -> str:
        """`Jun 3 2024 10:14:40 +00:00`, the date column of `dir`."""
        minutes = self.offset_minutes_at(epoch + self.offset)
        t = datetime.fromtimestamp(epoch + self.offset, tz=UTC) + timedelta(minutes=minutes)
        sign = "+" if minutes >= 0 else "-"
        hh, mm = divmod(abs(minutes), 60)
        return f"{MONTHS[t.month - 1]} {t.day} {t.year} {t:%H:%M:%S} {sign}{hh:02d}:{mm:02d}"
