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
cost about 25 us a message cycle on this machine, on both sides. The Connection still sets
the connection up and turns real failures into its exceptions.

The surface is the one the SCCP code used on trio.SSLStream (`do_handshake`, `send_all`,
`receive_some`, `aclose`, `cipher`, `version`) and the peer's certificate. One task may read
while another writes (a router connection's reader, and a write from outside it): outgoing
bytes are taken from OpenSSL by whichever task holds the send side, in order, so records never
interleave.
"""

from __future__ import annotations

import errno
import select
import socket
from typing import Any, NoReturn

import trio
from cryptography import x509
from OpenSSL import SSL, crypto
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

RECEIVE_SIZE = 65536
OUTGOING_READ = 32768  # a memory BIO hands over all it holds up to this, in one read
_WANT_READ = _lib.SSL_ERROR_WANT_READ
_ZERO_RETURN = _lib.SSL_ERROR_ZERO_RETURN
_buffer = _ffi.new_allocator(should_clear_after_alloc=False)  # filled by OpenSSL at once


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


class TlsStream:
    """A TLS connection over `sock` (connected, non-blocking), client or server side."""

    def __init__(self, sock: socket.socket, context: SSL.Context, *, server_side: bool) -> None:
        if sock.getblocking():  # netio's own connect and serve hand it over non-blocking
            sock.setblocking(False)
        self.socket = sock
        self.server_side = server_side
        self._conn = SSL.Connection(context, None)  # memory BIOs: we move the bytes
        self._ssl = self._conn._ssl  # the records' hot path calls OpenSSL directly (above)
        self._into_ssl = self._conn._into_ssl
        self._from_ssl = self._conn._from_ssl
        if server_side:
            self._conn.set_accept_state()
        else:
            self._conn.set_connect_state()
        self._sending = False
        self._sent: trio.Event | None = None  # made by a task waiting for the one sending
        self._closed = False
        self._starved = False  # OpenSSL wants bytes the socket has not given it yet
        self._awaiting_answer = False  # we sent since the last read: the peer has to answer

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

    # ---- the socket side ----------------------------------------------------------------------

    def _raise(self, result: int) -> NoReturn:
        """pyOpenSSL's exception for a failed call (it reads OpenSSL's error state)."""
        self._conn._raise_ssl_error(self._ssl, result)
        raise SSL.Error([])  # not reached: a failed call leaves an error to raise

    def _take_outgoing(self) -> bytes:
        """What OpenSSL has for the peer: one read takes it all unless it filled the buffer."""
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
        self._awaiting_answer = True
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

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
            _lib.BIO_write(self._into_ssl, data, len(data))  # a memory BIO takes it all
            self._starved = False
            return True

    # ---- the stream ---------------------------------------------------------------------------

    async def do_handshake(self) -> None:
        """Run the handshake; trio.BrokenResourceError (cause: a TlsError) when it fails."""
        while True:
            try:
                result = _lib.SSL_do_handshake(self._ssl)
                if result == 1:
                    break
                if _lib.SSL_get_error(self._ssl, result) != _WANT_READ:
                    self._raise(result)
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
        try:
            while view:  # partial writes: one record at a time
                with _ffi.from_buffer(view) as chunk:
                    result = _lib.SSL_write(self._ssl, chunk, len(view))
                if result <= 0:
                    self._raise(result)
                view = view[result:]
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
            buf = _buffer("char[]", size)
            result = _lib.SSL_read(self._ssl, buf, size)
            if result > 0:
                return _ffi.buffer(buf, result)[:]
            error = _lib.SSL_get_error(self._ssl, result)
            if error == _WANT_READ:
                self._starved = True  # asking again before new bytes would only say so again
                continue
            if error == _ZERO_RETURN:
                return b""  # close_notify
            try:
                self._raise(result)
            except SSL.SysCallError:
                return b""  # the socket ended without close_notify
            except SSL.Error as exc:
                _broken(exc)

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


async def serve(listener: socket.socket, handler: Any) -> None:
    """Accept forever, each connection `handler(sock)` in its own task; closes the listener."""
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
                nursery.start_soon(handler, conn)
    finally:
        trio.lowlevel.notify_closing(listener)
        listener.close()
