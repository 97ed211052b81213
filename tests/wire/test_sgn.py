""".sgn codec against the reference bytes in tests/data/phone-security (spec §1, §3)."""

from __future__ import annotations

import datetime
import struct
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire.cnf_xml import DeviceConfig, build_cnf_xml, cnf_filename, parse_cnf_xml
from cucme_lab.wire.ctl import CtlFormatError, Role, parse_ctl, role_name
from cucme_lab.wire.sgn import (
    SgnFile,
    SgnFormatError,
    find_sgn_signer,
    parse_sgn,
    sign_file,
    verify_sgn,
    verify_sgn_with_ctl,
)
from cucme_lab.wire.signed_header import HashAlgorithm, VerificationError

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "phone-security"
SGN_FILES = {
    "sha1": ("SEP001122334455.cnf.xml.sha1.sgn", HashAlgorithm.SHA1),
    "sha512": ("SEP001122334455.cnf.xml.sha512.sgn", HashAlgorithm.SHA512),
}
CNF = (FIXTURES / "SEP001122334455.cnf.xml").read_bytes()
CTL = parse_ctl((FIXTURES / "CTLFile-cme-tftp.tlv").read_bytes())
CTL_SEPARATE = parse_ctl((FIXTURES / "CTLFile-separate.tlv").read_bytes())


