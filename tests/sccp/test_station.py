"""The router's SCCP Station driven with messages alone: no socket, no event loop around it.

The router is configured by typing CLI lines (a shell session run to completion before the
Station is touched); the TLS facts the service would have found come in as plain values.
"""

from __future__ import annotations

import functools
from ipaddress import IPv4Address

import pytest
import trio
from conftest import Shell

from cucme_lab.router.router import Router
from cucme_lab.router.telephony.station import (
    IDLE_SCREEN,
    SOFT_KEY_SET,
    SOFT_KEY_TEMPLATE,
    Close,
    Output,
    Station,
    StationState,
    TlsPeer,
)
from cucme_lab.wire import sccp

MAC1, MAC2, MAC3 = "001122334455", "0011223344AA", "00AABBCCDDEE"
TIME_SCALE = 0.02
CONFIG = """\
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
telephony-service
 ip source-address 10.1.1.1 port 2000
 max-ephones 10
 keepalive 10
ephone-dn 1
 number 1001
 name Alice
ephone-dn 2
 number 1002
ephone 1
 mac-address 0011.2233.4455
 type 7965
 button 1:1
ephone 2
 mac-address 0011.2233.44AA
 button 1:2
"""
NULL_SUITE = "NULL-SHA"
ENCRYPTING_SUITE = "ECDHE-RSA-AES128-GCM-SHA256"


def cli(router: Router, *lines: str, config: bool = False) -> str:
    """Type lines at the router's console (the shell is async; the Station is not)."""
    return trio.run(functools.partial(Shell(router).type, *lines, config=config))


@pytest.fixture
def configured(router: Router) -> Router:
    out = cli(router, *CONFIG.splitlines(), config=True)
    assert "% " not in out, out
    router.phones.time_scale = TIME_SCALE
    return router


class Link:
    """The service's side as the registry sees it: Resets go to the Station, as the
    service's connection does, and what it would write is kept."""

    def __init__(self) -> None:
        self.station: Station | None = None
        self.written: list[Output] = []
        self.closed = False

    def send_reset(self, reset_type: int) -> None:
        assert self.station is not None
        self.written.extend(self.station.reset(reset_type))

    def close(self) -> None:
        self.closed = True

    def deliver(self, messages) -> None:
        """Messages another phone's call event pushed to this one."""
        self.written.extend(messages)


def connect(router: Router, ip: str = "10.1.1.21", transport: str = "TCP",
            tls: TlsPeer | None = None) -> tuple[Station, Link]:
    link = Link()
    station = link.station = Station(router, link, ip, 40000, transport)
    station.connection_made()
    if tls is not None:
        station.secured(tls)
    return station, link


def tls_peer(mac: str, cipher: str = NULL_SUITE, cn: str | None = None) -> TlsPeer:
    cn = cn or f"SEP{mac}"
    return TlsPeer("TLSv1.2", cipher, cn, f"CN={cn}")


def register(mac: str, ip: str = "10.1.1.21") -> sccp.Register:
    """A 7941's full Register offering V20, as the simulated phones send it."""
    return sccp.Register(device_name=f"SEP{mac}", station_ip=IPv4Address(ip), device_type=115,
                         max_streams=5, active_streams=0, protocol_ver=20, unknown=0,
                         phone_features=0x210, max_conferences=0, active_conferences=0,
                         mac_address=bytes.fromhex(mac), ipv4_address_scope=0,
                         max_number_of_lines=1)


def registered(router: Router, mac: str = MAC1, **kw) -> tuple[Station, Link]:
    station, link = connect(router, **kw)
    out = station.receive(register(mac, station.peer_ip))
    assert [type(m) for m in out] == [sccp.RegisterAck, sccp.CapabilitiesReq], out
    return station, link


def logged(router: Router, fragment: str) -> bool:
    return router.log.contains(fragment)


# ---- plain registration ---------------------------------------------------------------------

