"""CTL/ITL trust-list files (`CTLFile.tlv`, `ITLFile.tlv`), spec §2.

A trust list is the signed header of §1 (VERSION 1.2, with SIGNER_VERSION) followed by
certificate records. This module builds, parses and verifies them; it knows nothing about where
the bytes come from or go to.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cucme_lab.wire.signed_header import (
    HashAlgorithm,
    HeaderFormatError,
    SignedHeader,
    VerificationError,
    build_signed_file,
    decode_header,
    format_name,
    serial_bytes,
    serial_int,
    verify_header_signature,
)

__all__ = [
    "CTL_VERSION",
    "CtlFile",
    "CtlFormatError",
    "CtlRecord",
    "RecordTag",
    "Role",
    "build_ctl",
    "parse_ctl",
    "role_name",
    "verify_ctl",
]

#: VERSION of every `.tlv` (§1.1).
CTL_VERSION = (1, 2)


class CtlFormatError(HeaderFormatError):
    """The bytes are not a well-formed CTL/ITL file."""


class Role(IntEnum):
    """Record role ("function") codes (§2.2). Other codes are kept as plain ints."""

    SAST = 0
    CCM = 1
    CCM_TFTP = 2
    TFTP = 3
    CAPF = 4
    APP_SERVER = 7
    TVS = 21


_ROLE_NAMES = {0: "SAST", 1: "CCM", 2: "CCM+TFTP", 3: "TFTP", 4: "CAPF", 7: "APP-SERVER", 21: "TVS"}


def role_name(code: int) -> str:
    """Display name of a role; undefined codes print as plain numbers (§2.2)."""
    return _ROLE_NAMES.get(code, str(code))


class RecordTag(IntEnum):
    """Record TLV tags (§2.1)."""

    RECORD_LENGTH = 1
    DNS_NAME = 2
    SUBJECT_NAME = 3
    ROLE = 4
    ISSUER_NAME = 5
    SERIAL_NUMBER = 6
    PUBLIC_KEY = 7
    SIGNATURE = 8
    CERTIFICATE = 9
    IP_ADDRESS = 10
    CERTIFICATE_HASH = 11
    HASH_ALGORITHM = 12


_STRING_TAGS = {RecordTag.DNS_NAME, RecordTag.SUBJECT_NAME, RecordTag.ISSUER_NAME}
_FIXED = {RecordTag.ROLE: 2, RecordTag.HASH_ALGORITHM: 1}


@dataclass(frozen=True)
class CtlRecord:
    """One certificate record; `None` fields are absent from the file."""

    role: int | None
    certificate: bytes | None = None  # DER
    subject_name: str | None = None
    issuer_name: str | None = None
    serial: bytes | None = None
    public_key: bytes | None = None  # RSA: PKCS#1 DER; EC: X9.62 uncompressed point
    signature: bytes | None = None  # the certificate's own signatureValue
    dns_name: str | None = None
    # Spec §6.5: format unconfirmed; kept as raw bytes, built as 4 (IPv4) or 16 (IPv6) raw bytes.
    ip_address: bytes | None = None
    certificate_hash: bytes | None = None
    hash_algorithm: int | None = None

    @classmethod
    def from_certificate(
        cls,
        cert: x509.Certificate,
        role: int,
        *,
        dns_name: str | None = None,
        ip_address: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    ) -> CtlRecord:
        """The record a builder writes for `cert` (tags 3, 5, 6, 4, 7, 8, 9, §2.1)."""
        return cls(
            role=role,
            certificate=cert.public_bytes(serialization.Encoding.DER),
            subject_name=format_name(cert.subject),
            issuer_name=format_name(cert.issuer),
            serial=serial_bytes(cert.serial_number),
            public_key=_public_key_bytes(cert),
            signature=cert.signature,
            dns_name=dns_name,
            ip_address=None if ip_address is None else ipaddress.ip_address(ip_address).packed,
        )

    @property
    def serial_number(self) -> int | None:
        """Serial as an integer (serials are compared numerically, §6.3)."""
        return None if self.serial is None else serial_int(self.serial)

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """IP_ADDRESS read as raw 4 or 16 bytes, or None if absent or in another form."""
        if self.ip_address is None or len(self.ip_address) not in (4, 16):
            return None
        return ipaddress.ip_address(self.ip_address)

    def load_certificate(self) -> x509.Certificate:
        """The CERTIFICATE field as an X.509 object; raises CtlFormatError if unusable."""
        if self.certificate is None:
            raise CtlFormatError("record has no certificate")
        try:
            return x509.load_der_x509_certificate(self.certificate)
        except (ValueError, x509.InvalidVersion) as exc:  # InvalidVersion: not a ValueError
            raise CtlFormatError(f"record certificate is not valid DER: {exc}") from None

    def encode(self) -> bytes:
        """Builder order 1, 3, 5, 6, 4, 7, 8, 9; then 2, 10, 11, 12 if set (our choice)."""
        parts = [
            (RecordTag.SUBJECT_NAME, self.subject_name),
            (RecordTag.ISSUER_NAME, self.issuer_name),
            (RecordTag.SERIAL_NUMBER, self.serial),
            (RecordTag.ROLE, None if self.role is None else struct.pack(">H", self.role)),
            (RecordTag.PUBLIC_KEY, self.public_key),
            (RecordTag.SIGNATURE, self.signature),
            (RecordTag.CERTIFICATE, self.certificate),
            (RecordTag.DNS_NAME, self.dns_name),
            (RecordTag.IP_ADDRESS, self.ip_address),
            (RecordTag.CERTIFICATE_HASH, self.certificate_hash),
            (
                RecordTag.HASH_ALGORITHM,
                None if self.hash_algorithm is None else bytes([self.hash_algorithm]),
            ),
        ]
        body = b"".join(_tlv(tag, value) for tag, value in parts if value is not None)
        length = 5 + len(body)
        if length > 0xFFFF:
            raise ValueError("record is longer than 65535 bytes")
        return _tlv(RecordTag.RECORD_LENGTH, struct.pack(">H", length)) + body


@dataclass(frozen=True)
class CtlFile:
    """A parsed trust list; `raw` keeps the bytes the signature covers."""

    header: SignedHeader
    records: tuple[CtlRecord, ...]
    raw: bytes = field(repr=False, compare=False, default=b"")

    @property
    def sast_records(self) -> tuple[CtlRecord, ...]:
        """Records that may sign this file (role SAST)."""
        return self.with_role(Role.SAST)

    def with_role(self, *roles: int) -> tuple[CtlRecord, ...]:
        """Records whose role is one of `roles`."""
        return tuple(r for r in self.records if r.role in roles)


def _tlv(tag: int, value: str | bytes) -> bytes:
    raw = (value.encode("utf-8") + b"\x00") if isinstance(value, str) else value
    if len(raw) > 0xFFFF:
        raise ValueError(f"record tag {tag} value is too long")
    return struct.pack(">BH", tag, len(raw)) + raw


def _public_key_bytes(cert: x509.Certificate) -> bytes:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    raise ValueError("CTL records hold RSA or EC certificates only")


def build_ctl(
    records: Iterable[CtlRecord],
    signer_cert: x509.Certificate,
    signer_key: rsa.RSAPrivateKey,
    filename: str = "CTLFile.tlv",
    hash: int = HashAlgorithm.SHA1,
    *,
    timestamp: int | None = None,
    signer_version: tuple[int, int] = (1, 0),
) -> bytes:
    """Sign `records` into a `.tlv`. The signer should also be a SAST record (§2.3).

    No phone-side rule (e.g. at most two SAST records) is enforced, so a lab can also build the
    bad files that trainees must learn to spot.
    """
    body = b"".join(record.encode() for record in records)
    if not body:
        raise ValueError("a CTL holds one or more records")
    return build_signed_file(
        body,
        version=CTL_VERSION,
        cert=signer_cert,
        key=signer_key,
        filename=filename,
        hash_algorithm=hash,
        timestamp=timestamp,
        signer_version=signer_version,
    )


def parse_ctl(data: bytes) -> CtlFile:
    """Parse a `.tlv`; any malformation raises CtlFormatError and nothing else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CtlFormatError("a CTL is bytes")
    data = bytes(data)
    try:
        header = decode_header(data)
    except CtlFormatError:
        raise
    except HeaderFormatError as exc:
        raise CtlFormatError(str(exc)) from None
    if header.encryption:
        raise CtlFormatError("encryption tags belong to .enc.sgn, not to a trust list")
    records = []
    pos = header.header_length
    while pos < len(data):
        record, pos = _parse_record(data, pos)
        records.append(record)
    if not records:
        raise CtlFormatError("a CTL holds one or more records")
    return CtlFile(header=header, records=tuple(records), raw=data)


