"""The router clock's log stamp (`service timestamps log datetime msec`), which reuses the text
of its second: it must read as the stamp built from the time itself, whatever changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cucme_lab.router import clock as clock_module
from cucme_lab.router.clock import MONTHS, Clock


def _expected(c: Clock, host: float) -> str:
    t = datetime.fromtimestamp(host + c.offset, tz=UTC) + timedelta(minutes=c.tz_offset_minutes)
    return (f"{c.marker}{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}."
            f"{t.microsecond // 1000:03d}")


@pytest.mark.parametrize("host", [
    1_700_000_000.0, 1_700_000_000.1234, 1_700_000_000.9994, 1_700_000_000.9999996,
    1_700_000_001.0005, 1_700_086_399.999, 1_700_086_400.0])
def test_log_stamp_reads_as_the_time_it_stands_for(monkeypatch, host):
    c = Clock()
    monkeypatch.setattr(clock_module.time, "time", lambda: host)
    assert c.log_stamp() == _expected(c, host)


def test_log_stamp_follows_the_clock_being_set_and_its_zone(monkeypatch):
    now = [1_700_000_000.25]
    monkeypatch.setattr(clock_module.time, "time", lambda: now[0])
    c = Clock.unset()
    assert c.log_stamp() == _expected(c, now[0])
    assert c.log_stamp().startswith("*Mar  1 00:00:")
    c.set_local(datetime(2024, 6, 3, 10, 5, 1, 644000))  # same host second: marker and time
    assert c.log_stamp() == "Jun  3 10:05:01.644"  # set by hand, no NTP: authoritative
    c.ntp_configured = lambda: True  # NTP configured, not synchronised: `.`
    assert c.log_stamp() == ".Jun  3 10:05:01.644"
    c.synced = True  # NTP: the same second, now without a marker
    assert c.log_stamp() == "Jun  3 10:05:01.644"
    c.tz_offset_minutes = 60
    assert c.log_stamp() == "Jun  3 11:05:01.644"
    now[0] += 1.5
    assert c.log_stamp() == _expected(c, now[0])


def test_the_marker_is_ios_s_for_each_state_of_the_clock():
    """`*` not authoritative, `.` NTP configured but not synchronised, none otherwise."""
    c = Clock.unset()
    ntp = [False]
    c.ntp_configured = lambda: ntp[0]
    assert c.marker == "*" and c.show_clock().startswith("*")
    ntp[0] = True
    assert c.marker == "*"  # never set: NTP configured or not
    c.set_local(datetime(2024, 6, 3, 10, 5, 1))
    assert c.marker == "."
    ntp[0] = False
    assert c.marker == "" and c.show_clock()[0].isdigit()
