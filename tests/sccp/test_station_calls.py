"""Calls between phones, driven through the router's Stations with messages alone.

Two or three Stations on one router, each with the test Link standing in for its connection:
what a Station returns is what its phone gets in reply, what another phone's event pushed to
it lands in its Link. No socket, no event loop.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from test_station import ENCRYPTING_SUITE, NULL_SUITE, cli, connect, register, tls_peer

from cucme_lab.router.router import Router
from cucme_lab.router.telephony.calls import INTERDIGIT_SECONDS, LegState
from cucme_lab.router.telephony.station import Station
from cucme_lab.wire import sccp

MAC1, MAC2, MAC3 = "001122334455", "0011223344AA", "00AABBCCDDEE"
IP1, IP2, IP3 = "10.1.1.21", "10.1.1.22", "10.1.1.23"
TIME_SCALE = 0.02
CONFIG = """\
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
telephony-service
 ip source-address 10.1.1.1 port 2000
 max-ephones 10
 keepalive 10
 dialplan-pattern 1 27... extension-length 4
ephone-dn 1
 number 7001
 name Alice
ephone-dn 2
 number 7002
 name Bob
ephone-dn 3
 number 7003
ephone-dn 4
 number 70035
ephone 1
 mac-address 0011.2233.4455
 button 1:1 2:3
ephone 2
 mac-address 0011.2233.44AA
 button 1:2
ephone 3
 mac-address 00AA.BBCC.DDEE
 button 1:4
"""
S = sccp


@pytest.fixture
def configured(router: Router) -> Router:
    out = cli(router, *CONFIG.splitlines(), config=True)
    assert "% " not in out, out
    router.phones.time_scale = TIME_SCALE
    return router


class Phone:
    """A registered Station and what its phone has been sent (replies and pushes alike)."""

    def __init__(self, router: Router, mac: str, ip: str, cipher: str | None = None) -> None:
        tls = tls_peer(mac, cipher) if cipher else None
        self.station, self.link = connect(router, ip=ip, transport="TLS" if tls else "TCP",
                                          tls=tls)
        # the conversation as it went, (from the phone?, messages), for a capture
        self.events: list[tuple[bool, tuple]] = []
        self.send(register(mac, ip))
        assert self.station.reg is not None, router.log.lines()[-3:]
        self.link.written.clear()

    def send(self, message: sccp.SccpMessage) -> list:
        """What the phone gets back for `message`, as the reader writes it."""
        out = list(self.station.receive(message))
        self.events += [(True, (message,)), (False, tuple(out))]
        return out

    def pushed(self) -> list:
        """What other phones' events sent this one since the last look."""
        out, self.link.written[:] = list(self.link.written), []
        self.events.append((False, tuple(out)))
        return out

    def leg(self, line: int = 1):
        return self.station.legs[line]


def kinds(messages) -> list[str]:
    return [m.name for m in messages]


def dial(phone: Phone, digits: str, line: int = 1) -> list:
    """Off-hook on `line` and one KeypadButton per digit; what the last one brought."""
    phone.send(S.OffHook(line, 0))
    ref = phone.leg(line).ref
    out: list = []
    for d in digits:
        key = {"#": S.KeypadKey.POUND, "*": S.KeypadKey.STAR}.get(d)
        out = phone.send(S.KeypadButton(int(d) if key is None else key, line, ref))
    return out


@pytest.fixture
def phones(configured) -> tuple[Phone, Phone, Phone]:
    return (Phone(configured, MAC1, IP1), Phone(configured, MAC2, IP2),
            Phone(configured, MAC3, IP3))


def connected_call(a: Phone, b: Phone) -> None:
    dial(a, "7002")
    ring = b.pushed()
    b.send(S.OffHook(1, ring[0].call_reference))
    a.pushed()


# ---- the dial tone and digit collection -------------------------------------------------------

