"""The toll-fraud rules sans I/O: destination patterns, the pots table and the digits a voice
port sends, COR, after-hours windows, and the call history with its CDR text."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.telephony.afterhours import AfterHours
from cucme_lab.router.telephony.cor import CorTable
from cucme_lab.router.telephony.dialpeers import Pattern, PeerTable, valid_destination_pattern
from cucme_lab.router.telephony.history import CallHistory, Cause
from cucme_lab.router.telephony.settings import (
    WEEKDAYS,
    AfterHoursDate,
    AfterHoursDay,
    AfterHoursPattern,
    TelephonyService,
)
from cucme_lab.router.telephony.voice_config import DIAL_PEER, DialPeer

MONDAY = datetime(2024, 6, 3)  # 3 June 2024 was a Monday


def table(*peers: tuple) -> PeerTable:
    config = RootConfig(kind="root")
    for tag, pattern, prefix, extra in peers:
        block = config.section(DIAL_PEER, (tag,), f"dial-peer voice {tag} pots", DialPeer)
        block.destination_pattern, block.port, block.prefix = pattern, "1/0", prefix
        for name, value in extra.items():
            setattr(block, name, value)
    return PeerTable.from_config(config)


CHAPTER = table((9, "91.....", "1", {}), (911, "911", "911", {}), (11, "9011T", "011", {}),
                (732, "9732.....", "732", {}), (800, "91800.....", "1800", {}),
                (411, "9411", "411", {}))


@pytest.mark.parametrize(("pattern", "digits", "full", "more"), [
    ("91.....", "9123456", True, False), ("91.....", "912", False, True),
    ("9011T", "9011", True, True), ("9011T", "90114412345678", True, True),
    ("[2-9]...", "2345", True, False), ("[2-9]...", "1345", False, False),
    ("[^0]1", "51", True, False), ("1+2", "1112", True, False), ("1+2", "11", False, True),
    ("+4412", "4412", True, False), ("*8#", "*8#", True, False)])
def test_destination_patterns_match_as_ios_reads_them(pattern, digits, full, more):
    compiled = Pattern.compile(pattern)
    assert compiled.full(digits) is full
    assert compiled.could_extend(digits) is more


@pytest.mark.parametrize("text", ["", "T", "+", "9[", "9]", "12a", "9T1"])
def test_patterns_ios_refuses_are_refused(text):
    assert not valid_destination_pattern(text)


@pytest.mark.parametrize(("digits", "peer", "sent"), [
    ("9180055501", 800, "180055501"), ("973255512", 732, "73255512"),
    ("9411", 411, "411"), ("9123456", 9, "123456")])
def test_the_chapter_peers_strip_their_explicit_digits_and_add_the_prefix(digits, peer, sent):
    route = CHAPTER.route(digits)
    assert route.peer is not None and route.peer.tag == peer
    assert route.outpulse == sent


def test_digits_that_could_still_grow_wait_and_t_waits_for_the_end_of_dialling():
    assert CHAPTER.route("911").more and CHAPTER.route("911").peer is not None  # 91.....
    assert CHAPTER.route("911", final=True).peer.tag == 911
    assert CHAPTER.route("9011441234").peer is None  # T: until # or the timeout
    final = CHAPTER.route("9011441234", final=True)
    assert (final.peer.tag, final.outpulse) == (11, "011441234")
    assert CHAPTER.route("8").peer is None and not CHAPTER.route("8").more


def test_longest_explicit_match_then_preference_then_creation_order():
    peers = table((1, "9T", "", {}), (2, "91.......", "", {}),
                  (3, "9155.....", "", {"preference": 2}),
                  (4, "9155.....", "", {"preference": 1}))
    assert peers.route("915512345", final=True).peer.tag == 4
    assert peers.route("914412345", final=True).peer.tag == 2
    assert peers.route("9", final=True).peer.tag == 1


def test_forward_digits_and_no_digit_strip():
    peers = table((1, "9T", "", {"forward_digits": 4}), (2, "8T", "", {"forward_digits": "all"}),
                  (3, "7...", "55", {"digit_strip": False}),
                  (4, "6..", "", {"forward_digits": "extra"}))
    assert peers.route("912345678", final=True).outpulse == "5678"
    assert peers.route("8123", final=True).outpulse == "8123"
    assert peers.route("7123").outpulse == "557123"
    assert peers.route("612").outpulse == ""


def test_cor_passes_when_the_incoming_list_holds_every_outgoing_member():
    cor = CorTable({"user": frozenset({"911", "1800", "local-call", "ld-call"}),
                    "callint": frozenset({"int-call"}), "callld": frozenset({"ld-call"})})
    assert cor.judge("user", "callld").allowed
    refused = cor.judge("user", "callint")
    assert not refused.allowed and refused.missing == {"int-call"}
    assert cor.judge(None, "callint").allowed  # no incoming list: may call anything
    assert cor.judge("user", None).allowed  # no outgoing list: anyone may call it
    assert not cor.judge("undefined", "callld").allowed  # an undefined list has no members


def after_hours(**kwargs) -> AfterHours:
    ts = TelephonyService(kind="telephony-service")
    for name, value in kwargs.items():
        setattr(ts, name, value)
    return AfterHours.from_service(ts)


def test_after_hours_window_crosses_midnight_and_7_24_blocks_always():
    rules = after_hours(
        after_hours_patterns={2: AfterHoursPattern(".1264", True),
                              7: AfterHoursPattern("9011", False)},
        after_hours_days={day: AfterHoursDay("19:00", "07:00") for day in WEEKDAYS})
    noon, evening = MONDAY.replace(hour=12), MONDAY.replace(hour=20)
    early = MONDAY + timedelta(days=1, hours=6, minutes=59)
    assert rules.blocking("9011441234", noon) is None
    assert rules.blocking("9011441234", evening) == 7
    assert rules.blocking("9011441234", early) == 7
    assert rules.blocking("9011441234", early + timedelta(minutes=1)) is None
    assert rules.blocking("912645551234", noon) == 2
    assert rules.blocking("9126", noon) is None  # shorter than the pattern


def test_after_hours_dates_and_the_last_minute_of_a_whole_day():
    rules = after_hours(after_hours_patterns={1: AfterHoursPattern(".1900", False)},
                        after_hours_dates={("Dec", 25): AfterHoursDate("Dec", 25, "00:00",
                                                                       "00:00")})
    christmas = datetime(2024, 12, 25, 15, 0)
    assert rules.blocking("9190055", christmas) == 1
    assert rules.blocking("9190055", christmas + timedelta(days=1)) is None
    whole_days = after_hours(after_hours_patterns={1: AfterHoursPattern(".1900", False)},
                             after_hours_days={d: AfterHoursDay("00:00", "23:59")
                                               for d in WEEKDAYS})
    assert whole_days.blocking("9190055", MONDAY.replace(hour=23, minute=58)) == 1
    assert whole_days.blocking("9190055", MONDAY.replace(hour=23, minute=59)) is None


def history(settings=(15, 2, True)) -> tuple[CallHistory, list[str], list[datetime]]:
    log: list[str] = []
    clock = [datetime(2010, 12, 16, 10, 14, 59, 214000)]
    return CallHistory(now=lambda: clock[0], zone=lambda: "CET", uptime_ms=lambda: 1000,
                       log=log.append, settings=lambda: settings), log, clock


def test_a_cdr_carries_ios_fields_in_ios_order():
    calls, log, clock = history()
    connection = (0xCA5210B0, 0x82B11E0A, 0x142A279B, 0xD84410)
    calls.start("leg", 1, connection, "510", 20001, "50/0/1", originate=False)
    clock[0] += timedelta(milliseconds=80)
    calls.connected("leg")
    clock[0] += timedelta(seconds=51, milliseconds=600)
    calls.end("leg", Cause.NORMAL)
    assert log == [
        "%VOIPAAA-5-VOIP_CALL_HISTORY: CallLegType 1, ConnectionId CA5210B082B11E0A142A279BD84410,"
        " SetupTime 10:14:59.214 CET Thu Dec 16 2010, PeerAddress 510, PeerSubAddress , "
        "DisconnectCause 10  , DisconnectText normal call clearing (16), ConnectTime "
        "10:14:59.294 CET Thu Dec 16 2010, DisconnectTime 10:15:50.894 CET Thu Dec 16 2010, "
        "CallOrigin 1, ChargedUnits 0, InfoType 2, TransmitPackets 0, TransmitBytes 0, "
        "ReceivePackets 0, ReceiveBytes 0"]


def test_the_history_keeps_max_size_entries_for_retain_timer_minutes():
    calls, log, clock = history((15, 2, False))
    for n in range(3):
        calls.start(n, n, calls.new_connection(), str(n), 1, "1/0", originate=True)
        calls.end(n, Cause.REJECTED)
    assert [r.peer_address for r in calls.recent()] == ["1", "2"] and log == []
    clock[0] += timedelta(minutes=16)
    assert calls.recent() == []


def test_an_empty_digit_class_is_refused_and_never_matches():
    assert not valid_destination_pattern("9[9-1]..")
    assert not Pattern.compile("9[9-1]").full("95")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.T+[]^-*#", min_size=1, max_size=12),
       st.text(alphabet="0123456789*#", max_size=16))
def test_any_pattern_the_cli_accepts_compiles_and_routes_without_raising(pattern, digits):
    if not valid_destination_pattern(pattern):
        return
    peers = table((1, pattern, "9", {}))
    for final in (False, True):
        route = peers.route(digits, final=final)
        assert route.peer is None or route.outpulse.startswith("9")
