"""After-hours call blocking, sans I/O (`telephony-service`: `after-hours block pattern`,
`after-hours day`, `after-hours date`).

A block pattern (digits and `.`, any digit) matches the dialled digits that start with it
(`.1900` blocks 9 1900 ...). A pattern with `7-24` blocks at all times; one without blocks only
inside the after-hours window. The window is the union of the `day` and `date` entries: from
START to STOP on that day, and when STOP is not after START, from START to midnight and from
midnight to STOP the next day (the chapter's `after-hours day Mon 19:00 07:00` is Monday
evening to Tuesday morning). Times are the router's local time (time zone and summer time).

The patterns are compiled into two regular expressions (always, window only) whose named groups
say which pattern matched; the window is a table of the week's 10,080 minutes, so a judgement
costs two regex matches and an index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cucme_lab.router.telephony.settings import WEEKDAYS, TelephonyService

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEK_MINUTES = 7 * 24 * 60
_PATTERN = re.compile(r"[0-9*#.]+")


def valid_block_pattern(text: str) -> bool:
    return bool(_PATTERN.fullmatch(text))


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _alternation(patterns: dict[int, str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    parts = [f"(?P<p{tag}>" + "".join("[0-9]" if c == "." else re.escape(c) for c in text) + ")"
             for tag, text in sorted(patterns.items())]
    return re.compile("|".join(parts))


@dataclass(frozen=True)
class AfterHours:
    always: re.Pattern[str] | None
    windowed: re.Pattern[str] | None
    week: bytes  # 1 for each minute of the week (Sunday 00:00 first) inside the window
    dates: tuple[tuple[int, int, int, int], ...]  # (month, day, start minute, stop minute)
    texts: dict[int, str]

    @classmethod
    def from_service(cls, ts: TelephonyService | None) -> AfterHours:
        if ts is None:
            return cls(None, None, bytes(WEEK_MINUTES), (), {})
        always = {t: p.pattern for t, p in ts.after_hours_patterns.items() if p.all_week}
        windowed = {t: p.pattern for t, p in ts.after_hours_patterns.items() if not p.all_week}
        week = bytearray(WEEK_MINUTES)
        for day, span in ts.after_hours_days.items():
            base = WEEKDAYS.index(day) * 1440
            start, stop = _minutes(span.start), _minutes(span.end)
            end = base + (stop if stop > start else 1440 + stop)
            for minute in range(base + start, end):
                week[minute % WEEK_MINUTES] = 1
        dates = tuple((MONTHS.index(d.month[:3].capitalize()) + 1, d.day, _minutes(d.start),
                       _minutes(d.end)) for d in ts.after_hours_dates.values())
        return cls(_alternation(always), _alternation(windowed), bytes(week), dates,
                   {t: p.pattern for t, p in ts.after_hours_patterns.items()})

    def in_window(self, now: datetime) -> bool:
        """Whether `now` (local time) is after hours."""
        weekday = (now.weekday() + 1) % 7  # Sunday first, as WEEKDAYS
        if self.week[weekday * 1440 + now.hour * 60 + now.minute]:
            return True
        minute = now.hour * 60 + now.minute
        yesterday = now - timedelta(days=1)
        for month, day, start, stop in self.dates:
            if (now.month, now.day) == (month, day) and (
                    start <= minute < stop or (stop <= start and minute >= start)):
                return True
            if (yesterday.month, yesterday.day) == (month, day) and stop <= start and \
                    minute < stop:
                return True
        return False

    def blocking(self, digits: str, now: datetime) -> int | None:
        """The tag of the pattern that blocks `digits` at `now`, or None."""
        if self.always is not None:
            m = self.always.match(digits)
            if m is not None and m.lastgroup:
                return int(m.lastgroup[1:])
        if self.windowed is not None:
            m = self.windowed.match(digits)
            if m is not None and m.lastgroup and self.in_window(now):
                return int(m.lastgroup[1:])
        return None