def test_off_hook_gives_the_dial_tone_screen(phones):
    a, _, _ = phones
    out = a.send(S.OffHook(1, 0))
    ref = a.leg().ref
    assert out == [S.SetLamp(S.StimulusType.LINE, 1, S.LampMode.ON),
                   S.CallState(S.CallStateCode.OFF_HOOK, 1, ref),
                   S.SelectSoftKeys(1, ref, S.SoftKeySetIndex.OFF_HOOK),
                   S.ActivateCallPlane(1),
                   S.DisplayPromptStatus(0, "Enter number", 1, ref),
                   S.StartTone(S.Tone.INSIDE_DIAL, S.ToneDirection.USER, 1, ref)]
    assert a.leg().state is LegState.OFFHOOK
    # the transport is asked for the interdigit timer
    assert a.station.timer == pytest.approx(INTERDIGIT_SECONDS * TIME_SCALE)
    # the first digit stops the dial tone; later digits are quiet until the number is complete
    assert a.send(S.KeypadButton(7, 1, ref)) == [
        S.StopTone(1, ref, S.Tone.INSIDE_DIAL),
        S.SelectSoftKeys(1, ref, S.SoftKeySetIndex.DIGITS_FOLLOWING)]
    assert a.send(S.KeypadButton(0, 1, ref)) == []
    assert a.leg().state is LegState.DIALING and a.leg().digits == "70"


def test_a_call_rings_connects_with_media_and_ends_for_both(phones, configured):
    a, b, _ = phones
    cli(configured, "debug ephone detail")
    out = dial(a, "7002")
    ra = a.leg().ref
    assert kinds(out) == ["CallState", "CallInfo", "DialedNumber", "CallState",
                          "SelectSoftKeys", "DisplayPromptStatus", "StartTone"]
    assert out[0].call_state == S.CallStateCode.PROCEED
    info = out[1]
    assert (info.calling_party_name, info.calling_party, info.called_party_name,
            info.called_party, info.call_type, info.line_instance, info.call_reference) == \
        ("Alice", "7001", "Bob", "7002", S.CallType.OUTBOUND, 1, ra)
    assert info.call_security_status == S.CallSecurityStatus.NOT_AUTHENTICATED
    assert out[2] == S.DialedNumber("7002", 1, ra)
    assert out[3].call_state == S.CallStateCode.RING_OUT
    assert out[6] == S.StartTone(S.Tone.ALERTING, S.ToneDirection.USER, 1, ra)
    assert a.leg().state is LegState.RINGOUT and a.station.timer is None
    # the called phone rings, told who calls
    ring = b.pushed()
    rb = b.leg().ref
    assert rb != ra
    assert kinds(ring) == ["CallState", "CallInfo", "SelectSoftKeys", "DisplayPromptStatus",
                           "SetLamp", "SetRinger"]
    assert ring[0] == S.CallState(S.CallStateCode.RING_IN, 1, rb)
    assert (ring[1].calling_party_name, ring[1].calling_party, ring[1].called_party,
            ring[1].call_type) == ("Alice", "7001", "7002", S.CallType.INBOUND)
    assert ring[3].text == "From 7001"
    assert ring[4] == S.SetLamp(S.StimulusType.LINE, 1, S.LampMode.BLINK)
    assert ring[5] == S.SetRinger(S.RingMode.INSIDE_RING, S.RingDuration.NORMAL, 1, rb)
    # B lifts the handset: both connected, each asked to open a receive channel
    out_b = b.send(S.OffHook(1, rb))
    assert kinds(out_b) == ["SetRinger", "SetLamp", "CallState", "ActivateCallPlane",
                            "CallState", "CallInfo", "SelectSoftKeys", "DisplayPromptStatus",
                            "OpenReceiveChannel"]
    assert out_b[0].ring_mode == S.RingMode.RING_OFF
    assert out_b[4] == S.CallState(S.CallStateCode.CONNECTED, 1, rb)
    orc_b = out_b[8]
    assert (orc_b.call_reference, orc_b.ms_packet_size, orc_b.compression_type) == \
        (rb, 20, S.MediaPayload.G711_ULAW_64K)
    assert orc_b.key_info == S.MediaEncryptionKeyInfo()  # non-secure: the zero block
    pushed_a = a.pushed()
    assert kinds(pushed_a) == ["StopTone", "CallState", "CallInfo", "SelectSoftKeys",
                               "DisplayPromptStatus", "OpenReceiveChannel"]
    orc_a = pushed_a[5]
    assert orc_a.conference_id == orc_b.conference_id
    assert orc_a.pass_thru_party_id != orc_b.pass_thru_party_id
    assert a.leg().state is b.leg().state is LegState.CONNECTED
    # each ack tells the other phone where to send
    assert a.send(S.OpenReceiveChannelAck(0, IPv4Address(IP1), 20000,
                                          orc_a.pass_thru_party_id, ra)) == []
    smt_b = b.pushed()
    assert kinds(smt_b) == ["StartMediaTransmission"]
    assert (smt_b[0].remote_ip, smt_b[0].remote_port, smt_b[0].call_reference,
            smt_b[0].pass_thru_party_id) == (IPv4Address(IP1), 20000, rb,
                                             orc_b.pass_thru_party_id)
    assert b.send(S.OpenReceiveChannelAck(0, IPv4Address(IP2), 20002,
                                          orc_b.pass_thru_party_id, rb)) == []
    smt_a = a.pushed()
    assert (smt_a[0].remote_ip, smt_a[0].remote_port) == (IPv4Address(IP2), 20002)
    assert smt_a[0].key_info == S.MediaEncryptionKeyInfo()
    # A hangs up: both phones close their media and go on-hook
    bye_a = a.send(S.OnHook(1, ra))
    bye_b = b.pushed()
    for out, ref in ((bye_a, ra), (bye_b, rb)):
        assert kinds(out) == ["CloseReceiveChannel", "StopMediaTransmission", "CallState",
                              "SelectSoftKeys", "SetLamp", "ClearPromptStatus"]
        assert out[2] == S.CallState(S.CallStateCode.ON_HOOK, 1, ref)
        assert out[4] == S.SetLamp(S.StimulusType.LINE, 1, S.LampMode.OFF)
    assert not a.station.legs and not b.station.legs and not configured.phones.calls.calls
    assert configured.log.contains("call 1: 7001 -> 7002 ('7002'), ringing")
    # the other phone's user hangs up afterwards: nothing left to end
    assert b.send(S.OnHook(1, 0)) == []


