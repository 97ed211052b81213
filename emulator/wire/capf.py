"""CAPF (Certificate Authority Proxy Function, TCP 3804 over TLS), sans-I/O.

One import point for the constants (:mod:`.capf_constants`), the codec
(:mod:`.capf_messages`), the signature helpers
(:mod:`.capf_crypto`) and the two state machines (:mod:`.capf_server`, :mod:`.capf_client`).
TLS and sockets belong to the caller; everything here is bytes in, bytes and events out.
"""

from __future__ import annotations

from .capf_client import CapfClientSession, ClientState
from .capf_constants import (
    DEFAULT_MAX_BODY_SIZE,
    HEADER_SIZE,
    PROTOCOL_ID,
    PROTOCOL_VERSION,
    AuthType,
    CapfProtocolError,
    CertificateType,
    Command,
    Curve,
    HashCode,
    KeyType,
    Reason,
    Tag,
)
from .capf_crypto import PrivateKey, PublicKey
from .capf_messages import (
    CLOSED,
    NEED_DATA,
    CapfDecoder,
    ElementValue,
    HashedSignature,
    Message,
    NestedCertificate,
    Sentinel,
    SudiData,
    decode_elements,
    decode_message,
    encode,
    encode_elements,
)
from .capf_server import CapfServerSession, ServerState
from .capf_session import (
    AuthRequested,
    CapfDevice,
    CapfEvent,
    CapfStep,
    CapfUsageError,
    CertificateCredential,
    CertificateDeleted,
    CertificateFetched,
    CertificateReceived,
    CertificateRequired,
    CertificateStored,
    DeleteRequested,
    DeviceAuthenticated,
    FetchRequested,
    KeyRequired,
    Operation,
    ProtocolFailure,
    PublicKeySent,
    SessionEnded,
)

DEFAULT_PORT = 3804

__all__ = [
    "CLOSED",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_PORT",
    "HEADER_SIZE",
    "NEED_DATA",
    "PROTOCOL_ID",
    "PROTOCOL_VERSION",
    "AuthRequested",
    "AuthType",
    "CapfClientSession",
    "CapfDecoder",
    "CapfDevice",
    "CapfEvent",
    "CapfProtocolError",
    "CapfServerSession",
    "CapfStep",
    "CapfUsageError",
    "CertificateCredential",
    "CertificateDeleted",
    "CertificateFetched",
    "CertificateReceived",
    "CertificateRequired",
    "CertificateStored",
    "CertificateType",
    "ClientState",
    "Command",
    "Curve",
    "DeleteRequested",
    "DeviceAuthenticated",
    "ElementValue",
    "FetchRequested",
    "HashCode",
    "HashedSignature",
    "KeyRequired",
    "KeyType",
    "Message",
    "NestedCertificate",
    "Operation",
    "PrivateKey",
    "ProtocolFailure",
    "PublicKey",
    "PublicKeySent",
    "Reason",
    "Sentinel",
    "ServerState",
    "SessionEnded",
    "SudiData",
    "Tag",
    "decode_elements",
    "decode_message",
    "encode",
    "encode_elements",
]
