"""Pieces shared by the CAPF server and client state machines: results, events, records.

The state machines follow h11: every method takes bytes from the peer or a decision from the
caller and returns a :class:`CapfStep` with the bytes to write and the events to act on. They
never block, call back or touch I/O, so the emulator, the phone simulator and the tests can all
drive them the same way.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cucme_lab.wire.capf._constants import (
    AuthType,
    Curve,
    KeyType,
)
from cucme_lab.wire.capf._crypto import PrivateKey, PublicKey

DEVICE_NAME_RE = re.compile(r"SEP[0-9A-F]{12}")
RSA_KEY_SIZES = (512, 1024, 2048, 3072, 4096)


class CapfUsageError(RuntimeError):
    """The caller invoked a session method that the current state does not allow."""


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class ProtocolFailure:
    """The peer broke the protocol; the session is over (the server also sends reason 7)."""

    detail: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """END_SESSION was sent (server) or received (client) with ``reason``."""

    reason: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DeviceAuthenticated:
    """Server: the phone proved it is ``device_name`` under ``auth_mode``."""

    device_name: str
    auth_mode: AuthType


@dataclass(frozen=True, slots=True)
class CertificateCheckRequired:
    """Server: the phone proved it holds the key of this LSC or MIC, issued to its own name.

    Whether the certificate is still good (its chain, its dates at the server's clock, its
    revocation) needs the caller's trust store, clock and network: answer with
    ``accept_certificate`` or ``refuse_certificate``. Only sessions made with
    ``check_certificates=True`` ask.
    """

    device_name: str
    auth_mode: AuthType
    certificate_der: bytes


@dataclass(frozen=True, slots=True)
class CertificateRequired:
    """Server: issue an LSC for this key, then call ``issue_certificate`` (or decline)."""

    device_name: str
    public_key: PublicKey
    public_key_der: bytes


@dataclass(frozen=True, slots=True)
class CertificateStored:
    """Server: the phone answered the store request; ``accepted`` if it said reason 1."""

    device_name: str
    certificate_der: bytes
    accepted: bool


@dataclass(frozen=True, slots=True)
class CertificateFetched:
    """Server: the phone's current LSC, or None if it reported having none."""

    device_name: str
    certificate_der: bytes | None


@dataclass(frozen=True, slots=True)
class CertificateDeleted:
    """Server: the phone answered the delete request; ``deleted`` if it said reason 1."""

    device_name: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class AuthRequested:
    """Client: the server opened session ``session_id``; we answered with ``answered_with``."""

    session_id: int
    auth_type: int
    answered_with: AuthType


@dataclass(frozen=True, slots=True)
class KeyRequired:
    """Client: supply a key of this shape via ``provide_key`` (or ``fail_key_generation``)."""

    key_type: KeyType
    key_size: int | None
    curve: Curve | None


@dataclass(frozen=True, slots=True)
class PublicKeySent:
    """Client: KEY_GENERATE_RESPONSE went out with this SubjectPublicKeyInfo."""

    public_key_der: bytes


@dataclass(frozen=True, slots=True)
class CertificateReceived:
    """Client: the server delivered an LSC; ``accepted`` if it matches the key we sent."""

    certificate_der: bytes
    cert_type: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class FetchRequested:
    """Client: the server asked for our LSC; ``sent_certificate`` says whether we had one."""

    sent_certificate: bool


@dataclass(frozen=True, slots=True)
class DeleteRequested:
    """Client: the server asked us to delete our LSC; the caller should forget it too."""

    had_certificate: bool


CapfEvent = (
    ProtocolFailure
    | SessionEnded
    | DeviceAuthenticated
    | CertificateCheckRequired
    | CertificateRequired
    | CertificateStored
    | CertificateFetched
    | CertificateDeleted
    | AuthRequested
    | KeyRequired
    | PublicKeySent
    | CertificateReceived
    | FetchRequested
    | DeleteRequested
)


@dataclass(frozen=True, slots=True)
class CapfStep:
    """Result of one session call: write ``data`` (in one write), then handle ``events``."""

    data: bytes = b""
    events: tuple[CapfEvent, ...] = ()


# --------------------------------------------------------------------------- records


class Operation(enum.Enum):
    """What the server has scheduled for a device (upgrade is the same flow as install)."""

    INSTALL = "install"
    FETCH = "fetch"
    DELETE = "delete"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class CapfDevice:
    """Server-side entry for one phone: its scheduled operation and how it must authenticate."""

    name: str
    operation: Operation = Operation.NONE
    auth_mode: AuthType = AuthType.NO_PASSWORD
    password: str = ""
    key_size: int = 2048
    key_type: KeyType = KeyType.RSA
    curve: Curve | None = None

    def __post_init__(self) -> None:
        # Coerce plain values so that identity checks against the enums hold later.
        object.__setattr__(self, "operation", Operation(self.operation))
        object.__setattr__(self, "auth_mode", AuthType(self.auth_mode))
        object.__setattr__(self, "key_type", KeyType(self.key_type))
        if self.curve is not None:
            object.__setattr__(self, "curve", Curve(self.curve))
        if not DEVICE_NAME_RE.fullmatch(self.name):
            raise ValueError(f"device name must be SEP + 12 upper-case hex digits: {self.name!r}")
        if self.auth_mode is AuthType.NONE:
            raise ValueError("a device needs an auth mode (password, no password, LSC or MIC)")
        # Chosen: 4-16 digits, the client's rule (capfctl allows 4-15 characters, §4.6). Empty
        # means none is configured: every entry is then refused, saying so.
        if self.auth_mode is AuthType.PASSWORD and self.password and \
                not re.fullmatch(r"[0-9]{4,16}", self.password):
            raise ValueError("an auth string is 4-16 digits")
        if self.key_type is KeyType.RSA and self.key_size not in RSA_KEY_SIZES:
            raise ValueError(f"RSA key size must be one of {RSA_KEY_SIZES}")
        if self.key_type is KeyType.EC and self.curve is None:
            raise ValueError("an EC key needs a curve")


@dataclass(frozen=True, slots=True)
class CertificateCredential:
    """A phone certificate (LSC, MIC or SUDI) and, for authenticating with it, its key."""

    certificate_der: bytes
    private_key: PrivateKey | None = None

    @classmethod
    def from_pem(cls, data: bytes) -> CertificateCredential:
        """Load the first certificate and the (optional) unencrypted key from PEM text."""
        certificate = x509.load_pem_x509_certificate(data)
        key = None
        if b"PRIVATE KEY-----" in data:
            loaded = serialization.load_pem_private_key(data, password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise ValueError("CAPF keys are RSA or EC")
            key = loaded
        return cls(certificate.public_bytes(serialization.Encoding.DER), key)