def test_answer_and_end_call_soft_keys(phones):
    a, b, _ = phones
    dial(a, "7002")
    ra, rb = a.leg().ref, b.pushed()[0].call_reference
    out = b.send(S.SoftKeyEvent(S.SoftKeyEventType.ANSWER, 1, rb))
    assert "OpenReceiveChannel" in kinds(out)
    assert a.pushed()[1] == S.CallState(S.CallStateCode.CONNECTED, 1, ra)
    out = b.send(S.SoftKeyEvent(S.SoftKeyEventType.END_CALL, 1, rb))
    assert S.CallState(S.CallStateCode.ON_HOOK, 1, rb) in out
    assert S.CallState(S.CallStateCode.ON_HOOK, 1, ra) in a.pushed()
    assert not a.station.legs and not b.station.legs


def test_caller_hanging_up_while_it_rings_stops_the_ringer(phones):
    a, b, _ = phones
    dial(a, "7002")
    rb = b.pushed()[0].call_reference
    out = a.send(S.OnHook(1, 0))
    assert kinds(out) == ["StopTone", "CallState", "SelectSoftKeys", "SetLamp",
                          "ClearPromptStatus"]
    assert b.pushed() == [S.SetRinger(S.RingMode.RING_OFF, 1, 1, rb),
                          S.CallState(S.CallStateCode.ON_HOOK, 1, rb),
                          S.SelectSoftKeys(1, rb, S.SoftKeySetIndex.ON_HOOK),
                          S.SetLamp(S.StimulusType.LINE, 1, S.LampMode.OFF),
                          S.ClearPromptStatus(1, rb)]


