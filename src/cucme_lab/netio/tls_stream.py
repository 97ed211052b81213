"""TLS over a bare non-blocking socket: an OpenSSL memory-BIO connection driven by trio waits.

Two costs set how many phones a router can register per second over TLS, and both are lower
here than through `trio.SSLStream` and the standard `ssl` module (docs/architecture.md):
- Python per registration: trio's SSLStream over a SocketStream adds locks, conflict
  detectors, a checkpoint per call and one layer retrying the next; this stream has one loop
  per direction (write what OpenSSL produced, read what the socket holds, wait only when the
  socket says so);
- OpenSSL itself: the `ssl` module links the system's OpenSSL 3.0, whose handshakes cost
  about twice those of the OpenSSL that `cryptography` ships, which pyOpenSSL uses.

The records go through OpenSSL by pyOpenSSL's own cffi binding, not its Connection methods:
each of those allocates, checks helpers and raises WantReadError for "nothing yet", which
costs 7-10 us more CPU a message cycle (both sides together, `benchmarks/tls_bench.py`) on
this machine, about a sixth. The Connection still sets the connection up and turns real
failures into its exceptions.

That binding is private (`OpenSSL._util`, a Connection's `_ssl` and BIO handles), so a
release may change or drop it. A probe at import checks the names this module uses and runs
a handshake, a record each way and both kinds of close in memory through the binding's own
code here; only when it passes do the records take that path (RECORD_PATH "openssl-binding").
Otherwise, or with CUCME_LAB_NETIO_PATH=public in the environment (read at import), they go
through the Connection's public methods ("pyopenssl-api"): same behaviour, slower records.
`select_path` switches for streams made afterwards (tests run both).

The surface is the one the SCCP code used on trio.SSLStream (`do_handshake`, `send_all`,
`receive_some`, `aclose`, `cipher`, `version`) and the peer's certificate. One task may read
while another writes (a router connection's reader, and a write from outside it): outgoing
bytes are taken from OpenSSL by whichever task holds the send side, in order, so records never
interleave.
"""

from __future__ import annotations

import datetime
import errno
import logging
import os
import select
import socket
from types import ModuleType
from typing import Any, NoReturn

import trio
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL, crypto

from cucme_lab.netio import tls_contexts

_util: ModuleType | None
try:  # private to pyOpenSSL: the probe below decides whether the records use it
    from OpenSSL import _util
except ImportError:
    _util = None

log = logging.getLogger(__name__)

RECEIVE_SIZE = 65536
OUTGOING_READ = 32768  # a memory BIO hands over all it holds up to this, in one read

BINDING = "openssl-binding"  # records through pyOpenSSL's private cffi binding (fast)
PUBLIC = "pyopenssl-api"  # records through pyOpenSSL's public Connection methods
PATHS = (BINDING, PUBLIC)
ENVIRONMENT = "CUCME_LAB_NETIO_PATH"  # "public" forces PUBLIC; unset or "auto": the probe says

# What the binding path uses of pyOpenSSL's private module; the probe checks each is there.
LIB_NAMES = ("SSL_do_handshake", "SSL_read", "SSL_write", "SSL_get_error", "BIO_read",
             "BIO_write", "SSL_ERROR_WANT_READ", "SSL_ERROR_ZERO_RETURN")
FFI_NAMES = ("new_allocator", "buffer", "from_buffer")
CONNECTION_NAMES = ("_ssl", "_into_ssl", "_from_ssl", "_raise_ssl_error")  # a memory-BIO one

# Bound by the probe when the binding passes (module globals: the records' calls stay lookups
# as cheap as before the probe existed).
_lib: Any = None
_ffi: Any = None
_buffer: Any = None  # an allocator that leaves memory as it is: OpenSSL fills it at once
_WANT_READ = -1
_ZERO_RETURN = -1

RECORD_PATH = PUBLIC  # set at import below: the path new streams take
RECORD_PATH_REASON = ""  # why that path: the probe passed, failed (and why), or forced


class TlsError(Exception):
    """Why a TLS connection failed; `reason` in OpenSSL's words (as ssl.SSLError.reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(exc: SSL.Error) -> str:
    """OpenSSL's last error as ssl.SSLError.reason says it: CERTIFICATE_VERIFY_FAILED."""
    queue = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    texts = [entry[-1] for entry in queue if isinstance(entry, tuple) and entry]
    if texts:
        return texts[-1].upper().replace(" ", "_")
    return str(exc) or type(exc).__name__


