"""The phone's SCCP client against routers that never finish: one deadline bounds connecting,
then registering, and the phone says which one ran out (real loopback sockets, no lab)."""

from __future__ import annotations

import socket

import trio
from sccp_support import MAC1, Pki

from cucme_lab.netio import tls_stream
from cucme_lab.phones import sccp_client
from cucme_lab.phones.sccp_client import SccpPhone

HOST = "127.0.0.1"


async def _silent_listener(nursery: trio.Nursery) -> int:
    """Accepts connections and never says a word (nor closes them until cancelled)."""
    listener = tls_stream.listen(HOST, 0)

    async def hold(sock: socket.socket) -> None:
        try:
            await trio.sleep_forever()
        finally:
            sock.close()

    nursery.start_soon(tls_stream.serve, listener, hold)
    return listener.getsockname()[1]


async def test_a_router_that_never_answers_register_times_the_registration_out():
    phone = SccpPhone(MAC1, time_scale=0.05)  # 10 s of registration deadline -> 1 s
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            port = await _silent_listener(nursery)
            registered = await nursery.start(phone.run, HOST, port)
            assert registered is False
            nursery.cancel_scope.cancel()
    assert phone.status == "Registration timed out"
    assert phone._stream is None  # the connection was closed, not left behind


async def test_a_tls_handshake_that_never_ends_times_the_connection_out(monkeypatch):
    monkeypatch.setattr(sccp_client, "CONNECT_TIMEOUT", 0.3)
    pki = Pki()
    cert, key = pki.phone_lsc(MAC1)
    phone = SccpPhone(MAC1, security_mode="authenticated", certificate=cert, key=key,
                      ctl=pki.ctl)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            port = await _silent_listener(nursery)
            assert await nursery.start(phone.run, HOST, port) is False
            nursery.cancel_scope.cancel()
    assert phone.status == "Connection timed out"
    assert not phone.registered
