"""Hold and Resume, transfer and the three-way conference, through the Stations with messages
alone (the router's media party is a fake that records what it was asked)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
import test_station_calls as base
from test_station_calls import Phone, S, connected_call, kinds, media_setup, secure_phones

from cucme_lab.router.telephony.calls import LegState
from cucme_lab.wire import sccp

configured, phones = base.configured, base.phones  # the fixtures
NO_KEY = S.MediaEncryptionKeyInfo()
SK = S.SoftKeyEventType


class FakeMedia:
    """calls.RouterMedia: what call control asked of the router's media party."""

    address = IPv4Address("10.1.1.1")

    def __init__(self) -> None:
        self.playing: dict[object, tuple] = {}
        self.bridged: dict[object, tuple] = {}
        self.released: list[object] = []
        self._port = 40000

    def play(self, owner, dest) -> None:
        self.playing[owner] = dest

    def join(self, bridge, owner, dest) -> int:
        self._port += 2
        self.bridged[owner] = (bridge, dest, self._port)
        return self._port

    def release(self, owner) -> None:
        self.released.append(owner)
        self.playing.pop(owner, None)
        self.bridged.pop(owner, None)


@pytest.fixture
def media(configured) -> FakeMedia:
    fake = FakeMedia()
    configured.phones.calls.attach_media(fake)
    return fake


def ack(phone: Phone, orc: sccp.OpenReceiveChannel, port: int) -> list:
    return phone.send(S.OpenReceiveChannelAck(0, IPv4Address(phone.station.peer_ip), port,
                                              orc.pass_thru_party_id, orc.call_reference))


def orcs(messages) -> list[sccp.OpenReceiveChannel]:
    return [m for m in messages if isinstance(m, S.OpenReceiveChannel)]


def infos(messages) -> list[int]:
    return [m.call_security_status for m in messages if isinstance(m, S.CallInfo)]


def soft(phone: Phone, event: int, line: int = 1) -> list:
    return phone.send(S.SoftKeyEvent(event, line, phone.leg(line).ref))


# ---- hold and resume -----------------------------------------------------------------------

def test_hold_plays_music_on_hold_not_secure_and_resume_brings_fresh_keys(configured, media):
    a, b, _ = secure_phones(configured)
    orc_a, orc_b, *_ = media_setup(a, b)
    out_a = soft(a, SK.HOLD)
    assert kinds(out_a) == ["CloseReceiveChannel", "StopMediaTransmission", "CallState",
                            "SelectSoftKeys", "DisplayPromptStatus"]
    assert out_a[2].call_state == S.CallStateCode.HOLD
    assert a.leg().state is LegState.HOLD
    held = b.pushed()
    assert kinds(held) == ["CloseReceiveChannel", "StopMediaTransmission", "CallInfo",
                           "OpenReceiveChannel"]
    assert infos(held) == [S.CallSecurityStatus.NOT_AUTHENTICATED]  # MOH is not secure
    (moh,) = orcs(held)
    assert moh.key_info == NO_KEY  # never SRTP
    assert ack(b, moh, 31000) == []
    assert media.playing == {b.leg(): (IPv4Address(b.station.peer_ip), 31000)}
    # Resume: MOH stops, both get a new channel with new keys, the lock again
    out_a = soft(a, SK.RESUME)
    back = b.pushed()
    assert b.leg() in media.released and not media.playing
    assert kinds(back)[0] == "CloseReceiveChannel"
    assert out_a[0].call_state == S.CallStateCode.CONNECTED
    assert infos(out_a) == infos(back) == [S.CallSecurityStatus.ENCRYPTED]
    new_a, new_b = orcs(out_a)[0], orcs(back)[0]
    assert new_a.key_info.algorithm_id == 1 and new_a.key_info.key != orc_a.key_info.key
    assert new_b.key_info.key not in (orc_a.key_info.key, orc_b.key_info.key)
    ack(a, new_a, 30010)
    ack(b, new_b, 30012)
    (smt_b,), (smt_a,) = b.pushed(), a.pushed()
    assert smt_a.key_info == new_b.key_info and smt_b.key_info == new_a.key_info