# ---- numbers: busy, unknown, patterns, `#`, the interdigit timeout, en bloc -------------------

def test_busy_line_gives_busy_tone_and_prompt(phones):
    a, b, c = phones
    connected_call(a, b)
    c.send(S.OffHook(1, 0))
    rc = c.leg().ref
    out = [m for d in "7002" for m in c.send(S.KeypadButton(int(d), 1, rc))]
    assert kinds(out)[-4:] == ["DialedNumber", "CallState", "DisplayPromptStatus", "StartTone"]
    assert out[-3] == S.CallState(S.CallStateCode.BUSY, 1, rc)
    assert out[-2].text == "Busy"
    assert out[-1] == S.StartTone(S.Tone.LINE_BUSY, S.ToneDirection.USER, 1, rc)
    assert c.leg().state is LegState.BUSY
    assert a.pushed() == [] and b.pushed() == []
    assert kinds(c.send(S.OnHook(1, rc)))[:2] == ["StopTone", "CallState"]


def test_unknown_number_gives_reorder_as_soon_as_nothing_can_match(phones):
    a, _, _ = phones
    a.send(S.OffHook(1, 0))
    ref = a.leg().ref
    a.send(S.KeypadButton(7, 1, ref))
    out = a.send(S.KeypadButton(9, 1, ref))  # no number starts 79
    assert out == [S.CallState(S.CallStateCode.INVALID_NUMBER, 1, ref),
                   S.DisplayPromptStatus(0, "Unknown Number", 1, ref),
                   S.StartTone(S.Tone.REORDER, S.ToneDirection.USER, 1, ref)]
    assert a.leg().state is LegState.REORDER and a.station.timer is None
    assert a.send(S.KeypadButton(1, 1, ref)) == []  # digits after reorder: ignored


def test_dialplan_pattern_reaches_the_extension(phones):
    a, b, _ = phones
    out = dial(a, "27002")
    assert out[2] == S.DialedNumber("27002", 1, a.leg().ref)
    assert b.pushed()[0].call_state == S.CallStateCode.RING_IN


def test_interdigit_timeout_and_pound_end_an_ambiguous_number(phones):
    a, _, c = phones
    b_line2 = a  # 7003 is ephone 1's second line
    # 7003 could still become 70035: the router waits for the interdigit timeout
    out = dial(c, "7003")
    assert out == [] and c.leg().state is LegState.DIALING
    assert c.station.timer == pytest.approx(INTERDIGIT_SECONDS * TIME_SCALE)
    out = c.station.timer_expired()
    assert S.CallState(S.CallStateCode.RING_OUT, 1, c.leg().ref) in out
    ring = b_line2.pushed()
    assert ring[0] == S.CallState(S.CallStateCode.RING_IN, 2, a.leg(2).ref)
    c.send(S.OnHook(1, 0))
    a.pushed()
    # `#` ends dialling at once
    out = dial(c, "7003#")
    assert S.CallState(S.CallStateCode.RING_OUT, 1, c.leg().ref) in out
    c.send(S.OnHook(1, 0))
    # a timeout with nothing dialled is reorder
    c.send(S.OffHook(1, 0))
    assert S.StartTone(S.Tone.REORDER, 0, 1, c.leg().ref) in c.station.timer_expired()