def test_plain_registration_sequence(configured):
    router = configured
    cli(router, "debug ephone register")
    station, _ = connect(router)
    assert station.state is StationState.CONNECTED
    assert station.read_timeout == pytest.approx(10 * 3 * TIME_SCALE)
    ack, caps = station.receive(register(MAC1))
    assert ack == sccp.RegisterAck.for_version(17, keep_alive_interval=10,
                                               date_template="M/D/YA",
                                               secondary_keep_alive_interval=10)
    assert caps == sccp.CapabilitiesReq()
    # the bytes a server codec that read the same Register writes (headerVersion 0)
    codec = sccp.SccpConnection(sccp.Role.SERVER, max_version=station.max_version)
    codec.feed(sccp.encode_frame(register(MAC1), 0))
    assert list(codec.events()) == [register(MAC1)]
    assert codec.send(ack).hex() == ("180000000000000081000000" "0a000000" "4d2f442f5941" "0000"
                                     "0a000000" "11" "20" "f1ff")
    assert station.state is StationState.REGISTERED
    reg = router.phones.registrations[1]
    assert (reg.device_name, reg.ip, reg.socket, reg.protocol_ver, reg.version) == \
        (f"SEP{MAC1}", "10.1.1.21", 1, 20, 17)
    assert logged(router, "%IPPHONE-6-REGISTER: ephone-1:SEP001122334455 IP:10.1.1.21 Socket:1 "
                  "DeviceType:Phone has registered.")
    assert logged(router, "Skinny socket [1] 10.1.1.21:StationRegisterMessage (1/1/20) from "
                  "10.1.1.21")
    assert logged(router, "ephone-1[0]:RegisterAck sent to ephone 1: keepalive period 10")

    caps = (sccp.Capability(4, 40, 0), sccp.Capability(2, 40, 0))
    assert station.receive(sccp.CapabilitiesRes(caps)) == ()
    assert station.receive(sccp.IpPort(1234)) == ()
    assert station.receive(sccp.HeadsetStatus()) == ()
    (template,) = station.receive(sccp.ButtonTemplateReq())
    line = sccp.ButtonDefinition(1, sccp.ButtonType.LINE)
    assert template == sccp.ButtonTemplate(0, 1, 1, (line,))
    assert station.receive(sccp.SoftKeyTemplateReq()) == (SOFT_KEY_TEMPLATE,)
    assert station.receive(sccp.SoftKeySetReq()) == (SOFT_KEY_SET,)
    assert station.receive(sccp.LineStatReq(1)) == (sccp.LineStat(1, "1001", "Alice", "1001"),)
    assert station.receive(sccp.LineStatReq(2)) == (sccp.LineStat(2, "", "", ""),)
    assert station.receive(sccp.ForwardStatReq(1)) == \
        (sccp.ForwardStat(0, 1, 0, "", 0, "", 0, ""),)
    assert station.receive(sccp.SpeedDialStatReq(1)) == (sccp.SpeedDialStat(1, "", ""),)
    (time_date,) = station.receive(sccp.TimeDateReq())
    assert abs(time_date.system_time - router.clock.now_utc().timestamp()) < 5
    assert station.receive(sccp.ConfigStatReq()) == \
        (sccp.ConfigStat(f"SEP{MAC1}", 0, 1, "", "Router", 1, 0),)
    assert station.receive(sccp.RegisterAvailableLines(1)) == IDLE_SCREEN

    out = cli(router, "show ephone registered")
    assert ("ephone-1[0] Mac:0011.2233.4455 TCP socket:[1] activeLine:0 whisperLine:0 "
            "REGISTERED in SCCP ver 20/17 max_streams=5\n") in out
    assert "IP:10.1.1.21 * 40000 7965  keepalive 0 max_line 1 available_line 1" in out
    assert "caps:2" in out


def test_an_answer_reads_the_configuration_as_it_is_now(configured):
    router = configured
    station, _ = registered(router)
    cli(router, "ephone-dn 1", " name Bob", "ephone 1", " button 1:1 2:2", config=True)
    assert station.receive(sccp.LineStatReq(1)) == (sccp.LineStat(1, "1001", "Bob", "1001"),)
    (template,) = station.receive(sccp.ButtonTemplateReq())
    assert [b.instance_number for b in template.buttons] == [1, 2]


def test_messages_before_register_unhandled_ones_and_a_second_register(configured):
    router = configured
    cli(router, "debug ephone detail")
    station, _ = connect(router)
    assert station.receive(sccp.TimeDateReq()) == ()
    assert logged(router, "Skinny socket [1] 10.1.1.21:TimeDateReq before Register, ignored")
    assert logged(router, "Skinny socket [1] 10.1.1.21:new TCP connection from port 40000")
    station.receive(register(MAC1))
    assert logged(router, "Skinny socket [1] 10.1.1.21:-> RegisterAck")
    assert station.receive(sccp.VersionReq()) == ()
    assert logged(router, "ephone-1[0]:VersionReq not handled")
    assert station.receive(sccp.UnknownMessage(0x14A, b"\0" * 8)) == ()
    assert logged(router, "ephone-1[0]:Unknown(0x014A) not handled")
    assert station.receive(register(MAC1)) == ()
    assert logged(router, "ephone-1[0]:second Register on a registered connection, ignored")


# ---- keepalive ------------------------------------------------------------------------------

