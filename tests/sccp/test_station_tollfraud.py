"""Calls out of the voice ports, driven through the router's Stations with messages alone:
the pots dial-peers, COR and after-hours judged on the dialled digits, the voice port as a
call party the PSTN answers for (here a stand-in collecting what the port is sent), and the
call history and CDRs every leg leaves. No socket, no event loop."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from test_station import cli
from test_station_calls import MAC1, MAC2, Phone, dial, kinds

from cucme_lab.router.router import Router
from cucme_lab.router.telephony.calls import LegState
from cucme_lab.router.telephony.history import Cause
from cucme_lab.wire import sccp

S = sccp
IP1, IP2 = "10.1.1.21", "10.1.1.22"
CONFIG = """\
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
telephony-service
 ip source-address 10.1.1.1 port 2000
 max-ephones 10
dial-peer cor custom
 name ld-call
 name int-call
dial-peer cor list callld
 member ld-call
dial-peer cor list callint
 member int-call
dial-peer cor list user
 member ld-call
dial-peer voice 9 pots
 corlist outgoing callld
 destination-pattern 91.....
 port 1/0
 prefix 1
dial-peer voice 11 pots
 corlist outgoing callint
 destination-pattern 9011T
 port 2/0
 prefix 011
dial-peer voice 5 pots
 destination-pattern 95...
 port 1/1
ephone-dn 1
 number 2000
 cor incoming user
ephone-dn 2
 number 2001
ephone 1
 mac-address 0011.2233.4455
 button 1:1
ephone 2
 mac-address 0011.2233.44AA
 button 1:2
gw-accounting syslog
"""


class Exchange:
    """Stands in for the lab's PSTN: collects what each voice port is sent."""

    def __init__(self) -> None:
        self.got: list[tuple[str, list]] = []

    def deliver(self, endpoint, messages) -> None:
        self.got.append((endpoint.name, list(messages)))

    def take(self) -> list[tuple[str, list]]:
        out, self.got = self.got, []
        return out


@pytest.fixture
def lab(router: Router):
    out = cli(router, *CONFIG.splitlines(), config=True)
    assert "% " not in out, out
    cli(router, "clock set 12:00:00 3 Jun 2024", "debug ephone detail")
    exchange = Exchange()
    router.phones.voice_ports.attach(exchange.deliver)
    return router, exchange, Phone(router, MAC1, IP1), Phone(router, MAC2, IP2)


def test_a_call_out_of_a_voice_port_rings_answers_carries_media_and_leaves_cdrs(lab):
    router, exchange, a, _ = lab
    out = dial(a, "9123456")
    assert kinds(out)[:3] == ["CallState", "CallInfo", "DialedNumber"]
    assert a.leg().state is LegState.RINGOUT
    [(port, offered)] = exchange.take()
    assert port == "1/0"
    ring, info = offered[0], offered[1]
    assert ring.call_state == S.CallStateCode.RING_IN
    assert info.called_party == "123456"  # prefix 1 + the digits 91..... matched as wildcards
    # the far end answers: both sides connect, each asked to open a receive channel
    trunk = router.phones.voice_ports.endpoints["1/0"]
    calls = router.phones.calls
    sends = calls.off_hook(trunk, ring.line_instance, ring.call_reference)
    to_trunk = sends.reply(trunk)
    orc = next(m for m in to_trunk if isinstance(m, S.OpenReceiveChannel))
    assert orc.key_info == S.MediaEncryptionKeyInfo()  # a PSTN call is non-secure
    pushed = a.pushed()
    assert "OpenReceiveChannel" in kinds(pushed)
    assert next(m for m in pushed if isinstance(m, S.CallInfo)).call_security_status == \
        S.CallSecurityStatus.NOT_AUTHENTICATED
    # the port's media come from the router's address: the phone is told to send there
    ack = S.OpenReceiveChannelAck(0, IPv4Address("10.1.1.1"), 30000, orc.pass_thru_party_id,
                                  orc.call_reference)
    calls.channel_ack(trunk, ack).reply(trunk)
    smt = a.pushed()
    assert kinds(smt) == ["StartMediaTransmission"]
    assert (smt[0].remote_ip, smt[0].remote_port) == (IPv4Address("10.1.1.1"), 30000)
    assert len(calls.history.active) == 2
    show = cli(router, "show call active voice brief")
    assert "pid:9 Originate 123456 active" in show and "Telephony call-legs: 2" in show
    a.send(S.OnHook(1, a.leg().ref))
    cdrs = [line for line in router.log.lines if "VOIP_CALL_HISTORY" in line]
    assert len(cdrs) == 2
    assert "PeerAddress 2000, PeerSubAddress , DisconnectCause 10  " in cdrs[0]
    assert "PeerAddress 123456, PeerSubAddress , DisconnectCause 10  " in cdrs[1]
    assert "CallOrigin 2" in cdrs[1] and "CallOrigin 1" in cdrs[0]
    assert any(m.call_state == S.CallStateCode.ON_HOOK for _, ms in exchange.take() for m in ms
               if isinstance(m, S.CallState))


