"""netio's TLS stream on real loopback sockets: handshake, traffic both ways, a reader and a
writer at once, the peer's certificate, refusals with OpenSSL's reason, closes and timeouts.

Every test runs on both record paths: pyOpenSSL's private binding (skipped if the probe
refuses it here) and its public Connection methods, the fallback."""

from __future__ import annotations

import datetime
import socket

import pytest
import trio
from cryptography.hazmat.primitives.serialization import Encoding
from lab_pki import LabCA, rsa_key

from cucme_lab.netio import tls_contexts, tls_stream
from cucme_lab.netio.tls_stream import TlsStream

HOST = "127.0.0.1"
NULL = "NULL-SHA:@SECLEVEL=0"
SERVER = "AES128-SHA:NULL-SHA:@SECLEVEL=0"


@pytest.fixture(autouse=True, params=tls_stream.PATHS)
def record_path(request):
    """The streams a test makes carry their records by this path; the one before, after."""
    before, why = tls_stream.RECORD_PATH, tls_stream.RECORD_PATH_REASON
    try:
        tls_stream.select_path(request.param)
    except RuntimeError as exc:  # the binding's probe failed: only the public path is left
        pytest.skip(str(exc))
    yield request.param
    tls_stream.select_path(before, reason=why)


@pytest.fixture(scope="module")
def pki():
    ca = LabCA(cn="NETIO-CA")
    stranger = LabCA(cn="NETIO-STRANGER")
    server_key, client_key = rsa_key("netio-server"), rsa_key("netio-client")
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)
    return {
        "ca": ca,
        "server": ca.issue("cme.lab", server_key),
        "client": ca.issue("SEP00AA00000001", client_key),
        "stranger": stranger.issue("SEP00AA00000002", client_key),
        "expired": ca.issue("SEP00AA00000003", client_key, days=1, not_before=long_ago),
    }


async def _pair(nursery, server_ctx, client_ctx, server_job):
    """A listener on a free port serving `server_job(stream)`; returns the client's stream."""
    listener = tls_stream.listen(HOST, 0)
    port = listener.getsockname()[1]

    async def handle(sock: socket.socket) -> None:
        stream = tls_stream.TlsStream(sock, server_ctx, server_side=True)
        try:
            await server_job(stream)
        finally:
            await stream.aclose()

    nursery.start_soon(tls_stream.serve, listener, handle)
    sock = await tls_stream.connect(HOST, port)
    return tls_stream.TlsStream(sock, client_ctx, server_side=False)


def _contexts(pki, who="client", ciphers=NULL):
    cert, key = pki["server"]
    server = tls_contexts.server_context(cert, key, client_cas=[pki["ca"].cert], ciphers=SERVER)
    client = tls_contexts.client_context(*pki[who], ciphers=ciphers)
    return server, client


async def test_handshake_and_echo_both_ways(pki, record_path):
    server_ctx, client_ctx = _contexts(pki)
    seen = {}

    async def echo(stream):
        assert stream.record_path == record_path
        await stream.do_handshake()
        seen["peer"] = stream.peer_certificate()
        seen["cipher"] = stream.cipher()
        while data := await stream.receive_some():
            await stream.send_all(data.upper())

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, echo)
            assert client.record_path == record_path
            await client.do_handshake()
            assert client.version() == "TLSv1.2"
            assert client.cipher()[0] == "NULL-SHA"
            assert client.peer_certificate_der() == pki["server"][0].public_bytes(Encoding.DER)
            big = b"x" * 200_000  # several records and socket writes
            await client.send_all(big)
            got = b""
            while len(got) < len(big):
                got += await client.receive_some()
            assert got == big.upper()
            await client.aclose()
            nursery.cancel_scope.cancel()
    assert seen["peer"] == pki["client"][0]
    assert seen["cipher"][0] == "NULL-SHA"


