"""CTL/ITL codec against the reference bytes in tests/data/phone-security (spec §1, §2)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import struct
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire.ctl import (
    CtlFile,
    CtlFormatError,
    CtlRecord,
    Role,
    build_ctl,
    parse_ctl,
    role_name,
    verify_ctl,
)
from cucme_lab.wire.signed_header import (
    HashAlgorithm,
    HeaderFormatError,
    VerificationError,
    decode_header,
    format_name,
    modulus_code,
    serial_bytes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "phone-security"
CTL_FILES = ["CTLFile-cme-tftp", "CTLFile-separate"]
# (certificate file, role) of each record, as the fixture README describes them.
CTL_INPUTS = {
    "CTLFile-cme-tftp": [("sast1", 0), ("sast2", 0), ("ccm", 2), ("capf", 4)],
    "CTLFile-separate": [("sast1", 0), ("sast2", 0), ("ccm", 1), ("tftp", 3), ("capf", 4)],
}


def load_pem(name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    data = (FIXTURES / f"{name}.pem").read_bytes()
    key = serialization.load_pem_private_key(data, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return x509.load_pem_x509_certificate(data), key


def fixture_records(name: str) -> list[CtlRecord]:
    return [CtlRecord.from_certificate(load_pem(n)[0], role) for n, role in CTL_INPUTS[name]]


def read_ctl(name: str) -> bytes:
    return (FIXTURES / f"{name}.tlv").read_bytes()


def dump_blocks(text: str) -> list[dict[str, str]]:
    """Split a reference dump into blank-line separated `Key: value` blocks."""
    blocks: list[dict[str, str]] = []
    for chunk in text.strip().split("\n\n"):
        block = {}
        for line in chunk.splitlines():
            key, _, value = line.partition(":")
            block[key.strip()] = value.strip()
        blocks.append(block)
    return blocks


def utc(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def header_view(header, signer_version: bool) -> dict[str, str]:
    """Our parse in the reference dump's words."""
    view = {
        "Version": "{}.{}".format(*header.version),
        "Header Length": f"{header.header_length} bytes",
        "Signer Name": header.signer_name,
        "Issuer Name": header.issuer_name,
        "Serial Number": header.serial.hex(),
        "Digest Algorithm": HashAlgorithm(header.hash_algorithm).name,
        "Signature": f"{len(header.signature)} bytes",
        "Filename": header.filename,
        "Timestamp": utc(header.timestamp),
    }
    if signer_version:
        view["Signer Version"] = "{}.{}".format(*header.signer_version)
    return view


def record_view(record: CtlRecord) -> dict[str, str]:
    key = record.load_certificate().public_key()
    return {
        "Record Length": f"{len(record.encode())} bytes",
        "Subject Name": record.subject_name,
        "Issuer Name": record.issuer_name,
        "Serial Numer": record.serial.hex(),  # sic, as the reference prints it
        "Role": role_name(record.role),
        "Public Key": f"{len(record.public_key)} bytes",
        "Signature": f"{len(record.signature)} bytes",
        "Certificate": f"{len(record.certificate)} bytes",
        "Key Algorithm": "RSA" if isinstance(key, rsa.RSAPublicKey) else "EC",
        "Certificate Hash": hashlib.sha1(record.certificate).hexdigest(),
    }


# ------------------------------------------------------------------ fixtures


@pytest.mark.parametrize("name", CTL_FILES)
def test_parse_matches_reference_dump(name: str) -> None:
    ctl = parse_ctl(read_ctl(name))
    blocks = dump_blocks((FIXTURES / f"{name}.parse.txt").read_text())
    assert header_view(ctl.header, signer_version=True) == blocks[0]
    assert [record_view(r) for r in ctl.records] == blocks[1:-1]
    assert "Valid signature" in blocks[-1]


@pytest.mark.parametrize("name", CTL_FILES)
def test_fixture_signature_verifies_against_sast1(name: str) -> None:
    ctl = parse_ctl(read_ctl(name))
    signer = verify_ctl(ctl)
    assert signer.role == Role.SAST
    assert signer.subject_name == "CN=SAST1,O=Lab,OU=CUCME"
    assert len(ctl.sast_records) == 2


def test_fixture_header_bytes_follow_builder_order() -> None:
    data = read_ctl("CTLFile-cme-tftp")
    # 01 0002 0102 | 02 0002 0188 | 1C 0002 0100 | 03 0049 [04 0018 ...
    assert data[:21] == bytes.fromhex("010002 0102 020002 0188 1c0002 0100 030049 040018")
    header = decode_header(data)
    assert header.header_length == 392 and header.header_length % 4 == 0
    assert header.padding == 2
    # the signature TLV sits straight after the tag-11 TLV (§1.2)
    assert data[header.signature_offset - 4 : header.signature_offset] == b"\x0b\x00\x01\x02"
    assert data[header.signature_offset : header.signature_offset + 3] == b"\x0c\x01\x00"