def _broken(exc: BaseException, reason: str | None = None) -> NoReturn:
    """Raise trio.BrokenResourceError whose cause is a TlsError saying why (callers log it)."""
    cause = TlsError(reason or (_reason(exc) if isinstance(exc, SSL.Error) else str(exc)))
    cause.__cause__ = exc
    raise trio.BrokenResourceError(cause.reason) from cause


# ---- the records' two paths ---------------------------------------------------------------
# Both answer the same five calls, with the same results and exceptions, so the stream does
# not know which it has: handshake() True when done, False when OpenSSL waits for the peer;
# write(view) the bytes taken; read(size) plaintext, None when OpenSSL needs bytes first, b""
# at the end (close_notify, or the socket's end without it); take() what OpenSSL has for the
# peer (b"" if nothing); feed(data) bytes from the peer. Failures raise pyOpenSSL's SSL.Error.


class _BindingRecords:
    """Records through OpenSSL's own calls via pyOpenSSL's cffi binding (fast, private)."""

    __slots__ = ("conn", "_ssl", "_into_ssl", "_from_ssl")
    path = BINDING

    def __init__(self, conn: SSL.Connection) -> None:
        self.conn = conn
        self._ssl = conn._ssl
        self._into_ssl = conn._into_ssl
        self._from_ssl = conn._from_ssl

    def _raise(self, result: int) -> NoReturn:
        """pyOpenSSL's exception for a failed call (it reads OpenSSL's error state)."""
        self.conn._raise_ssl_error(self._ssl, result)
        raise SSL.Error([])  # not reached: a failed call leaves an error to raise

    def handshake(self) -> bool:
        result = _lib.SSL_do_handshake(self._ssl)
        if result == 1:
            return True
        if _lib.SSL_get_error(self._ssl, result) != _WANT_READ:
            self._raise(result)
        return False

    def write(self, view: memoryview) -> int:
        with _ffi.from_buffer(view) as chunk:
            result = _lib.SSL_write(self._ssl, chunk, len(view))
        if result <= 0:
            self._raise(result)
        return result

    def read(self, size: int) -> bytes | None:
        buf = _buffer("char[]", size)
        result = _lib.SSL_read(self._ssl, buf, size)
        if result > 0:
            return _ffi.buffer(buf, result)[:]
        error = _lib.SSL_get_error(self._ssl, result)
        if error == _WANT_READ:
            return None
        if error == _ZERO_RETURN:
            return b""  # close_notify
        try:
            self._raise(result)
        except SSL.SysCallError:
            return b""  # the socket ended without close_notify

    def take(self) -> bytes:
        """One read takes all the memory BIO holds, unless it filled the buffer."""
        chunks = []
        buf = _buffer("char[]", OUTGOING_READ)
        while True:
            n = _lib.BIO_read(self._from_ssl, buf, OUTGOING_READ)
            if n <= 0:  # empty
                break
            chunks.append(_ffi.buffer(buf, n)[:])
            if n < OUTGOING_READ:
                break
        if not chunks:
            return b""
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def feed(self, data: bytes) -> None:
        _lib.BIO_write(self._into_ssl, data, len(data))  # a memory BIO takes it all


