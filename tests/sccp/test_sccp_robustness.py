"""What a hostile or broken SCCP client can no longer do: hold a connection by dribbling bytes,
finish a TLS handshake on 2443 without a certificate, be refused without a trace in the log,
take the service down with a fault in its connection, or open sockets without end."""

from __future__ import annotations

import pytest
import trio
from sccp_support import MAC1, MAC2, Pki, configure, phone, start_phone, wait_log

from cucme_lab.router.telephony.station import Station
from cucme_lab.services import sccp as sccp_service

# read timeout before registration: keepalive 10 x 3 missed x TIME_SCALE 0.02 = 0.6 s
READ_TIMEOUT = 0.6


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


async def test_a_client_dribbling_a_partial_frame_is_closed_at_the_keepalive_deadline(
        lab, shell, pki):
    """Bytes of a frame that never completes are no sign of life: before, each byte moved
    the deadline and one byte every 0.1 s held the connection for ever."""
    plain, _ = await configure(lab, shell, pki)
    stream = await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
    header = (2000).to_bytes(4, "little") + bytes(8)  # a 2000-byte frame, never sent whole
    began = trio.current_time()

    async def dribble() -> None:
        for byte in header + bytes(2000):
            try:
                await stream.send_all(bytes([byte]))
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
            await trio.sleep(0.05)

    with trio.fail_after(5 * READ_TIMEOUT):
        async with trio.open_nursery() as n:
            n.start_soon(dribble)
            assert await stream.receive_some(10) == b""  # the router closed it
            n.cancel_scope.cancel()
    elapsed = trio.current_time() - began
    assert READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT * 3
    await stream.aclose()


async def test_whole_messages_keep_a_connection_open(lab, shell, pki):
    """The other side of the rule: a phone that sends whole messages (KeepAlive) in time is
    kept past the read timeout."""
    from cucme_lab.wire import sccp

    plain, _ = await configure(lab, shell, pki)
    stream = await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
    frame = sccp.encode_frame(sccp.KeepAlive(), 0)
    with trio.move_on_after(READ_TIMEOUT * 2.5):
        while True:
            await stream.send_all(frame)
            with trio.move_on_after(READ_TIMEOUT / 3):
                assert await stream.receive_some(100) != b""
    await stream.aclose()


async def test_a_fault_in_one_connection_ends_that_connection_only(lab, shell, pki,
                                                                   monkeypatch):
    """An exception in the Station (any bug a message can reach) closes its connection and
    is logged; the listener is the same one, not restarted, and serves the next phone."""
    plain, _ = await configure(lab, shell, pki)
    original = Station.receive
    armed = [True]

    def faulty(self, event):
        if armed[0]:
            armed[0] = False
            raise ValueError("injected fault in the station")
        return original(self, event)

    monkeypatch.setattr(Station, "receive", faulty)
    async with trio.open_nursery() as n:
        assert not await start_phone(n, phone(lab, pki, MAC1), plain)
        line = await wait_log(lab.router, "%SYS-3-CONN_FAULT")
        assert "ValueError: injected fault in the station" in line
        assert await start_phone(n, phone(lab, pki, MAC2, ip="10.1.1.22"), plain)
        n.cancel_scope.cancel()
    [running] = [r for b, r in lab.services.running.items() if b.service == "sccp"]
    assert running.restarts == 0
    assert not lab.router.log.contains("%SYS-3-PROC_RESTART")
    assert lab.services.entries()[0] is not None
    assert any(e is plain for e in lab.services.entries())  # the very same listener


async def test_connections_from_one_address_are_capped(lab, shell, pki, monkeypatch):
    monkeypatch.setattr(sccp_service, "MAX_PER_PEER", 3)
    plain, _ = await configure(lab, shell, pki)
    held = [await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
            for _ in range(3)]
    extra = await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
    with trio.fail_after(1):
        assert await extra.receive_some(10) == b""  # closed at once
    line = await wait_log(lab.router, "%SYS-4-CONN_LIMIT")
    assert "3 connections from that address (limit 3)" in line
    for stream in held:  # the three admitted ones are still open
        with trio.move_on_after(0.1) as idle:
            await stream.receive_some(10)
        assert idle.cancelled_caught
    await held.pop().aclose()
    await trio.sleep(0.05)
    again = await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
    with trio.move_on_after(0.1) as idle:
        await again.receive_some(10)
    assert idle.cancelled_caught  # a place came free
    for stream in [*held, extra, again]:
        await stream.aclose()