def test_en_bloc_call(phones):
    a, b, _ = phones
    a.send(S.OffHook(1, 0))
    ref = a.leg().ref
    out = a.send(S.EnblocCall("7002", 1))
    assert kinds(out)[:2] == ["StopTone", "CallState"]  # the dial tone was still on
    assert S.CallState(S.CallStateCode.RING_OUT, 1, ref) in out
    assert b.pushed()[0].call_state == S.CallStateCode.RING_IN
    # from an idle phone, en bloc lifts the line itself
    b2 = b
    b2.send(S.OnHook(1, 0))
    a.send(S.OnHook(1, 0))
    b2.pushed()
    out = b2.send(S.EnblocCall("7001", None))
    assert kinds(out)[:5] == ["SetLamp", "CallState", "SelectSoftKeys", "ActivateCallPlane",
                              "DisplayPromptStatus"]
    assert b2.leg().state is LegState.RINGOUT


def test_several_lines_per_phone(phones, configured):
    a, b, c = phones
    # ephone 1's second button is 7003: calling from it shows 7003 as the caller
    out = dial(a, "7002", line=2)
    assert out[1].calling_party == "7003" and out[1].line_instance == 2
    rb = b.pushed()[0].call_reference
    # while line 2 talks, line 1 still rings for calls to 7001
    b.send(S.OffHook(1, rb))
    a.pushed()
    dial(c, "7001")
    assert a.pushed()[0] == S.CallState(S.CallStateCode.RING_IN, 1, a.leg(1).ref)
    assert a.leg(2).state is LegState.CONNECTED


# ---- security and SRTP keys ----------------------------------------------------------------

SECURE = """\
ephone 1
 device-security-mode encrypted
ephone 2
 device-security-mode encrypted
ephone 3
 device-security-mode authenticated
"""


def secure_phones(router: Router) -> tuple[Phone, Phone, Phone]:
    assert "% " not in cli(router, *SECURE.splitlines(), config=True)
    return (Phone(router, MAC1, IP1, ENCRYPTING_SUITE), Phone(router, MAC2, IP2,
                                                              ENCRYPTING_SUITE),
            Phone(router, MAC3, IP3, NULL_SUITE))


def media_setup(a: Phone, b: Phone) -> tuple[sccp.OpenReceiveChannel, sccp.OpenReceiveChannel,
                                             sccp.StartMediaTransmission,
                                             sccp.StartMediaTransmission, list]:
    """Connect a call from a to b and exchange the acks; the four media messages."""
    out = dial(a, "7002" if b.station.reg.tag == 2 else "70035")
    ring = b.pushed()
    rb = ring[0].call_reference
    out_b = b.send(S.OffHook(1, rb))
    out_a = a.pushed()
    orc_a = next(m for m in out_a if isinstance(m, S.OpenReceiveChannel))
    orc_b = next(m for m in out_b if isinstance(m, S.OpenReceiveChannel))
    a.send(S.OpenReceiveChannelAck(0, IPv4Address(a.station.peer_ip), 30000,
                                   orc_a.pass_thru_party_id, orc_a.call_reference))
    b.send(S.OpenReceiveChannelAck(0, IPv4Address(b.station.peer_ip), 30002,
                                   orc_b.pass_thru_party_id, rb))
    (smt_b,), (smt_a,) = b.pushed(), a.pushed()
    return orc_a, orc_b, smt_a, smt_b, [*out, *ring, *out_a, *out_b]


def test_two_encrypted_phones_get_fresh_srtp_keys_and_the_lock(configured):
    a, b, _ = secure_phones(configured)
    orc_a, orc_b, smt_a, smt_b, msgs = media_setup(a, b)
    for key in (orc_a.key_info, orc_b.key_info):
        assert key.algorithm_id == S.EncryptionAlgorithm.AES_CM_128_HMAC_SHA1_32 == 1
        assert (len(key.key), len(key.salt)) == (16, 14)
    assert orc_a.key_info != orc_b.key_info  # one key per stream
    # A encrypts with the key B decrypts with, and the other way round
    assert smt_a.key_info == orc_b.key_info and smt_b.key_info == orc_a.key_info
    infos = [m for m in msgs if isinstance(m, S.CallInfo)]
    # ringing is authenticated at most; once keys went out with the media, encrypted
    assert [i.call_security_status for i in infos] == [2, 2, 3, 3]
    # no secure indication tone: a CUCM feature for "protected" phones (off by default
    # there), which CME's security chapter does not have; the lock says it
    assert not [m for m in msgs if isinstance(m, S.StartTone) and
                m.tone in (S.Tone.SECURE_WARNING, S.Tone.NON_SECURE_WARNING)]
    # the next call gets keys of its own
    a.send(S.OnHook(1, 0))
    b.pushed()
    again = media_setup(a, b)
    assert {again[0].key_info.key, again[1].key_info.key}.isdisjoint(
        {orc_a.key_info.key, orc_b.key_info.key})