def test_hold_without_a_media_party_and_bad_hold_events(phones):
    a, b, c = phones
    connected_call(a, b)
    b.pushed()
    assert soft(b, SK.RESUME) == []  # not on hold
    out = soft(a, SK.HOLD)
    assert out[-1].name == "DisplayPromptStatus"
    held = b.pushed()
    assert kinds(held)[-1] == "CallInfo"  # no MOH source: silence, but non-secure shown
    assert soft(b, SK.HOLD) == []  # the other side holds the call already
    assert soft(a, SK.HOLD) == []  # already held


@pytest.mark.parametrize("who", ["holder", "held"])
def test_hanging_up_while_on_hold_ends_the_call_for_both(configured, media, who):
    a, b, _ = secure_phones(configured)
    media_setup(a, b)
    soft(a, SK.HOLD)
    (moh,) = orcs(b.pushed())
    ack(b, moh, 31000)
    hanger, other = (a, b) if who == "holder" else (b, a)
    hanger.send(S.OnHook(1, hanger.leg().ref))
    gone = other.pushed()
    assert S.CallStateCode.ON_HOOK in [m.call_state for m in gone if m.name == "CallState"]
    assert not a.station.legs and not b.station.legs and not configured.phones.calls.calls
    assert not media.playing


# ---- transfer ------------------------------------------------------------------------------

def test_blind_transfer_rings_the_third_party_from_the_held_one(phones, media):
    a, b, c = phones
    connected_call(a, b)
    b.pushed()
    first_ref = a.leg().ref
    out = soft(a, SK.TRANSFER)
    assert [m.call_state for m in out if m.name == "CallState"] == [
        S.CallStateCode.HOLD, S.CallStateCode.OFF_HOOK]  # held, then a new call on line 1
    assert a.leg().ref != first_ref and a.leg().held is not None
    (moh,) = orcs(b.pushed())
    ack(b, moh, 31000)
    for d in "70035":
        a.send(S.KeypadButton(int(d), 1, a.leg().ref))
    assert c.leg().state is LegState.RINGIN
    c.pushed()
    out = soft(a, SK.TRANSFER)  # before C answers: blind
    assert not a.station.legs
    assert b.leg().state is LegState.RINGOUT and not media.playing
    to_b, to_c = b.pushed(), c.pushed()
    assert S.CallStateCode.RING_OUT in [m.call_state for m in to_b if m.name == "CallState"]
    info = next(m for m in to_c if m.name == "CallInfo")
    assert info.calling_party == "7002"
    c.send(S.OffHook(1, c.leg().ref))
    assert b.leg().state is c.leg().state is LegState.CONNECTED
    assert b.leg().call is c.leg().call


def test_consultative_transfer_joins_the_two_with_fresh_keys(configured, media):
    a, b, c = secure_phones(configured)
    # make phone 3 encrypted too
    from test_station import ENCRYPTING_SUITE, cli
    from test_station_calls import IP3, MAC3
    cli(configured, "ephone 3", " device-security-mode encrypted", config=True)
    c.station.closed()
    c = Phone(configured, MAC3, IP3, ENCRYPTING_SUITE)
    media_setup(a, b)
    soft(a, SK.TRANSFER)
    b.pushed()
    for d in "70035":
        a.send(S.KeypadButton(int(d), 1, a.leg().ref))
    c.send(S.OffHook(1, c.pushed()[0].call_reference))
    a.pushed()
    assert a.leg().state is LegState.CONNECTED  # A talks with C
    soft(a, SK.TRANSFER)
    assert not a.station.legs
    to_b, to_c = b.pushed(), c.pushed()
    assert infos(to_b) == infos(to_c) == [S.CallSecurityStatus.ENCRYPTED]
    (ob,), (oc,) = orcs(to_b), orcs(to_c)
    assert ob.key_info.algorithm_id == oc.key_info.algorithm_id == 1
    ack(b, ob, 30100)
    ack(c, oc, 30102)
    (smt_c,), (smt_b,) = c.pushed(), b.pushed()
    assert smt_c.remote_port == 30100 and smt_b.remote_port == 30102
    assert smt_c.key_info == ob.key_info


