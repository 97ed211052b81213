"""Sans-I/O CAPF client (phone) session (§4.6): answers whatever the server asks, in order.

Key generation is the caller's business: a key can be given up front, otherwise the session
emits :class:`KeyRequired` and waits for :meth:`CapfClientSession.provide_key`. Only the public
half is ever sent (no CSR in CAPF), so a public key is enough for an install; a private key is
needed only to authenticate later with the resulting LSC.
"""

from __future__ import annotations

import enum
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from cucme_lab.wire.capf._constants import (
    DEFAULT_MAX_BODY_SIZE,
    PROTOCOL_VERSION,
    AuthType,
    CapfProtocolError,
    CertificateType,
    Command,
    Curve,
    HashCode,
    KeyType,
    Reason,
)
from cucme_lab.wire.capf._crypto import (
    PrivateKey,
    PublicKey,
    auth_signed_input,
    key_matches,
    public_key_der,
    sign,
    sudi_signed_input,
)
from cucme_lab.wire.capf._messages import (
    CapfDecoder,
    HashedSignature,
    Message,
    NestedCertificate,
    Sentinel,
    SudiData,
    encode,
)
from cucme_lab.wire.capf._session import (
    DEVICE_NAME_RE,
    AuthRequested,
    CapfEvent,
    CapfStep,
    CapfUsageError,
    CertificateCredential,
    CertificateReceived,
    DeleteRequested,
    FetchRequested,
    KeyRequired,
    ProtocolFailure,
    PublicKeySent,
    SessionEnded,
)


class ClientState(enum.Enum):
    AWAIT_AUTH_REQUEST = "await_auth_request"
    AWAIT_COMMAND = "await_command"
    AWAIT_KEY = "await_key"  # waiting for the caller, not the server
    CLOSED = "closed"


