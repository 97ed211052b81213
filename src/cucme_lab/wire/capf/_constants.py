"""CAPF protocol constants (phone-security-formats.md §4.2-4.5, §4.7).

Kept apart from the codec so that sessions and callers can name commands, tags and reason
codes without pulling in the encoder.
"""

from __future__ import annotations

import enum

PROTOCOL_ID = 0x55
PROTOCOL_VERSION = 3
HEADER_SIZE = 8
# Why 16 KiB: a 4096-bit LSC plus MIC, SUDI and signatures stays under ~6 KiB; the cap stops a
# hostile peer from making us buffer a 64 KiB body per message.
DEFAULT_MAX_BODY_SIZE = 16 * 1024
MAX_BODY_SIZE = 0xFFFF


class CapfProtocolError(ValueError):
    """Malformed or out-of-sequence CAPF data; ``reason`` says what was wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Command(enum.IntEnum):
    """Command ids (§4.3); 5-8 and 16-23 are defined but no known flow uses them."""

    AUTH_REQUEST = 1
    AUTH_RESPONSE = 2
    KEY_GENERATE_REQUEST = 3
    KEY_GENERATE_RESPONSE = 4
    ENCRYPT_RESPONSE = 5
    ENCRYPT_REQUEST = 6
    DECRYPT_REQUEST = 7
    DECRYPT_RESPONSE = 8
    STORE_CERTIFICATE_REQUEST = 9
    STORE_CERTIFICATE_RESPONSE = 10
    FETCH_CERTIFICATE_REQUEST = 11
    FETCH_CERTIFICATE_RESPONSE = 12
    DELETE_CERTIFICATE_REQUEST = 13
    DELETE_CERTIFICATE_RESPONSE = 14
    END_SESSION = 15
    RETRY_LATER = 16
    REQUEST_IN_PROGRESS = 17
    STATUS_REQUEST = 18
    STATUS_RESPONSE = 19
    ABORT_REQUEST = 20
    ABORT_RESPONSE = 21
    SIGN_CERTIFICATE_REQUEST = 22
    SIGN_CERTIFICATE_RESPONSE = 23


class Tag(enum.IntEnum):
    """Element tags (§4.4); 14 and 15 are not defined anywhere and are rejected."""

    REASON = 1
    REASON_INFO = 2
    CERTIFICATE_TYPE = 3
    CERTIFICATE = 4
    CERTIFICATE_ID = 5
    SIGNED_DATA = 6
    VERSION = 7
    AUTH_TYPE = 8
    PUBLIC_KEY = 9
    KEY_SIZE = 10
    PASSWORD = 11
    RETRY_DELAY = 12
    DEVICE_NAME = 13
    SUDI_DATA = 16
    KEY_TYPE = 17
    CURVE = 18
    DIGEST_TYPE = 19
    SHA2_SIGNED_DATA = 20


class Reason(enum.IntEnum):
    """Reason codes (§4.5); only these four are known."""

    NO_ACTION = 0
    UPDATE_CERTIFICATE = 1
    INVALID_ELEMENT = 7
    UNKNOWN_DEVICE = 9


class AuthType(enum.IntEnum):
    """AUTH_TYPE values, also used as the server-side ``capfAuthMode`` of a device."""

    NONE = 0
    PASSWORD = 1
    NO_PASSWORD = 2
    LSC = 3
    MIC = 4


class CertificateType(enum.IntEnum):
    LSC = 1
    MIC = 2


class KeyType(enum.IntEnum):
    RSA = 0
    EC = 1


class Curve(enum.IntEnum):
    SECP256R1 = 0
    SECP384R1 = 1
    SECP521R1 = 2


class HashCode(enum.IntEnum):
    """Hash codes in SHA2_SIGNED_DATA and SUDI_DATA blocks (0 marks the SUDI certificate)."""

    CERTIFICATE = 0
    SHA1 = 1
    SHA512 = 3