def test_cor_refuses_with_reorder_a_debug_line_and_a_cdr(lab):
    router, exchange, a, b = lab
    out = dial(a, "9011441234#")
    assert a.leg().state is LegState.REORDER
    assert S.StartTone(S.Tone.REORDER, S.ToneDirection.USER, 1, a.leg().ref) in out
    assert exchange.take() == []
    detail = cli(router, "show call history voice")
    assert ("PeerAddress=2000\nPeerSubAddress=\nPeerId=20001\nDisconnectCause=15  \n"
            "DisconnectText=call rejected (21)\n") in detail
    assert "Port=50/0/1 (1)" in detail and "Total call-legs: 1" in detail
    assert any("call to '9011441234' from 2000 refused by COR: dial-peer 11 outgoing list "
               "callint needs int-call, not in incoming list user" in line
               for line in router.log.lines)
    assert any("PeerAddress 2000, PeerSubAddress , DisconnectCause 15  , DisconnectText call "
               "rejected (21)" in line for line in router.log.lines)
    # 2001 has no incoming list: it may call anything
    dial(b, "9011441234#")
    assert b.leg().state is LegState.RINGOUT
    assert exchange.take()[0][0] == "2/0"


def test_after_hours_blocks_inside_the_window_only(lab):
    router, exchange, _, b = lab
    cli(router, "telephony-service", "after-hours block pattern 1 9011",
        "after-hours day Mon 19:00 07:00", config=True)
    dial(b, "9011441234#")
    assert b.leg().state is LegState.RINGOUT  # Monday noon: business hours
    b.send(S.OnHook(1, b.leg().ref))
    cli(router, "clock set 20:00:00 3 Jun 2024")
    dial(b, "9011441234#")
    assert b.leg().state is LegState.REORDER
    assert any("refused by after-hours block pattern 1 9011" in line
               for line in router.log.lines)
    b.send(S.OnHook(1, b.leg().ref))
    cli(router, "ephone 2", "after-hour exempt", config=True)  # the exempt phone calls out
    dial(b, "9011441234#")
    assert b.leg().state is LegState.RINGOUT


def test_a_port_out_of_service_or_without_a_pstn_fails_cleanly(lab):
    router, exchange, _, b = lab
    cli(router, "voice-port 1/1", "shutdown", config=True)
    dial(b, "95123")
    assert b.leg().state is LegState.REORDER
    b.send(S.OnHook(1, b.leg().ref))
    router.phones.voice_ports.attach(None)
    dial(b, "9123456")
    assert b.leg().state is LegState.REORDER and not b.station.legs[1].call
    assert "DisconnectCause 22  , DisconnectText no circuit (34)" in router.log.lines[-1] or \
        any("no circuit (34)" in line for line in router.log.lines)
    assert router.phones.calls.calls == {}


def test_a_busy_number_gives_the_caller_busy(lab):
    router, exchange, a, _ = lab
    dial(a, "9123456")
    [(_, offered)] = exchange.take()
    trunk = router.phones.voice_ports.endpoints["1/0"]
    router.phones.calls.far_end(trunk, offered[0].call_reference, Cause.BUSY).reply(trunk)
    assert a.leg().state is LegState.BUSY
    assert trunk.legs == {}
    a.send(S.OnHook(1, a.leg().ref))
    assert any("DisconnectCause 11  , DisconnectText user busy (17)" in line
               for line in router.log.lines)


def test_call_forward_no_answer_is_judged_as_the_callers_own_call(lab):
    router, exchange, a, b = lab
    cli(router, "ephone-dn 2", "call-forward noan 9011441234 timeout 5", config=True)
    dial(a, "2001")
    assert b.leg().state is LegState.RINGIN and a.leg().state is LegState.RINGOUT
    assert a.station.timer == pytest.approx(5 * router.phones.time_scale)
    out = list(a.station.timer_expired())  # nobody answered in time
    assert a.leg().state is LegState.REORDER
    assert S.StartTone(S.Tone.REORDER, S.ToneDirection.USER, 1, a.leg().ref) in out
    assert 1 not in b.station.legs  # its ringing stopped
    assert "CallState" in kinds(b.pushed())
    assert any("no answer on 2001: forwarded to 9011441234" in line for line in router.log.lines)
    assert any("call to '9011441234' from 2000 refused by COR" in line
               for line in router.log.lines)
    assert any("DisconnectCause 13  , DisconnectText no answer (19)" in line
               for line in router.log.lines)
    assert exchange.take() == []


def test_call_forward_busy_and_all(lab):
    router, exchange, a, b = lab
    cli(router, "ephone-dn 1", "call-forward all 95123", config=True)
    dial(b, "2000")  # 2001 (no COR list) calls 2000, forwarded out of 1/1
    assert b.leg().state is LegState.RINGOUT
    [(port, offered)] = exchange.take()
    assert (port, offered[1].called_party) == ("1/1", "123")