@pytest.mark.parametrize("name", CTL_FILES)
def test_records_reencode_to_fixture_bytes(name: str) -> None:
    data = read_ctl(name)
    ctl = parse_ctl(data)
    assert b"".join(r.encode() for r in ctl.records) == data[ctl.header.header_length :]


@pytest.mark.parametrize("name", CTL_FILES)
def test_rebuild_from_same_inputs_is_byte_identical(name: str) -> None:
    fixture = read_ctl(name)
    timestamp = parse_ctl(fixture).header.timestamp
    records = fixture_records(name)
    cert, key = load_pem("sast1")
    rebuilt = build_ctl(records, cert, key, filename="CTLFile.tlv", timestamp=timestamp)
    assert rebuilt == fixture


# ------------------------------------------------------------------ building


def test_build_sha512_signed_by_sast2_reparses_and_verifies() -> None:
    records = fixture_records("CTLFile-separate")
    cert, key = load_pem("sast2")
    data = build_ctl(records, cert, key, "ITLFile.tlv", HashAlgorithm.SHA512, timestamp=1)
    ctl = parse_ctl(data)
    assert ctl.header.hash_algorithm == HashAlgorithm.SHA512
    assert ctl.header.filename == "ITLFile.tlv"
    assert ctl.header.timestamp == 1
    assert ctl.header.header_length % 4 == 0
    assert ctl.records == tuple(records)
    assert verify_ctl(ctl).subject_name == "CN=SAST2,O=Lab,OU=CUCME"


def test_build_with_1024_bit_signer_uses_modulus_code_1() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = _self_signed(key, "SAST9")
    data = build_ctl([CtlRecord.from_certificate(cert, Role.SAST)], cert, key)
    ctl = parse_ctl(data)
    assert ctl.header.modulus_code == 1 and len(ctl.header.signature) == 128
    verify_ctl(ctl)


def test_ec_record_holds_uncompressed_point() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    cert = _self_signed(key, "TFTP-EC")
    record = CtlRecord.from_certificate(cert, Role.TFTP)
    assert len(record.public_key) == 97 and record.public_key[0] == 4


def test_optional_record_tags_round_trip() -> None:
    cert, _ = load_pem("ccm")
    base = CtlRecord.from_certificate(cert, Role.CCM, dns_name="cme.lab", ip_address="1.2.3.4")
    record = dataclasses.replace(
        base, certificate_hash=hashlib.sha1(base.certificate).digest(), hash_algorithm=1
    )
    sast_cert, sast_key = load_pem("sast1")
    sast = CtlRecord.from_certificate(sast_cert, Role.SAST)
    ctl = parse_ctl(build_ctl([sast, record], sast_cert, sast_key))
    assert ctl.records[1] == record
    assert str(ctl.records[1].ip) == "1.2.3.4"
    assert ctl.records[1].dns_name == "cme.lab"


def test_unknown_role_code_is_kept_as_number() -> None:
    cert, key = load_pem("sast1")
    records = [CtlRecord.from_certificate(cert, Role.SAST), CtlRecord.from_certificate(cert, 9)]
    ctl = parse_ctl(build_ctl(records, cert, key))
    assert ctl.records[1].role == 9 and role_name(ctl.records[1].role) == "9"
    assert role_name(Role.CCM_TFTP) == "CCM+TFTP" and role_name(21) == "TVS"


def test_build_rejects_bad_inputs() -> None:
    cert, key = load_pem("sast1")
    other_cert, _ = load_pem("sast2")
    record = CtlRecord.from_certificate(cert, Role.SAST)
    with pytest.raises(ValueError, match="does not belong"):
        build_ctl([record], other_cert, key)
    with pytest.raises(ValueError):
        build_ctl([record], cert, key, hash=HashAlgorithm.SHA256)
    with pytest.raises(ValueError):
        build_ctl([], cert, key)
    with pytest.raises(ValueError):
        modulus_code(3072)


def test_names_and_serials_use_reference_encoding() -> None:
    cert, _ = load_pem("sast1")
    assert format_name(cert.subject) == "CN=SAST1,O=Lab,OU=CUCME"
    assert serial_bytes(0x8A57) == b"\x8a\x57"  # top bit set, still no sign byte
    assert serial_bytes(1) == b"\x01" and serial_bytes(0) == b"\x00"


# ------------------------------------------------------------------ verification


def test_tampered_body_or_signature_fails() -> None:
    data = bytearray(read_ctl("CTLFile-cme-tftp"))
    data[-1] ^= 1
    with pytest.raises(VerificationError):
        verify_ctl(parse_ctl(bytes(data)))
    data = bytearray(read_ctl("CTLFile-cme-tftp"))
    data[0x80] ^= 1  # inside the signature
    with pytest.raises(VerificationError):
        verify_ctl(parse_ctl(bytes(data)))


