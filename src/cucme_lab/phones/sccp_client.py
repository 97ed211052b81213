"""The phone's side of SCCP call control: connect, register, keep alive, obey Reset/Restart.

Usable on its own (tests, benchmarks) and by the full phone boot later. A phone in
authenticated or encrypted mode connects with TLS on 2443 presenting its LSC (or MIC), offering
only NULL-SHA (authenticated, integrity only) or encrypting suites (encrypted); it trusts the
router only if the certificate served is the one its CTL lists for call control (CCM or
CCM+TFTP record). A non-secure phone connects in plain TCP on the configured port.

The registration follows specs/sccp.md section 5; the phone reports what its screen would show
in `status`. It knows only what travels on the wire (cucme_lab.wire), never the router.

Calls (specs/sccp.md 6): the call messages go to the phone's CallPlane (phones/calls.py), which
also opens the media; `dial`, `answer` and `hang_up` are what a user's hands do, sent from the
caller's task beside the receive loop. Media needs a nursery to run in (`media_nursery`, the
phone's own); a client without one answers OpenReceiveChannel with OutOfSockets.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

import trio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from OpenSSL import SSL

from cucme_lab.netio import tls_contexts, tls_stream
from cucme_lab.netio.tls_stream import TlsStream
from cucme_lab.phones.calls import CallError, CallPlane, PhoneCall
from cucme_lab.phones.media import Route
from cucme_lab.phones.tls import ENCRYPTING_CIPHERS, NULL_CIPHERS
from cucme_lab.wire import sccp
from cucme_lab.wire.ctl import CtlFile, CtlFormatError, Role, parse_ctl

PHONE_MAX_VERSION = 20  # what the probe's phone advertised (specs/sccp.md 2)
FIRMWARE = "SCCP41.9-4-2SR3-1S"
# The alarm a phone sends as it registers says why its last registration ended, its code first:
# `22: Name=SEP000E325C9A43 Load=7.2(2.0) Last=Reset-Reset` (CME logs it as
# `%IPPHONE-6-REG_ALARM: 22: ...`, the CME command reference's `debug capf-server` capture) and
# `25: Name=SEPB8BEBF227D79 Load= 9.4(2SR3.1S) Last=Initialized` (a 79xx's own debug display)
# [D]; 23 for a Restart follows the order of the two [U].
LAST_DOWN_CODES = {"Reset-Reset": 22, "Reset-Restart": 23, "Initialized": 25}
CONNECT_TIMEOUT = 10.0
REGISTER_TIMEOUT = 10.0  # from connect to the end of the registration sequence
RECEIVED_KEPT = 100
DEFAULT_CAPABILITIES = (sccp.Capability(4, 40, 0), sccp.Capability(2, 40, 0),
                        sccp.Capability(11, 60, 0), sccp.Capability(12, 60, 0))


@dataclass
class SccpPhone:
    """One simulated phone's call-control client.

    `mac` is 12 hex digits; `station_ip` the phone's configured address (sent in Register);
    `local_address` the loopback address its socket binds, which the lab maps back to
    `station_ip`. For TLS give `certificate`, `key` and `ctl` (bytes of CTLSEP<MAC>.tlv or a
    parsed CtlFile). `time_scale` shrinks the keepalive interval the router gives (tests).
    """

    mac: str
    station_ip: str = "0.0.0.0"
    local_address: str | None = None
    device_type: int = 115  # 7941
    security_mode: str = "none"  # none | authenticated | encrypted
    certificate: x509.Certificate | None = None
    key: rsa.RSAPrivateKey | None = None
    ctl: CtlFile | bytes | None = None
    keylog: str | None = None
    ssl_context: SSL.Context | None = None  # made in advance (a fleet with pre-made certs)
    time_scale: float = 1.0
    max_version: int = PHONE_MAX_VERSION
    lines: int = 1
    reregister: bool = False  # after Reset/Restart, register again (as a rebooted phone)
    capabilities: tuple[sccp.Capability, ...] = DEFAULT_CAPABILITIES

    status: str = "Idle"
    registered: bool = False
    reject_text: str | None = None
    last_down: str | None = None  # why the previous registration ended (told by an Alarm)
    cipher: str | None = None
    keepalive_interval: int = 0
    version: int = 0
    keepalives_acked: int = 0
    send_keepalives: bool = True
    resets: list[int] = field(default_factory=list)
    # the names of the last messages received: a phone up for days would otherwise keep
    # every KeepAliveAck it ever had
    received: deque[str] = field(default_factory=lambda: deque(maxlen=RECEIVED_KEPT))
    line_stats: dict[int, sccp.LineStat] = field(default_factory=dict)
    buttons: tuple[sccp.ButtonDefinition, ...] = ()
    time_date: sccp.DefineTimeDate | None = None
    registrations: int = 0
    # lab fault hook (scenarios' `drop-traffic`): while it returns True, nothing is sent and
    # whatever arrives is lost, as when the network drops the phone's packets
    dropped: Callable[[], bool] | None = None
    # calls: how a configured address is reached (the lab's mapping), and who to tell when a
    # call changes
    route: Route | None = None
    on_change: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.mac = self.mac.replace(".", "").replace(":", "").upper()
        self._changed: trio.Event | None = None  # made by a `wait_for` caller, set on change
        self._stream: trio.abc.Stream | TlsStream | None = None
        self._codec = sccp.SccpConnection(sccp.Role.PHONE, max_version=self.max_version)
        self._unregistering = False
        self._server_cert_der: bytes | None = None
        self._pending: list[bytes] = []
        self._writing = False  # a task is in send_all: frames queued meanwhile are its to send
        self._register: tuple[tuple, sccp.Register] | None = None  # (what it says, message)
        self.plane = CallPlane(self.station_ip, self.local_address, self.route, self.on_change)

    @property
    def calls(self) -> dict[int, PhoneCall]:
        """The phone's calls by line."""
        return self.plane.calls

    @property
    def media_nursery(self) -> trio.Nursery | None:
        return self.plane.nursery

    @media_nursery.setter
    def media_nursery(self, nursery: trio.Nursery | None) -> None:
        self.plane.nursery = nursery

    @property
    def device_name(self) -> str:
        return "SEP" + self.mac

    @property
    def secure(self) -> bool:
        return self.security_mode in ("authenticated", "encrypted")

    def _set(self, status: str) -> None:
        self.status = status
        self._notify()

    def _notify(self) -> None:
        """Wake `wait_for` callers: any state they may be waiting on has changed."""
        if self._changed is not None:  # a fleet's phones mostly have nobody waiting
            self._changed.set()
            self._changed = None

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
        """Wait until `predicate(self)` holds (tests)."""
        with trio.fail_after(timeout):
            while not predicate(self):
                if self._changed is None:
                    self._changed = trio.Event()
                await self._changed.wait()

    # ---- connecting --------------------------------------------------------------------

    @property
    def _ciphers(self) -> str:
        return NULL_CIPHERS if self.security_mode == "authenticated" else ENCRYPTING_CIPHERS

    def make_context(self) -> SSL.Context:
        """The phone's TLS context: its certificate, and the suites of its security mode."""
        return tls_contexts.client_context(self.certificate, self.key, ciphers=self._ciphers)

    def _trusted_servers(self) -> list[bytes]:
        if self.ctl is None:
            return []
        ctl = parse_ctl(self.ctl) if isinstance(self.ctl, bytes | bytearray) else self.ctl
        return [r.certificate for r in ctl.with_role(Role.CCM, Role.CCM_TFTP) if r.certificate]

    async def _connect(self, host: str, port: int) -> trio.abc.Stream | TlsStream | None:
        """A connected (and for TLS, trusted) stream, or None with the status saying why;
        bounded by the session's connect deadline."""
        if not self.secure:
            try:
                return await trio.open_tcp_stream(host, port,
                                                  local_address=self.local_address)
            except OSError as exc:
                self._set(f"Connection failed: {exc.strerror or exc}")
                return None
        try:
            trusted = self._trusted_servers()
        except CtlFormatError as exc:
            self._set(f"CTL file invalid: {exc}")
            return None
        if not trusted:
            self._set("No CTL: cannot register securely")
            return None
        try:
            sock = await tls_stream.connect(host, port, self.local_address)
        except OSError as exc:
            self._set(f"Connection failed: {exc.strerror or exc}")
            return None
        ctx, identity = self.ssl_context, None
        if ctx is None and self.keylog:  # a context of its own, to carry the key log
            ctx = self.make_context()
            tls_contexts.log_keys(ctx, self.keylog)
        elif ctx is None:  # the process's shared context, with this phone's certificate
            ctx = tls_contexts.shared_client_context(self._ciphers)
            if self.certificate is not None and self.key is not None:
                identity = (self.certificate, self.key)
        elif self.keylog:
            tls_contexts.log_keys(ctx, self.keylog)
        # netio's lean TLS stream: a fleet's registrations cost far less Python than
        # through trio.SSLStream (docs/architecture.md)
        stream = TlsStream(sock, ctx, server_side=False, identity=identity)
        try:
            await stream.do_handshake()
        except (trio.BrokenResourceError, OSError) as exc:
            self._set(f"TLS handshake failed: {exc.__cause__ or exc}")
            await stream.aclose()
            return None
        except BaseException:  # timed out or cancelled: the socket must not outlive us
            with trio.CancelScope(shield=True):
                await stream.aclose()
            raise
        der = stream.peer_certificate_der()
        if der not in trusted:
            # The firmware closes: a CallManager not in its CTL is not trusted.
            self._set("Untrusted CallManager certificate (not in CTL)")
            await stream.aclose()
            return None
        self._server_cert_der = der
        cipher = stream.cipher()
        self.cipher = cipher[0] if cipher else None
        return stream

    # ---- the session -------------------------------------------------------------------

    async def run(self, host: str, port: int,
                  task_status: trio.TaskStatus[bool] = trio.TASK_STATUS_IGNORED) -> str:
        """Register and stay registered; `task_status.started(registered?)` once settled.

        Returns the reason the phone stopped (status text). With `reregister`, a Reset or
        Restart makes it register again instead of stopping.
        """
        started = False
        while True:
            outcome = await self._session(host, port, task_status if not started else None)
            started = True
            if outcome == "reset" and self.reregister:
                continue
            return self.status

    async def _session(self, host: str, port: int,
                       task_status: trio.TaskStatus[bool] | None) -> str:
        """One connection: connect, register, then stay registered until it ends.

        One cancel scope bounds connecting, then registering (its deadline moves from one to
        the other), and no nursery: the receive loop sends the keepalives itself. Trio charges
        tens of microseconds for each scope, nursery and task, which a fleet feels.
        """
        self._codec = sccp.SccpConnection(sccp.Role.PHONE, max_version=self.max_version)
        self.registered = False
        self._unregistering = False
        self._set("Registering")
        stream: trio.abc.Stream | TlsStream | None = None
        outcome = "failed"
        try:
            settled = False
            with trio.CancelScope(deadline=trio.current_time() + CONNECT_TIMEOUT) as bound:
                stream = await self._connect(host, port)
                if stream is not None:
                    self._stream = stream
                    bound.deadline = trio.current_time() + \
                        REGISTER_TIMEOUT * max(self.time_scale, 0.1)
                    self._send(self._register_message())
                    await self._flush()
                    settled = await self._until_registered()
            if bound.cancelled_caught:
                if stream is None:
                    self._set("Connection timed out")
                elif self.status == "Registering":
                    self._set("Registration timed out")
            if task_status is not None:
                task_status.started(settled)
                task_status = None
            if settled:
                outcome = await self._receive_loop()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            self._set("Connection to CallManager lost")
            outcome = "closed"
        except sccp.SccpProtocolError as exc:
            self._set(f"Bad message from CallManager: {exc.reason}")
            outcome = "closed"
        finally:
            self.registered = False
            if self.plane.calls:
                self.plane.end_all()  # the router is gone: so are the calls and their sockets
            self._notify()  # a waiter on `registered` must see this, not only status changes
            self._stream = None
            if stream is not None:
                with trio.CancelScope(shield=True), trio.move_on_after(1):
                    try:
                        await stream.aclose()
                    except Exception:
                        pass
            if task_status is not None:
                task_status.started(False)
        return outcome

    def _register_message(self) -> sccp.Register:
        """This phone's Register; made again only when what it says has changed."""
        key = (self.mac, self.station_ip, self.device_type, self.max_version, self.lines)
        if self._register is None or self._register[0] != key:
            self._register = (key, sccp.Register(
                device_name=self.device_name, station_ip=IPv4Address(self.station_ip),
                device_type=self.device_type, max_streams=5, active_streams=0,
                protocol_ver=self.max_version, unknown=0, phone_features=0x0010 | 0x0200,
                max_conferences=0, active_conferences=0, mac_address=bytes.fromhex(self.mac),
                ipv4_address_scope=0, max_number_of_lines=self.lines,
                station_ipv6=IPv6Address(0), ipv6_address_scope=0,
                firmware_load_name=FIRMWARE))
        return self._register[1]

    def _send(self, message: sccp.SccpMessage) -> None:
        self._pending.append(self._codec.send(message))

    async def _flush(self) -> None:
        """Send what is queued; a task arriving while another writes leaves its frames to that
        one (which sends them next, in order), so no lock and no extra scheduling point."""
        if self.dropped is not None and self.dropped():
            self._pending.clear()
            return
        while self._pending and self._stream is not None and not self._writing:
            data = b"".join(self._pending)
            self._pending.clear()
            self._writing = True
            try:
                await self._stream.send_all(data)
            finally:
                self._writing = False

    async def _read(self) -> list[sccp.SccpMessage]:
        assert self._stream is not None
        data = await self._stream.receive_some(4096)
        while data and self.dropped is not None and self.dropped():
            data = await self._stream.receive_some(4096)  # lost on the way
        self._codec.feed(data)
        messages = list(self._codec.events())
        if not data:
            raise trio.BrokenResourceError("closed by the CallManager")
        return messages

    async def _until_registered(self) -> bool:
        """Read until the registration sequence is complete (True) or refused (False).

        The requests that need no answer first go out together with CapabilitiesRes, the time
        and date among them (specs/sccp.md 5: phones may reorder requests, and the server
        answers each on its own); only the line requests wait for the button template.
        """
        lines_wanted: set[int] = set()
        asked = False
        template = False
        while True:
            try:
                messages = await self._read()
            except trio.BrokenResourceError:
                if self.reject_text is None:
                    self._set("Registration refused: connection closed")
                return False
            for msg in messages:
                self.received.append(msg.name)
                if isinstance(msg, sccp.RegisterReject):
                    self.reject_text = msg.text
                    self._set(f"Registration rejected: {msg.text}")
                    return False
                if isinstance(msg, sccp.RegisterAck):
                    self.keepalive_interval = msg.keep_alive_interval
                    self.version = msg.max_protocol_ver
                    self.reject_text = None
                    if self.last_down is not None:  # why the last registration ended
                        reason = self.last_down
                        self.last_down = None
                        code = LAST_DOWN_CODES[reason]
                        self._send(sccp.Alarm(2, f"{code}: Name={self.device_name} "
                                                 f"Load={FIRMWARE} Last={reason}", code, 0))
                elif isinstance(msg, sccp.CapabilitiesReq):
                    self._send(sccp.CapabilitiesRes(self.capabilities))
                    if not asked:
                        asked = True
                        for request in (sccp.ButtonTemplateReq(), sccp.SoftKeyTemplateReq(),
                                        sccp.SoftKeySetReq(), sccp.TimeDateReq()):
                            self._send(request)
                elif isinstance(msg, sccp.ButtonTemplate):
                    template = True
                    self.buttons = msg.buttons
                    lines = [b.instance_number for b in msg.buttons
                             if b.button_type == sccp.ButtonType.LINE]
                    lines_wanted = set(lines)
                    self.plane.lines = lines
                    for n in lines:
                        self._send(sccp.LineStatReq(n))
                        self._send(sccp.ForwardStatReq(n))
                    self._send(sccp.RegisterAvailableLines(max(len(lines), 1)))
                elif isinstance(msg, sccp.LineStat):
                    self.line_stats[msg.line_number] = msg
                elif isinstance(msg, sccp.DefineTimeDate):
                    self.time_date = msg
                elif isinstance(msg, sccp.Reset):
                    self.resets.append(msg.reset_type)
            await self._flush()
            if template and self.time_date is not None and \
                    lines_wanted <= set(self.line_stats) and self.keepalive_interval:
                self.registered = True
                self.registrations += 1
                self._set("Registered")
                return True

    async def _receive_loop(self) -> str:
        """Read until the connection ends, sending a KeepAlive every interval: no KeepAliveAck
        by the next one means the router is gone."""
        interval = max(self.keepalive_interval, 1) * self.time_scale
        tick = trio.current_time() + interval
        unacked: int | None = None  # keepalives_acked when the last KeepAlive went out
        while True:
            messages: list[sccp.SccpMessage] | None = None
            with trio.move_on_at(tick):
                try:
                    messages = await self._read()
                except trio.BrokenResourceError:
                    if self._unregistering:
                        return "unregistered"
                    self._set("Connection to CallManager lost")
                    return "closed"
            if messages is None:  # the interval has passed
                tick = trio.current_time() + interval
                if not self.send_keepalives:
                    unacked = None
                    continue
                if unacked is not None and self.keepalives_acked == unacked:
                    self._set("Keepalive lost: CallManager not answering")
                    return "closed"
                unacked = self.keepalives_acked
                self._send(sccp.KeepAlive())
                await self._flush()
                continue
            for msg in messages:
                self.received.append(msg.name)
                if type(msg) in CALL_MESSAGES:
                    for reply in await self.plane.receive(msg):
                        self._send(reply)
                elif isinstance(msg, sccp.KeepAliveAck):
                    self.keepalives_acked += 1
                    self._notify()
                elif isinstance(msg, sccp.Reset):
                    self.resets.append(msg.reset_type)
                    self.registered = False
                    restart = msg.reset_type == sccp.ResetType.RESTART
                    self._set("Restarting" if restart else "Resetting")
                    await self._leave()
                    return "reset"
                elif isinstance(msg, sccp.UnregisterAck):
                    self._set("Unregistered")
                    return "unregistered"
            self._notify()
            await self._flush()

    async def _leave(self) -> None:
        """Say goodbye (Unregister) and wait briefly for the ack, as before a reboot."""
        self._unregistering = True
        self._send(sccp.Unregister(0))
        await self._flush()
        with trio.move_on_after(2):
            while True:
                messages = await self._read()
                if any(isinstance(m, sccp.UnregisterAck) for m in messages):
                    return

    # ---- what the user's hands do ----------------------------------------------------------

    def _need_registered(self) -> None:
        if not self.registered or self._stream is None:
            raise CallError(f"{self.device_name} is not registered")

    async def _send_now(self, *messages: sccp.SccpMessage) -> None:
        for message in messages:
            self._send(message)
        await self._flush()

    async def dial(self, digits: str, line: int | None = None, timeout: float = 5.0
                   ) -> PhoneCall:
        """Lift the handset (unless already dialling), wait for the dial tone, key `digits`
        one KeypadButton at a time."""
        self._need_registered()
        plane = self.plane
        call = plane.calls.get(line) if line else next(
            (c for c in plane.calls.values() if c.state in ("offhook", "dialing")), None)
        if call is None:
            line = line or plane.free_line()
            if not line:
                raise CallError("no free line")
            await self._send_now(sccp.OffHook(line, 0))
            await self.wait_for(lambda p: line in p.calls, timeout)
            call = plane.calls[line]
        if call.state not in ("offhook", "dialing"):
            raise CallError(f"line {call.line} is {call.state}, not dialling")
        await self._send_now(*plane.keys(call, digits))
        plane.changed()
        return call

    async def answer(self, line: int | None = None, soft_key: bool = False) -> PhoneCall:
        """Answer the ringing call: lift the handset, or press the Answer soft key."""
        self._need_registered()
        call = self.plane.ringing_call(line)
        if call is None:
            raise CallError("no call is ringing")
        await self._send_now(
            sccp.SoftKeyEvent(sccp.SoftKeyEventType.ANSWER, call.line, call.ref) if soft_key
            else sccp.OffHook(call.line, call.ref))
        return call

    async def hang_up(self, line: int | None = None, soft_key: bool = False) -> PhoneCall:
        """Put the handset down (or press EndCall) on the call it holds."""
        self._need_registered()
        call = self.plane.active_call(line)
        if call is None:
            raise CallError("no call to end")
        await self._send_now(
            sccp.SoftKeyEvent(sccp.SoftKeyEventType.END_CALL, call.line, call.ref) if soft_key
            else sccp.OnHook(call.line, call.ref))
        return call

    async def soft_key(self, event: int, line: int | None = None) -> PhoneCall:
        """Press a soft key on the call the handset holds (Hold, Resume, Trnsfer, Confrn)."""
        self._need_registered()
        call = self.plane.active_call(line)
        if call is None:
            raise CallError("no call")
        await self._send_now(sccp.SoftKeyEvent(event, call.line, call.ref))
        return call

    async def hold(self, line: int | None = None) -> PhoneCall:
        return await self.soft_key(sccp.SoftKeyEventType.HOLD, line)

    async def resume(self, line: int | None = None) -> PhoneCall:
        return await self.soft_key(sccp.SoftKeyEventType.RESUME, line)

    async def transfer(self, digits: str | None = None, line: int | None = None,
                       blind: bool = True, timeout: float = 5.0) -> PhoneCall:
        """Trnsfer: with `digits`, press it, dial them and (`blind`) press it again once
        the new call rings out; without, press it once (start, or complete a consultation)."""
        return await self._feature(sccp.SoftKeyEventType.TRANSFER, digits, line, blind,
                                   timeout)

    async def conference(self, digits: str | None = None, line: int | None = None,
                         timeout: float = 5.0) -> PhoneCall:
        """Confrn: with `digits`, press it and dial them (the third party answers, then
        `conference()` joins the three); without, press it once."""
        return await self._feature(sccp.SoftKeyEventType.CONFRN, digits, line, False, timeout)

    async def _feature(self, event: int, digits: str | None, line: int | None,
                       complete: bool, timeout: float) -> PhoneCall:
        call = await self.soft_key(event, line)
        if not digits:
            return call
        old = call.ref
        await self.wait_for(lambda p: (c := p.calls.get(call.line)) is not None
                            and c.ref != old and c.state == "offhook", timeout)
        new = self.plane.calls[call.line]
        await self._send_now(*self.plane.keys(new, digits))
        self.plane.changed()
        if not complete:
            return new
        await self.wait_for(lambda p: (c := p.calls.get(call.line)) is None or c.ref != new.ref
                            or c.state not in ("offhook", "dialing"), timeout)
        if new.state not in ("ringout", "connected"):
            raise CallError(f"the transfer target is {new.state}")
        await self._send_now(sccp.SoftKeyEvent(event, new.line, new.ref))
        return new

    async def unregister(self) -> None:
        """Unregister cleanly; `run` then returns."""
        if self._stream is None:
            return
        self._unregistering = True
        self._send(sccp.Unregister(0))
        await self._flush()


CALL_MESSAGES = frozenset({
    sccp.CallState, sccp.CallInfo, sccp.StartTone, sccp.StopTone, sccp.SetRinger,
    sccp.DisplayPromptStatus, sccp.ClearPromptStatus, sccp.OpenReceiveChannel,
    sccp.StartMediaTransmission, sccp.StopMediaTransmission, sccp.CloseReceiveChannel})


def load_pem_identity(cert_pem: bytes, key_pem: bytes) -> tuple[x509.Certificate,
                                                                 rsa.RSAPrivateKey]:
    """A phone's certificate and key from PEM (convenience for tests and tools)."""
    key = serialization.load_pem_private_key(key_pem, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return x509.load_pem_x509_certificate(cert_pem), key


def phones_ready(phones: Iterable[SccpPhone]) -> bool:
    return all(p.registered for p in phones)


__all__ = ["CallError", "PhoneCall", "SccpPhone", "load_pem_identity", "phones_ready"]
