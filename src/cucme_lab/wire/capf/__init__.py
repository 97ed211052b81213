"""CAPF (Certificate Authority Proxy Function, TCP 3804 over TLS), sans-I/O.

One import point for the constants (:mod:`._constants`), the codec
(:mod:`._messages`), the signature helpers
(:mod:`._crypto`) and the two state machines (:mod:`._server`, :mod:`._client`).
TLS and sockets belong to the caller; everything here is bytes in, bytes and events out.
"""

from __future__ import annotations

from cucme_lab.wire.capf._client import CapfClientSession, ClientState
from cucme_lab.wire.capf._constants import (
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
from cucme_lab.wire.capf._crypto import PrivateKey, PublicKey
from cucme_lab.wire.capf._messages import (
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
from cucme_lab.wire.capf._server import CapfServerSession, ServerState
from cucme_lab.wire.capf._session import (
    AuthRequested,
    CapfDevice,
    CapfEvent,
    CapfStep,
    CapfUsageError,
    CertificateCheckRequired,
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
    "CertificateCheckRequired",
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
