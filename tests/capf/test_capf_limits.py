"""CAPF's bounds: a session has an overall deadline that dribbled bytes do not extend, and the
service holds at most MAX_SESSIONS connections at once."""

from __future__ import annotations

import pytest
import trio
from lab_pki import LabCA
from test_capf_service import enrol, start

from cucme_lab.phones.tls import phone_context
from cucme_lab.services import capf as capf_service


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("CAServer")


async def open_session(entry) -> trio.SSLStream:
    """A client that finishes the TLS handshake and reads AUTH_REQUEST, then says nothing."""
    tcp = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
    stream = trio.SSLStream(tcp, phone_context(), server_hostname=None)
    await stream.do_handshake()
    assert (await stream.receive_some(100))[:1] == b"\x55"  # AUTH_REQUEST
    return stream


async def closed_by_server(stream: trio.SSLStream) -> bool:
    try:
        while await stream.receive_some(100):
            pass
    except trio.BrokenResourceError:
        pass
    return True


async def test_a_dribbling_client_is_closed_by_the_session_deadline(lab, shell, ca, monkeypatch):
    monkeypatch.setattr(capf_service, "SESSION_DEADLINE", 1.5)
    entry, cert = await start(lab, shell, ca)
    await shell.type("debug capf-server error")
    stream = await open_session(entry)
    # an AUTH_RESPONSE header announcing a long body, one byte every 0.1 s: each byte is well
    # within IDLE_TIMEOUT (60 s), so only the overall deadline can end this
    header = b"\x55\x02\x00\x00\x00\x01\x04\x00" + b"\x00" * 1024
    start_time = trio.current_time()
    closed = False
    with trio.move_on_after(10):
        async with trio.open_nursery() as nursery:
            async def dribble() -> None:
                for byte in header:
                    try:
                        await stream.send_all(bytes([byte]))
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        return
                    await trio.sleep(0.1)

            nursery.start_soon(dribble)
            closed = await closed_by_server(stream)
            nursery.cancel_scope.cancel()
    elapsed = trio.current_time() - start_time
    assert closed and elapsed < 5, elapsed
    assert lab.router.log.contains("session not finished within 1.5 seconds, closing")
    await stream.aclose()
    # the deadline bounds a slow client, not a phone: a real enrolment still goes through
    assert (await enrol(lab, entry, cert, auth_string="1234")).ok


async def test_connections_beyond_max_sessions_are_reset(lab, shell, ca, monkeypatch):
    monkeypatch.setattr(capf_service, "MAX_SESSIONS", 3)
    entry, cert = await start(lab, shell, ca)
    held = [await open_session(entry) for _ in range(3)]
    with trio.fail_after(10):
        tcp = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
        extra = trio.SSLStream(tcp, phone_context(), server_hostname=None)
        with pytest.raises(trio.BrokenResourceError):
            await extra.do_handshake()
    service = next(s for s in lab.services.services if s.name == "capf")
    assert service.active == 3 and service.refused == 1
    assert lab.router.log.contains("%CAPF-4-SESSION_LIMIT: 3 CAPF sessions in progress; new "
                                   "connections are refused")
    await held[0].aclose()
    with trio.fail_after(10):
        while service.active == 3:
            await trio.sleep(0.01)
    assert (await enrol(lab, entry, cert, auth_string="1234")).ok
    for stream in held[1:]:
        await stream.aclose()
