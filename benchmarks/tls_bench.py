"""Why SCCP over TLS and CAPF run on netio (docs/architecture.md): the CPU of one mutual TLS
1.2 handshake, both sides together, with the lab's 1024-bit keys and the authenticated mode's
NULL-SHA suite.

1. In memory, OpenSSL alone: Python's `ssl` (the system's OpenSSL) against pyOpenSSL (the
   OpenSSL that `cryptography` ships). The floor is pyOpenSSL's.
2. Over loopback sockets in one trio process: `trio.SSLStream` with `ssl` against netio's
   TlsStream with pyOpenSSL, on both of its record paths (pyOpenSSL's private binding, taken
   when netio's probe passes, and the public Connection methods it falls back to). The floor
   is (1)'s pyOpenSSL figure: what remains is I/O and Python around the handshake.
3. What a registered phone's traffic costs on each record path: one message cycle (a
   120-byte record each way over an established netio connection), both sides together.

Run: python benchmarks/tls_bench.py [handshakes]
"""

from __future__ import annotations

import ssl
import sys
import time

import trio
from benchmarks_support import tls_handshake_seconds  # also puts tests/ on the path
from cryptography.hazmat.primitives.serialization import Encoding

from cucme_lab.netio import tls_contexts, tls_stream

NULL = "NULL-SHA:@SECLEVEL=0"
SERVER = "AES128-SHA:NULL-SHA:@SECLEVEL=0"


def _identities():
    from lab_pki import LabCA

    ca = LabCA("TLSBENCH")
    return ca, ca.issue("server"), ca.issue("client")


def _ssl_contexts():
    from cucme_lab.phones.tls import phone_context
    from cucme_lab.services.https_tls import _load_identity

    ca, (scert, skey), (ccert, ckey) = _identities()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = server.maximum_version = ssl.TLSVersion.TLSv1_2
    server.set_ciphers(SERVER)
    server.options |= ssl.OP_NO_TICKET
    _load_identity(server, scert, skey)
    server.verify_mode = ssl.CERT_OPTIONAL
    server.load_verify_locations(cadata=ca.cert.public_bytes(Encoding.PEM).decode())
    client = phone_context(ccert, ckey, ciphers=NULL)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    return server, client


def _netio_contexts():
    ca, (scert, skey), (ccert, ckey) = _identities()
    return (tls_contexts.server_context(scert, skey, client_cas=[ca.cert], ciphers=SERVER),
            tls_contexts.client_context(ccert, ckey, ciphers=NULL))


def ssl_in_memory(samples: int) -> float:
    server, client = _ssl_contexts()
    start = time.process_time()
    for _ in range(samples):
        ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        c = client.wrap_bio(ci, co, server_side=False)
        s = server.wrap_bio(si, so, server_side=True)
        done = [False, False]
        while not all(done):
            for i, (me, out, peer_in) in enumerate(((c, co, si), (s, so, ci))):
                if not done[i]:
                    try:
                        me.do_handshake()
                        done[i] = True
                    except ssl.SSLWantReadError:
                        pass
                peer_in.write(out.read())
    return (time.process_time() - start) / samples


async def _over_loopback(samples: int, server_side, client_side) -> float:
    listener = tls_stream.listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    start = time.process_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(tls_stream.serve, listener, server_side)
        for _ in range(samples):
            await client_side(port)
        nursery.cancel_scope.cancel()
    return (time.process_time() - start) / samples


def trio_ssl_loopback(samples: int) -> float:
    server, client = _ssl_contexts()

    async def serve(sock) -> None:
        stream = trio.SSLStream(trio.SocketStream(trio.socket.from_stdlib_socket(sock)),
                                server, server_side=True)
        await stream.do_handshake()
        await stream.receive_some()
        await stream.aclose()

    async def connect(port: int) -> None:
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        stream = trio.SSLStream(tcp, client, server_hostname=None)
        await stream.do_handshake()
        await stream.aclose()

    return trio.run(_over_loopback, samples, serve, connect)


def netio_loopback(samples: int, path: str = tls_stream.BINDING) -> float:
    tls_stream.select_path(path)
    server, client = _netio_contexts()

    async def serve(sock) -> None:
        stream = tls_stream.TlsStream(sock, server, server_side=True)
        await stream.do_handshake()
        await stream.receive_some()
        await stream.aclose()

    async def connect(port: int) -> None:
        stream = tls_stream.TlsStream(await tls_stream.connect("127.0.0.1", port), client,
                                      server_side=False)
        await stream.do_handshake()
        await stream.aclose()

    return trio.run(_over_loopback, samples, serve, connect)


def netio_message_cycle(cycles: int, path: str) -> float:
    """CPU of one record each way on an open connection (a message and its answer)."""
    tls_stream.select_path(path)
    server, client = _netio_contexts()
    message = b"x" * 120  # about an SCCP KeepAlive exchange, or a registration step

    async def echo(sock) -> None:
        stream = tls_stream.TlsStream(sock, server, server_side=True)
        await stream.do_handshake()
        while data := await stream.receive_some():
            await stream.send_all(data)
        await stream.aclose()

    async def run() -> float:
        listener = tls_stream.listen("127.0.0.1", 0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tls_stream.serve, listener, echo)
            stream = tls_stream.TlsStream(
                await tls_stream.connect("127.0.0.1", listener.getsockname()[1]), client,
                server_side=False)
            await stream.do_handshake()
            for _ in range(200):  # warm up
                await stream.send_all(message)
                await stream.receive_some()
            start = time.process_time()
            for _ in range(cycles):
                await stream.send_all(message)
                await stream.receive_some()
            cost = (time.process_time() - start) / cycles
            await stream.aclose()
            nursery.cancel_scope.cancel()
        return cost

    return trio.run(run)


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    floor = tls_handshake_seconds(samples, suite="NULL-SHA")  # the suite of the rows
    chosen, why = tls_stream.RECORD_PATH, tls_stream.RECORD_PATH_REASON  # as at import
    paths = [path for path in tls_stream.PATHS
             if path == tls_stream.PUBLIC or tls_stream.probe() is None]
    rows = [("in memory, ssl (system OpenSSL)", ssl_in_memory(samples)),
            ("loopback, trio.SSLStream + ssl", trio_ssl_loopback(samples))]
    rows += [(f"loopback, netio TlsStream, {path}", netio_loopback(samples, path))
             for path in paths]
    print(f"netio records at import: {chosen} ({why})")
    print(f"mutual TLS 1.2 handshake, NULL-SHA, 1024-bit keys, both sides, {samples} samples")
    print(f"{'floor: in memory, pyOpenSSL':44} {floor * 1000:7.3f} ms CPU")
    for label, cost in rows:
        print(f"{label:44} {cost * 1000:7.3f} ms CPU   ratio to floor {cost / floor:5.2f}x")
    cycles = samples * 20
    print(f"message cycle (120 bytes each way, netio, NULL-SHA), both sides, {cycles} cycles")
    for path in paths:
        cost = netio_message_cycle(cycles, path)
        print(f"{path:44} {cost * 1e6:7.1f} us CPU")


if __name__ == "__main__":
    main()