async def _handshake_only(pki, **contexts) -> TlsStream:
    """A client that completed its handshake with a server that waits for the close."""
    server_ctx, client_ctx = _contexts(pki, **contexts)

    async def handshake(stream):
        await stream.do_handshake()
        await stream.receive_some()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, handshake)
            await client.do_handshake()
            await client.aclose()
            nursery.cancel_scope.cancel()
    return client


async def test_encrypting_suite_when_the_client_offers_one(pki):
    client = await _handshake_only(pki, ciphers="DEFAULT:@SECLEVEL=1")
    assert client.cipher()[0] == "AES128-SHA"


async def test_a_reader_and_a_writer_at_once_keep_records_whole(pki):
    server_ctx, client_ctx = _contexts(pki)
    received = bytearray()

    async def collect(stream):
        await stream.do_handshake()
        while data := await stream.receive_some():
            received.extend(data)

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, collect)
            await client.do_handshake()

            async def writer(tag: bytes) -> None:
                for _ in range(200):
                    await client.send_all(tag * 5000)

            async with trio.open_nursery() as writers:
                writers.start_soon(writer, b"a")
                writers.start_soon(writer, b"b")
            await client.aclose()
            with trio.fail_after(10):
                while len(received) < 2 * 200 * 5000:
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
    # each send_all's bytes arrive contiguous and intact (no interleaved records)
    assert received.count(b"a") == received.count(b"b") == 200 * 5000


@pytest.mark.parametrize("who, reason", [("stranger", "CERTIFICATE_VERIFY_FAILED")])
async def test_an_untrusted_client_is_refused_with_openssl_reason(pki, who, reason):
    server_ctx, client_ctx = _contexts(pki, who=who)
    failure = {}

    async def handshake(stream):
        try:
            await stream.do_handshake()
        except trio.BrokenResourceError as exc:
            failure["reason"] = exc.__cause__.reason

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, handshake)
            with pytest.raises(trio.BrokenResourceError):
                await client.do_handshake()
                await client.receive_some()  # TLS 1.2: the alert may follow our Finished
            await client.aclose()
            with trio.fail_after(5):
                while "reason" not in failure:
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
    assert failure["reason"] == reason


async def test_dates_are_left_to_the_caller(pki):
    """The server's OpenSSL ignores validity dates: the router judges them at its own clock."""
    client = await _handshake_only(pki, who="expired")
    assert client.version() == "TLSv1.2"


async def test_peer_closing_mid_handshake_is_a_broken_stream(pki):
    server_ctx, _ = _contexts(pki)
    listener = tls_stream.listen(HOST, 0)
    port = listener.getsockname()[1]
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tls_stream.serve, listener, lambda sock: _close_at_once(sock))
            sock = await tls_stream.connect(HOST, port)
            client = tls_stream.TlsStream(sock, tls_contexts.client_context(
                None, None, ciphers=NULL), server_side=False)
            with pytest.raises(trio.BrokenResourceError):
                await client.do_handshake()
            await client.aclose()
            nursery.cancel_scope.cancel()


async def _close_at_once(sock: socket.socket) -> None:
    sock.close()
    await trio.lowlevel.checkpoint()


async def test_a_silent_peer_can_be_timed_out_and_closed(pki):
    listener = tls_stream.listen(HOST, 0)  # accepts nothing, answers nothing
    port = listener.getsockname()[1]
    sock = await tls_stream.connect(HOST, port)
    client = tls_stream.TlsStream(sock, tls_contexts.client_context(None, None, ciphers=NULL),
                                  server_side=False)
    with trio.move_on_after(0.3) as scope:
        await client.do_handshake()
    assert scope.cancelled_caught
    await client.aclose()
    assert sock.fileno() == -1
    with pytest.raises(trio.ClosedResourceError):
        await client.receive_some()
    listener.close()