def _parse_record(data: bytes, start: int) -> tuple[CtlRecord, int]:
    if start + 5 > len(data) or data[start] != RecordTag.RECORD_LENGTH:
        raise CtlFormatError(f"record at offset {start} does not start with RECORD_LENGTH")
    if data[start + 1 : start + 3] != b"\x00\x02":
        raise CtlFormatError(f"RECORD_LENGTH at offset {start} must be 2 bytes")
    end = start + struct.unpack_from(">H", data, start + 3)[0]
    if not start + 5 <= end <= len(data):
        raise CtlFormatError(f"record at offset {start} has a bad length")
    values: dict[int, bytes] = {}
    pos = start + 5
    while pos < end:
        if pos + 3 > end:
            raise CtlFormatError(f"record TLV at offset {pos} is truncated")
        tag, length = struct.unpack_from(">BH", data, pos)
        if not RecordTag.DNS_NAME <= tag <= RecordTag.HASH_ALGORITHM:
            raise CtlFormatError(f"unknown record tag {tag} at offset {pos}")
        if tag in values:
            raise CtlFormatError(f"record tag {tag} appears twice")
        if tag in _FIXED and length != _FIXED[tag]:
            raise CtlFormatError(f"record tag {tag} must be {_FIXED[tag]} bytes")
        if pos + 3 + length > end:
            raise CtlFormatError(f"record tag {tag} at offset {pos} runs past its record")
        values[tag] = data[pos + 3 : pos + 3 + length]
        pos += 3 + length
    return _record_from_values(values), end


