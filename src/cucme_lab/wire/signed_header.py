"""The signed header shared by Cisco `.tlv`, `.sgn` and `.enc.sgn` files (spec §1).

One encoder and one decoder serve all three file kinds, so the CTL and `.sgn` codecs only add
their own body format on top. Signing and verification take `cryptography` objects and never
touch the disk.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from enum import IntEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "ENCRYPTION_TAGS",
    "HashAlgorithm",
    "HeaderFormatError",
    "HeaderTag",
    "SignedHeader",
    "VerificationError",
    "build_signed_file",
    "decode_header",
    "format_name",
    "modulus_code",
    "serial_bytes",
    "serial_int",
    "sign_bytes",
    "verify_bytes",
    "verify_header_signature",
]


class HeaderTag(IntEnum):
    """Header TLV tags (spec §1.1)."""

    VERSION = 1
    HEADER_LENGTH = 2
    SIGNER_INFO = 3
    SIGNER_NAME = 4
    SERIAL_NUMBER = 5
    ISSUER_NAME = 6
    SIGNATURE_INFO = 7
    HASH_ALGORITHM = 8
    SIGNATURE_ALGORITHM_INFO = 9
    SIGNATURE_ALGORITHM = 10
    SIGNATURE_MODULUS = 11
    SIGNATURE = 12
    PADDING = 13
    FILENAME = 14
    TIMESTAMP = 15
    SIGNER_VERSION = 28


class HashAlgorithm(IntEnum):
    """Tag-8 hash codes (spec §1.1)."""

    SHA1 = 1
    SHA256 = 2
    SHA512 = 3


class HeaderFormatError(ValueError):
    """The bytes are not a well-formed signed header."""


class VerificationError(ValueError):
    """A signature could not be verified (missing fields, no signer, or a bad signature)."""


#: Containers a parser steps into instead of skipping (§1.1); 16, 17, 21 are `.enc.sgn` ones.
_CONTAINERS = frozenset({3, 7, 9, 16, 17, 21})
#: `.enc.sgn` encryption tags (§2.5): kept raw, in file order.
ENCRYPTION_TAGS = frozenset(range(16, 28))
_FIXED_LENGTHS = {1: 2, 2: 2, 8: 1, 10: 1, 11: 1, 15: 4, 28: 2}
# §6.1: SHA-256 (2) is parsed but never built or verified, as the reference tools do.
_HASHES: dict[int, type[hashes.HashAlgorithm]] = {1: hashes.SHA1, 3: hashes.SHA512}
_MODULUS_CODES = {512: 0, 1024: 1, 2048: 2, 4096: 3}


@dataclass(frozen=True)
class SignedHeader:
    """Decoded header fields; `None` means the tag was absent."""

    version: tuple[int, int]
    header_length: int
    signer_version: tuple[int, int] | None = None
    signer_name: str | None = None
    issuer_name: str | None = None
    serial: bytes | None = None
    hash_algorithm: int | None = None
    signature_algorithm: int | None = None
    modulus_code: int | None = None
    signature: bytes | None = field(default=None, repr=False)
    filename: str | None = None
    timestamp: int | None = None
    #: leaf TLVs of tags 16-27 (`.enc.sgn` only), as (tag, value) in file order
    encryption: tuple[tuple[int, bytes], ...] = ()
    padding: int = 0
    #: file offset of the tag-12 TLV, needed to cut it out of the signed bytes
    signature_offset: int | None = None

    @property
    def serial_number(self) -> int | None:
        """The serial as an integer: serials are compared numerically (§6.3)."""
        return None if self.serial is None else serial_int(self.serial)

    def signed_bytes(self, data: bytes) -> bytes:
        """The whole file minus the 3 + n bytes of the SIGNATURE TLV (§1.3)."""
        if self.signature_offset is None or self.signature is None:
            raise VerificationError("header has no signature")
        end = self.signature_offset + 3 + len(self.signature)
        return bytes(data[: self.signature_offset]) + bytes(data[end:])


def format_name(name: x509.Name) -> str:
    """A DN as the reference builders write it: attributes in certificate order (§1.5)."""
    return ",".join(attribute.rfc4514_string() for attribute in name)


def serial_bytes(serial: int) -> bytes:
    """Minimal unsigned big-endian bytes, no 0x00 sign byte (§1.5)."""
    if serial < 0:
        raise ValueError("serial numbers are unsigned")
    return serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")


def serial_int(serial: bytes) -> int:
    """Serial bytes as an integer, so 00-prefixed and minimal forms compare equal (§6.3)."""
    return int.from_bytes(serial, "big")


def modulus_code(key_size: int) -> int:
    """Tag-11 code for an RSA key size; 3072 has no code (§1.1)."""
    try:
        return _MODULUS_CODES[key_size]
    except KeyError:
        raise ValueError(f"no SIGNATURE_MODULUS code for a {key_size}-bit key") from None


def _hash(code: int) -> hashes.HashAlgorithm:
    try:
        return _HASHES[int(code)]()
    except KeyError:
        raise VerificationError(f"hash algorithm {code} is not supported (only 1 and 3)") from None


def sign_bytes(data: bytes, key: rsa.RSAPrivateKey, hash_algorithm: int) -> bytes:
    """RSASSA-PKCS1-v1_5 with DigestInfo, SHA-1 or SHA-512 (§1.3)."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signed headers need an RSA signer key")
    if hash_algorithm not in _HASHES:
        raise ValueError(f"hash algorithm {hash_algorithm} cannot be used (only 1 and 3)")
    return key.sign(data, padding.PKCS1v15(), _hash(hash_algorithm))