class _PublicRecords:
    """Records through pyOpenSSL's public Connection methods: the fallback when the binding
    is gone or changed. Each call allocates and checks helpers, and "nothing yet" is a
    WantReadError: several microseconds a message more than the binding's path."""

    __slots__ = ("conn",)
    path = PUBLIC

    def __init__(self, conn: SSL.Connection) -> None:
        self.conn = conn

    def handshake(self) -> bool:
        try:
            self.conn.do_handshake()
        except SSL.WantReadError:
            return False
        return True

    def write(self, view: memoryview) -> int:
        return self.conn.send(view)

    def read(self, size: int) -> bytes | None:
        try:
            return self.conn.recv(size)
        except SSL.WantReadError:
            return None
        except SSL.ZeroReturnError:
            return b""  # close_notify
        except SSL.SysCallError:
            return b""  # the socket ended without close_notify

    def take(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = self.conn.bio_read(OUTGOING_READ)
            except SSL.WantReadError:  # empty
                break
            chunks.append(chunk)
            if len(chunk) < OUTGOING_READ:
                break
        if not chunks:
            return b""
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def feed(self, data: bytes) -> None:
        self.conn.bio_write(data)


_RECORDS: dict[str, type[_BindingRecords] | type[_PublicRecords]] = {
    BINDING: _BindingRecords, PUBLIC: _PublicRecords}
_records = _PublicRecords  # the class new streams use; select_path sets it


# ---- the probe ----------------------------------------------------------------------------

def _connection(context: SSL.Context, *, server_side: bool) -> SSL.Connection:
    conn = SSL.Connection(context, None)  # memory BIOs: we move the bytes
    if server_side:
        conn.set_accept_state()
    else:
        conn.set_connect_state()
    return conn


def _probe_contexts() -> tuple[SSL.Context, SSL.Context]:
    """A TLS 1.2 server with a throwaway P-256 certificate (about a millisecond to make), and
    a client trusting anyone: enough for OpenSSL to run a full handshake."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netio probe")])
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    contexts = []
    for _ in range(2):
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        contexts.append(ctx)
    contexts[0].use_certificate(cert)
    contexts[0].use_privatekey(key)
    contexts[1].set_verify(SSL.VERIFY_NONE)
    return contexts[0], contexts[1]


def round_trip(records: type[_BindingRecords] | type[_PublicRecords]) -> None:
    """Run what a stream asks of `records` in memory, raising AssertionError (or whatever
    broke) where an answer differs: a handshake, a record each way, "nothing yet", close
    with and without close_notify, and a peer's garbage as an SSL.Error with a reason."""
    server_ctx, client_ctx = _probe_contexts()
    client = records(_connection(client_ctx, server_side=False))
    server = records(_connection(server_ctx, server_side=True))

    def carry(source: Any, sink: Any) -> None:
        data = source.take()
        if data:
            sink.feed(data)

    done = [False, False]
    for _ in range(8):  # TLS 1.2: two round trips
        done = [done[0] or client.handshake(), done[1] or server.handshake()]
        carry(client, server)
        carry(server, client)
        if all(done):
            break
    assert all(done), "the handshake did not finish"
    assert client.take() == b"" and server.read(64) is None, "nothing yet is not None"
    assert client.write(memoryview(b"ping")) == 4
    carry(client, server)
    assert server.read(64) == b"ping", "a record did not arrive whole"
    assert server.write(memoryview(b"pong" * 1000)) == 4000
    carry(server, client)
    assert client.read(8192) == b"pong" * 1000, "the answer did not arrive whole"
    server.conn.shutdown()
    carry(server, client)
    assert client.read(64) == b"", "close_notify is not the end"
    server.conn.bio_shutdown()
    assert server.read(64) == b"", "the socket's end is not the end"
    garbage = records(_connection(server_ctx, server_side=True))
    garbage.feed(b"GET / HTTP/1.0\r\n\r\n")
    try:
        garbage.handshake()
    except SSL.Error as exc:
        assert not isinstance(exc, SSL.SysCallError | SSL.WantReadError), repr(exc)
        assert _reason(exc) not in ("", "Error"), "a failure without OpenSSL's reason"
    else:
        raise AssertionError("a peer's garbage was taken for a handshake")


def probe(util: ModuleType | None = None) -> str | None:
    """None when pyOpenSSL's private binding serves the records as this module uses it (then
    the binding path is bound to it); otherwise why not. `util`: OpenSSL._util by default."""
    global _lib, _ffi, _buffer, _WANT_READ, _ZERO_RETURN
    util = _util if util is None else util
    if util is None:
        return "OpenSSL._util is not there"
    lib, ffi = getattr(util, "lib", None), getattr(util, "ffi", None)
    missing = [f"lib.{name}" for name in LIB_NAMES if not hasattr(lib, name)]
    missing += [f"ffi.{name}" for name in FFI_NAMES if not hasattr(ffi, name)]
    try:
        conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
    except Exception as exc:
        return f"no memory-BIO Connection: {type(exc).__name__}: {exc}"
    missing += [f"Connection.{name}" for name in CONNECTION_NAMES
                if getattr(conn, name, None) is None]
    if missing:
        return "missing: " + ", ".join(missing)
    before = _lib, _ffi, _buffer, _WANT_READ, _ZERO_RETURN
    try:
        _lib, _ffi = lib, ffi
        _buffer = ffi.new_allocator(should_clear_after_alloc=False)
        _WANT_READ, _ZERO_RETURN = lib.SSL_ERROR_WANT_READ, lib.SSL_ERROR_ZERO_RETURN
        round_trip(_BindingRecords)
    except Exception as exc:  # whatever a changed binding does, the public path remains
        _lib, _ffi, _buffer, _WANT_READ, _ZERO_RETURN = before
        return f"round trip failed: {type(exc).__name__}: {exc}"
    return None


def select_path(path: str | None = None, *, reason: str = "chosen") -> str:
    """Make new streams carry records by `path`: PUBLIC, BINDING (RuntimeError if the probe
    fails), or None for the binding when the probe passes, else PUBLIC. Returns the path;
    RECORD_PATH_REASON says why (`reason` when PUBLIC is asked for)."""
    global RECORD_PATH, RECORD_PATH_REASON, _records
    if path == PUBLIC:
        pass  # the binding is not touched: forcing this path must work whatever it has become
    elif path in (None, BINDING):
        failure = probe()
        if failure is None:
            path, reason = BINDING, "the probe passed"
        elif path == BINDING:
            raise RuntimeError(f"netio: the OpenSSL binding cannot carry records: {failure}")
        else:
            path, reason = PUBLIC, f"the probe failed: {failure}"
            log.warning("netio: TLS records through pyOpenSSL's public API (slower): %s",
                        reason)
    else:
        raise ValueError(f"netio: no record path {path!r} (one of {PATHS})")
    RECORD_PATH, RECORD_PATH_REASON, _records = path, reason, _RECORDS[path]
    log.info("netio: TLS records through %s (%s)", path, reason)
    return path


def _path_from_environment() -> str | None:
    """CUCME_LAB_NETIO_PATH: "public" (or "pyopenssl-api") forces the public path, without
    touching the binding; unset, empty or "auto" leaves it to the probe."""
    wanted = os.environ.get(ENVIRONMENT, "").strip().lower()
    if wanted in ("public", PUBLIC):
        return PUBLIC
    if wanted not in ("", "auto"):
        log.warning("netio: %s=%r is not public or auto: the probe decides", ENVIRONMENT,
                    wanted)
    return None


select_path(_path_from_environment(), reason=f"{ENVIRONMENT}=public")


class TlsStream:
    """A TLS connection over `sock` (connected, non-blocking), client or server side."""

    def __init__(self, sock: socket.socket, context: SSL.Context, *, server_side: bool,
                 identity: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None) -> None:
        if sock.getblocking():  # netio's own connect and serve hand it over non-blocking
            sock.setblocking(False)
        self.socket = sock
        self.server_side = server_side
        self._conn = _connection(context, server_side=server_side)
        if identity is not None:  # a shared context, this connection's own certificate
            tls_contexts.use_identity(self._conn, *identity)
        self._records = _records(self._conn)  # the path chosen at import (or select_path)
        self._sending = False
        self._sent: trio.Event | None = None  # made by a task waiting for the one sending
        self._closed = False
        self._starved = False  # OpenSSL wants bytes the socket has not given it yet
        self._awaiting_answer = False  # we sent since the last read: the peer has to answer

    @property
    def record_path(self) -> str:
        """BINDING or PUBLIC: how this stream's records reach OpenSSL."""
        return self._records.path

    # ---- what the handshake decided ---------------------------------------------------------

    def peer_certificate_der(self) -> bytes | None:
        """The peer's certificate as DER, for comparing with a CTL record."""
        cert = self._conn.get_peer_certificate()
        return crypto.dump_certificate(crypto.FILETYPE_ASN1, cert) if cert is not None else None

    def peer_certificate(self) -> x509.Certificate | None:
        return self._conn.get_peer_certificate(as_cryptography=True)

    def cipher(self) -> tuple[str, str, int] | None:
        name = self._conn.get_cipher_name()
        if name is None:
            return None
        return name, self._conn.get_cipher_version() or "", self._conn.get_cipher_bits() or 0

    def version(self) -> str | None:
        return self._conn.get_protocol_version_name()

    @property
    def close_notify_received(self) -> bool:
        """The peer ended the TLS session with close_notify (after receive_some's b"": else
        its socket just ended, as a peer that vanished or was cut off)."""
        return bool(self._conn.get_shutdown() & SSL.RECEIVED_SHUTDOWN)

    # ---- the socket side ----------------------------------------------------------------------

    def _take_outgoing(self) -> bytes:
        """What OpenSSL has for the peer, all of it."""
        data = self._records.take()
        if data:
            self._awaiting_answer = True
        return data

    async def _flush(self) -> None:
        """Write every byte OpenSSL has produced, in order, whichever task asked first."""
        while self._sending:  # another task is writing: it also takes what we added
            if self._sent is None:
                self._sent = trio.Event()
            await self._sent.wait()
        data = self._take_outgoing()
        if not data:
            return
        self._sending = True
        try:
            while data:
                view = memoryview(data)
                waited = False
                while view:
                    try:
                        view = view[self.socket.send(view):]
                    except BlockingIOError:
                        waited = True
                        await trio.lowlevel.wait_writable(self.socket)
                    except OSError as exc:
                        _broken(exc)
                # only while we waited could another task have given OpenSSL more to send
                data = self._take_outgoing() if waited else b""
        finally:
            self._sending = False
            if self._sent is not None:  # rarely: a write is usually over before another
                self._sent.set()
                self._sent = None

    async def _fill(self) -> bool:
        """Move what the socket holds into OpenSSL, waiting if it holds nothing; False at EOF.

        Having just sent, it waits before reading: the peer cannot have answered yet, and a
        read that finds nothing costs a system call and an exception."""
        if self._closed:
            raise trio.ClosedResourceError("stream closed")
        if self._awaiting_answer:
            self._awaiting_answer = False
            await trio.lowlevel.wait_readable(self.socket)
        while True:
            try:
                data = self.socket.recv(RECEIVE_SIZE)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(self.socket)
                continue
            except OSError as exc:
                _broken(exc)
            if not data:
                self._conn.bio_shutdown()
                return False
            self._records.feed(data)
            self._starved = False
            return True

    # ---- the stream ---------------------------------------------------------------------------

    async def do_handshake(self) -> None:
        """Run the handshake; trio.BrokenResourceError (cause: a TlsError) when it fails."""
        while True:
            try:
                if self._records.handshake():
                    break
                await self._flush()
                if not await self._fill():
                    _broken(ConnectionResetError(), "peer closed during the handshake")
            except SSL.Error as exc:
                with trio.CancelScope(shield=True), trio.move_on_after(1):
                    try:
                        await self._flush()  # the alert tells the peer why
                    except trio.BrokenResourceError:
                        pass
                _broken(exc)
        await self._flush()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise trio.ClosedResourceError("stream closed")
        view = memoryview(data)
        records = self._records
        try:
            while view:  # partial writes: one record at a time
                view = view[records.write(view):]
        except SSL.Error as exc:
            _broken(exc)
        await self._flush()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Plaintext as it arrives; b"" once the peer has closed (with or without close_notify).

        Safe to cancel: a cancellation arrives before anything is taken, or while waiting for
        the socket, never after plaintext has left OpenSSL (a reader may time its reads out).
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        size = max_bytes or RECEIVE_SIZE
        while True:
            if self._starved and not await self._fill():
                return b""
            try:
                data = self._records.read(size)
            except SSL.Error as exc:
                _broken(exc)
            if data is not None:
                return data
            self._starved = True  # asking again before new bytes would only say so again

    async def aclose(self) -> None:
        """Say close_notify if the socket takes it at once, then close the socket."""
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.shutdown()
        except SSL.Error:
            pass
        if not self._sending:
            try:
                self.socket.send(self._take_outgoing())
            except OSError:
                pass
        trio.lowlevel.notify_closing(self.socket)
        self.socket.close()
        await trio.lowlevel.checkpoint()


def _writable_now(sock: socket.socket) -> bool:
    """Has the connection been made (or refused) already? One poll(2) costs a few
    microseconds; a trio wait, tens (a fleet connects a thousand times)."""
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(0))