class CapfClientSession:
    """Phone side of one CAPF connection.

    ``auth_mode`` is the phone's own ``capfAuthMode``, used when the server advertises
    AUTH_TYPE 0 (default: password if one is set, else null string). ``lsc``/``mic`` are the
    phone's certificates (with keys, to authenticate by certificate; the LSC is also what a
    fetch returns); ``sudi`` adds SUDI_DATA to certificate authentication.
    """

    def __init__(
        self,
        device_name: str,
        *,
        password: str | None = None,
        auth_mode: AuthType | None = None,
        lsc: CertificateCredential | None = None,
        mic: CertificateCredential | None = None,
        sudi: CertificateCredential | None = None,
        key: PrivateKey | PublicKey | None = None,
        send_request_in_progress: bool = True,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if not DEVICE_NAME_RE.fullmatch(device_name):
            raise ValueError(f"device name must be SEP + 12 upper-case hex digits: {device_name!r}")
        if password is not None and "\0" in password:
            raise ValueError("password must not contain NUL")
        self.device_name = device_name
        self._password = password
        default = AuthType.PASSWORD if password else AuthType.NO_PASSWORD
        self._auth_mode = AuthType(auth_mode) if auth_mode else default
        self._lsc = lsc
        self._mic = mic
        self._sudi = sudi
        self._key = key
        self._send_in_progress = send_request_in_progress
        self._decoder = CapfDecoder(max_body_size)
        self._state = ClientState.AWAIT_AUTH_REQUEST
        self._session_id: int | None = None
        self._request: KeyRequired | None = None
        self._sent_key: PrivateKey | PublicKey | None = None

    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def closed(self) -> bool:
        return self._state is ClientState.CLOSED

    @property
    def session_id(self) -> int | None:
        return self._session_id

    @property
    def lsc(self) -> CertificateCredential | None:
        """The phone's LSC as it stands now (updated by store and delete)."""
        return self._lsc

    # ----------------------------------------------------------------- caller API

    def receive_data(self, data: bytes) -> CapfStep:
        """Bytes from the server (``b""`` when it closed); our answers and events."""
        if self._state is ClientState.CLOSED:
            return CapfStep()
        out: list[bytes] = []
        events: list[CapfEvent] = []
        try:
            self._decoder.feed(data)
            while self._state is not ClientState.CLOSED:
                message = self._decoder.next_event()
                if message is Sentinel.NEED_DATA:
                    break
                if message is Sentinel.CLOSED:
                    raise CapfProtocolError("server closed the connection without END_SESSION")
                self._handle(message, out, events)
        except CapfProtocolError as exc:
            # A phone just drops the connection on a protocol error; nothing more is sent.
            self._state = ClientState.CLOSED
            events.append(ProtocolFailure(exc.reason))
        return CapfStep(b"".join(out), tuple(events))

    def provide_key(self, key: PrivateKey | PublicKey) -> CapfStep:
        """Answer :class:`KeyRequired` with a key of the requested type and size."""
        if self._state is not ClientState.AWAIT_KEY or self._request is None:
            raise CapfUsageError(f"provide_key() not allowed in state {self._state.value}")
        request = self._request
        if not key_matches(key, request.key_type, request.key_size, request.curve):
            raise ValueError("key does not match the server's KEY_GENERATE_REQUEST")
        self._state = ClientState.AWAIT_COMMAND
        return self._send_key(key)

    def fail_key_generation(self) -> CapfStep:
        """Answer :class:`KeyRequired` with a failure (KEY_GENERATE_RESPONSE, reason 7)."""
        if self._state is not ClientState.AWAIT_KEY:
            raise CapfUsageError(f"fail_key_generation() not allowed in state {self._state.value}")
        self._state = ClientState.AWAIT_COMMAND
        return CapfStep(self._send(Command.KEY_GENERATE_RESPONSE, reason=Reason.INVALID_ELEMENT))

    # ----------------------------------------------------------------- internals

    def _send(self, command: Command, **elements: Any) -> bytes:
        assert self._session_id is not None
        return encode(Message.build(command, self._session_id, **elements))

    def _send_key(self, key: PrivateKey | PublicKey) -> CapfStep:
        der = public_key_der(key)
        self._sent_key = key
        return CapfStep(self._send(Command.KEY_GENERATE_RESPONSE, public_key=der),
                        (PublicKeySent(der),))

    def _handle(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        command = message.command
        if self._state is ClientState.AWAIT_AUTH_REQUEST:
            if command != Command.AUTH_REQUEST:
                raise CapfProtocolError(f"expected AUTH_REQUEST, got command {command}")
            self._on_auth_request(message, out, events)
            return
        if message.session_id != self._session_id:
            raise CapfProtocolError(f"session id {message.session_id} != {self._session_id}")
        if command == Command.END_SESSION:
            if message.reason is None:
                raise CapfProtocolError("END_SESSION without REASON")
            self._state = ClientState.CLOSED
            events.append(SessionEnded(message.reason))
            return
        if self._state is ClientState.AWAIT_KEY:
            raise CapfProtocolError(f"command {command} while generating a key")
        if command == Command.KEY_GENERATE_REQUEST:
            self._on_key_request(message, out, events)
        elif command == Command.STORE_CERTIFICATE_REQUEST:
            self._on_store(message, out, events)
        elif command == Command.FETCH_CERTIFICATE_REQUEST:
            lsc = self._lsc
            if lsc is None:
                out.append(self._send(Command.FETCH_CERTIFICATE_RESPONSE,
                                      reason=Reason.INVALID_ELEMENT))
            else:
                out.append(self._send(
                    Command.FETCH_CERTIFICATE_RESPONSE, reason=Reason.UPDATE_CERTIFICATE,
                    certificate=NestedCertificate(lsc.certificate_der, CertificateType.LSC)))
            events.append(FetchRequested(lsc is not None))
        elif command == Command.DELETE_CERTIFICATE_REQUEST:
            had = self._lsc is not None
            self._lsc = None
            reason = Reason.UPDATE_CERTIFICATE if had else Reason.INVALID_ELEMENT
            out.append(self._send(Command.DELETE_CERTIFICATE_RESPONSE, reason=reason))
            events.append(DeleteRequested(had))
        else:
            raise CapfProtocolError(f"unexpected command {command}")

    def _on_auth_request(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        if message.version != PROTOCOL_VERSION:
            raise CapfProtocolError(f"unsupported version {message.version}")
        self._session_id = message.session_id
        requested = message.auth_type if message.auth_type is not None else AuthType.NONE
        mode = AuthType(requested) if requested in (1, 2, 3, 4) else self._auth_mode
        credential = None
        if mode is AuthType.LSC:  # LSC auth falls back to the MIC (§4.6)
            credential = self._usable(self._lsc) or self._usable(self._mic)
        elif mode is AuthType.MIC:
            credential = self._usable(self._mic)
        elements: dict[str, Any] = {"password": self._password or ""}
        if mode is AuthType.NO_PASSWORD:
            elements["password"] = ""
        if credential is None:
            answered = AuthType.PASSWORD if elements["password"] else AuthType.NO_PASSWORD
        else:
            answered = AuthType.LSC if credential is self._lsc else AuthType.MIC
            elements.update(self._certificate_elements(credential, answered))
        out.append(self._send(Command.AUTH_RESPONSE, reason=Reason.UPDATE_CERTIFICATE,
                              version=PROTOCOL_VERSION, device_name=self.device_name,
                              **elements))
        self._state = ClientState.AWAIT_COMMAND
        events.append(AuthRequested(message.session_id, requested, answered))

    @staticmethod
    def _usable(credential: CertificateCredential | None) -> CertificateCredential | None:
        return credential if credential is not None and credential.private_key else None

    def _certificate_elements(self, credential: CertificateCredential,
                              answered: AuthType) -> dict[str, Any]:
        key = credential.private_key
        assert key is not None
        der = credential.certificate_der
        data = auth_signed_input(self.device_name, der)
        # Unconfirmed: the nested type byte for a MIC; we use CERTIFICATE_TYPE's 2 (MIC).
        cert_type = CertificateType.LSC if answered is AuthType.LSC else CertificateType.MIC
        elements: dict[str, Any] = {
            "certificate": NestedCertificate(der, cert_type),
            "signed_data": sign(key, data, hashes.SHA1()),
            "sha2_signed_data": HashedSignature(HashCode.SHA512, sign(key, data, hashes.SHA512())),
        }
        sudi = self._usable(self._sudi)
        if sudi is not None and sudi.private_key is not None and self._session_id is not None:
            signed = sudi_signed_input(self._session_id, sudi.certificate_der)
            elements["sudi_data"] = SudiData(
                sudi.certificate_der,
                sign(sudi.private_key, signed, hashes.SHA1()),
                sign(sudi.private_key, signed, hashes.SHA512()),
            )
        return elements

    def _on_key_request(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        # Chosen: a request without KEY_TYPE means RSA (RSA-only servers may leave it out).
        raw_type = message.key_type if message.key_type is not None else KeyType.RSA
        if raw_type == KeyType.RSA:
            if message.key_size is None:
                raise CapfProtocolError("RSA KEY_GENERATE_REQUEST without KEY_SIZE")
            request = KeyRequired(KeyType.RSA, message.key_size, None)
        elif raw_type == KeyType.EC:
            if message.curve not in Curve._value2member_map_:
                raise CapfProtocolError(f"EC KEY_GENERATE_REQUEST with curve {message.curve}")
            request = KeyRequired(KeyType.EC, None, Curve(message.curve))
        else:
            raise CapfProtocolError(f"unknown KEY_TYPE {raw_type}")
        self._request = request
        if self._send_in_progress:
            out.append(self._send(Command.REQUEST_IN_PROGRESS))
        key = self._key
        if key is not None and key_matches(key, request.key_type, request.key_size, request.curve):
            self._key = None
            step = self._send_key(key)
            out.append(step.data)
            events.extend(step.events)
        else:
            self._state = ClientState.AWAIT_KEY
            events.append(request)

    def _on_store(self, message: Message, out: list[bytes], events: list[CapfEvent]) -> None:
        nested = message.certificate
        if nested is None:
            raise CapfProtocolError("STORE_CERTIFICATE_REQUEST without CERTIFICATE")
        if self._sent_key is None:
            raise CapfProtocolError("STORE_CERTIFICATE_REQUEST before any key was generated")
        try:
            certificate = x509.load_der_x509_certificate(nested.der)
            offered = certificate.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            accepted = offered == public_key_der(self._sent_key)
        except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion):
            accepted = False
        if accepted:
            private = self._sent_key if not isinstance(self._sent_key, PublicKey) else None
            self._lsc = CertificateCredential(nested.der, private)
        reason = Reason.UPDATE_CERTIFICATE if accepted else Reason.INVALID_ELEMENT
        out.append(self._send(Command.STORE_CERTIFICATE_RESPONSE, reason=reason))
        events.append(CertificateReceived(nested.der, nested.cert_type, accepted))