def test_authenticated_or_mixed_calls_carry_no_keys(configured):
    a, b, c = secure_phones(configured)
    # encrypted to authenticated: NULL-SHA signalling, no keys, the shield at most
    orc_a, orc_c, smt_a, smt_c, msgs = media_setup(a, c)
    assert {orc_a.key_info, orc_c.key_info, smt_a.key_info, smt_c.key_info} == \
        {S.MediaEncryptionKeyInfo()}
    assert {m.call_security_status for m in msgs if isinstance(m, S.CallInfo)} == {2}
    a.send(S.OnHook(1, 0))
    c.pushed()
    # an encrypted phone calling a non-secure one: not authenticated, no keys on either side
    assert "% " not in cli(configured, "ephone 2", " no device-security-mode", config=True)
    b.station.closed()
    b = Phone(configured, MAC2, IP2)
    orc_a, orc_b, smt_a, smt_b, msgs = media_setup(a, b)
    assert {orc_a.key_info, orc_b.key_info, smt_a.key_info, smt_b.key_info} == \
        {S.MediaEncryptionKeyInfo()}
    assert {m.call_security_status for m in msgs if isinstance(m, S.CallInfo)} == {1}


# ---- bad input ---------------------------------------------------------------------------------

def test_a_phone_vanishing_mid_call_puts_the_other_on_hook(phones, configured):
    a, b, _ = phones
    connected_call(a, b)
    rb = b.leg().ref
    a.station.connection_lost("ConnectionResetError")
    a.station.closed()
    out = b.pushed()
    assert kinds(out) == ["CloseReceiveChannel", "CallState", "SelectSoftKeys", "SetLamp",
                          "ClearPromptStatus"]
    assert out[1] == S.CallState(S.CallStateCode.ON_HOOK, 1, rb)
    assert not configured.phones.calls.calls and not b.station.legs
    # a ringing phone whose caller vanished stops ringing
    c = Phone(configured, MAC1, IP1)
    dial(b, "7001")
    c.pushed()
    b.station.timed_out()
    assert c.pushed()[0].ring_mode == S.RingMode.RING_OFF
    assert not c.station.legs


def test_digits_while_ringing_and_unknown_call_references_are_ignored(phones, configured):
    a, b, _ = phones
    cli(configured, "debug ephone detail")
    dial(a, "7002")
    rb = b.pushed()[0].call_reference
    assert b.send(S.KeypadButton(5, 1, rb)) == []
    assert a.send(S.KeypadButton(5, 1, a.leg().ref)) == []
    assert configured.log.contains("KeypadButton while ringin, ignored")
    assert configured.log.contains("KeypadButton while ringout, ignored")
    assert b.send(S.OnHook(1, 0xDEAD)) == []
    assert b.send(S.SoftKeyEvent(S.SoftKeyEventType.ANSWER, 1, 0xBEEF)) == []
    assert b.send(S.OpenReceiveChannelAck(0, IPv4Address(IP2), 1, 1, 0xF00D)) == []
    assert configured.log.contains(f"OnHook for unknown call reference {0xDEAD}, ignored")
    assert configured.log.contains(f"OpenReceiveChannelAck for unknown call reference "
                                   f"{0xF00D}, ignored")
    assert b.leg().state is LegState.RINGIN and a.leg().state is LegState.RINGOUT