def test_keepalive_and_its_loss(configured):
    router = configured
    cli(router, "debug ephone keepalive")
    station, _ = connect(router)
    assert station.receive(sccp.KeepAlive()) == (sccp.KeepAliveAck(),)  # before Register too
    station.receive(register(MAC1))
    assert station.receive(sccp.KeepAlive()) == (sccp.KeepAliveAck(),)
    assert station.receive(sccp.KeepAlive()) == (sccp.KeepAliveAck(),)
    assert router.phones.registrations[1].keepalives == 2
    assert logged(router, "ephone-1[0]:KeepAlive received")
    station.timed_out()  # the transport's deadline (read_timeout) passed
    assert logged(router, "ephone-1[0]:no message for 0.6 seconds, closing")
    assert logged(router, "%IPPHONE-6-UNREGISTER_ABNORMAL: ephone-1:SEP001122334455 "
                  "IP:10.1.1.21 Socket:1 DeviceType:Phone has unregistered abnormally.")
    assert router.phones.registrations == {}
    station.closed()
    assert station.state is StationState.CLOSED and router.phones.socket_count == 0


# ---- secure modes ---------------------------------------------------------------------------

@pytest.mark.parametrize("where, mode, cipher, suffix", [
    ("ephone 1", "authenticated", NULL_SUITE, " + Authentication\n"),
    ("ephone 1", "encrypted", ENCRYPTING_SUITE,
     " + Authentication + Encryption with TLS connection\n"),
    ("telephony-service", "authenticated", NULL_SUITE, " + Authentication\n"),
    ("telephony-service", "encrypted", ENCRYPTING_SUITE,
     " + Authentication + Encryption with TLS connection\n"),
    ("ephone 1", "authenticated", ENCRYPTING_SUITE,  # an encrypting suite is more than enough
     " + Authentication + Encryption with TLS connection\n"),
])
def test_secure_registration_over_tls(configured, where, mode, cipher, suffix):
    router = configured
    cli(router, where, f" device-security-mode {mode}", config=True)
    station, _ = registered(router, transport="TLS", tls=tls_peer(MAC1, cipher))
    reg = router.phones.registrations[1]
    assert (reg.security_mode, reg.transport, reg.cipher, reg.tls_version) == \
        (mode, "TLS", cipher, "TLSv1.2")
    out = cli(router, "show ephone 1")
    assert f"REGISTERED in SCCP ver 20/17 max_streams=5{suffix}" in out
    assert "Signaling:" not in out  # CME prints no such line: the suffix tells the mode


@pytest.mark.parametrize("mode, transport, tls, reason, detail", [
    ("authenticated", "TCP", None, "Secure device must use TLS",
     "(device-security-mode authenticated needs TLS on port 2443)"),
    ("encrypted", "TCP", None, "Secure device must use TLS",
     "(device-security-mode encrypted needs TLS on port 2443)"),
    ("authenticated", "TLS", tls_peer(MAC1, cn=f"SEP{MAC2}"), "Certificate name mismatch",
     "(certificate CN 'SEP0011223344AA' is not the device name SEP001122334455)"),
    ("encrypted", "TLS", tls_peer(MAC1, NULL_SUITE), "Encryption required",
     "(device-security-mode encrypted, but the TLS suite NULL-SHA does not encrypt)"),
])
def test_secure_mode_mismatches_are_refused(configured, mode, transport, tls, reason, detail):
    router = configured
    cli(router, "ephone 1", f" device-security-mode {mode}", config=True)
    cli(router, "debug ephone register")
    station, _ = connect(router, transport=transport, tls=tls)
    out = station.receive(register(MAC1))
    assert out == (sccp.RegisterReject(reason), Close(f"registration refused: {reason}"))
    assert logged(router, f"Skinny socket [1] 10.1.1.21:RegisterReject sent to SEP{MAC1}: "
                  f"{reason} {detail}")
    assert station.state is StationState.CLOSING and router.phones.registrations == {}
    assert station.receive(sccp.KeepAlive()) == ()  # nothing follows a Close
    station.closed()
    assert router.phones.socket_count == 0


def test_a_plain_phone_may_come_over_tls(configured):
    station, _ = registered(configured, transport="TLS", tls=tls_peer(MAC1))
    assert configured.phones.registrations[1].security_mode == "none"


# ---- Reset and Restart from the router ------------------------------------------------------