def verify_bytes(data: bytes, signature: bytes, public_key: object, hash_algorithm: int) -> None:
    """Check a PKCS#1 v1.5 signature; raise VerificationError if it does not hold."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("signer certificate does not hold an RSA key")
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), _hash(hash_algorithm))
    except (InvalidSignature, ValueError):
        raise VerificationError("invalid signature") from None


def verify_header_signature(
    data: bytes, header: SignedHeader, signer: x509.Certificate | rsa.RSAPublicKey
) -> None:
    """Verify a decoded file's signature with the signer's certificate or public key."""
    if header.hash_algorithm is None:
        raise VerificationError("header has no hash algorithm")
    if header.signature is None:
        raise VerificationError("header has no signature")
    try:
        public_key = signer.public_key() if isinstance(signer, x509.Certificate) else signer
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise VerificationError(f"signer public key is unusable: {exc}") from None
    verify_bytes(header.signed_bytes(data), header.signature, public_key, header.hash_algorithm)


def _tlv(tag: int, value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError(f"tag {tag} value is too long ({len(value)} bytes)")
    return struct.pack(">BH", tag, len(value)) + value


def _string(text: str) -> bytes:
    return text.encode("utf-8") + b"\x00"


def build_signed_file(
    body: bytes,
    *,
    version: tuple[int, int],
    cert: x509.Certificate,
    key: rsa.RSAPrivateKey,
    filename: str,
    hash_algorithm: int = HashAlgorithm.SHA1,
    timestamp: int | None = None,
    signer_version: tuple[int, int] | None = None,
) -> bytes:
    """Header + body, signed, in the builder order of §1.2 and the layout rule of §1.3."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signed headers need an RSA signer key")
    if key.public_key().public_numbers() != _public_numbers(cert):
        raise ValueError("the signer key does not belong to the signer certificate")
    if hash_algorithm not in _HASHES:
        raise ValueError(f"hash algorithm {hash_algorithm} cannot be built (only 1 and 3)")
    sig_len = key.key_size // 8
    when = int(time.time()) if timestamp is None else timestamp
    signer_info = (
        _tlv(HeaderTag.SIGNER_NAME, _string(format_name(cert.subject)))
        + _tlv(HeaderTag.ISSUER_NAME, _string(format_name(cert.issuer)))
        + _tlv(HeaderTag.SERIAL_NUMBER, serial_bytes(cert.serial_number))
    )
    algorithm_info = _tlv(HeaderTag.SIGNATURE_ALGORITHM, b"\x00") + _tlv(
        HeaderTag.SIGNATURE_MODULUS, bytes([modulus_code(key.key_size)])
    )
    signature_info = _tlv(HeaderTag.HASH_ALGORITHM, bytes([hash_algorithm])) + _container(
        HeaderTag.SIGNATURE_ALGORITHM_INFO, algorithm_info
    )
    before = bytearray(_tlv(HeaderTag.VERSION, bytes(version)))
    before += _tlv(HeaderTag.HEADER_LENGTH, b"\x00\x00")
    if signer_version is not None:
        before += _tlv(HeaderTag.SIGNER_VERSION, bytes(signer_version))
    before += _container(HeaderTag.SIGNER_INFO, signer_info)
    before += _container(HeaderTag.SIGNATURE_INFO, signature_info)
    after = bytearray(_tlv(HeaderTag.FILENAME, _string(filename)))
    after += _tlv(HeaderTag.TIMESTAMP, struct.pack(">I", when))
    unpadded = len(before) + len(after) + 3 + sig_len
    after += bytes([HeaderTag.PADDING]) * (-unpadded % 4)
    header_length = unpadded + (-unpadded % 4)
    if header_length > 0xFFFF:
        raise ValueError("header is longer than 65535 bytes")
    struct.pack_into(">H", before, 8, header_length)
    signature = sign_bytes(bytes(before + after) + body, key, hash_algorithm)
    return bytes(before) + _tlv(HeaderTag.SIGNATURE, signature) + bytes(after) + body