def test_phone_accepts_update_only_from_trusted_sast() -> None:
    installed = parse_ctl(read_ctl("CTLFile-cme-tftp"))
    records = fixture_records("CTLFile-separate")
    sast2_cert, sast2_key = load_pem("sast2")
    update = parse_ctl(build_ctl(records, sast2_cert, sast2_key))
    assert verify_ctl(update, installed.sast_records).subject_name.startswith("CN=SAST2")
    # signed by a key the installed list holds only as CCM+TFTP, not SAST: refused
    ccm_cert, ccm_key = load_pem("ccm")
    rogue_record = CtlRecord.from_certificate(ccm_cert, Role.SAST)
    rogue = parse_ctl(build_ctl([rogue_record], ccm_cert, ccm_key))
    verify_ctl(rogue)  # self-consistent (trust on first use would take it)
    with pytest.raises(VerificationError, match="no SAST"):
        verify_ctl(rogue, installed.sast_records)


def test_missing_sast_or_sha256_fails_verification() -> None:
    cert, key = load_pem("sast1")
    ccm_cert, _ = load_pem("ccm")
    no_sast = parse_ctl(build_ctl([CtlRecord.from_certificate(ccm_cert, Role.CCM)], cert, key))
    with pytest.raises(VerificationError):
        verify_ctl(no_sast)
    data = bytearray(read_ctl("CTLFile-cme-tftp"))
    data[0x61] = 2  # tag-8 value: SHA-256 is parsed but not verified (§6.1)
    ctl = parse_ctl(bytes(data))
    assert ctl.header.hash_algorithm == 2
    with pytest.raises(VerificationError):
        verify_ctl(ctl)


# ------------------------------------------------------------------ malformed input


def _patched(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d[:5],  # truncated before HEADER_LENGTH
        lambda d: d[:391],  # HEADER_LENGTH beyond the end
        lambda d: d[:392],  # no records
        lambda d: _patched(d, 0, b"\x02"),  # VERSION not first
        lambda d: _patched(d, 0x186, b"\x1d"),  # unknown header tag in the padding
        lambda d: _patched(d, 0x188 + 5, b"\x0d"),  # unknown record tag 13
        lambda d: _patched(d, 0x188 + 3, b"\xff\xff"),  # record length past the end
        lambda d: _patched(d, 0x188 + 5, b"\x04"),  # ROLE with a 24-byte length
        lambda d: d + b"\x01\x00",  # trailing garbage record
        lambda d: _patched(d, 0x0C, b"\x03"),  # SIGNER_VERSION 3 bytes long
    ],
)
def test_malformed_files_raise_ctl_format_error(mutate) -> None:
    with pytest.raises(CtlFormatError):
        parse_ctl(mutate(read_ctl("CTLFile-cme-tftp")))


def test_format_error_is_a_value_error() -> None:
    assert issubclass(CtlFormatError, HeaderFormatError)
    assert issubclass(CtlFormatError, ValueError)
    with pytest.raises(CtlFormatError):
        parse_ctl("not bytes")  # type: ignore[arg-type]


_FIXTURE = (FIXTURES / "CTLFile-cme-tftp.tlv").read_bytes()


def _parse_and_verify(data: bytes) -> None:
    try:
        ctl = parse_ctl(data)
    except CtlFormatError:
        return
    assert isinstance(ctl, CtlFile)
    try:
        verify_ctl(ctl)
    except VerificationError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_format_error(data: bytes) -> None:
    _parse_and_verify(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(_FIXTURE) - 1), st.integers(0, 255)), min_size=1, max_size=4
    ),
    st.integers(0, len(_FIXTURE)),
)
def test_mutated_fixture_raises_only_format_error(edits, cut) -> None:
    data = bytearray(_FIXTURE)
    for offset, value in edits:
        data[offset] = value
    _parse_and_verify(bytes(data))
    _parse_and_verify(bytes(data[:cut]))


@settings(max_examples=200, deadline=None)
@given(st.integers(10, 1000), st.binary(min_size=1, max_size=8))
def test_inserted_bytes_raise_only_format_error(offset: int, junk: bytes) -> None:
    _parse_and_verify(_FIXTURE[:offset] + junk + _FIXTURE[offset:])


def _self_signed(key, cn: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_record_length_field_counts_whole_record() -> None:
    cert, _ = load_pem("capf")
    encoded = CtlRecord.from_certificate(cert, Role.CAPF).encode()
    assert struct.unpack(">BHH", encoded[:5]) == (1, 2, len(encoded))
    # builder order: 1, 3, 5, 6, 4, 7, 8, 9
    pos, tags = 0, []
    while pos < len(encoded):
        tag, length = struct.unpack_from(">BH", encoded, pos)
        tags.append(tag)
        pos += 3 + length
    assert tags == [1, 3, 5, 6, 4, 7, 8, 9]
