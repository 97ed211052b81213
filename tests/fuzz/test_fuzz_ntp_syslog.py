"""NTP replies and syslog lines from anywhere: the codecs and the router's judge take any bytes.

The contract: `wire.ntp.decode` raises NtpError and nothing else; `NtpState.receive` answers
every datagram with None (used) or the reason it was refused, never an exception, and a clock it
refused is untouched; the event log takes any text and its datagram encoder any line.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from fuzz_support import FUZZ, mutated
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.router.clock import Clock
from cucme_lab.router.eventlog import EventLog, severity_of
from cucme_lab.router.ntp import NtpAuth, NtpState
from cucme_lab.wire import ntp, syslog

SERVER = IPv4Address("10.1.1.1")
GOOD = ntp.encode(ntp.NtpPacket(mode=ntp.MODE_SERVER, stratum=2, transmit=ntp.to_ntp(2e9)))
SEEDS = [GOOD, GOOD + b"\0\0\0\1" + bytes(16), GOOD + b"\0\0\0\0"]


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(SEEDS)))
def test_ntp_decode_raises_only_ntp_error(data):
    try:
        ntp.decode(data)
    except ntp.NtpError:
        pass


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(SEEDS)), st.booleans())
def test_the_judge_never_raises_and_a_refused_answer_leaves_the_clock(data, authenticate):
    state, clock = NtpState(), Clock.unset()
    assoc = state.association(SERVER)
    state.request(assoc, clock, None)
    before = clock.offset
    auth = NtpAuth(authenticate, {1: b"k"}, frozenset({1}))
    why = state.receive(assoc, data, clock, auth, 1, False, 0.0)
    if why is not None:
        assert clock.offset == before and not clock.synced
    else:
        assert clock.synced


@FUZZ
@given(st.text(max_size=300), st.integers(0, 23), st.integers(0, 7), st.integers(0, 2**40))
def test_any_line_logs_and_encodes(text, facility, severity, sequence):
    log = EventLog(Clock())
    line = log.log(text)
    assert line.endswith(text)
    assert 0 <= severity_of(text) <= 7
    datagram = syslog.encode(facility, severity, sequence, "Jan  1 00:00:00.000", text)
    assert len(datagram) <= syslog.MAX_DATAGRAM
    assert syslog.decode_pri(datagram) == (facility, severity)
