"""Reset, restart and keepalive loss, end to end."""

from __future__ import annotations

import pytest
import trio
from sccp_support import (
    MAC1,
    MAC2,
    Pki,
    configure,
    phone,
    register_raw,
    reset_connection,
    start_phone,
    wait_log,
)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


async def test_reset_and_restart_reach_registered_phones_only(lab, shell, pki):
    plain, _ = await configure(lab, shell, pki)
    one = phone(lab, pki, MAC1, reregister=True)
    two = phone(lab, pki, MAC2, ip="10.1.1.22", reregister=True)
    async with trio.open_nursery() as n:
        assert await start_phone(n, one, plain)
        # ephone 2 is not registered yet: its reset goes nowhere
        await shell.paste_config("ephone 2\n reset\n")
        assert two.resets == [] and lab.router.phones.registrations.keys() == {1}
        assert await start_phone(n, two, plain)
        await shell.paste_config("ephone 1\n reset\n")
        await one.wait_for(lambda p: p.resets == [1] and p.registered and p.registrations == 2)
        assert two.resets == []
        await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_NORMAL: ephone-1:SEP001122334455")
        await shell.paste_config("ephone 2\n restart\n")
        await two.wait_for(lambda p: p.resets == [2] and p.registered and p.registrations == 2)
        await shell.paste_config("telephony-service\n restart all\n")
        await one.wait_for(lambda p: p.resets == [1, 2] and p.registered)
        await two.wait_for(lambda p: p.resets == [2, 2] and p.registered)
        await shell.paste_config("telephony-service\n reset all\n")
        await one.wait_for(lambda p: p.resets == [1, 2, 1] and p.registered)
        await two.wait_for(lambda p: p.resets == [2, 2, 1] and p.registered)
        out = await shell.type("show ephone 1")
        assert "REGISTERED" in out
        n.cancel_scope.cancel()


async def test_keepalive_loss_unregisters_abnormally(lab, shell, pki):
    plain, _ = await configure(lab, shell, pki)
    await shell.type("debug ephone keepalive")
    ph = phone(lab, pki, MAC1)
    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, plain)
        await ph.wait_for(lambda p: p.keepalives_acked >= 1)
        ph.send_keepalives = False  # the phone goes silent (cable pulled)
        with trio.fail_after(5):  # 3 x 10 s configured = 0.6 s here
            line = await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_ABNORMAL:")
        assert line.endswith("ephone-1:SEP001122334455 IP:10.1.1.21 Socket:1 "
                             "DeviceType:Phone has unregistered abnormally.")
        assert lab.router.log.contains("no message for 0.6 seconds, closing")
        assert lab.router.log.contains("KeepAlive received")
        await ph.wait_for(lambda p: not p.registered)
        assert ph.status == "Connection to CallManager lost"
        n.cancel_scope.cancel()
    out = await shell.type("show ephone registered")
    assert "ephone-1" not in out


async def test_phone_notices_a_silent_router(lab, shell, pki):
    """The router stops answering keepalives (its service goes away): the phone gives up."""
    plain, _ = await configure(lab, shell, pki)
    ph = phone(lab, pki, MAC1)
    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, plain)
        reg = lab.router.phones.registrations[1]
        reg.link.send_reset = lambda kind: None  # not used; keeps the link object honest
        conn = reg.link
        conn._queue = lambda message: None  # the router swallows every reply from now on
        await ph.wait_for(lambda p: p.status.startswith("Keepalive lost"), timeout=5)
        n.cancel_scope.cancel()


async def test_phone_whose_keepalive_cannot_be_sent_reports_the_lost_connection(lab, shell, pki):
    """A write failing in the phone's keepalive task (inside its session's task group) ends the
    session with the status a phone shows, instead of an error escaping the phone."""
    plain, _ = await configure(lab, shell, pki)
    ph = phone(lab, pki, MAC1)

    async def broken(data) -> None:
        raise trio.BrokenResourceError("connection reset by the network")

    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, plain)
        ph._stream.send_all = broken  # the next KeepAlive meets a dead connection
        await ph.wait_for(lambda p: p.status == "Connection to CallManager lost", timeout=5)
        assert not ph.registered
        n.cancel_scope.cancel()


async def test_a_reset_for_a_connection_just_reset_ends_that_connection_only(lab, shell, pki,
                                                                           caplog):
    """A Reset typed for a quiet phone is written by a task in the service's nursery, not the
    connection's; meeting a connection the phone has just reset, it ends that connection and
    never the service."""
    plain, _ = await configure(lab, shell, pki)
    sock = await register_raw(plain, phone(lab, pki, MAC1))
    await wait_log(lab.router, "%IPPHONE-6-REG")
    reset_connection(sock)  # and before the router has seen the RST, a Reset is on its way
    lab.router.phones.reset_phones([1], restart=False)
    await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_ABNORMAL: ephone-1:")
    second = phone(lab, pki, MAC2, ip="10.1.1.22")
    async with trio.open_nursery() as n:
        assert await start_phone(n, second, plain)
        n.cancel_scope.cancel()
    assert "sccp" in {e.name for e in lab.services.entries()}
    assert "crashed" not in caplog.text
