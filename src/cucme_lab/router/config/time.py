"""Time lines of the root block as typed settings: `clock summer-time` and NTP's keys.

`clock summer-time ZONE recurring [rule]` or `date START END`, with IOS's rules: no rule given
means the United States' (second Sunday in March 2:00 to first Sunday in November 2:00, one
hour). NTP: `ntp authenticate`, `ntp authentication-key N md5 KEY` (shown type 7, as IOS),
`ntp trusted-key N`, `ntp source INTERFACE`, `ntp logging`. The servers (`ntp server`) are in
`system.py`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from cucme_lab.router import passwords
from cucme_lab.router.config.model import ConfigBlock, line

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


class RecurringPoint(NamedTuple):
    """`2 Sun Mar 2:00`: the week of the month (1-4, or 5 for `last`), weekday, month, time."""

    week: int
    weekday: int  # 0 Monday .. 6 Sunday
    month: int  # 1..12
    minutes: int  # from midnight

    def on(self, year: int) -> datetime:
        days = calendar.monthrange(year, self.month)[1]
        candidates = [d for d in range(1, days + 1)
                      if calendar.weekday(year, self.month, d) == self.weekday]
        day = candidates[-1] if self.week >= 5 else candidates[self.week - 1]
        return datetime(year, self.month, day) + timedelta(minutes=self.minutes)

    def text(self) -> str:
        week = "last" if self.week >= 5 else str(self.week)
        h, m = divmod(self.minutes, 60)
        return f"{week} {WEEKDAYS[self.weekday]} {MONTH_NAMES[self.month - 1]} {h}:{m:02d}"


US_START = RecurringPoint(2, 6, 3, 120)
US_END = RecurringPoint(1, 6, 11, 120)


class SummerTime(NamedTuple):
    """`clock summer-time ZONE recurring|date ...`: when the summer zone is in force.

    `start`/`end` are RecurringPoints (recurring) or naive datetimes (date), in local standard
    time at the start and local summer time at the end, as IOS reads them.
    """

    zone: str
    recurring: bool
    start: RecurringPoint | datetime
    end: RecurringPoint | datetime
    offset: int = 60  # minutes added in summer
    rule_typed: bool = False  # the line named its rule (else the US rule, printed bare)

    def active(self, standard_local: datetime) -> bool:
        """Is summer time in force at this local standard time (naive)?"""
        if self.recurring:
            year = standard_local.year
            start = self.start.on(year)  # type: ignore[union-attr]
            end = self.end.on(year) - timedelta(minutes=self.offset)  # type: ignore[union-attr]
        else:
            start = self.start  # type: ignore[assignment]
            end = self.end - timedelta(minutes=self.offset)  # type: ignore[operator]
        if start <= end:
            return start <= standard_local < end
        return standard_local >= start or standard_local < end  # southern hemisphere

    def render(self) -> str:
        if self.recurring:
            if not self.rule_typed:
                return f"clock summer-time {self.zone} recurring"
            extra = f" {self.offset}" if self.offset != 60 else ""
            return (f"clock summer-time {self.zone} recurring {self.start.text()} "  # type: ignore[union-attr]
                    f"{self.end.text()}{extra}")  # type: ignore[union-attr]
        extra = f" {self.offset}" if self.offset != 60 else ""
        return (f"clock summer-time {self.zone} date {_date_text(self.start)} "  # type: ignore[arg-type]
                f"{_date_text(self.end)}{extra}")  # type: ignore[arg-type]


def _date_text(when: datetime) -> str:
    """`Mar 30 2025 2:00`, the order IOS prints a `date` rule in. [M]"""
    return f"{MONTH_NAMES[when.month - 1]} {when.day} {when.year} {when.hour}:{when.minute:02d}"


class NtpKey(NamedTuple):
    """`ntp authentication-key N md5 KEY`: IOS keeps and shows it type 7."""

    key_id: int
    secret: str  # clear

    def render(self) -> str:
        hidden = passwords.type7_encode(self.secret, 0)
        return f"ntp authentication-key {self.key_id} md5 {hidden} 7"


def _keys_lines(keys: tuple[NtpKey, ...]) -> list[str]:
    return [k.render() for k in sorted(keys)]


def _flag(text: str):
    return lambda on: text if on else None


@dataclass(eq=False)
class TimeSettings(ConfigBlock):
    """Summer time and the NTP client's authentication, source and logging."""

    clock_summer_time: SummerTime | None = line("clock summer-time", SummerTime.render)
    ntp_keys: tuple[NtpKey, ...] = line("ntp authentication-key", _keys_lines, default=())
    ntp_authenticate: bool = line("ntp authenticate", _flag("ntp authenticate"), default=False)
    ntp_trusted_keys: tuple[int, ...] = line(
        "ntp trusted-key", lambda ks: [f"ntp trusted-key {k}" for k in sorted(ks)], default=())
    ntp_logging: bool = line("ntp logging", _flag("ntp logging"), default=False)
    ntp_source: str | None = line("ntp source")

    def ntp_key(self, key_id: int | None) -> bytes | None:
        for key in self.ntp_keys:
            if key.key_id == key_id:
                return key.secret.encode()
        return None
