"""What a hostile or broken SCCP client can no longer do: hold a connection by dribbling bytes,
finish a TLS handshake on 2443 without a certificate, be refused without a trace in the log,
take the service down with a fault in its connection, or open sockets without end."""

from __future__ import annotations

import shutil
import ssl

import pytest
import trio
from sccp_support import MAC1, MAC2, Pki, configure, phone, start_phone, wait_log

from cucme_lab.phones.tls import phone_context
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


def _no_certificate_context() -> ssl.SSLContext:
    ctx = phone_context()  # no certificate to present
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


async def test_2443_fails_the_handshake_of_a_client_without_certificate(lab, shell, pki):
    """Before, the handshake finished (`CONNECTION ESTABLISHED`) and the router closed after."""
    _, tls = await configure(lab, shell, pki)
    tcp = await trio.open_tcp_stream(tls.bound_address, tls.bound_port)
    client = trio.SSLStream(tcp, _no_certificate_context(), server_side=False)
    with trio.fail_after(5), pytest.raises(trio.BrokenResourceError) as failed:
        await client.do_handshake()
    assert "HANDSHAKE_FAILURE" in str(failed.value.__cause__).upper()
    await tcp.aclose()
    # not debugging anything: the refusal is in the log all the same
    line = await wait_log(lab.router, "%IPPHONE-4-TLS_REFUSED")
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in line
    # the service goes on serving phones with certificates
    async with trio.open_nursery() as n:
        await shell.paste_config("ephone 1\n device-security-mode authenticated\n")
        assert await start_phone(n, phone(lab, pki, MAC1, mode="authenticated"), tls)
        n.cancel_scope.cancel()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
async def test_openssl_s_client_without_certificate_is_refused(lab, shell, pki):
    _, tls = await configure(lab, shell, pki)
    with trio.fail_after(20):
        result = await trio.run_process(
            ["openssl", "s_client", "-connect", f"{tls.bound_address}:{tls.bound_port}",
             "-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0"],
            stdin=b"", capture_stdout=True, capture_stderr=True, check=False)
    out = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode != 0, out
    assert "CONNECTION ESTABLISHED" not in out
    assert "handshake failure" in out
    await wait_log(lab.router, "PEER_DID_NOT_RETURN_A_CERTIFICATE")


async def test_certificate_refusals_are_logged_without_debug(lab, shell, pki):
    """An untrusted certificate (handshake) and an expired one (the router's own check)."""
    import datetime

    from lab_pki import LabCA

    _, tls = await configure(lab, shell, pki, "ephone 1\n device-security-mode authenticated\n")
    stranger = LabCA("OTHERCA").issue(f"SEP{MAC1}")
    now = datetime.datetime.now(datetime.UTC)
    expired = pki.phone_lsc(MAC1, not_before=now - datetime.timedelta(days=10), days=2)
    async with trio.open_nursery() as n:
        assert not await start_phone(n, phone(lab, pki, MAC1, mode="authenticated",
                                              lsc=stranger), tls)
        line = await wait_log(lab.router, "%IPPHONE-4-TLS_REFUSED")
        assert "CERTIFICATE_VERIFY_FAILED" in line and "10.1.1.21" in line
        assert not await start_phone(n, phone(lab, pki, MAC1, mode="authenticated",
                                              lsc=expired), tls)
        line = await wait_log(lab.router, "certificate has expired")
        assert "%IPPHONE-4-TLS_REFUSED" in line
        n.cancel_scope.cancel()
    assert not lab.router.debug.flags


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
