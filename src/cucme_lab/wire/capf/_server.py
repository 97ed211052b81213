"""Sans-I/O CAPF server session (§4.6, §4.8): one connection, from AUTH_REQUEST to END_SESSION.

Certificate issuance is not done here: the session emits :class:`CertificateRequired` and the
caller answers with :meth:`CapfServerSession.issue_certificate`, so the CA (an IOS trustpoint in
the emulator, a fixture in tests) stays outside the protocol code. Likewise, with
``check_certificates`` the session asks the caller (:class:`CertificateCheckRequired`) whether an
LSC or MIC is still good: its chain, dates and revocation need a trust store, a clock and a
network, none of which belong here.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cucme_lab.wire.capf._constants import (
    DEFAULT_MAX_BODY_SIZE,
    PROTOCOL_VERSION,
    AuthType,
    CapfProtocolError,
    CertificateType,
    Command,
    HashCode,
    KeyType,
    Reason,
)
from cucme_lab.wire.capf._crypto import (
    auth_signed_input,
    is_issued_by,
    key_matches,
    sudi_signed_input,
    verify,
)
from cucme_lab.wire.capf._messages import (
    CapfDecoder,
    Message,
    NestedCertificate,
    Sentinel,
    encode,
)
from cucme_lab.wire.capf._session import (
    DEVICE_NAME_RE,
    CapfDevice,
    CapfEvent,
    CapfStep,
    CapfUsageError,
    CertificateCheckRequired,
    CertificateDeleted,
    CertificateFetched,
    CertificateRequired,
    CertificateStored,
    DeviceAuthenticated,
    Operation,
    ProtocolFailure,
    SessionEnded,
)


class ServerState(enum.Enum):
    IDLE = "idle"
    AWAIT_AUTH = "await_auth"
    AWAIT_CHECK = "await_check"  # waiting for the caller to judge the phone's certificate
    AWAIT_KEY = "await_key"
    AWAIT_ISSUE = "await_issue"  # waiting for the caller, not the phone
    AWAIT_STORE = "await_store"
    AWAIT_FETCH = "await_fetch"
    AWAIT_DELETE = "await_delete"
    CLOSED = "closed"


class _End(Exception):
    """Internal: stop the session with END_SESSION ``reason``."""

    def __init__(self, reason: int, detail: str, protocol: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.protocol = protocol


def _protocol(detail: str) -> _End:
    return _End(Reason.INVALID_ELEMENT, detail, protocol=True)


class CapfServerSession:
    """Server side of one CAPF connection; the server speaks first (:meth:`start`).

    ``devices`` maps device names to their scheduled work; it is only read. ``auth_type`` is
    what AUTH_REQUEST advertises: it is sent before the phone names itself, so it cannot be
    per-device; the reference server always sends 0. ``trusted_issuers`` are the CAs accepted
    for LSC/MIC authentication (the LSC CA, Cisco's MIC CAs).

    Stricter than the reference server (which checks neither): an LSC or MIC must name the
    device it authenticates (CN ``SEP<MAC>``; a MIC's CN may carry a model prefix,
    ``CP-7962G-SEP<MAC>``), so one phone's certificate never obtains another phone's LSC. With
    ``check_certificates`` the session then waits for the caller's verdict on the certificate
    (:meth:`accept_certificate`, :meth:`refuse_certificate`) before asking for a key.
    """

    def __init__(
        self,
        session_id: int,
        devices: Mapping[str, CapfDevice],
        *,
        auth_type: AuthType = AuthType.NONE,
        trusted_issuers: Sequence[x509.Certificate] = (),
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        check_certificates: bool = False,
    ) -> None:
        if not 0 <= session_id <= 0xFFFFFFFF:
            raise ValueError("session id must fit in u32")
        self.session_id = session_id
        self._devices = devices
        self._auth_type = auth_type
        self._trusted = tuple(trusted_issuers)
        self._check_certificates = check_certificates
        self._presented: bytes | None = None  # the LSC/MIC that authenticated, DER
        self._decoder = CapfDecoder(max_body_size)
        self._state = ServerState.IDLE
        self._device: CapfDevice | None = None
        self._claimed: str | None = None  # the well-formed device name the phone gave
        self._in_progress_seen = False
        self._issued: bytes | None = None

    @property
    def state(self) -> ServerState:
        return self._state

    @property
    def device(self) -> CapfDevice | None:
        """The authenticated device's entry, once known."""
        return self._device

    @property
    def device_name(self) -> str | None:
        """The device name the phone gave in its auth response, authenticated or not."""
        return self._claimed

    @property
    def closed(self) -> bool:
        return self._state is ServerState.CLOSED

    # ----------------------------------------------------------------- caller API

    def start(self) -> CapfStep:
        """AUTH_REQUEST, the first message on every connection."""
        self._require(ServerState.IDLE, "start")
        self._state = ServerState.AWAIT_AUTH
        return CapfStep(self._send(Command.AUTH_REQUEST, version=PROTOCOL_VERSION,
                                   auth_type=self._auth_type))

    def receive_data(self, data: bytes) -> CapfStep:
        """Bytes from the phone (``b""`` when it closed); answers and events for them."""
        if self._state is ServerState.CLOSED:
            return CapfStep()
        if self._state is ServerState.IDLE:
            raise CapfUsageError("call start() before receive_data()")
        out: list[bytes] = []
        events: list[CapfEvent] = []
        try:
            self._decoder.feed(data)
            while self._state is not ServerState.CLOSED:
                message = self._decoder.next_event()
                if message is Sentinel.NEED_DATA:
                    break
                if message is Sentinel.CLOSED:
                    self._state = ServerState.CLOSED
                    events.append(ProtocolFailure("phone closed the connection"))
                    break
                self._handle(message, out, events)
        except CapfProtocolError as exc:
            self._finish(_protocol(exc.reason), out, events)
        except _End as end:
            self._finish(end, out, events)
        if self._state is ServerState.CLOSED:
            # A key followed by a message out of turn in the same read: the session ended
            # after asking for the certificate, so the request is no longer the caller's to
            # answer (issue_certificate would raise CapfUsageError).
            events = [e for e in events if not isinstance(e, CertificateRequired)]
        return CapfStep(b"".join(out), tuple(events))

    def issue_certificate(self, certificate_der: bytes) -> CapfStep:
        """Answer :class:`CertificateRequired`: deliver the LSC in STORE_CERTIFICATE_REQUEST."""
        self._require(ServerState.AWAIT_ISSUE, "issue_certificate")
        if not isinstance(certificate_der, bytes) or not certificate_der:
            raise ValueError("certificate_der must be non-empty DER bytes")
        data = self._send(
            Command.STORE_CERTIFICATE_REQUEST,
            certificate_type=CertificateType.LSC,
            certificate=NestedCertificate(certificate_der, CertificateType.LSC),
        )
        self._issued = certificate_der
        self._state = ServerState.AWAIT_STORE
        return CapfStep(data)

    def accept_certificate(self) -> CapfStep:
        """Answer :class:`CertificateCheckRequired`: the certificate is good, go on."""
        self._require(ServerState.AWAIT_CHECK, "accept_certificate")
        device = self._device
        assert device is not None
        out: list[bytes] = []
        events: list[CapfEvent] = []
        try:
            self._authenticated(device, out, events)
        except _End as end:
            self._finish(end, out, events)
        return CapfStep(b"".join(out), tuple(events))

    def refuse_certificate(self, detail: str) -> CapfStep:
        """Answer :class:`CertificateCheckRequired` with a refusal: END_SESSION reason 7."""
        self._require(ServerState.AWAIT_CHECK, "refuse_certificate")
        device = self._device
        assert device is not None
        self._device = None
        out: list[bytes] = []
        events: list[CapfEvent] = []
        self._finish(_End(Reason.INVALID_ELEMENT,
                          f"authentication failed for {device.name}: {detail}"), out, events)
        return CapfStep(b"".join(out), tuple(events))

    def decline_certificate(self, detail: str = "certificate issuance failed") -> CapfStep:
        """Answer :class:`CertificateRequired` with a refusal: END_SESSION reason 7."""
        self._require(ServerState.AWAIT_ISSUE, "decline_certificate")
        out: list[bytes] = []
        events: list[CapfEvent] = []
        self._finish(_End(Reason.INVALID_ELEMENT, detail), out, events)
        return CapfStep(b"".join(out), tuple(events))

    # ----------------------------------------------------------------- internals

    def _require(self, state: ServerState, method: str) -> None:
        if self._state is not state:
            raise CapfUsageError(f"{method}() not allowed in state {self._state.value}")

    def _send(self, command: Command, **elements: Any) -> bytes:
        return encode(Message.build(command, self.session_id, **elements))

    def _finish(self, end: _End, out: list[bytes], events: list[CapfEvent]) -> None:
        if end.protocol:
            events.append(ProtocolFailure(end.detail))
        out.append(self._send(Command.END_SESSION, reason=end.reason))
        events.append(SessionEnded(end.reason, end.detail))
        self._state = ServerState.CLOSED

    def _handle(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        if message.session_id != self.session_id:
            raise _protocol(f"session id {message.session_id} != {self.session_id}")
        state = self._state
        if state is ServerState.AWAIT_KEY and message.command == Command.REQUEST_IN_PROGRESS:
            if self._in_progress_seen:
                raise _protocol("REQUEST_IN_PROGRESS sent twice")
            self._in_progress_seen = True
            return
        expected = {
            ServerState.AWAIT_AUTH: Command.AUTH_RESPONSE,
            ServerState.AWAIT_KEY: Command.KEY_GENERATE_RESPONSE,
            ServerState.AWAIT_STORE: Command.STORE_CERTIFICATE_RESPONSE,
            ServerState.AWAIT_FETCH: Command.FETCH_CERTIFICATE_RESPONSE,
            ServerState.AWAIT_DELETE: Command.DELETE_CERTIFICATE_RESPONSE,
        }.get(state)
        if message.command != expected:
            raise _protocol(f"unexpected command {message.command} in state {state.value}")
        if state is ServerState.AWAIT_AUTH:
            self._on_auth(message, out, events)
        elif state is ServerState.AWAIT_KEY:
            self._on_key(message, events)
        else:
            self._on_result(message, out, events)

    def _on_auth(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        if message.version != PROTOCOL_VERSION:
            raise _protocol(f"unsupported version {message.version}")
        name = message.device_name
        # Chosen: a malformed or missing name is a protocol error (7), not an unknown device (9).
        if name is None or not DEVICE_NAME_RE.fullmatch(name):
            raise _protocol(f"bad device name {name!r}")
        self._claimed = name
        device = self._devices.get(name)
        if device is None:
            raise _End(Reason.UNKNOWN_DEVICE, f"unknown device {name}")
        self._presented = None
        failure = self._authenticate(message, device)
        if failure:
            raise _End(Reason.INVALID_ELEMENT, f"authentication failed for {name}: {failure}")
        self._device = device
        if self._presented is not None and self._check_certificates:
            self._state = ServerState.AWAIT_CHECK
            events.append(CertificateCheckRequired(name, device.auth_mode, self._presented))
            return
        self._authenticated(device, out, events)

    def _authenticated(self, device: CapfDevice, out: list[bytes],
                       events: list[CapfEvent]) -> None:
        """The phone is who it says: tell the caller, and start the scheduled operation."""
        name = device.name
        events.append(DeviceAuthenticated(name, device.auth_mode))
        operation = device.operation
        if operation is Operation.INSTALL:
            if device.key_type is KeyType.RSA:
                out.append(self._send(Command.KEY_GENERATE_REQUEST, key_size=device.key_size,
                                      key_type=KeyType.RSA))
            else:
                out.append(self._send(Command.KEY_GENERATE_REQUEST, key_type=KeyType.EC,
                                      curve=device.curve))
            self._state = ServerState.AWAIT_KEY
        elif operation is Operation.FETCH:
            out.append(self._send(Command.FETCH_CERTIFICATE_REQUEST))
            self._state = ServerState.AWAIT_FETCH
        elif operation is Operation.DELETE:
            out.append(self._send(Command.DELETE_CERTIFICATE_REQUEST))
            self._state = ServerState.AWAIT_DELETE
        else:
            raise _End(Reason.NO_ACTION, f"no operation scheduled for {name}")

    def _authenticate(self, message: Message, device: CapfDevice) -> str:
        """Empty string if ``message`` authenticates ``device``, else why not."""
        mode = device.auth_mode
        if mode is AuthType.NO_PASSWORD:
            return ""
        if mode is AuthType.PASSWORD:
            if not device.password:
                return "no authentication string is configured for it"
            given = (message.password or "").encode()
            return "" if hmac.compare_digest(given, device.password.encode()) else "wrong password"
        return self._check_certificate(message, device)

    def _check_certificate(self, message: Message, device: CapfDevice) -> str:
        name = device.name
        nested, sha1_sig, sha2 = message.certificate, message.signed_data, message.sha2_signed_data
        if nested is None or sha1_sig is None or sha2 is None:
            return "certificate, SIGNED_DATA and SHA2_SIGNED_DATA are required"
        if sha2.hash_code != HashCode.SHA512:
            return f"SHA2_SIGNED_DATA hash code {sha2.hash_code}"
        try:
            certificate = x509.load_der_x509_certificate(nested.der)
            key = certificate.public_key()
        except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
            return "unreadable certificate"
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            return "certificate key is neither RSA nor EC"
        if not is_issued_by(certificate, self._trusted):
            return "certificate not issued by a trusted CA"
        owner = certificate_device(certificate, device.auth_mode)
        if owner != name:
            return f"the certificate is issued to {owner or 'no device'}, not to {name}"
        data = auth_signed_input(name, nested.der)
        if not (verify(key, data, sha1_sig, hashes.SHA1())
                and verify(key, data, sha2.signature, hashes.SHA512())):
            return "bad signature"
        self._presented = nested.der
        sudi = message.sudi_data
        if sudi is None:
            return ""
        try:
            sudi_cert = x509.load_der_x509_certificate(sudi.certificate)
            sudi_key = sudi_cert.public_key()
        except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
            return "unreadable SUDI certificate"
        if not isinstance(sudi_key, rsa.RSAPublicKey):
            return ""  # the reference server checks only RSA SUDI certificates (§4.7)
        if not is_issued_by(sudi_cert, self._trusted):
            return "SUDI certificate not issued by a trusted CA"
        signed = sudi_signed_input(self.session_id, sudi.certificate)
        if not (verify(sudi_key, signed, sudi.sha1_signature, hashes.SHA1())
                and verify(sudi_key, signed, sudi.sha512_signature, hashes.SHA512())):
            return "bad SUDI signature"
        return ""

    def _on_key(self, message: Message, events: list[CapfEvent]) -> None:
        device = self._device
        assert device is not None
        der = message.public_key
        if der is None:
            raise _End(Reason.INVALID_ELEMENT,
                       f"phone reported key generation failure (reason {message.reason})")
        try:
            key = serialization.load_der_public_key(der)
        except (ValueError, UnsupportedAlgorithm):
            raise _protocol("PUBLIC_KEY is not a SubjectPublicKeyInfo") from None
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise _protocol("PUBLIC_KEY is neither RSA nor EC")
        # Chosen (the reference's behaviour is not documented): refuse a key of another shape.
        if not key_matches(key, device.key_type, device.key_size, device.curve):
            raise _End(Reason.INVALID_ELEMENT, "public key does not match the requested key")
        self._state = ServerState.AWAIT_ISSUE
        events.append(CertificateRequired(device.name, key, der))

    def _on_result(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        device = self._device
        assert device is not None
        reason = message.reason
        if reason is None:
            raise _protocol("response without REASON")
        ok = reason == Reason.UPDATE_CERTIFICATE
        if self._state is ServerState.AWAIT_STORE:
            assert self._issued is not None
            events.append(CertificateStored(device.name, self._issued, ok))
            # Other reasons are only logged by the reference server; it still ends with 1.
            raise _End(Reason.UPDATE_CERTIFICATE, "install finished")
        if self._state is ServerState.AWAIT_FETCH:
            nested = message.certificate
            if ok and nested is None:
                raise _protocol("FETCH_CERTIFICATE_RESPONSE without CERTIFICATE")
            events.append(CertificateFetched(device.name, nested.der if ok and nested else None))
            # Unconfirmed: the end reason after a failed fetch; we send 0 as after a good one.
            raise _End(Reason.NO_ACTION, "fetch finished")
        events.append(CertificateDeleted(device.name, ok))
        # Unconfirmed: the end reason after a failed delete; we send 1 as after a good one.
        raise _End(Reason.UPDATE_CERTIFICATE, "delete finished")


def certificate_device(certificate: x509.Certificate, mode: AuthType) -> str | None:
    """The device a phone certificate was issued to: its CN ``SEP<MAC>``, or None.

    An LSC's CN is the device name itself (the LSC profile, spec 4.8); a MIC's CN may carry the
    phone model before it (``CP-7962G-SEP001122334455``), which MIC mode accepts.
    """
    try:
        cns = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except ValueError:
        return None
    cn = str(cns[0].value) if len(cns) == 1 else ""
    if DEVICE_NAME_RE.fullmatch(cn):
        return cn
    if mode is AuthType.MIC:
        tail = cn.rpartition("-")[2]
        if DEVICE_NAME_RE.fullmatch(tail):
            return tail
    return None
