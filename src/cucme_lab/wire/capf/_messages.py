"""CAPF message codec (phone-security-formats.md §4.2-4.4, §4.7).

Sans-I/O: :func:`encode` turns a :class:`Message` into bytes and :class:`CapfDecoder` turns a
byte stream back into messages, h11 style (``feed`` then ``next_event``). Decoding is strict so
that decode followed by encode reproduces the wire bytes exactly, and every malformed input
surfaces as one exception type, :class:`CapfProtocolError`, whatever went wrong.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from cucme_lab.wire.capf._constants import (
    DEFAULT_MAX_BODY_SIZE,
    HEADER_SIZE,
    MAX_BODY_SIZE,
    PROTOCOL_ID,
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

_HEADER = struct.Struct(">BBIH")
_TLV_HEAD = struct.Struct(">BH")


@dataclass(frozen=True, slots=True)
class NestedCertificate:
    """CERTIFICATE element: ``01 | u16 (len(der)+2) | 00 | u8 type | DER``."""

    der: bytes
    cert_type: int = CertificateType.LSC


@dataclass(frozen=True, slots=True)
class HashedSignature:
    """SHA2_SIGNED_DATA element: ``u8 hash code | u16 length | signature``."""

    hash_code: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class SudiData:
    """SUDI_DATA element (§4.7): certificate, SHA-1 and SHA-512 blocks, in that order."""

    certificate: bytes
    sha1_signature: bytes
    sha512_signature: bytes


ElementValue = int | str | bytes | NestedCertificate | HashedSignature | SudiData


class _Kind(enum.Enum):
    U8 = enum.auto()
    U16 = enum.auto()
    STRING = enum.auto()
    BYTES = enum.auto()
    CERTIFICATE = enum.auto()
    HASHED = enum.auto()
    SUDI = enum.auto()


_KINDS: dict[int, _Kind] = {
    Tag.REASON: _Kind.U8,
    Tag.REASON_INFO: _Kind.BYTES,  # "text", but the reference keeps only its first byte
    Tag.CERTIFICATE_TYPE: _Kind.U8,
    Tag.CERTIFICATE: _Kind.CERTIFICATE,
    Tag.CERTIFICATE_ID: _Kind.BYTES,  # encoding unknown (§6.6): kept opaque
    Tag.SIGNED_DATA: _Kind.BYTES,
    Tag.VERSION: _Kind.U8,
    Tag.AUTH_TYPE: _Kind.U8,
    Tag.PUBLIC_KEY: _Kind.BYTES,
    Tag.KEY_SIZE: _Kind.U16,
    Tag.PASSWORD: _Kind.STRING,
    Tag.RETRY_DELAY: _Kind.BYTES,  # encoding unknown (§6.6): kept opaque
    Tag.DEVICE_NAME: _Kind.STRING,
    Tag.SUDI_DATA: _Kind.SUDI,
    Tag.KEY_TYPE: _Kind.U8,
    Tag.CURVE: _Kind.U8,
    Tag.DIGEST_TYPE: _Kind.BYTES,  # encoding unknown (§6.6): kept opaque
    Tag.SHA2_SIGNED_DATA: _Kind.HASHED,
}

# u8 elements whose values have a known enum, so decoded messages read well in reprs.
_ENUMS: dict[int, type[enum.IntEnum]] = {
    Tag.REASON: Reason,
    Tag.CERTIFICATE_TYPE: CertificateType,
    Tag.AUTH_TYPE: AuthType,
    Tag.KEY_TYPE: KeyType,
    Tag.CURVE: Curve,
}

# One order that agrees with both the reference server's and the reference phone's (§4.4).
_BUILD_ORDER = (
    Tag.REASON,
    Tag.CERTIFICATE_TYPE,
    Tag.CERTIFICATE,
    Tag.SIGNED_DATA,
    Tag.VERSION,
    Tag.AUTH_TYPE,
    Tag.PASSWORD,
    Tag.DEVICE_NAME,
    Tag.SUDI_DATA,
    Tag.PUBLIC_KEY,
    Tag.KEY_SIZE,
    Tag.KEY_TYPE,
    Tag.CURVE,
    Tag.SHA2_SIGNED_DATA,
)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Message:
    """One CAPF message; ``elements`` keeps wire order so re-encoding is byte-identical."""

    command: int
    session_id: int
    elements: tuple[tuple[int, ElementValue], ...] = ()

    @classmethod
    def build(
        cls,
        command: int,
        session_id: int,
        *,
        reason: int | None = None,
        certificate_type: int | None = None,
        certificate: NestedCertificate | None = None,
        signed_data: bytes | None = None,
        version: int | None = None,
        auth_type: int | None = None,
        password: str | None = None,
        device_name: str | None = None,
        sudi_data: SudiData | None = None,
        public_key: bytes | None = None,
        key_size: int | None = None,
        key_type: int | None = None,
        curve: int | None = None,
        sha2_signed_data: HashedSignature | None = None,
        extra: Iterable[tuple[int, ElementValue]] = (),
    ) -> Message:
        """Make a message with its elements in the order the reference tools write them."""
        given: dict[int, ElementValue | None] = {
            Tag.REASON: reason,
            Tag.CERTIFICATE_TYPE: certificate_type,
            Tag.CERTIFICATE: certificate,
            Tag.SIGNED_DATA: signed_data,
            Tag.VERSION: version,
            Tag.AUTH_TYPE: auth_type,
            Tag.PASSWORD: password,
            Tag.DEVICE_NAME: device_name,
            Tag.SUDI_DATA: sudi_data,
            Tag.PUBLIC_KEY: public_key,
            Tag.KEY_SIZE: key_size,
            Tag.KEY_TYPE: key_type,
            Tag.CURVE: curve,
            Tag.SHA2_SIGNED_DATA: sha2_signed_data,
        }
        elements = [(tag, value) for tag in _BUILD_ORDER if (value := given[tag]) is not None]
        elements.extend(extra)
        return cls(command, session_id, tuple(elements))

    def get(self, tag: int) -> ElementValue | None:
        """The value of the first element with ``tag``, or None."""
        for element_tag, value in self.elements:
            if element_tag == tag:
                return value
        return None

    def tags(self) -> tuple[int, ...]:
        return tuple(tag for tag, _ in self.elements)

    def _typed(self, tag: int, kind: type[_T]) -> _T | None:
        value = self.get(tag)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CapfProtocolError(f"element {tag} has the wrong type")
        return value

    @property
    def reason(self) -> int | None:
        return self._typed(Tag.REASON, int)

    @property
    def certificate_type(self) -> int | None:
        return self._typed(Tag.CERTIFICATE_TYPE, int)

    @property
    def certificate(self) -> NestedCertificate | None:
        return self._typed(Tag.CERTIFICATE, NestedCertificate)

    @property
    def signed_data(self) -> bytes | None:
        return self._typed(Tag.SIGNED_DATA, bytes)

    @property
    def version(self) -> int | None:
        return self._typed(Tag.VERSION, int)

    @property
    def auth_type(self) -> int | None:
        return self._typed(Tag.AUTH_TYPE, int)

    @property
    def password(self) -> str | None:
        return self._typed(Tag.PASSWORD, str)

    @property
    def device_name(self) -> str | None:
        return self._typed(Tag.DEVICE_NAME, str)

    @property
    def sudi_data(self) -> SudiData | None:
        return self._typed(Tag.SUDI_DATA, SudiData)

    @property
    def public_key(self) -> bytes | None:
        return self._typed(Tag.PUBLIC_KEY, bytes)

    @property
    def key_size(self) -> int | None:
        return self._typed(Tag.KEY_SIZE, int)

    @property
    def key_type(self) -> int | None:
        return self._typed(Tag.KEY_TYPE, int)

    @property
    def curve(self) -> int | None:
        return self._typed(Tag.CURVE, int)

    @property
    def sha2_signed_data(self) -> HashedSignature | None:
        return self._typed(Tag.SHA2_SIGNED_DATA, HashedSignature)


# --------------------------------------------------------------------------- encoding


def _block(code: int, data: bytes, what: str) -> bytes:
    if not 0 <= code <= 0xFF or len(data) > 0xFFFF:
        raise CapfProtocolError(f"{what} does not fit its u8/u16 fields")
    return _TLV_HEAD.pack(code, len(data)) + data


def _encode_value(tag: int, value: ElementValue) -> bytes:
    kind = _KINDS.get(tag)
    if kind is None:
        raise CapfProtocolError(f"unknown element tag {tag}")
    if kind in (_Kind.U8, _Kind.U16):
        limit = 0xFF if kind is _Kind.U8 else 0xFFFF
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
            raise CapfProtocolError(f"element {tag} needs an integer 0..{limit}")
        return value.to_bytes(1 if kind is _Kind.U8 else 2, "big")
    if kind is _Kind.STRING:
        if not isinstance(value, str) or "\0" in value:
            raise CapfProtocolError(f"element {tag} needs a string without NUL")
        return value.encode("utf-8") + b"\0"
    if kind is _Kind.BYTES:
        if not isinstance(value, bytes):
            raise CapfProtocolError(f"element {tag} needs bytes")
        return value
    if kind is _Kind.CERTIFICATE:
        if not isinstance(value, NestedCertificate) or not 0 <= value.cert_type <= 0xFF:
            raise CapfProtocolError("CERTIFICATE needs a NestedCertificate")
        return _block(1, bytes((0, value.cert_type)) + value.der, "certificate")
    if kind is _Kind.HASHED:
        if not isinstance(value, HashedSignature):
            raise CapfProtocolError("SHA2_SIGNED_DATA needs a HashedSignature")
        return _block(value.hash_code, value.signature, "SHA2_SIGNED_DATA")
    if not isinstance(value, SudiData):
        raise CapfProtocolError("SUDI_DATA needs a SudiData")
    return (
        _block(HashCode.CERTIFICATE, value.certificate, "SUDI certificate")
        + _block(HashCode.SHA1, value.sha1_signature, "SUDI SHA-1 signature")
        + _block(HashCode.SHA512, value.sha512_signature, "SUDI SHA-512 signature")
    )


def encode_elements(elements: Iterable[tuple[int, ElementValue]]) -> bytes:
    """The TLV body for ``elements``, in the order given (duplicates refused, as on decode)."""
    parts: list[bytes] = []
    seen: set[int] = set()
    for tag, value in elements:
        if tag in seen:
            raise CapfProtocolError(f"duplicate element tag {tag}")
        seen.add(tag)
        parts.append(_block(tag, _encode_value(tag, value), f"element {tag}"))
    return b"".join(parts)


def encode(message: Message) -> bytes:
    """Header and body of ``message`` in one buffer (phones stall if they are written apart)."""
    if message.command not in Command._value2member_map_:
        raise CapfProtocolError(f"unknown command {message.command}")
    if not 0 <= message.session_id <= 0xFFFFFFFF:
        raise CapfProtocolError("session id does not fit in u32")
    body = encode_elements(message.elements)
    if len(body) > MAX_BODY_SIZE:
        raise CapfProtocolError("message body longer than 65535 bytes")
    return _HEADER.pack(PROTOCOL_ID, message.command, message.session_id, len(body)) + body


# --------------------------------------------------------------------------- decoding


def _split_blocks(data: bytes, what: str) -> list[tuple[int, bytes]]:
    blocks: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _TLV_HEAD.size:
            raise CapfProtocolError(f"{what}: truncated header")
        code, length = _TLV_HEAD.unpack_from(data, offset)
        offset += _TLV_HEAD.size
        if length > len(data) - offset:
            raise CapfProtocolError(f"{what}: length {length} runs past the end")
        blocks.append((code, data[offset : offset + length]))
        offset += length
    return blocks


def _decode_value(tag: int, raw: bytes) -> ElementValue:
    kind = _KINDS.get(tag)
    if kind is None:
        raise CapfProtocolError(f"unknown element tag {tag}")
    if kind is _Kind.U8 or kind is _Kind.U16:
        size = 1 if kind is _Kind.U8 else 2
        if len(raw) != size:
            raise CapfProtocolError(f"element {tag} must be {size} byte(s), got {len(raw)}")
        number = int.from_bytes(raw, "big")
        enum_type = _ENUMS.get(tag)
        if enum_type is not None and number in enum_type._value2member_map_:
            return enum_type(number)
        return number
    if kind is _Kind.STRING:
        if not raw or raw[-1] != 0 or 0 in raw[:-1]:
            raise CapfProtocolError(f"element {tag} is not a NUL-terminated string")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise CapfProtocolError(f"element {tag} is not UTF-8") from None
    if kind is _Kind.BYTES:
        return raw
    if kind is _Kind.CERTIFICATE:
        blocks = _split_blocks(raw, "CERTIFICATE")
        if len(blocks) != 1 or blocks[0][0] != 1 or len(blocks[0][1]) < 2 or blocks[0][1][0]:
            raise CapfProtocolError("CERTIFICATE is not 01 | u16 | 00 | type | DER")
        inner = blocks[0][1]
        return NestedCertificate(der=inner[2:], cert_type=_enum_or_int(CertificateType, inner[1]))
    if kind is _Kind.HASHED:
        blocks = _split_blocks(raw, "SHA2_SIGNED_DATA")
        if len(blocks) != 1:
            raise CapfProtocolError("SHA2_SIGNED_DATA is not one hash-code block")
        return HashedSignature(_enum_or_int(HashCode, blocks[0][0]), blocks[0][1])
    blocks = _split_blocks(raw, "SUDI_DATA")
    # Unconfirmed (§4.7 lists them, not whether order may vary): we require exactly 0, 1, 3.
    if [code for code, _ in blocks] != [HashCode.CERTIFICATE, HashCode.SHA1, HashCode.SHA512]:
        raise CapfProtocolError("SUDI_DATA must hold certificate, SHA-1 and SHA-512 blocks")
    return SudiData(blocks[0][1], blocks[1][1], blocks[2][1])


def _enum_or_int(enum_type: type[enum.IntEnum], number: int) -> int:
    return enum_type(number) if number in enum_type._value2member_map_ else number


def decode_elements(body: bytes) -> tuple[tuple[int, ElementValue], ...]:
    """Parse a message body; duplicate tags are rejected (receivers would see only one)."""
    elements: list[tuple[int, ElementValue]] = []
    seen: set[int] = set()
    for tag, raw in _split_blocks(body, "element"):
        if tag in seen:
            raise CapfProtocolError(f"duplicate element tag {tag}")
        seen.add(tag)
        elements.append((_enum_or_int(Tag, tag), _decode_value(tag, raw)))
    return tuple(elements)


def _check_header(prefix: bytes | bytearray, max_body_size: int) -> int | None:
    """Validate as much of a header as is present; return the body length once known."""
    if prefix and prefix[0] != PROTOCOL_ID:
        raise CapfProtocolError(f"bad protocol id 0x{prefix[0]:02x}")
    if len(prefix) >= 2 and prefix[1] not in Command._value2member_map_:
        raise CapfProtocolError(f"unknown command {prefix[1]}")
    if len(prefix) < HEADER_SIZE:
        return None
    length = int.from_bytes(prefix[6:8], "big")
    if length > max_body_size:
        raise CapfProtocolError(f"body length {length} exceeds the limit {max_body_size}")
    return length


def decode_message(data: bytes, *, max_body_size: int = DEFAULT_MAX_BODY_SIZE) -> Message:
    """Decode exactly one complete message."""
    length = _check_header(data, max_body_size)
    if length is None or len(data) != HEADER_SIZE + length:
        raise CapfProtocolError("data is not exactly one message")
    _, command, session_id, _ = _HEADER.unpack_from(data)
    return Message(Command(command), session_id, decode_elements(bytes(data[HEADER_SIZE:])))


class Sentinel(enum.Enum):
    """Non-message results of :meth:`CapfDecoder.next_event`."""

    NEED_DATA = "NEED_DATA"
    CLOSED = "CLOSED"


NEED_DATA = Sentinel.NEED_DATA
CLOSED = Sentinel.CLOSED


class CapfDecoder:
    """Streaming decoder: ``feed`` bytes (``b""`` for end of stream), then call ``next_event``.

    Once it has raised, it keeps raising the same error: the stream cannot be resynchronised.
    """

    def __init__(self, max_body_size: int = DEFAULT_MAX_BODY_SIZE) -> None:
        if not 0 <= max_body_size <= MAX_BODY_SIZE:
            raise ValueError("max_body_size must be 0..65535")
        self._max_body_size = max_body_size
        self._buffer = bytearray()
        self._eof = False
        self._error: CapfProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as messages."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._eof and data:
            self._error = CapfProtocolError("data received after end of stream")
            raise self._error
        if not data:
            self._eof = True
            return
        self._buffer += data

    def next_event(self) -> Message | Sentinel:
        if self._error is not None:
            raise self._error
        try:
            return self._next()
        except CapfProtocolError as exc:
            self._error = exc
            raise

    def _next(self) -> Message | Sentinel:
        length = _check_header(self._buffer[:HEADER_SIZE], self._max_body_size)
        if length is None or len(self._buffer) < HEADER_SIZE + length:
            if not self._eof:
                return NEED_DATA
            if self._buffer:
                raise CapfProtocolError("end of stream inside a message")
            return CLOSED
        end = HEADER_SIZE + length
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        return decode_message(data, max_body_size=self._max_body_size)