def load_pem(name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    data = (FIXTURES / f"{name}.pem").read_bytes()
    key = serialization.load_pem_private_key(data, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return x509.load_pem_x509_certificate(data), key


def read_dump(variant: str) -> tuple[dict[str, str], list[str], bool]:
    """Header block, `record N:` lines (the CTL lookup) and the verdict of a dump."""
    header: dict[str, str] = {}
    records = []
    for line in (FIXTURES / f"sgn-{variant}.parse.txt").read_text().splitlines():
        if line.startswith("record "):
            records.append(line.partition(": ")[2])
        elif ":" in line and not line.startswith(("wrote ", "RESULT")):
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
    return header, records, "Valid signature" in (FIXTURES / f"sgn-{variant}.parse.txt").read_text()


@pytest.mark.parametrize("variant", SGN_FILES)
def test_parse_matches_reference_dump(variant: str) -> None:
    name, hash_code = SGN_FILES[variant]
    sgn = parse_sgn((FIXTURES / name).read_bytes())
    dump, record_lines, valid = read_dump(variant)
    h = sgn.header
    ours = {
        "Version": "{}.{}".format(*h.version),
        "Header Length": f"{h.header_length} bytes",
        "Signer Name": h.signer_name,
        "Issuer Name": h.issuer_name,
        "Serial Number": h.serial.hex(),
        "Digest Algorithm": HashAlgorithm(h.hash_algorithm).name,
        "Signature": f"{len(h.signature)} bytes",
        "Filename": h.filename,
        "Timestamp": datetime.datetime.fromtimestamp(h.timestamp, datetime.UTC).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
    }
    assert ours == dump
    assert h.hash_algorithm == hash_code and h.signer_version is None
    assert sgn.content == CNF
    assert valid
    # the dump's CTL lookup lists the same records our CTL parser finds
    assert record_lines == [
        f"role={role_name(r.role)} serial={r.serial.hex()} subject={r.subject_name} "
        f"cert={len(r.certificate)}B"
        for r in CTL.records
    ]


@pytest.mark.parametrize("variant", SGN_FILES)
def test_fixture_verifies_against_tftp_record_of_ctl(variant: str) -> None:
    sgn = parse_sgn((FIXTURES / SGN_FILES[variant][0]).read_bytes())
    record = verify_sgn_with_ctl(sgn, CTL)
    assert record.role == Role.CCM_TFTP and record.subject_name == "CN=CCM,O=Lab,OU=CUCME"
    verify_sgn(sgn, load_pem("ccm")[0])
    with pytest.raises(VerificationError):
        verify_sgn(sgn, load_pem("tftp")[0])


def test_ccm_only_record_is_not_a_valid_signer() -> None:
    sgn = parse_sgn((FIXTURES / SGN_FILES["sha1"][0]).read_bytes())
    # in the separate CTL the ccm certificate has role CCM (1), which may not sign files
    with pytest.raises(VerificationError, match="no TFTP"):
        verify_sgn_with_ctl(sgn, CTL_SEPARATE)


@pytest.mark.parametrize("variant", SGN_FILES)
def test_rebuild_from_same_inputs_is_byte_identical(variant: str) -> None:
    name, hash_code = SGN_FILES[variant]
    fixture = (FIXTURES / name).read_bytes()
    cert, key = load_pem("ccm")
    timestamp = parse_sgn(fixture).header.timestamp
    rebuilt = sign_file(
        CNF, "SEP001122334455.cnf.xml.sgn", cert, key, hash_code, timestamp=timestamp
    )
    assert rebuilt == fixture


def test_layout_and_padding() -> None:
    data = (FIXTURES / SGN_FILES["sha1"][0]).read_bytes()
    # 01 0002 0100 | 02 0002 0190 | 03 0045 ... (no SIGNER_VERSION in a .sgn)
    assert data[:13] == bytes.fromhex("010002 0100 020002 0190 030045")
    sgn = parse_sgn(data)
    assert sgn.header.header_length % 4 == 0 and sgn.header.padding == 3
    assert data[sgn.header.header_length - 3 : sgn.header.header_length] == b"\r\r\r"


def test_sign_with_separate_tftp_key_and_subdirectory_name() -> None:
    cert, key = load_pem("tftp")
    data = sign_file(b"<x/>", "Desktops/320x196x4/List.xml.sgn", cert, key, HashAlgorithm.SHA512)
    sgn = parse_sgn(data)
    assert sgn.content == b"<x/>" and sgn.header.filename == "Desktops/320x196x4/List.xml.sgn"
    assert verify_sgn_with_ctl(sgn, CTL_SEPARATE).role == Role.TFTP
    assert find_sgn_signer(sgn, CTL_SEPARATE.records).subject_name == "CN=TFTP,O=Lab,OU=CUCME"
    with pytest.raises(VerificationError):
        verify_sgn_with_ctl(sgn, CTL)


def test_built_cnf_xml_signs_and_round_trips() -> None:
    cert, key = load_pem("ccm")
    config = parse_cnf_xml(CNF)
    data = sign_file(build_cnf_xml(config), cnf_filename("0011.2233.4455", signed=True), cert, key)
    sgn = parse_sgn(data)
    verify_sgn_with_ctl(sgn, CTL.records)
    assert parse_cnf_xml(sgn.content) == config
    assert isinstance(parse_cnf_xml(sgn.content), DeviceConfig)


def test_empty_content_is_allowed() -> None:
    cert, key = load_pem("ccm")
    sgn = parse_sgn(sign_file(b"", "empty.sgn", cert, key))
    assert sgn.content == b""
    verify_sgn(sgn, cert)


def test_tampered_content_fails() -> None:
    data = bytearray((FIXTURES / SGN_FILES["sha512"][0]).read_bytes())
    data[-2] ^= 0x20
    with pytest.raises(VerificationError):
        verify_sgn_with_ctl(parse_sgn(bytes(data)), CTL)


def test_sha256_is_refused() -> None:
    cert, key = load_pem("ccm")
    with pytest.raises(ValueError):
        sign_file(b"x", "x.sgn", cert, key, HashAlgorithm.SHA256)


def test_signer_version_and_ctl_are_rejected() -> None:
    with pytest.raises(SgnFormatError, match="SIGNER_VERSION"):
        parse_sgn((FIXTURES / "CTLFile-cme-tftp.tlv").read_bytes())


def _tlv(tag: int, value: bytes) -> bytes:
    return struct.pack(">BH", tag, len(value)) + value


def test_enc_sgn_encryption_block_is_parsed_and_refused_in_a_ctl() -> None:
    iv_info = _tlv(18, b"\x00") + _tlv(19, bytes(16)) + _tlv(20, b"\x00\x05")
    key_info = _tlv(22, b"\x00") + _tlv(23, b"\x08\x00") + _tlv(24, b"\x01") + _tlv(25, bytes(8))
    block = (
        _tlv(16, _tlv(17, iv_info) + _tlv(21, key_info)) + _tlv(26, b"\x01") + _tlv(27, bytes(20))
    )
    head = _tlv(1, b"\x02\x00") + _tlv(2, b"\x00\x00") + _tlv(14, b"a.enc.sgn\x00") + block
    head += b"\r" * (-len(head) % 4)
    head = head[:8] + struct.pack(">H", len(head)) + head[10:]
    sgn = parse_sgn(head + b"body")
    assert sgn.header.version == (2, 0) and sgn.content == b"body"
    assert [tag for tag, _ in sgn.header.encryption] == [18, 19, 20, 22, 23, 24, 25, 26, 27]
    with pytest.raises(VerificationError):
        verify_sgn(sgn, load_pem("ccm")[0])
    with pytest.raises(CtlFormatError):
        parse_ctl(head + _tlv(1, b"\x00\x05"))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x01\x00\x02\x01\x00", b"\x01\x00\x02\x01\x00\x02\x00\x02\x00\x09", b"\x01" * 40],
)
def test_malformed_raise_sgn_format_error(data: bytes) -> None:
    with pytest.raises(SgnFormatError):
        parse_sgn(data)


_FIXTURE = (FIXTURES / SGN_FILES["sha1"][0]).read_bytes()


def _parse_and_verify(data: bytes) -> None:
    try:
        sgn = parse_sgn(data)
    except SgnFormatError:
        return
    assert isinstance(sgn, SgnFile)
    try:
        verify_sgn_with_ctl(sgn, CTL)
    except VerificationError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=500))
def test_random_bytes_raise_only_format_error(data: bytes) -> None:
    _parse_and_verify(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 420), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, len(_FIXTURE)),
    st.binary(max_size=4),
)
def test_mutated_fixture_raises_only_format_error(edits, cut: int, junk: bytes) -> None:
    data = bytearray(_FIXTURE)
    for offset, value in edits:
        data[offset] = value
    _parse_and_verify(bytes(data))
    _parse_and_verify(bytes(data[:cut]) + junk)