async def connect(host: str, port: int, local_address: str | None = None) -> socket.socket:
    """A connected non-blocking TCP socket, bound to `local_address` when given."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if local_address is not None:
            sock.bind((local_address, 0))
        await trio.lowlevel.checkpoint_if_cancelled()
        code = sock.connect_ex((host, port))
        if code not in (0, errno.EINPROGRESS):
            raise OSError(code, errno.errorcode.get(code, "connect failed"))
        if code:
            if not _writable_now(sock):  # on loopback the handshake is over by now, mostly
                await trio.lowlevel.wait_writable(sock)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, errno.errorcode.get(code, "connect failed"))
        return sock
    except BaseException:
        trio.lowlevel.notify_closing(sock)
        sock.close()
        raise


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A non-blocking listening socket (address reuse as trio's listeners set it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
        return sock
    except BaseException:
        sock.close()
        raise


async def _contained(handler: Any, conn: socket.socket) -> None:
    """One connection's handler: an exception ends this connection, never the listener."""
    try:
        await handler(conn)
    except Exception:
        log.exception("connection handler failed; that connection is closed")
        if conn.fileno() >= 0:
            trio.lowlevel.notify_closing(conn)
            conn.close()


async def serve(listener: socket.socket, handler: Any) -> None:
    """Accept forever, each connection `handler(sock)` in its own task; closes the listener.

    A handler's exception is logged and ends its own connection only (callers that know
    better, SCCP's, contain and log their faults themselves first)."""
    try:
        async with trio.open_nursery() as nursery:
            while True:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    await trio.lowlevel.wait_readable(listener)
                    continue
                except OSError as exc:  # out of descriptors: wait, as trio's listeners do
                    if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                        await trio.sleep(0.1)
                        continue
                    raise
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                nursery.start_soon(_contained, handler, conn)
    finally:
        trio.lowlevel.notify_closing(listener)
        listener.close()
