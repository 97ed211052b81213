"""`.sgn` signed provisioning files (spec §3).

A `.sgn` is the signed header of §1 (VERSION 1.0, no SIGNER_VERSION) followed by the original
file unchanged. The file carries no certificate: the verifier finds the signer in its trust list
by serial (§3.3, §6.4), which is what `verify_sgn_with_ctl` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from cucme_lab.wire.ctl import CtlFile, CtlFormatError, CtlRecord, Role
from cucme_lab.wire.signed_header import (
    HashAlgorithm,
    HeaderFormatError,
    SignedHeader,
    VerificationError,
    build_signed_file,
    decode_header,
    serial_int,
    verify_header_signature,
)

__all__ = [
    "SGN_VERSION",
    "SgnFile",
    "SgnFormatError",
    "find_sgn_signer",
    "parse_sgn",
    "sign_file",
    "verify_sgn",
    "verify_sgn_with_ctl",
]

#: VERSION of a `.sgn` (§1.1); `.enc.sgn` uses 2.0 and parses with the same reader.
SGN_VERSION = (1, 0)


class SgnFormatError(HeaderFormatError):
    """The bytes are not a well-formed `.sgn` file."""


@dataclass(frozen=True)
class SgnFile:
    """A parsed `.sgn`: its header and the original file bytes."""

    header: SignedHeader
    content: bytes
    raw: bytes = field(repr=False, compare=False, default=b"")


def sign_file(
    content: bytes,
    filename: str,
    cert: x509.Certificate,
    key: rsa.RSAPrivateKey,
    hash: int = HashAlgorithm.SHA1,
    *,
    timestamp: int | None = None,
) -> bytes:
    """Wrap `content` in a signed header.

    `filename` is written as-is into FILENAME: pass the published name including `.sgn`
    (e.g. `SEP001122334455.cnf.xml.sgn`), relative to the TFTP root (§1.4).
    """
    return build_signed_file(
        bytes(content),
        version=SGN_VERSION,
        cert=cert,
        key=key,
        filename=filename,
        hash_algorithm=hash,
        timestamp=timestamp,
    )


def parse_sgn(data: bytes) -> SgnFile:
    """Split a `.sgn` into header and content; raises SgnFormatError and nothing else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SgnFormatError("a .sgn file is bytes")
    data = bytes(data)
    try:
        header = decode_header(data)
    except HeaderFormatError as exc:
        raise SgnFormatError(str(exc)) from None
    if header.signer_version is not None:
        raise SgnFormatError("SIGNER_VERSION belongs to .tlv files, not .sgn")
    return SgnFile(header=header, content=data[header.header_length :], raw=data)


def verify_sgn(sgn: SgnFile, signer: x509.Certificate | rsa.RSAPublicKey) -> None:
    """Check the signature with a known certificate; raises VerificationError."""
    verify_header_signature(sgn.raw, sgn.header, signer)


def find_sgn_signer(sgn: SgnFile, records: Iterable[CtlRecord]) -> CtlRecord:
    """The TFTP or CCM+TFTP record whose serial matches the header (§3.3; serial only, §6.4)."""
    if sgn.header.serial is None:
        raise VerificationError("header has no signer serial")
    wanted = serial_int(sgn.header.serial)
    for record in records:
        if record.role in (Role.TFTP, Role.CCM_TFTP) and record.serial_number == wanted:
            return record
    raise VerificationError("no TFTP record matches the signer serial")


def verify_sgn_with_ctl(sgn: SgnFile, ctl: CtlFile | Iterable[CtlRecord]) -> CtlRecord:
    """Find the signer in a trust list and verify with it; return the record used."""
    records = ctl.records if isinstance(ctl, CtlFile) else ctl
    record = find_sgn_signer(sgn, records)
    try:
        cert = record.load_certificate()
    except CtlFormatError as exc:
        raise VerificationError(str(exc)) from None
    verify_sgn(sgn, cert)
    return record