def test_reset_and_restart_typed_at_the_cli_reach_the_station(configured):
    router = configured
    cli(router, "debug ephone register")
    station, link = registered(router)
    cli(router, "ephone 2", " reset", config=True)  # not registered: nothing sent
    assert link.written == []
    assert logged(router, "ephone-2[1]:not registered, reset not sent")
    cli(router, "ephone 1", " reset", config=True)
    assert link.written == [sccp.Reset(1)]
    assert station.state is StationState.RESET_SENT
    assert logged(router, "ephone-1[0]:Reset sent to SEP001122334455")
    cli(router, "telephony-service", " restart all", config=True)
    assert link.written == [sccp.Reset(1), sccp.Reset(2)]
    assert router.phones.registrations[1].reset_sent == 2
    # still registered until the phone leaves: keepalives and requests are still answered
    assert station.receive(sccp.KeepAlive()) == (sccp.KeepAliveAck(),)
    out = station.receive(sccp.Unregister())
    assert out == (sccp.UnregisterAck(0), Close("unregistered"))
    assert logged(router, "%IPPHONE-6-UNREGISTER_NORMAL: ephone-1:SEP001122334455 IP:10.1.1.21 "
                  "Socket:1 DeviceType:Phone has unregistered normally.")
    assert station.state is StationState.CLOSING and router.phones.registrations == {}
    assert station.reset(1) == ()  # a Reset for a connection that is ending goes nowhere
    station.closed()
    assert router.phones.registrations == {} and router.phones.socket_count == 0


# ---- refusals -------------------------------------------------------------------------------

def test_unknown_phone_without_auto_registration_is_refused(configured):
    router = configured
    cli(router, "telephony-service", " no auto-reg-ephone", config=True)
    cli(router, "debug ephone register")
    station, _ = connect(router, ip="10.1.1.23")
    out = station.receive(register(MAC3, "10.1.1.23"))
    assert out == (sccp.RegisterReject("Unknown device"),
                   Close("registration refused: Unknown device"))
    assert logged(router, "Skinny socket [1] 10.1.1.23:RegisterReject sent to SEP00AABBCCDDEE: "
                  "Unknown device (SEP00AABBCCDDEE has no ephone and auto-registration is "
                  "disabled (no auto-reg-ephone))")
    assert "ephone  3" not in router.running_config()


def test_unknown_phone_registers_as_a_new_ephone(configured):
    router = configured
    station, _ = registered(router, MAC3, ip="10.1.1.23")
    assert station.reg is not None and station.reg.tag == 3 and station.reg.new
    assert logged(router, "%IPPHONE-6-REGISTER_NEW: ephone-3:SEP00AABBCCDDEE")
    assert "ephone  3\n mac-address 00AA.BBCC.DDEE\n" in router.running_config()


def test_above_max_ephones_is_refused(configured):
    router = configured
    cli(router, "telephony-service", " max-ephones 2", config=True)
    registered(router, MAC1)
    registered(router, MAC2, ip="10.1.1.22")
    station, _ = connect(router, ip="10.1.1.23")
    out = station.receive(register(MAC3, "10.1.1.23"))
    assert out[0] == sccp.RegisterReject("max-ephones reached")
    assert isinstance(out[1], Close) and sorted(router.phones.registrations) == [1, 2]


def test_strict_match_refuses_a_phone_outside_the_subnet(configured):
    router = configured
    cli(router, "telephony-service", " ip source-address 10.1.1.1 port 2000 strict-match",
        config=True)
    station, _ = connect(router, ip="10.9.9.9")
    assert station.receive(register(MAC1, "10.9.9.9"))[0] == \
        sccp.RegisterReject("Not in strict-match subnet")


# ---- the end of a connection ----------------------------------------------------------------

def test_a_lost_connection_unregisters_abnormally_and_frees_the_socket(configured):
    router = configured
    cli(router, "debug ephone detail")
    station, _ = registered(router)
    station.connection_lost("BrokenResourceError")
    assert logged(router, "ephone-1[0]:connection lost (BrokenResourceError)")
    station.closed()
    assert logged(router, "%IPPHONE-6-UNREGISTER_ABNORMAL: ephone-1:SEP001122334455")
    assert router.phones.registrations == {} and router.phones.socket_count == 0
    station.closed()  # told twice: nothing more happens
    assert router.phones.socket_count == 0


def test_the_phone_back_on_a_new_connection_replaces_the_old_one(configured):
    router = configured
    old, old_link = registered(router)
    new, _ = registered(router)
    assert old_link.closed  # the registry dropped the old connection through its link
    assert router.phones.registrations[1].link is not old_link
    assert logged(router, "%IPPHONE-6-UNREGISTER_ABNORMAL: ephone-1:SEP001122334455 "
                  "IP:10.1.1.21 Socket:1")
    old.closed()  # the old connection ending later leaves the new registration alone
    assert router.phones.registrations[1].socket == new.socket == 2


def test_bad_frame_and_end_of_stream_are_logged(configured):
    router = configured
    cli(router, "debug ephone detail")
    station, _ = connect(router)
    station.bad_frame("frame length 2 outside 4..2000")
    assert logged(router, "Skinny socket [1] 10.1.1.21:bad SCCP frame (frame length 2 outside "
                  "4..2000), closing")
    other, _ = connect(router, ip="10.1.1.22")
    other.peer_closed()
    assert logged(router, "Skinny socket [2] 10.1.1.22:connection closed by the phone")