def test_hanging_up_during_a_transfer_leaves_nothing_stuck(phones, media, configured):
    a, b, c = phones
    # the party consulted hangs up: the held call comes back to A's line, still held
    connected_call(a, b)
    b.pushed()
    soft(a, SK.TRANSFER)
    for d in "70035":
        a.send(S.KeypadButton(int(d), 1, a.leg().ref))
    c.send(S.OffHook(1, c.pushed()[0].call_reference))
    a.pushed()
    c.send(S.OnHook(1, c.leg().ref))
    back = a.pushed()
    assert [m.call_state for m in back if m.name == "CallState"][-1] == S.CallStateCode.HOLD
    assert a.leg().state is LegState.HOLD and a.leg().held is None
    soft(a, SK.RESUME)
    assert a.leg().state is b.leg().state is LegState.CONNECTED
    # the transferring phone hangs up mid-dialling: everyone on-hook
    soft(a, SK.TRANSFER)
    a.send(S.KeypadButton(7, 1, a.leg().ref))
    a.send(S.OnHook(1, a.leg().ref))
    assert not a.station.legs and not b.station.legs and not c.station.legs
    assert not configured.phones.calls.calls and not media.playing
    # the held party hangs up: the consultation goes on alone
    b.pushed()
    connected_call(a, b)
    b.pushed()
    soft(a, SK.TRANSFER)
    b.send(S.OnHook(1, b.leg().ref))
    assert a.leg().held is None and a.leg().state is LegState.OFFHOOK
    assert soft(a, SK.TRANSFER) == []  # nothing to transfer while dialling


# ---- conference ----------------------------------------------------------------------------

def test_conference_is_non_secure_and_a_leaving_party_returns_the_call_to_secure(
        configured, media):
    a, b, c = secure_phones(configured)  # A, B encrypted; C authenticated
    media_setup(a, b)
    soft(a, SK.CONFRN)
    b.pushed()
    for d in "70035":
        a.send(S.KeypadButton(int(d), 1, a.leg().ref))
    c.send(S.OffHook(1, c.pushed()[0].call_reference))
    a.pushed()
    out_a = soft(a, SK.CONFRN)
    to_b, to_c = b.pushed(), c.pushed()
    for phone, msgs, port in ((a, out_a, 30200), (b, to_b, 30202), (c, to_c, 30204)):
        assert infos(msgs) == [S.CallSecurityStatus.NOT_AUTHENTICATED]
        (orc,) = orcs(msgs)
        assert orc.key_info == NO_KEY  # plain RTP to the router's mixer
        (smt,) = ack(phone, orc, port)
        assert smt.remote_ip == media.address and smt.key_info == NO_KEY
        assert smt.remote_port == media.bridged[phone.leg()][2]
    assert len({v[0] for v in media.bridged.values()}) == 1  # one bridge
    # C leaves: A and B direct again, encrypted with fresh keys
    c.send(S.OnHook(1, c.leg().ref))
    assert not media.bridged
    to_a, to_b = a.pushed(), b.pushed()
    assert infos(to_a) == infos(to_b) == [S.CallSecurityStatus.ENCRYPTED]
    assert orcs(to_a)[0].key_info.algorithm_id == 1
    assert a.leg().call is b.leg().call and a.leg().conference is None
    assert not configured.phones.calls.conferences


def test_a_phone_vanishing_from_a_conference(phones, media, configured):
    a, b, c = phones
    connected_call(a, b)
    b.pushed()
    assert soft(a, SK.CONFRN)
    for d in "70035":
        a.send(S.KeypadButton(int(d), 1, a.leg().ref))
    c.send(S.OffHook(1, c.pushed()[0].call_reference))
    soft(a, SK.CONFRN)
    assert len(configured.phones.calls.conferences) == 1
    a.station.closed()  # the conference's host vanishes: B and C go on talking
    assert b.leg().call is c.leg().call is not None
    b.send(S.OnHook(1, b.leg().ref))
    assert not b.station.legs and not c.station.legs
    assert not configured.phones.calls.calls and not configured.phones.calls.conferences