def test_an_ack_with_an_address_the_phone_does_not_own_ends_the_call(phones, configured):
    a, b, _ = phones
    cli(configured, "debug ephone detail")
    dial(a, "7002")
    rb = b.pushed()[0].call_reference
    orc_b = b.send(S.OffHook(1, rb))[-1]
    a.pushed()
    out = b.send(S.OpenReceiveChannelAck(0, IPv4Address("10.9.9.9"), 4000,
                                         orc_b.pass_thru_party_id, rb))
    assert S.CallState(S.CallStateCode.ON_HOOK, 1, rb) in out
    assert "StartMediaTransmission" not in kinds(a.pushed())
    assert configured.log.contains("OpenReceiveChannelAck with address 10.9.9.9")


def test_a_phone_hanging_up_mid_setup_leaves_no_call(phones, configured):
    """The caller hangs up after the answer, before the media is set up: the called phone
    goes on-hook, and its late OpenReceiveChannelAck finds no call and is ignored."""
    a, b, _ = phones
    cli(configured, "debug ephone detail")
    dial(a, "7002")
    rb = b.pushed()[0].call_reference
    orc_b = b.send(S.OffHook(1, rb))[-1]
    assert isinstance(orc_b, S.OpenReceiveChannel)
    a.pushed()
    a.send(S.OnHook(1, a.leg().ref))
    out = b.pushed()
    assert S.CallState(S.CallStateCode.ON_HOOK, 1, rb) in out
    assert "CloseReceiveChannel" in kinds(out)  # the channel it was asked to open
    assert b.send(S.OpenReceiveChannelAck(0, IPv4Address(IP2), 30002,
                                          orc_b.pass_thru_party_id, rb)) == []
    assert configured.log.contains(f"OpenReceiveChannelAck for unknown call reference {rb}")
    assert a.pushed() == [] and not a.station.legs and not b.station.legs
    assert not configured.phones.calls.calls


def test_messages_before_register_and_after_close_do_nothing(configured):
    station, link = connect(configured)
    assert station.receive(S.OffHook(1, 0)) == ()
    assert isinstance(station, Station) and not station.legs


# ---- Wireshark's view of what the router sends --------------------------------------------------

def _tshark_support():
    """The pcap conversation and validator of tests/wire/test_sccp_tshark.py, by path."""
    name = "sccp_tshark_support"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "wire" / "test_sccp_tshark.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_wireshark_decodes_every_call_message_the_router_sends(configured, tmp_path):
    """A call with media, a busy line and an unknown number, as each phone's connection
    carried it: tshark decodes every frame, with no malformed packet or expert error."""
    support = _tshark_support()
    a, b, c = secure_phones(configured)
    media_setup(a, b)  # encrypted: the key blocks are full
    c.send(S.OffHook(1, 0))
    for d in "7001":
        c.send(S.KeypadButton(int(d), 1, c.leg().ref))  # busy
    c.send(S.OnHook(1, 0))
    dial(c, "79")  # unknown: reorder
    c.send(S.OnHook(1, 0))
    a.send(S.OnHook(1, 0))
    b.pushed()
    for n, phone in enumerate((a, b, c)):
        conv = support.Conversation(sccp.SccpConnection(sccp.Role.PHONE, max_version=20),
                                    sccp.SccpConnection(sccp.Role.SERVER,
                                                        max_version=phone.station.max_version))
        for from_phone, messages in phone.events:
            if messages:
                (conv.p2s if from_phone else conv.s2p)(*messages)
        decoded = support.validate(conv, tmp_path / f"call-{n}.pcap")
        labels = [label for label, _, _ in decoded]
        assert "CallState" in labels and "DisplayPromptStatus" in labels
        if phone is not c:
            assert {"OpenReceiveChannel", "StartMediaTransmission", "CallInfo",
                    "CloseReceiveChannel", "StopMediaTransmission"} <= set(labels)
