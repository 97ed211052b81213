"""SCCP call control: plain TCP on `ip source-address A port P` and TLS on 2443.

A thin adapter from sockets to the core: each connection gets an SccpConnection (the codec's
framing and version state) and a Station (router/telephony/station.py), which decides every
answer (the registration sequence, keepalives, Unregister, Reset, calls, refusals and their
log lines) with `router.phones`, the registry. This module keeps what needs I/O: the sockets,
the TLS handshake and the certificate check, the one deadline per connection, the Station's
timer (the interdigit timeout: while one is asked for, the read waits under `move_on_at`),
and writing what the Station returns, or what another phone's call event pushed to it.

TLS is mutual. The listener presents the `secure-signaling trustpoint` certificate and asks for
the phone's; OpenSSL checks only that its chain leads to the trustpoint's CA (dates are ignored
there, X509_V_FLAG_NO_CHECK_TIME, because the router's clock and not the host's decides), then
`validate_chain` judges it at the router's clock with the trustpoint's revocation methods. TLS
1.2 only, at @SECLEVEL=0 so the integrity-only NULL-SHA suite of authenticated phones and
1024-bit keys are possible (DESIGN 10); the server prefers an encrypting suite when the phone
offers one, so encrypted-mode phones get one and authenticated phones (offering NULL-SHA only)
get NULL-SHA.

Every connection runs in its own task under the listener's nursery, with a handshake deadline
and a keepalive deadline, so a silent or slow client holds only its own socket; bad frames end
only their own connection, with a debug line. The keepalive deadline moves only when a whole
message has arrived: a client dribbling a frame a byte at a time is closed when it passes. An
exception in one connection ends that connection only (`guard.contained`), and each listener
holds at most MAX_CONNECTIONS connections, MAX_PER_PEER from one address (`guard.ConnectionCap`;
IOS has no command for either).

On 2443 the handshake itself fails when the client presents no certificate, and every refusal
(handshake, certificate) leaves one `%IPPHONE-4-TLS_REFUSED` line in the log, debug or not.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Iterator
from functools import partial
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

import trio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from cucme_lab.netio import tls_contexts, tls_stream
from cucme_lab.router.pki.credentials import MissingCredentials, credentials
from cucme_lab.router.pki.validation import validate_chain
from cucme_lab.router.telephony.settings import telephony_service
from cucme_lab.router.telephony.station import Close, Output, Station, TlsPeer
from cucme_lab.services import ingress
from cucme_lab.services.guard import ConnectionCap, contained, describe
from cucme_lab.services.manager import Binding
from cucme_lab.services.media_relay import RouterMedia
from cucme_lab.wire import sccp

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

log = logging.getLogger(__name__)

TLS_PORT = 2443
MAX_CONNECTIONS = 4096  # per listener: four times the largest fleet the benchmarks register
MAX_PER_PEER = 32  # per client address: a phone holds one, two while it re-registers
RECEIVE_SIZE = 4096
FLUSH_TIMEOUT = 5.0  # a last write to a phone that does not read gives up after this
OUTGOING_LIMIT = 64 * 1024  # bytes waiting for the socket; a phone not reading is dropped
# The server's choice, best first: encrypting suites, then the integrity-only one.
SERVER_CIPHERS = ("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA256:"
                  "AES128-SHA:AES256-SHA:NULL-SHA256:NULL-SHA:@SECLEVEL=0")


class SccpService:
    """Plain SCCP on the telephony-service `ip source-address` and port."""

    name = "sccp"
    transport = "TCP"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        ts = telephony_service(lab.router.config)
        if ts is None or ts.source_address is None:
            return []
        return [Binding(self.name, ts.source_address, ts.port)]

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        host = lab.addresses.to_loopback(binding.configured_address)
        port = lab.addresses.port(binding.configured_port)
        listeners = await trio.open_tcp_listeners(port, host=host, backlog=1024)
        task_status.started((host, port))
        cap = self.cap(lab)
        async with trio.open_nursery() as writers:
            with self.router_media(lab, writers, host, binding):
                await trio.serve_listeners(
                    ingress.filtered(lab, binding, partial(self.handle, lab, writers, cap)),
                    listeners)

    @contextlib.contextmanager
    def router_media(self, lab: ServiceHost, nursery: trio.Nursery, host: str,
                     binding: Binding) -> Iterator[RouterMedia]:
        """The router's media party (music on hold, conferences) while the service runs;
        its sockets close when it stops."""
        calls = lab.router.phones.calls
        media = RouterMedia(nursery, host, IPv4Address(str(binding.configured_address)),
                            lab.addresses.to_loopback)
        calls.attach_media(media)
        try:
            yield media
        finally:
            calls.detach_media(media)
            media.close_all()

    def cap(self, lab: ServiceHost) -> ConnectionCap:
        """The connection limits of one listener (made anew each time it starts)."""
        return ConnectionCap(self.name, MAX_CONNECTIONS, MAX_PER_PEER, lab.router.log)

    async def handle(self, lab: ServiceHost, writers: trio.Nursery, cap: ConnectionCap,
                     stream: trio.SocketStream) -> None:
        async def run() -> None:
            await PhoneConnection(lab, stream, self.transport, writers).run()

        await self.admitted(lab, cap, stream.socket, run, stream.aclose)

    async def admitted(self, lab: ServiceHost, cap: ConnectionCap,
                       sock: socket.socket | trio.socket.SocketType,
                       run: Callable[[], Awaitable[None]],
                       close: Callable[[], Awaitable[None]]) -> None:
        """Run a connection the caps admit, contained: its exceptions end it alone."""
        try:
            address = sock.getpeername()[0]
        except OSError:  # reset before we looked: nothing to serve
            await close()
            return
        peer = lab.addresses.to_configured(address)
        if not cap.admit(peer):
            await close()
            return
        try:
            await contained(lab.router.log, self.name, peer, run, close)
        finally:
            cap.release(peer)


class SccpTlsService(SccpService):
    """SCCP over mutual TLS on 2443 with the `secure-signaling trustpoint` identity."""

    name = "sccp-tls"
    transport = "TLS"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        ts = telephony_service(lab.router.config)
        if ts is None or ts.source_address is None or not ts.secure_signaling_trustpoint:
            return []
        tp = ts.secure_signaling_trustpoint
        # A re-enrolled certificate or a new CA restarts the listener with the new identity.
        try:
            creds = credentials(lab.router, tp)
            digest = hashlib.sha256(b"".join(
                c.public_bytes(serialization.Encoding.DER)
                for c in (creds.certificate, *creds.ca_certificates))).hexdigest()[:16]
        except MissingCredentials:
            digest = "missing"
        return [Binding(self.name, ts.source_address, TLS_PORT,
                        options=(("trustpoint", tp), ("identity", digest)))]

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        tp = binding.option("trustpoint")
        try:
            context = server_context(lab, tp)
        except (MissingCredentials, SSL.Error, ValueError) as exc:
            lab.router.log.log(f"%IPPHONE-3-TLS_CREDENTIALS: secure-signaling trustpoint {tp}: "
                               f"{exc}; SCCP over TLS is not started")  # [U] lab wording
            task_status.started()
            return
        crl_source = lab.crl_source
        host = lab.addresses.to_loopback(binding.configured_address)
        listener = tls_stream.listen(host, lab.addresses.port(binding.configured_port))
        task_status.started(listener.getsockname()[:2])
        cap = self.cap(lab)
        async with trio.open_nursery() as writers:
            with self.router_media(lab, writers, host, binding):
                await tls_stream.serve(listener, ingress.filtered(lab, binding, partial(
                    self.handle_tls, lab, writers, cap, context, tp, crl_source)))

    async def handle_tls(self, lab: ServiceHost, writers: trio.Nursery, cap: ConnectionCap,
                         context: SSL.Context, trustpoint: str, crl_source: Any,
                         sock: socket.socket) -> None:
        async def run() -> None:
            # The lean stream of netio, not trio.SSLStream: at fleet scale trio's layering
            # cost as much CPU per registration as the handshake itself (architecture.md).
            tls = tls_stream.TlsStream(sock, context, server_side=True)
            conn = PhoneConnection(lab, tls, self.transport, writers)
            await conn.run(tls_setup=partial(conn.tls_handshake, trustpoint, crl_source))

        async def close() -> None:
            if sock.fileno() >= 0:
                trio.lowlevel.notify_closing(sock)
                sock.close()
            await trio.lowlevel.checkpoint()

        await self.admitted(lab, cap, sock, run, close)


def server_context(lab: ServiceHost, trustpoint: str) -> SSL.Context:
    """The TLS context of the 2443 listener, from the trustpoint as it is now.

    No session tickets or cache (tls_contexts): phones do a full handshake, presenting their
    certificate, at every registration. OpenSSL checks only that the phone's chain leads to
    the trustpoint's CA, dates aside; `validate_chain` then judges it at the router's clock.
    """
    creds = credentials(lab.router, trustpoint)
    return tls_contexts.server_context(creds.certificate, creds.private_key,
                                       client_cas=creds.ca_certificates, ciphers=SERVER_CIPHERS)


@dataclasses.dataclass(eq=False)
class PhoneConnection:
    """One phone's connection: the socket, TLS, framing and deadline around its Station.

    One task and one cancel scope per connection: the scope's deadline is the handshake's,
    then moves with each message (the Station's read timeout). A write that does not answer
    the phone (a Reset typed at the CLI) runs as a task in `writers`, the service's nursery;
    the reader writes its own replies, all of one read in one batch. Trio charges tens of
    microseconds for each nursery and scope, which a fleet's registrations feel
    (docs/architecture.md). This object is the registry's link to the phone (send_reset, close).
    """

    lab: ServiceHost
    stream: trio.SocketStream | tls_stream.TlsStream
    transport: str
    writers: trio.Nursery  # where a write from outside the reader runs

    def __post_init__(self) -> None:
        peer = self.stream.socket.getpeername()
        self.station_peer = f"{self.lab.addresses.to_configured(peer[0])}:{peer[1]}"
        self.station = Station(self.lab.router, self, self.lab.addresses.to_configured(peer[0]),
                               int(peer[1]), self.transport)
        self.codec = sccp.SccpConnection(sccp.Role.SERVER, max_version=self.station.max_version)
        self.scope = trio.CancelScope()
        self._pending: list[bytes] = []  # frames for the next write (one TLS record)
        self._pending_size = 0
        self._writing = False  # a task is sending: others leave their bytes to it
        self._written: trio.Event | None = None  # made by a task waiting for a write
        self._in_reader = False  # the reader is handling messages: it sends the replies
        self._out_of_band = False  # a task to send what the reader will not is on its way
        self._stage = "connected"  # what the deadline bounds: handshake, validating, reading
        self.closing = False  # the Station said Close: send what is queued, then close

    # ---- PhoneLink -------------------------------------------------------------------------

    def send_reset(self, reset_type: int) -> None:
        self._write(self.station.reset(reset_type))

    def close(self) -> None:
        self.scope.cancel()

    def deliver(self, messages: Iterable[Output]) -> None:
        """Another phone's call event made these for this phone (written out of band)."""
        self._write(messages)

    # ---- lifetime ------------------------------------------------------------------------

    async def run(self, tls_setup: Any = None) -> None:
        station = self.station
        station.connection_made()
        try:
            with self.scope:
                if tls_setup is not None and not await tls_setup():
                    return
                await self._reader()
                if self._pending or self._writing:
                    with trio.move_on_after(FLUSH_TIMEOUT):
                        await self._drain()  # the last words: RegisterReject, UnregisterAck
            if self.scope.cancelled_caught and trio.current_time() >= self.scope.deadline:
                self._timed_out()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            # a phone resetting its connection ends this connection only, never the service
            station.connection_lost(type(exc).__name__)
        finally:
            station.closed()
            with trio.CancelScope(shield=True), trio.move_on_after(1):
                with contextlib.suppress(Exception):
                    await self.stream.aclose()

    async def tls_handshake(self, trustpoint: str, crl_source: Any) -> bool:
        """Finish the handshake in time and accept the phone's certificate, or say why not."""
        assert isinstance(self.stream, tls_stream.TlsStream)
        registry = self.lab.router.phones
        self._stage = "handshake"
        self.scope.deadline = trio.current_time() + registry.handshake_timeout
        try:
            await self.stream.do_handshake()
        except trio.BrokenResourceError as exc:
            cause = exc.__cause__
            reason = getattr(cause, "reason", None) or str(cause or exc)
            self._refuse(f"TLS handshake failed: {reason}")
            return False
        self._stage = "validating"  # a CRL fetch may take time: still within the deadline
        cert = self.stream.peer_certificate()
        cipher = self.stream.cipher()
        if cert is None:
            self._refuse("TLS peer presented no certificate")
            return False
        # OpenSSL has checked the signatures up to the trustpoint's CA (the listener restarts
        # when that CA changes); validate_chain judges dates and revocation at the router clock.
        result = await validate_chain(self.lab.router, [cert], trustpoint, crl_source,
                                      signatures_checked=True)
        if not result.ok:
            self._refuse(f"certificate {result.subject} refused by trustpoint {trustpoint}: "
                         f"{result.reason}")
            return False
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        # cipher()[1] names the suite's origin, version() the protocol in use
        self.station.secured(TlsPeer(
            version=self.stream.version(), cipher=cipher[0] if cipher else None,
            certificate_cn=str(cns[0].value) if cns else None,
            certificate_subject=f"{result.subject}"))
        return True

    def _refuse(self, text: str) -> None:
        """A refusal of the transport's (TLS): one line in the log whatever is being debugged,
        and the `debug ephone register` line as the registration refusals have."""
        self.station.debug("register", text)
        peer = self.station_peer
        # [U] lab wording: no capture of CME's own line for a refused TLS client was found
        self.lab.router.log.log(f"%IPPHONE-4-TLS_REFUSED: TLS connection from {peer} on port "
                                f"{TLS_PORT} refused: {text}")

    def _timed_out(self) -> None:
        """The scope's deadline passed: the handshake's, or no message for the keepalive
        timeout (the Station unregisters the phone abnormally)."""
        if self._stage in ("handshake", "validating"):
            what = "TLS handshake" if self._stage == "handshake" else "certificate check"
            self._refuse(f"{what} not finished within "
                         f"{self.lab.router.phones.handshake_timeout:g} seconds, closing")
            return
        self.station.timed_out()

    # ---- reading ---------------------------------------------------------------------------

    async def _reader(self) -> None:
        self._stage = "reading"
        scope = self.scope  # its deadline moves with each message: the keepalive timeout
        station, codec, receive = self.station, self.codec, self.stream.receive_some
        scope.deadline = trio.current_time() + station.read_timeout
        timer_serial, timer_at = station.timer_serial, None
        while not self.closing:
            if station.timer_serial != timer_serial:  # the Station asked for a timer, or
                timer_serial = station.timer_serial  # stopped it (calls: interdigit)
                timer_at = None if station.timer is None else \
                    trio.current_time() + station.timer
            if timer_at is None:
                data = await receive(RECEIVE_SIZE)
            else:
                data = None
                with trio.move_on_at(timer_at):  # only while a phone dials
                    data = await receive(RECEIVE_SIZE)
                if data is None:
                    timer_at = None
                    self._in_reader = True
                    try:
                        self._take(station.timer_expired())
                    finally:
                        self._in_reader = False
                    await self._send_pending()
                    continue
            codec.feed(data)
            self._in_reader = True
            messages = 0
            try:
                for event in codec.events():
                    messages += 1
                    self._take(station.receive(event))
                    if self.closing:
                        return
            except sccp.SccpProtocolError as exc:
                station.bad_frame(exc.reason)
                return
            finally:
                self._in_reader = False
            if not data:
                stream = self.stream
                cut = isinstance(stream, tls_stream.TlsStream) and \
                    not stream.close_notify_received
                station.peer_closed("TLS session ended without close_notify" if cut else "")
                return
            if messages:
                # Only a whole message counts as a sign of life: bytes of a frame not yet
                # complete leave the deadline where it is, so a client sending one byte at a
                # time is closed when it passes. Moved only when it gains more than 1/64 of
                # the timeout: a registration's messages come within milliseconds, and each
                # move costs trio a re-sort.
                timeout = station.read_timeout
                deadline = trio.current_time() + timeout
                if deadline - scope.deadline > timeout / 64 or deadline < scope.deadline:
                    scope.deadline = deadline
            await self._send_pending()

    # ---- writing ---------------------------------------------------------------------------

    def _take(self, outputs: Iterable[Output]) -> None:
        """Queue what the Station answered in the reader; a Close is the last output."""
        for output in outputs:
            if type(output) is Close:
                self.closing = True  # nothing follows it
            else:
                self._queue(output)

    def _write(self, outputs: Iterable[Output]) -> None:
        """Queue what the Station returned outside the reader (a Reset from the CLI); a Close
        there ends the connection once the out-of-band task has sent the queue."""
        for output in outputs:
            if type(output) is Close:
                self.closing = True
                if not self._out_of_band:
                    self.close()  # nothing on its way to the phone: close now
            else:
                self._queue(output)

    def _queue(self, message: sccp.SccpMessage) -> None:
        if self.closing:
            return
        frame = self.codec.send(message)  # frames alike for every phone are encoded once there
        self._pending.append(frame)
        self._pending_size += len(frame)
        if not self._in_reader and not self._out_of_band:
            self._out_of_band = True
            self.writers.start_soon(self._send_out_of_band)
        if self._pending_size > OUTGOING_LIMIT:
            self.station.debug("detail", "phone is not reading, closing")
            self.close()

    async def _send_pending(self) -> None:
        """Send what is queued in one go (one segment, one TLS record per batch); a caller
        arriving while another is writing leaves the bytes to that one, so order holds."""
        while self._pending and not self._writing:
            data = b"".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
            self._writing = True
            try:
                await self.stream.send_all(data)
            finally:
                self._writing = False
                if self._written is not None:
                    self._written.set()
                    self._written = None

    async def _send_out_of_band(self) -> None:
        """A write the reader will not make: a Reset typed at the CLI reaching a phone that
        is quiet. The reader writes its own replies itself, sparing a task per connection.
        It runs in the service's nursery, so it ends this connection only, never the service."""
        self._out_of_band = False
        try:
            await self._send_pending()
            if self.closing:
                self.close()  # a Close came with these messages; the reader may be waiting
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self.station.connection_lost(type(exc).__name__)
            self.close()
        except Exception as exc:  # a fault here would end the service's nursery: this only
            log.error("sccp: out-of-band write to %s failed", self.station_peer, exc_info=exc)
            self.lab.router.log.log(f"%SYS-3-CONN_FAULT: sccp connection from "
                                    f"{self.station_peer} closed after an internal error: "
                                    f"{describe(exc)}")  # [U] lab wording, as guard's
            self.close()

    async def _drain(self) -> None:
        """Everything queued is sent, after any write in progress."""
        while self._pending or self._writing:
            if self._writing:
                if self._written is None:
                    self._written = trio.Event()
                await self._written.wait()
            else:
                await self._send_pending()