def _container(tag: int, inner: bytes) -> bytes:
    return struct.pack(">BH", tag, len(inner)) + inner


def _public_numbers(cert: x509.Certificate) -> object:
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("signed headers need an RSA signer certificate")
    return public_key.public_numbers()


def _decode_string(tag: int, value: bytes) -> str:
    # Reference builders always add the NUL; tolerate its absence since the field is opaque text.
    text = value[:-1] if value.endswith(b"\x00") else value
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise HeaderFormatError(f"tag {tag}: string is not UTF-8") from None


def decode_header(data: bytes) -> SignedHeader:
    """Walk the header TLVs up to HEADER_LENGTH (§1.3); raise HeaderFormatError if malformed."""
    data = bytes(data)
    if len(data) < 10 or data[0] != HeaderTag.VERSION or data[5] != HeaderTag.HEADER_LENGTH:
        raise HeaderFormatError("a signed header starts with VERSION then HEADER_LENGTH")
    if data[1:3] != b"\x00\x02" or data[6:8] != b"\x00\x02":
        raise HeaderFormatError("VERSION and HEADER_LENGTH must be 2 bytes long")
    header_length = struct.unpack_from(">H", data, 8)[0]
    if not 10 <= header_length <= len(data):
        raise HeaderFormatError(f"HEADER_LENGTH {header_length} is out of range")
    fields: dict[int, bytes] = {}
    encryption: list[tuple[int, bytes]] = []
    seen: set[int] = {HeaderTag.VERSION, HeaderTag.HEADER_LENGTH}
    signature_offset = None
    pad = 0
    pos = 10
    while pos < header_length:
        tag = data[pos]
        if tag == HeaderTag.PADDING:
            pad += 1
            pos += 1
            continue
        if tag == 0 or tag > HeaderTag.SIGNER_VERSION:
            raise HeaderFormatError(f"unknown header tag {tag} at offset {pos}")
        if tag in seen:
            raise HeaderFormatError(f"header tag {tag} appears twice")
        seen.add(tag)
        if pos + 3 > header_length:
            raise HeaderFormatError(f"tag {tag} at offset {pos} runs past the header")
        length = struct.unpack_from(">H", data, pos + 1)[0]
        if tag in _CONTAINERS:
            # Like the reference parsers, step into containers; their length is not relied on.
            pos += 3
            continue
        end = pos + 3 + length
        if end > header_length:
            raise HeaderFormatError(f"tag {tag} at offset {pos} runs past the header")
        if tag in _FIXED_LENGTHS and length != _FIXED_LENGTHS[tag]:
            raise HeaderFormatError(f"tag {tag} must be {_FIXED_LENGTHS[tag]} bytes, not {length}")
        value = data[pos + 3 : end]
        if tag in ENCRYPTION_TAGS:
            encryption.append((tag, value))
        else:
            fields[tag] = value
        if tag == HeaderTag.SIGNATURE:
            signature_offset = pos
        pos = end
    version = (data[3], data[4])
    return _header_from_fields(
        fields, version, header_length, tuple(encryption), pad, signature_offset
    )


def _header_from_fields(
    fields: dict[int, bytes],
    version: tuple[int, int],
    header_length: int,
    encryption: tuple[tuple[int, bytes], ...],
    pad: int,
    signature_offset: int | None,
) -> SignedHeader:
    def text(tag: int) -> str | None:
        return _decode_string(tag, fields[tag]) if tag in fields else None

    def byte(tag: int) -> int | None:
        return fields[tag][0] if tag in fields else None

    signer_version = fields.get(HeaderTag.SIGNER_VERSION)
    timestamp = fields.get(HeaderTag.TIMESTAMP)
    return SignedHeader(
        version=version,
        header_length=header_length,
        signer_version=None if signer_version is None else (signer_version[0], signer_version[1]),
        signer_name=text(HeaderTag.SIGNER_NAME),
        issuer_name=text(HeaderTag.ISSUER_NAME),
        serial=fields.get(HeaderTag.SERIAL_NUMBER),
        hash_algorithm=byte(HeaderTag.HASH_ALGORITHM),
        signature_algorithm=byte(HeaderTag.SIGNATURE_ALGORITHM),
        modulus_code=byte(HeaderTag.SIGNATURE_MODULUS),
        signature=fields.get(HeaderTag.SIGNATURE),
        filename=text(HeaderTag.FILENAME),
        timestamp=None if timestamp is None else struct.unpack(">I", timestamp)[0],
        encryption=encryption,
        padding=pad,
        signature_offset=signature_offset,
    )