def _record_from_values(values: dict[int, bytes]) -> CtlRecord:
    def text(tag: int) -> str | None:
        if tag not in values:
            return None
        raw = values[tag]
        # NUL terminator is written by builders; tolerate its absence.
        raw = raw[:-1] if raw.endswith(b"\x00") else raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CtlFormatError(f"record tag {tag} is not UTF-8 text") from None

    role = values.get(RecordTag.ROLE)
    hash_code = values.get(RecordTag.HASH_ALGORITHM)
    return CtlRecord(
        role=None if role is None else _role(struct.unpack(">H", role)[0]),
        certificate=values.get(RecordTag.CERTIFICATE),
        subject_name=text(RecordTag.SUBJECT_NAME),
        issuer_name=text(RecordTag.ISSUER_NAME),
        serial=values.get(RecordTag.SERIAL_NUMBER),
        public_key=values.get(RecordTag.PUBLIC_KEY),
        signature=values.get(RecordTag.SIGNATURE),
        dns_name=text(RecordTag.DNS_NAME),
        ip_address=values.get(RecordTag.IP_ADDRESS),
        certificate_hash=values.get(RecordTag.CERTIFICATE_HASH),
        hash_algorithm=None if hash_code is None else hash_code[0],
    )


def _role(code: int) -> int:
    try:
        return Role(code)
    except ValueError:
        return code


def verify_ctl(ctl: CtlFile, signers: Iterable[CtlRecord] | None = None) -> CtlRecord:
    """Check the signature against a SAST record (§2.3); return that record.

    `signers` defaults to the file's own records (the reference check, and trust on first
    use). A phone that already holds a trust list passes that list's records instead, so
    only a SAST it already trusts can sign the replacement. Raises VerificationError.
    """
    header = ctl.header
    if header.serial is None:
        raise VerificationError("header has no signer serial")
    if header.hash_algorithm is None:
        raise VerificationError("header has no hash algorithm")
    if header.signature is None:
        raise VerificationError("header has no signature")
    wanted = serial_int(header.serial)
    candidates = ctl.records if signers is None else tuple(signers)
    for record in candidates:
        if record.role == Role.SAST and record.serial_number == wanted:
            try:
                cert = record.load_certificate()
            except CtlFormatError as exc:
                raise VerificationError(str(exc)) from None
            verify_header_signature(ctl.raw, header, cert)
            return record
    raise VerificationError("no SAST record matches the signer serial")
