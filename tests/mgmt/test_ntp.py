"""NTP: the codec, the checks a reply must pass (bytes alone), summer time, and the router's
clock following a real NTP server (Debian chrony with libfaketime, started by the test)."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from ipaddress import IPv4Address

import pytest
import trio
from conftest import Shell
from lab_pki import LabCA, install_trustpoint

from cucme_lab.lab.outside_servers import chrony
from cucme_lab.lab.router_lab import open_lab
from cucme_lab.router.clock import Clock
from cucme_lab.router.ntp import NtpAuth, NtpState
from cucme_lab.router.pki.validation import validate_chain
from cucme_lab.wire import ntp as wire

SERVER = "171.68.10.80"  # the chapter's first NTP server
LAN = "interface FastEthernet0/0\n ip address 171.68.10.1 255.255.255.0\n no shutdown\nexit\n"
SERVED = "2027-03-01 12:00:00"
SERVED_EPOCH = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC).timestamp()


# --- the codec -----------------------------------------------------------------------------------

def test_packet_round_trip_with_mac():
    p = wire.NtpPacket(mode=wire.MODE_SERVER, stratum=2, reference_id=bytes([10, 1, 1, 1]),
                       transmit=wire.to_ntp(1_700_000_000.25))
    data = wire.encode(p, (7, b"secret"))
    assert len(data) == 68
    back = wire.decode(data)
    assert back.key_id == 7 and back.stratum == 2 and back.reference_text == "10.1.1.1"
    assert abs(wire.from_ntp(back.transmit) - 1_700_000_000.25) < 1e-6
    assert wire.verify(data, back, {7: b"secret"})
    assert not wire.verify(data, back, {7: b"other"})
    assert not wire.verify(wire.encode(p), wire.decode(wire.encode(p)), {7: b"secret"})


def test_garbage_is_an_error_never_an_exception_of_another_kind():
    rng = random.Random(19)
    for n in list(range(0, 120)) + [1024, 65507]:
        data = bytes(rng.randrange(256) for _ in range(n))
        try:
            wire.decode(data)
        except wire.NtpError:
            pass
    with pytest.raises(wire.NtpError):
        wire.decode(b"\x00" * 47)
    with pytest.raises(wire.NtpError):
        wire.decode(bytes([0x3C]) + bytes(47))  # version 7


# --- the checks, bytes alone ------------------------------------------------------------------

def _answer(request: bytes, served: float, *, stratum: int = 3, leap: int = 0,
            key: tuple[int, bytes] | None = None, origin: int | None = None) -> bytes:
    asked = wire.decode(request)
    p = wire.NtpPacket(leap=leap, mode=wire.MODE_SERVER, stratum=stratum,
                       reference_id=bytes([127, 127, 1, 1]), origin=asked.transmit
                       if origin is None else origin, receive=wire.to_ntp(served),
                       transmit=wire.to_ntp(served))
    return wire.encode(p, key)


def _exchange(state: NtpState, clock: Clock, served: float, auth: NtpAuth | None = None,
              key_id: int | None = None, **answer) -> str | None:
    assoc = state.association(IPv4Address("10.1.1.1"))
    request = state.request(assoc, clock, None)
    return state.receive(assoc, _answer(request, served, **answer), clock, auth or NtpAuth(),
                         key_id,
                         False, 0.0)


def test_a_good_answer_steps_an_unset_clock_and_synchronises():
    state, clock = NtpState(), Clock.unset()
    assert clock.marker == "*"
    assert _exchange(state, clock, SERVED_EPOCH) is None
    assert clock.synced and clock.marker == "" and abs(
        clock.now_utc().timestamp() - SERVED_EPOCH) < 5
    assert state.stratum == 4 and state.sys_peer == IPv4Address("10.1.1.1")


@pytest.mark.parametrize("answer, why", [
    ({"stratum": 0}, "not synchronised"),
    ({"stratum": 16}, "not synchronised"),
    ({"leap": 3}, "not synchronised"),
    ({"origin": 12345}, "bogus origin"),
])
def test_answers_that_never_set_the_clock(answer, why):
    state, clock = NtpState(), Clock.unset()
    assert why in _exchange(state, clock, SERVED_EPOCH, **answer)
    assert not clock.synced and clock.marker == "*"


def test_a_time_twenty_years_away_is_insane():
    state, clock = NtpState(), Clock.unset()
    twenty_years = dt.datetime(2046, 3, 1, tzinfo=dt.UTC).timestamp()
    assert "insane" in _exchange(state, clock, twenty_years)
    assert not clock.synced


def test_a_synchronised_clock_is_not_stepped_beyond_the_panic_threshold():
    state, clock = NtpState(), Clock.unset()
    assert _exchange(state, clock, SERVED_EPOCH) is None
    assert "panic" in _exchange(state, clock, SERVED_EPOCH + 86400)


def test_authentication_wants_a_trusted_key_and_its_mac():
    auth = NtpAuth(True, {1: b"secretkey"}, frozenset({1}))
    state, clock = NtpState(), Clock.unset()
    assert "names no key" in _exchange(state, clock, SERVED_EPOCH, auth)
    assert "authentication failed" in _exchange(state, clock, SERVED_EPOCH, auth, 1)
    assert "authentication failed" in _exchange(state, clock, SERVED_EPOCH, auth, 1,
                                                key=(1, b"wrongkey"))
    untrusted = NtpAuth(True, {1: b"secretkey"}, frozenset())
    assert "not a trusted" in _exchange(state, clock, SERVED_EPOCH, untrusted, 1,
                                        key=(1, b"secretkey"))
    assert not clock.synced
    assert _exchange(state, clock, SERVED_EPOCH, auth, 1, key=(1, b"secretkey")) is None
    assert clock.synced


def test_eight_unanswered_polls_lose_the_peer():
    state, clock = NtpState(), Clock.unset()
    clock.ntp_configured = lambda: True
    assert _exchange(state, clock, SERVED_EPOCH) is None
    assoc = state.association(IPv4Address("10.1.1.1"))
    for _ in range(8):
        state.request(assoc, clock, None)
    assert assoc.reach == 0 and not clock.synced and clock.marker == "."
    assert state.sys_peer is None


# --- summer time ------------------------------------------------------------------------------

async def test_july_shows_the_summer_zone(shell, router):
    await shell.paste_config("clock timezone PST -8\nclock summer-time PDT recurring\n")
    out = await shell.type("clock set 12:00:00 4 Jul 2026", "show clock")
    assert "12:00:0" in out and "PDT Sat Jul 4 2026" in out
    assert router.clock.now_utc().hour == 19  # 12:00 PDT is 19:00 UTC
    assert router.log.lines[-1].startswith("Jul  4 12:00:00")  # log stamps in summer time
    out = await shell.type("clock set 12:00:00 4 Jan 2026", "show clock")
    assert "PST Sun Jan 4 2026" in out
    assert "clock summer-time PDT recurring\n" in router.running_config()


async def test_summer_time_rules_recurring_and_date(shell, router):
    await shell.paste_config(
        "clock timezone AEST 10\n"
        "clock summer-time AEDT recurring 1 Sun Oct 2:00 1 Sun Apr 3:00\n")
    out = await shell.type("clock set 12:00:00 15 Jan 2026", "show clock",
                           "clock set 12:00:00 15 Jul 2026", "show clock")
    assert "AEDT Thu Jan 15 2026" in out and "AEST Wed Jul 15 2026" in out
    await shell.paste_config("clock summer-time X date Mar 1 2026 0:00 Mar 31 2026 0:00 30\n")
    out = await shell.type("clock set 12:00:00 15 Mar 2026", "show clock")
    assert "12:00:0" in out and "X Sun Mar 15 2026" in out
    running = router.running_config()
    assert "clock summer-time X date Mar 1 2026 0:00 Mar 31 2026 0:00 30\n" in running


async def test_bad_time_lines_are_refused(shell, router):
    out = await shell.paste_config(
        "clock summer-time X date Feb 31 2026 0:00 Mar 31 2026 0:00\n"
        "ntp server 224.0.0.1\nntp authentication-key 1 md5 " + "k" * 40 + "\n"
        "ntp authentication-key 2 md5 ZZZZ 7\nntp trusted-key 0\n")
    assert "% Invalid date" in out and "%NTP: Invalid server address" in out
    assert "%NTP: Key too long" in out and "Invalid encrypted password: ZZZZ" in out
    assert "% Invalid input detected at '^' marker." in out
    assert router.config.ntp_servers == () and router.config.ntp_keys == ()
    assert router.config.clock_summer_time is None


# --- a real NTP server ------------------------------------------------------------------------

async def _server_time(address: str, port: int) -> float:
    """The time the NTP server answers a plain client request with, now."""
    with trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM) as s:
        await s.connect((address, port))
        await s.send(wire.encode(wire.NtpPacket(version=4, transmit=wire.to_ntp(0))))
        return wire.from_ntp(wire.decode(await s.recv(1024)).transmit)


async def _synced(lab, timeout: float) -> bool:
    with trio.move_on_after(timeout):
        while not lab.router.clock.synced:
            await trio.sleep(0.05)
        return True
    return False


async def test_the_clock_follows_chrony_and_a_certificate_follows_the_clock(tmp_path):
    ca = LabCA("NTPCA")
    with trio.fail_after(90):
        async with open_lab(tmp_path / "lab") as lab:
            plan, router = lab.addresses, lab.router
            shell = Shell(router)
            await shell.paste_config(LAN + "ntp logging\n")
            install_trustpoint(router, "ntp-tp", ca)
            leaf, _ = ca.issue("phone", not_before=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
                               days=60)
            assert not (await validate_chain(router, [leaf], "ntp-tp")).ok  # 2026: not yet
            async with chrony(tmp_path / "chrony", plan.to_loopback(SERVER), plan.port(123),
                              fake_time=SERVED):
                await shell.paste_config(f"ntp server {SERVER}\n")
                assert (await shell.type("show clock")).splitlines()[1].startswith("*")
                assert await _synced(lab, 30)
                served = await _server_time(plan.to_loopback(SERVER), plan.port(123))
                assert abs(router.clock.now_utc().timestamp() - served) < 2
                assert dt.datetime.fromtimestamp(served, dt.UTC).date() == dt.date(2027, 3, 1)
                out = await shell.type("show clock", "show ntp status",
                                       "show ntp associations", "show logging")
                assert "Mar 1 2027" in out
                assert f"Clock is synchronized, stratum 9, reference is {SERVER}" in out
                assert f"*~{SERVER:<16}127.127.1.1" in out or f"*~{SERVER:<16}" in out
                assert f"%NTP-5-PEERSYNC: NTP synced to peer {SERVER}" in out
                assert re.search(r"%SYS-6-CLOCKUPDATE: System clock has been updated from "
                                 r".* to \d\d:\d\d:\d\d UTC Mon Mar 1 2027, configured from NTP "
                                 rf"by {re.escape(SERVER)}\.", out)
                assert (await validate_chain(router, [leaf], "ntp-tp")).ok  # now valid
                entry = await lab.service("ntp", timeout=30)
                assert entry.bound_address == plan.to_loopback("171.68.10.1")


async def test_authentication_with_chrony_right_key_syncs_wrong_key_never(tmp_path):
    with trio.fail_after(90):
        async with open_lab(tmp_path / "lab") as lab:
            plan, router = lab.addresses, lab.router
            shell = Shell(router)
            await shell.paste_config(LAN + "ntp authenticate\nntp trusted-key 1\n"
                                     "ntp authentication-key 1 md5 wrongkey\n")
            async with chrony(tmp_path / "chrony", plan.to_loopback(SERVER), plan.port(123),
                              fake_time=SERVED, keys={1: "secretkey"}):
                await shell.paste_config(f"ntp server {SERVER} key 1\n")
                assert not await _synced(lab, 5)
                assoc = router.ntp.association(IPv4Address(SERVER))
                # chrony does not answer a request whose MAC it cannot check; an answer
                # would be refused for its MAC (test_authentication_wants_...)
                assert assoc.answered == 0 and assoc.reach == 0
                assert "*" in (await shell.type("show clock")).splitlines()[1][:1]
                await shell.paste_config("ntp authentication-key 1 md5 secretkey\n"
                                         f"ntp server {SERVER} version 4 key 1 prefer\n")
                assert await _synced(lab, 30)


async def test_garbage_and_a_far_future_never_set_the_clock(tmp_path):
    """A server answering garbage, then well-formed answers twenty years away."""
    with trio.fail_after(60):
        async with open_lab(tmp_path / "lab") as lab:
            plan, router = lab.addresses, lab.router
            shell = Shell(router)
            with trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM) as fake:
                await fake.bind((plan.to_loopback(SERVER), plan.port(123)))
                await shell.paste_config(LAN + f"ntp server {SERVER}\n")
                far = dt.datetime(2046, 3, 1, tzinfo=dt.UTC).timestamp()
                for i in range(4):
                    request, peer = await fake.recvfrom(1024)
                    if i % 2 == 0:
                        await fake.sendto(os.urandom(30 + i), peer)
                    await fake.sendto(_answer(request, far), peer)
                assoc = router.ntp.association(IPv4Address(SERVER))
                while assoc.rejected < 4:
                    await trio.sleep(0.05)
                    assoc = router.ntp.association(IPv4Address(SERVER))
            assert not router.clock.synced and router.clock.marker == "*"
            assert "insane time" in assoc.rejections
            assert "Router#" in await shell.type("show ntp associations")


async def test_an_unreachable_server_never_sets_the_clock(tmp_path):
    with trio.fail_after(60):
        async with open_lab(tmp_path / "lab") as lab:
            shell = Shell(lab.router)
            await shell.paste_config(LAN + f"ntp server {SERVER}\n")
            await lab.service("ntp", timeout=30)
            assert not await _synced(lab, 4)
            out = await shell.type("show ntp associations", "show ntp status")
            assert f" ~{SERVER:<16}.INIT.          16      -" in out
            assert "Clock is unsynchronized, stratum 16, no reference clock" in out


# genieparser's IOS `show ntp associations` row (tests only the columns it reads)
GENIE_ROW = re.compile(r"^(?P<mode_code>[x\*\#\+\- ])?(?P<configured>[\~])? *(?P<remote>[\w\.\:]+)"
                       r" +(?P<refid>[\w\.]+) +(?P<stratum>\d+) +(?P<receive_time>[\d\-]+) +"
                       r"(?P<poll>\d+) +(?P<reach>\d+) +(?P<delay>[\d\.]+) +"
                       r"(?P<offset>[\d\.\-]+) +(?P<disp>[\d\.\-]+)$")


async def test_show_ntp_associations_rows_read_as_genieparser_reads_them(shell, router):
    await shell.paste_config("ntp server 10.1.1.1\nntp server 10.1.1.2\n")
    state, clock = router.ntp, router.clock
    assoc = state.association(IPv4Address("10.1.1.1"))
    request = state.request(assoc, clock, None)
    assert state.receive(assoc, _answer(request, SERVED_EPOCH), clock, NtpAuth(), None,
                         False, 0.0) is None
    out = await shell.type("show ntp associations")
    rows = [GENIE_ROW.match(x) for x in out.splitlines() if "~10.1.1." in x]
    assert all(rows) and len(rows) == 2, out
    assert rows[0]["mode_code"] == "*" and rows[0]["stratum"] == "3" and rows[0]["reach"] == "1"
    assert rows[1]["mode_code"] == " " and rows[1]["refid"] == ".INIT."


async def test_requests_are_version_3_unless_the_server_line_says(shell, router):
    state, clock = NtpState(), Clock.unset()
    assoc = state.association(IPv4Address("10.1.1.1"))
    assert wire.decode(state.request(assoc, clock, None)).version == 3
    assert wire.decode(state.request(assoc, clock, None, version=4)).version == 4
    await shell.paste_config("ntp server 10.1.1.1 version 4 key 2 prefer\n")
    assert "\nntp server 10.1.1.1 version 4 key 2 prefer\n" in router.running_config()


async def test_zone_and_summer_time_come_back_from_startup_config_only(shell, router):
    from cucme_lab.shell.boot import reload_router
    from cucme_lab.shell.commands import command_set

    await shell.paste_config("clock timezone PST -8\nclock summer-time PDT recurring\n")
    await shell.type("write memory")
    await shell.paste_config("clock timezone CET 1\nno clock summer-time\n")
    await reload_router(router, command_set())
    assert router.clock.tz_name == "PST" and router.clock.summer is not None
    await shell.paste_config("no clock timezone\nno clock summer-time\n")
    await shell.type("write memory")
    await reload_router(router, command_set())
    assert router.clock.tz_name == "UTC" and router.clock.summer is None


async def test_an_outside_server_is_not_started_where_something_listens(tmp_path):
    from cucme_lab.lab.outside_servers import ServerUnavailable

    with trio.fail_after(10):
        with trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM) as taken:
            await taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            with pytest.raises(ServerUnavailable, match="is taken"):
                async with chrony(tmp_path / "c", "127.0.0.1", port):
                    pass
