"""Phones that vanish in a call, on real sockets: no call is left behind.

Two encrypted phones (TLS on 2443, SRTP media) in a call, or with the call still ringing; one
of them disappears at the socket level: its TCP connection reset (RST), or its TCP connection
closed without the TLS close_notify. The other phone is put on-hook, the router keeps no
call, and `debug ephone detail` says why. A call nobody answers rings on (CME's default with
no `call-forward noan`) until the caller hangs up.
"""

from __future__ import annotations

import socket

import pytest
import trio
from sccp_support import MAC1, MAC2, Pki, configure, phone, reset_connection, start_phone

SECURE = "ephone 1\n device-security-mode encrypted\nephone 2\n device-security-mode encrypted\n"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def close_without_close_notify(ph) -> None:
    """The phone's TCP connection ends with a FIN, the TLS session never closed. Its sending
    side is shut, not the socket closed: a socket closed with bytes it has not read (the
    router's messages of the call, under load) ends with a reset instead of a FIN."""
    ph._stream.socket.shutdown(socket.SHUT_WR)


async def _two_phones(lab, shell, pki, nursery):
    _, tls = await configure(lab, shell, pki, SECURE)
    await shell.type("debug ephone detail")
    def route(address: str, port: int) -> tuple[str, int]:  # the lab's wires for media
        return lab.addresses.to_loopback(address), port

    a = phone(lab, pki, MAC1, "10.1.1.21", "encrypted", route=route)
    b = phone(lab, pki, MAC2, "10.1.1.22", "encrypted", route=route)
    for ph in (a, b):
        ph.media_nursery = nursery
        assert await start_phone(nursery, ph, tls)
    return a, b


async def _ringing(a, b) -> None:
    await a.dial("1002")
    await b.wait_for(lambda p: p.plane.ringing_call() is not None)


async def _connected(a, b) -> None:
    await _ringing(a, b)
    await b.answer()
    for ph in (a, b):
        await ph.wait_for(lambda p: any(c.state == "connected" and c.media is not None
                                        and c.media.counters.received > 0
                                        for c in p.calls.values()))


@pytest.mark.parametrize("vanish", [reset_connection, close_without_close_notify],
                         ids=["tcp-reset", "tls-close-without-close-notify"])
async def test_a_phone_vanishing_mid_secure_call_puts_the_other_on_hook(lab, shell, pki,
                                                                        vanish):
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            a, b = await _two_phones(lab, shell, pki, nursery)
            await _connected(a, b)
            assert next(iter(a.calls.values())).security == "encrypted"
            sock = b._stream.socket
            vanish(sock) if vanish is reset_connection else vanish(b)
            await a.wait_for(lambda p: not p.calls)
            assert all(s.closed and s._sock is None for s in a.plane.ended[-1].streams)
            with trio.fail_after(5):
                while lab.router.phones.calls.calls:
                    await trio.sleep(0.01)
            why = "connection lost (" if vanish is reset_connection else \
                "connection closed by the phone (TLS session ended without close_notify)"
            assert lab.router.log.contains(why)
            nursery.cancel_scope.cancel()


@pytest.mark.parametrize("who", ["called", "caller"])
@pytest.mark.parametrize("vanish", [reset_connection, close_without_close_notify],
                         ids=["tcp-reset", "tls-close-without-close-notify"])
async def test_a_phone_vanishing_while_it_rings_ends_the_call_for_the_other(lab, shell, pki,
                                                                           vanish, who):
    """The called phone vanishes while it rings: the caller is not left ringing out; the
    caller vanishes: the called phone stops ringing."""
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            a, b = await _two_phones(lab, shell, pki, nursery)
            await _ringing(a, b)
            gone, other = (b, a) if who == "called" else (a, b)
            vanish(gone._stream.socket) if vanish is reset_connection else vanish(gone)
            await other.wait_for(lambda p: not p.calls)
            assert other.registered
            with trio.fail_after(5):
                while lab.router.phones.calls.calls:
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()


async def test_a_call_nobody_answers_rings_until_the_caller_hangs_up(lab, shell, pki):
    """No `call-forward noan`: CME lets it ring; nothing on the router ends it."""
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            a, b = await _two_phones(lab, shell, pki, nursery)
            await _ringing(a, b)
            # 60 configured seconds (keepalives go on meanwhile): still ringing both ways
            await trio.sleep(60 * lab.router.phones.time_scale)
            assert [c.state for c in a.calls.values()] == ["ringout"]
            ringing = b.plane.ringing_call()
            assert ringing is not None and ringing.ringing
            assert a.registered and b.registered
            await a.hang_up()
            await b.wait_for(lambda p: not p.calls)
            assert not lab.router.phones.calls.calls
            nursery.cancel_scope.cancel()