async def test_connect_refused_is_an_oserror():
    probe = socket.socket()
    probe.bind((HOST, 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(OSError):
        await tls_stream.connect(HOST, port)


async def test_a_listener_sends_its_chain_given_once(pki):
    """The chain is set on the context (OpenSSL's per-handshake chain building is off) and
    reaches the client as before: the listener's certificate, then its CA."""
    ca, (cert, _) = pki["ca"], pki["server"]
    assert tls_contexts.issuer_path(cert, [pki["stranger"][0], ca.cert]) == [ca.cert]
    assert tls_contexts.issuer_path(cert, []) == []
    client = await _handshake_only(pki)
    chain = client._conn.get_peer_cert_chain(as_cryptography=True)  # what came on the wire
    assert chain == [cert, ca.cert]


async def test_a_read_cancelled_when_bytes_are_waiting_takes_none_of_them(pki):
    """A reader whose deadline has passed is cancelled before it takes plaintext out of
    OpenSSL, never after: the bytes wait for its next read (SCCP phones time their reads)."""
    server_ctx, client_ctx = _contexts(pki)

    async def send_then_wait(stream):
        await stream.do_handshake()
        await stream.send_all(b"KeepAliveAck")
        await stream.receive_some()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, send_then_wait)
            await client.do_handshake()
            await trio.sleep(0.1)  # the record is in the socket by now
            with trio.move_on_at(trio.current_time() - 1) as late:
                await client.receive_some()
            assert late.cancelled_caught
            assert await client.receive_some() == b"KeepAliveAck"
            await client.aclose()
            nursery.cancel_scope.cancel()


async def test_a_read_after_sending_finds_what_the_peer_sent_ahead(pki):
    """Having just sent, a reader waits for the socket before asking it (the peer has to
    answer first); a peer that sent ahead is still read at once, its bytes none the worse."""
    server_ctx, client_ctx = _contexts(pki)
    first_read, second_sent = trio.Event(), trio.Event()
    seen = []

    async def answer_each(stream):
        await stream.do_handshake()
        seen.append(await stream.receive_some())
        first_read.set()
        await second_sent.wait()  # "second" is in the socket before we send and read again
        await stream.send_all(b"FIRST")
        seen.append(await stream.receive_some())
        await stream.send_all(b"SECOND")
        await stream.receive_some()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, answer_each)
            await client.do_handshake()
            await client.send_all(b"first")
            await first_read.wait()
            await client.send_all(b"second")
            await trio.sleep(0.05)  # on the wire, into the server's socket
            second_sent.set()
            got = b""
            while got != b"FIRSTSECOND":
                got += await client.receive_some()
            assert seen == [b"first", b"second"]
            await client.aclose()
            nursery.cancel_scope.cancel()


async def test_a_peer_gone_without_close_notify_reads_as_the_end(pki):
    """A socket closed without TLS's close_notify (a phone pulled from the wall) ends the
    stream as a close does: b"", not an error."""
    server_ctx, client_ctx = _contexts(pki)
    ended = []

    async def read_to_end(stream):
        await stream.do_handshake()
        ended.append(await stream.receive_some())

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = await _pair(nursery, server_ctx, client_ctx, read_to_end)
            await client.do_handshake()
            trio.lowlevel.notify_closing(client.socket)
            client.socket.close()  # no close_notify
            while not ended:
                await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
    assert ended == [b""]


async def test_a_handler_failing_ends_its_connection_only():
    """An exception in one connection's handler (CAPF's, say) closes that socket and leaves
    the listener accepting; before, it ended `serve` and with it the whole service."""
    listener = tls_stream.listen(HOST, 0)
    port = listener.getsockname()[1]
    served: list[int] = []

    async def handler(sock: socket.socket) -> None:
        served.append(sock.fileno())
        if len(served) == 1:
            raise ValueError("a bug reached by one client")
        sock.send(b"ok")
        sock.close()
        await trio.lowlevel.checkpoint()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tls_stream.serve, listener, handler)
            first = await trio.open_tcp_stream(HOST, port)
            assert await first.receive_some(10) == b""  # closed by the fault
            second = await trio.open_tcp_stream(HOST, port)
            assert await second.receive_some(10) == b"ok"
            for stream in (first, second):
                await stream.aclose()
            nursery.cancel_scope.cancel()
    assert len(served) == 2
