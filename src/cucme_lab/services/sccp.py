"""SCCP call control: plain TCP on `ip source-address A port P` and TLS on 2443.

A thin adapter from sockets to the core: each connection gets an SccpConnection (the codec's
framing and version state), and every decision (who may register, what the phone sees in
`show ephone`, what a Reset reaches) is `router.phones`' (emulator/telephony/registry.py).

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
only their own connection, with a debug line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import socket
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import trio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from cucme_lab.netio import tls_contexts, tls_stream
from cucme_lab.router.pki.credentials import MissingCredentials, credentials
from cucme_lab.router.pki.validation import validate_chain
from cucme_lab.router.telephony.registrations import (
    MISSED_KEEPALIVES,
    RegisterRequest,
    Registration,
    encrypting,
)
from cucme_lab.router.telephony.settings import ephone, ephone_dn, telephony_service
from cucme_lab.services.manager import Binding
from cucme_lab.wire import sccp

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

TLS_PORT = 2443
RECEIVE_SIZE = 4096
FLUSH_TIMEOUT = 5.0  # a last write to a phone that does not read gives up after this
OUTGOING_LIMIT = 64 * 1024  # bytes waiting for the socket; a phone not reading is dropped
# The server's choice, best first: encrypting suites, then the integrity-only one.
SERVER_CIPHERS = ("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA256:"
                  "AES128-SHA:AES256-SHA:NULL-SHA256:NULL-SHA:@SECLEVEL=0")
DATE_TEMPLATE = "M/D/YA"  # CME's default `date-format mm-dd-yy` with a 12-hour clock [M]

# Soft keys offered to phones that ask (specs/sccp.md 4.8); indexes are 1-based in the sets.
SOFT_KEYS = (("Redial", 1), ("NewCall", 2), ("Hold", 3), ("Trnsfer", 4), ("CFwdALL", 5),
             ("EndCall", 9), ("Resume", 10), ("Answer", 11), ("Confrn", 13))
SOFT_KEY_SETS = ((1, 2, 5), (3, 4, 6, 9), (7,), (8, 6), (1, 6, 5), (3, 4, 6, 9), (6,),
                 (3, 6, 9), (6,), (1, 6, 5), (2,), (1, 2, 5))


SOFT_KEY_TEMPLATE = sccp.SoftKeyTemplateRes(0, len(SOFT_KEYS), len(SOFT_KEYS), tuple(
    sccp.SoftKeyDefinition(label, event) for label, event in SOFT_KEYS))
SOFT_KEY_SET = sccp.SoftKeySetRes(0, len(SOFT_KEY_SETS), len(SOFT_KEY_SETS), tuple(
    sccp.SoftKeySetDefinition(s, tuple(0 for _ in s)) for s in SOFT_KEY_SETS))
# What every phone is told alike, made once (a fleet's registrations would build each anew).
IDLE_SCREEN = (sccp.SelectSoftKeys(0, 0, sccp.SoftKeySetIndex.ON_HOOK, 0xFFFF),
               sccp.SetLamp(sccp.StimulusType.VOICE_MAIL, 0, sccp.LampMode.OFF),
               sccp.DisplayPromptStatus(0, "Your current options", 0, 0))
KEEPALIVE_ACK = sccp.KeepAliveAck()
CAPABILITIES_REQ = sccp.CapabilitiesReq()


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
        async with trio.open_nursery() as writers:
            await trio.serve_listeners(partial(self.handle, lab, writers), listeners)

    async def handle(self, lab: ServiceHost, writers: trio.Nursery,
                     stream: trio.SocketStream) -> None:
        await PhoneConnection(lab, stream, self.transport, writers).run()


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
        async with trio.open_nursery() as writers:
            await tls_stream.serve(listener, partial(self.handle_tls, lab, writers, context, tp,
                                                     crl_source))

    async def handle_tls(self, lab: ServiceHost, writers: trio.Nursery, context: SSL.Context,
                         trustpoint: str, crl_source: Any, sock: socket.socket) -> None:
        # The lean stream of netio, not trio.SSLStream: at fleet scale trio's layering cost
        # as much CPU per registration as the handshake itself (docs/architecture.md).
        tls = tls_stream.TlsStream(sock, context, server_side=True)
        conn = PhoneConnection(lab, tls, self.transport, writers)
        await conn.run(tls_setup=partial(conn.tls_handshake, trustpoint, crl_source))


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
    """One phone's connection: framing, the registration sequence, keepalive, Reset.

    One task and one cancel scope per connection: the scope's deadline is the handshake's,
    then moves with each message (the keepalive timeout). A write that does not answer the
    phone (a Reset typed at the CLI) runs as a task in `writers`, the service's nursery; the
    reader writes its own replies. Trio charges tens of microseconds for each nursery and
    scope, which a fleet's registrations feel (docs/architecture.md).
    """

    lab: ServiceHost
    stream: trio.SocketStream | tls_stream.TlsStream
    transport: str
    writers: trio.Nursery  # where a write from outside the reader runs

    def __post_init__(self) -> None:
        self.router = self.lab.router
        self.registry = self.router.phones
        self.codec = sccp.SccpConnection(sccp.Role.SERVER)
        peer = self.stream.socket.getpeername()
        self.peer_ip = self.lab.addresses.to_configured(peer[0])
        self.peer_port = int(peer[1])
        self.socket = self.registry.open_socket()
        self.scope = trio.CancelScope()
        self._pending: list[bytes] = []  # frames for the next write (one TLS record)
        self._pending_size = 0
        self._writing = False  # a task is sending: others leave their bytes to it
        self._written: trio.Event | None = None  # made by a task waiting for a write
        self._in_reader = False  # the reader is handling messages: it sends the replies
        self._out_of_band = False  # a task to send what the reader will not is on its way
        self._stage = "connected"  # what the deadline bounds: handshake, validating, reading
        self.reg: Registration | None = None
        self.cert_cn: str | None = None
        self.cipher: str | None = None
        self.tls_version: str | None = None
        self.closing = False

    # ---- PhoneLink -------------------------------------------------------------------------

    def send_reset(self, reset_type: int) -> None:
        self._queue(sccp.Reset(reset_type))

    def close(self) -> None:
        self.scope.cancel()

    # ---- lifetime ------------------------------------------------------------------------

    def _label(self) -> str:
        if self.reg is not None:
            return f"ephone-{self.reg.tag}[{self.reg.tag - 1}]:"
        return f"Skinny socket [{self.socket}] {self.peer_ip}:"

    def _debug(self, kind: str, text: str) -> None:
        if not self.registry.debugging(kind):
            return  # most of the time: the label is not worth building
        name = self.reg.device_name if self.reg is not None else None
        self.registry.debug_line(kind, self._label() + text, name)

    async def run(self, tls_setup: Any = None) -> None:
        try:
            with self.scope:
                if self.registry.debugging("detail"):
                    self._debug("detail", f"new {self.transport} connection from port "
                                f"{self.peer_port}")
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
            self._debug("detail", f"connection lost ({type(exc).__name__})")
        finally:
            if self.reg is not None:
                self.registry.unregister(self.reg.tag, normal=False, link=self)
            self.registry.close_socket(self.socket)
            with trio.CancelScope(shield=True), trio.move_on_after(1):
                with contextlib.suppress(Exception):
                    await self.stream.aclose()

    async def tls_handshake(self, trustpoint: str, crl_source: Any) -> bool:
        """Finish the handshake in time and accept the phone's certificate, or say why not."""
        assert isinstance(self.stream, tls_stream.TlsStream)
        self._stage = "handshake"
        self.scope.deadline = trio.current_time() + self.registry.handshake_timeout
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
        self.cipher = cipher[0] if cipher else None
        self.tls_version = self.stream.version()  # cipher()[1] names the suite's origin
        if cert is None:
            self._refuse("TLS peer presented no certificate")
            return False
        # OpenSSL has checked the signatures up to the trustpoint's CA (the listener restarts
        # when that CA changes); validate_chain judges dates and revocation at the router clock.
        result = await validate_chain(self.router, [cert], trustpoint, crl_source,
                                      signatures_checked=True)
        if not result.ok:
            self._refuse(f"certificate {result.subject} refused by trustpoint {trustpoint}: "
                         f"{result.reason}")
            return False
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        self.cert_cn = str(cns[0].value) if cns else None
        if self.registry.debugging("detail"):
            self._debug("detail", f"TLS {self.tls_version} {self.cipher} with certificate "
                        f"{result.subject}")
        return True

    def _refuse(self, text: str) -> None:
        self._debug("register", text)

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
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self._debug("detail", f"connection lost ({type(exc).__name__})")
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

    def _queue(self, message: sccp.SccpMessage) -> None:
        if self.closing:
            return
        if self.registry.debugging("detail"):
            self._debug("detail", f"-> {message.name}")
        frame = self.codec.send(message)  # frames alike for every phone are encoded once there
        self._pending.append(frame)
        self._pending_size += len(frame)
        if not self._in_reader and not self._out_of_band:
            self._out_of_band = True
            self.writers.start_soon(self._send_out_of_band)
        if self._pending_size > OUTGOING_LIMIT:
            self._debug("detail", "phone is not reading, closing")
            self.close()

    def _finish(self) -> None:
        """Send what is queued, then close (RegisterReject, UnregisterAck): the reader stops
        and `run` drains the queue."""
        self.closing = True

    def _timeout(self) -> float:
        interval = self.reg.keepalive_interval if self.reg else \
            self.registry.keepalive_interval(self.router)
        return interval * MISSED_KEEPALIVES * self.registry.time_scale

    async def _reader(self) -> None:
        self._stage = "reading"
        scope = self.scope  # its deadline moves with each message: the keepalive timeout
        while not self.closing:
            timeout = self._timeout()
            deadline = trio.current_time() + timeout
            # moved only when it gains more than 1/64 of the timeout: a registration's
            # messages come within milliseconds, and each move costs trio a re-sort
            if deadline - scope.deadline > timeout / 64 or deadline < scope.deadline:
                scope.deadline = deadline
            data = await self.stream.receive_some(RECEIVE_SIZE)
            self.codec.feed(data)
            self._in_reader = True
            try:
                for event in self.codec.events():
                    self._handle(event)
                    if self.closing:
                        return
            except sccp.SccpProtocolError as exc:
                self._debug("register", f"bad SCCP frame ({exc.reason}), closing")
                return
            finally:
                self._in_reader = False
            if not data:
                self._debug("detail", "connection closed by the phone")
                return
            await self._send_pending()

    def _timed_out(self) -> None:
        """The scope's deadline passed: the handshake's, or no message for the keepalive
        timeout (the phone is gone: unregistered abnormally)."""
        if self._stage in ("handshake", "validating"):
            what = "TLS handshake" if self._stage == "handshake" else "certificate check"
            self._refuse(f"{what} not finished within {self.registry.handshake_timeout:g} "
                         "seconds, closing")
            return
        self._debug("keepalive" if self.reg else "register",
                    f"no message for {self._timeout():g} seconds, closing")
        if self.reg is not None:
            self.registry.unregister(self.reg.tag, normal=False, link=self)
            self.reg = None

    # ---- the registration sequence (specs/sccp.md 5) ----------------------------------------

    def _handle(self, msg: sccp.SccpMessage) -> None:
        if self.registry.debugging("detail") and not isinstance(msg, sccp.KeepAlive):
            self._debug("detail", f"<- {msg.name}")
        if isinstance(msg, sccp.Register):
            self._register(msg)
            return
        if isinstance(msg, sccp.KeepAlive):
            self._debug("keepalive", "KeepAlive received")
            if self.reg is not None:
                self.reg.keepalives += 1
            self._queue(KEEPALIVE_ACK)
            return
        if self.reg is None:
            self._debug("register", f"{msg.name} before Register, ignored")
            return
        reply = self._answer(msg)
        for message in reply:
            self._queue(message)

    def _register(self, msg: sccp.Register) -> None:
        if self.reg is not None:
            self._debug("register", "second Register on a registered connection, ignored")
            return
        ver = msg.protocol_ver or 0
        debugging = self.registry.debugging("register")  # spare the text when nobody reads it
        if debugging:
            self._debug("register", f"StationRegisterMessage ({self.socket}/{msg.instance}/"
                        f"{ver}) from {self.peer_ip}")
            self._debug("register", f"Register StationIdentifier DeviceName {msg.device_name}")
            self._debug("register", f"StationIdentifier Instance {msg.instance} deviceType "
                        f"{msg.device_type}")
        req = RegisterRequest(msg.device_name, self.peer_ip, self.peer_port, self.transport,
                              msg.device_type, ver, self.cert_cn, self.cipher,
                              encrypting(self.cipher))
        adm = self.registry.admit(self.router, req)
        if not adm.ok:
            self._debug("register", f"RegisterReject sent to {msg.device_name}: {adm.reason} "
                        f"({adm.detail})")
            self._queue(sccp.RegisterReject(adm.reason))
            self._finish()
            return
        interval = self.registry.keepalive_interval(self.router)
        version = self.codec.agreed_version
        lines = msg.max_number_of_lines or 0
        self._queue(sccp.RegisterAck.for_version(
            version, keep_alive_interval=interval, date_template=DATE_TEMPLATE,
            secondary_keep_alive_interval=interval))
        self._queue(CAPABILITIES_REQ)
        self.reg = Registration(
            tag=adm.tag, device_name=msg.device_name, ip=self.peer_ip, port=self.peer_port,
            socket=self.socket, transport=self.transport, device_type=msg.device_type,
            protocol_ver=ver, version=version, max_streams=msg.max_streams,
            keepalive_interval=interval, link=self, new=adm.new,
            security_mode=adm.security_mode, cipher=self.cipher, tls_version=self.tls_version,
            cipher_encrypts=encrypting(self.cipher), max_lines=lines)
        self.registry.register(self.reg)
        if debugging:
            self._debug("register", f"RegisterAck sent to ephone {adm.tag}: keepalive period "
                        f"{interval}")

    def _answer(self, msg: sccp.SccpMessage) -> Sequence[sccp.SccpMessage]:
        assert self.reg is not None
        config = self.router.config
        if isinstance(msg, sccp.ButtonTemplateReq | sccp.LineStatReq | sccp.ConfigStatReq):
            ep = ephone(config, self.reg.tag)  # read now: the configuration may have changed
            buttons = ep.buttons if ep is not None else []
        if isinstance(msg, sccp.Unregister):
            self.registry.unregister(self.reg.tag, normal=True, link=self)
            self.reg = None
            self._queue(sccp.UnregisterAck(0))
            self._finish()
            return []
        if isinstance(msg, sccp.ButtonTemplateReq):
            defs = tuple(sccp.ButtonDefinition(b.index, sccp.ButtonType.LINE)
                         for b in sorted(buttons, key=lambda b: b.index))
            return [sccp.ButtonTemplate(0, len(defs), len(defs), defs)]
        if isinstance(msg, sccp.LineStatReq):
            button = next((b for b in buttons if b.index == msg.line_number), None)
            dn = ephone_dn(config, button.dns[0]) if button and button.dns else None
            number = (dn.number or "") if dn else ""
            name = (dn.name or number) if dn else ""
            return [sccp.LineStat(msg.line_number, number, name, number)]
        if isinstance(msg, sccp.ForwardStatReq):
            return [sccp.ForwardStat(0, msg.line_number, 0, "", 0, "", 0, "")]
        if isinstance(msg, sccp.SpeedDialStatReq):
            return [sccp.SpeedDialStat(msg.speed_dial_number, "", "")]
        if isinstance(msg, sccp.TimeDateReq):
            clock = self.router.clock
            local = sccp.DefineTimeDate.at(clock.now_local())
            return [dataclasses.replace(local, system_time=int(clock.now_utc().timestamp()))]
        if isinstance(msg, sccp.SoftKeyTemplateReq):
            return [SOFT_KEY_TEMPLATE]
        if isinstance(msg, sccp.SoftKeySetReq):
            return [SOFT_KEY_SET]
        if isinstance(msg, sccp.ConfigStatReq):
            return [sccp.ConfigStat(self.reg.device_name, 0, 1, "", self.router.hostname,
                                    len(buttons), 0)]
        if isinstance(msg, sccp.CapabilitiesRes):
            self.reg.caps = len(msg.capabilities)
            return []
        if isinstance(msg, sccp.RegisterAvailableLines):
            self.reg.available_lines = msg.max_num_of_avail_lines
            return IDLE_SCREEN
        if isinstance(msg, sccp.IpPort | sccp.HeadsetStatus | sccp.Alarm):
            return []
        self._debug("detail", f"{msg.name} not handled")
        return []
