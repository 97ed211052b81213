"""The file readers and the DER/SCEP codecs take any bytes: only their documented errors leave.

Contracts, from each reader's docstring: `der` raises DerError, `scep.parse`/`decrypt`/
`read_degenerate`/`read_issuer_and_*` raise ScepError, `parse_ctl` CtlFormatError,
`parse_sgn` SgnFormatError, `decode_header` HeaderFormatError, `parse_cnf_xml` CnfFormatError;
the verifiers (`verify_ctl`, `verify_sgn_with_ctl`) raise VerificationError or the format
errors. Seeds are the reference files of tests/data/phone-security and a signed pkiMessage.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fuzz_support import FUZZ, fewer, mutated
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.wire import cnf_xml, der, scep
from cucme_lab.wire.ctl import CtlFormatError, parse_ctl, verify_ctl
from cucme_lab.wire.sgn import SgnFormatError, parse_sgn, verify_sgn_with_ctl
from cucme_lab.wire.signed_header import HeaderFormatError, VerificationError, decode_header

DATA = Path(__file__).resolve().parents[1] / "data" / "phone-security"
CTLS = [(DATA / n).read_bytes() for n in ("CTLFile-cme-tftp.tlv", "CTLFile-separate.tlv")]
SGNS = [(DATA / n).read_bytes() for n in ("SEP001122334455.cnf.xml.sha1.sgn",
                                          "SEP001122334455.cnf.xml.sha512.sgn")]
CNF = (DATA / "SEP001122334455.cnf.xml").read_bytes()
TRUSTED = parse_ctl(CTLS[0])


def _self_signed(name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(65537, 1024)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return cert, key


CA_CERT, CA_KEY = _self_signed("CA")
CLIENT_CERT, CLIENT_KEY = _self_signed("client")
PKI_MESSAGES = [
    scep.sign(scep.Attributes(scep.PKCS_REQ, "TX1", b"n" * 16),
              scep.envelope(b"csr", CA_CERT), CLIENT_CERT, CLIENT_KEY),
    scep.sign(scep.Attributes(scep.CERT_POLL, "TX2", b"n" * 16),
              scep.envelope(scep.issuer_and_subject(CA_CERT.subject, CLIENT_CERT.subject),
                            CA_CERT, "des3"), CLIENT_CERT, CLIENT_KEY, "sha1"),
    scep.degenerate([CA_CERT]),
]
ENVELOPED = [scep.envelope(b"payload", CA_CERT, c) for c in ("des", "aes128", "aes256")]


def _der_of_depth(depth: int) -> bytes:
    value = der.octets(b"x")
    for _ in range(depth):
        value = der.tlv(0x24, value)
    return value


# --- DER ---------------------------------------------------------------------------------------

DER_SEEDS = PKI_MESSAGES + ENVELOPED + [der.oid("1.2.840.113549.1.9.3"), der.integer(-5)]


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(DER_SEEDS)))
def test_der_raises_only_der_error(data: bytes) -> None:
    try:
        item = der.decode(data)
        stack = [item]
        while stack:  # walk the whole tree, reading every OID and INTEGER on the way
            node = stack.pop()
            if node.tag == der.OID:
                der.decode_oid(node.value)
            elif node.tag == der.INTEGER:
                der.decode_int(node.value)
            elif node.tag & 0x20:
                stack.extend(node.children())
    except der.DerError:
        pass


@pytest.mark.parametrize("arc_bytes", [2100, 60_000])
def test_a_long_oid_arc_is_a_der_error_at_once(arc_bytes: int) -> None:
    # Found by fuzzing: 2,100 continuation bytes made an arc of more than 4,300 digits, and
    # str() raised ValueError (not DerError); 60,000 of them took 0.4 s of shifting.
    with pytest.raises(der.DerError):
        der.decode_oid(b"\x2a" + b"\xff" * arc_bytes + b"\x7f")


# --- SCEP ---------------------------------------------------------------------------------------

READERS = [scep.parse, lambda d: scep.decrypt(d, CA_KEY), scep.read_degenerate,
           scep.read_issuer_and_subject, scep.read_issuer_and_serial]


@fewer(0.6)
@given(st.one_of(st.binary(max_size=200), mutated(PKI_MESSAGES + ENVELOPED, 4)))
def test_scep_readers_raise_only_scep_error(data: bytes) -> None:
    for reader in READERS:
        try:
            reader(data)
        except scep.ScepError:
            pass


ATTR_TEXT = st.one_of(st.sampled_from(["19", "0", "", "x", "\u0661\u0669", "\u00b2",
                                       "9" * 5000]), st.text(max_size=20))


class OddAttributes(scep.Attributes):
    """SCEP attributes holding whatever a client likes, in any string type, signed."""

    def __init__(self, values: list[tuple[str, int, bytes]]) -> None:
        super().__init__(0, "")
        self.values = values

    def encode(self) -> list[bytes]:
        return [der.seq(der.oid(o), der.set_of(der.tlv(tag, value)))
                for o, tag, value in self.values]


ATTR_OIDS = st.sampled_from([scep.ATTR_MESSAGE_TYPE, scep.ATTR_TRANSACTION_ID,
                             scep.ATTR_PKI_STATUS, scep.ATTR_FAIL_INFO, scep.ATTR_SENDER_NONCE,
                             scep.ATTR_RECIPIENT_NONCE, "1.2.3.4"])
STRING_TAGS = st.sampled_from([der.PRINTABLE_STRING, der.UTF8_STRING, der.IA5_STRING,
                               der.OCTET_STRING, der.INTEGER, 0x30])


@fewer(0.3)
@given(st.lists(st.tuples(ATTR_OIDS, STRING_TAGS, st.one_of(
           ATTR_TEXT.map(lambda t: t.encode()), st.binary(max_size=20))), max_size=6),
       st.sampled_from(["sha1", "sha256"]),
       st.one_of(st.none(), st.binary(max_size=100), st.sampled_from(ENVELOPED)))
def test_scep_signed_by_the_client_with_odd_attributes(values, digest, content) -> None:
    """A client signs what it likes: its attributes are read once the signature holds."""
    signed = scep.sign(OddAttributes(values), content, CLIENT_CERT, CLIENT_KEY, digest)
    try:
        message = scep.parse(signed)
    except scep.ScepError:
        return
    assert isinstance(message.message_type, int) and isinstance(message.transaction_id, str)


def unknown_string_type(der_bytes: bytes) -> bytes:
    """The first commonName's value re-tagged 8, a string type cryptography cannot name: the
    certificate still loads, and reading its subject or issuer raises KeyError."""
    at = der_bytes.find(b"\x06\x03\x55\x04\x03") + 5
    return der_bytes[:at] + b"\x08" + der_bytes[at + 1:]


def test_a_signer_name_of_an_unknown_string_type_is_a_scep_error() -> None:
    # Found by the campaign: KeyError(8) out of scep.parse, an HTTP 500 with a traceback.
    from cryptography.hazmat.primitives.serialization import Encoding

    message = scep.sign(scep.Attributes(scep.PKCS_REQ, "TX", b"n" * 16), None, CLIENT_CERT,
                        CLIENT_KEY)
    good = CLIENT_CERT.public_bytes(Encoding.DER)
    # (cryptography < 50 fails lazily with KeyError when the name is read, 50 and later with
    # ValueError when the certificate is parsed: either way a ScepError, not an HTTP 500)
    with pytest.raises(scep.ScepError):
        scep.parse(message.replace(good, unknown_string_type(good)))


def test_nested_octet_strings_are_a_scep_error_not_a_recursion_error() -> None:
    # Found by fuzzing: a constructed OCTET STRING nested 3,000 deep as the eContent of a
    # pkiMessage raised RecursionError out of scep.parse (an HTTP 500 and a traceback).
    content = der.seq(der.oid(scep.ID_DATA), der.explicit(0, _der_of_depth(3000)))
    body = der.seq(der.integer(1), der.set_of(), content, der.set_of())
    message = scep.content_info(scep.ID_SIGNED_DATA, body)
    with pytest.raises(scep.ScepError):
        scep.parse(message)
    enveloped = scep.content_info(scep.ID_ENVELOPED_DATA, der.seq(
        der.integer(0), der.set_of(der.seq(der.integer(0), der.seq(), der.seq(),
                                           der.octets(b"k"))),
        der.seq(der.oid(scep.ID_DATA), der.seq(der.oid("2.16.840.1.101.3.4.1.2"),
                                               der.octets(b"i" * 16)), _der_of_depth(3000))))
    with pytest.raises(scep.ScepError):
        scep.decrypt(enveloped, CA_KEY)


# --- CTL, .sgn, the signed header ---------------------------------------------------------------

@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(CTLS + SGNS, 8)))
def test_signed_files_raise_only_their_format_errors(data: bytes) -> None:
    try:
        decode_header(data)
    except HeaderFormatError:
        pass
    try:
        ctl = parse_ctl(data)
    except CtlFormatError:
        pass
    else:
        for record in ctl.records:
            record.ip  # noqa: B018 - what `show`-like readers touch
        try:
            verify_ctl(ctl)
            verify_ctl(ctl, TRUSTED.sast_records)
        except (VerificationError, CtlFormatError):
            pass
    try:
        sgn = parse_sgn(data)
    except SgnFormatError:
        pass
    else:
        try:
            verify_sgn_with_ctl(sgn, TRUSTED)
        except (VerificationError, CtlFormatError):
            pass


# --- cnf.xml ------------------------------------------------------------------------------------

NUMBERS = st.sampled_from(["0", "1", "-1", "", " 2 ", "9" * 5000, "\u0661", "0x10", "1e3"])
CNF_SEEDS = [CNF]


@st.composite
def cnf_documents(draw: st.DrawFn) -> bytes:
    """The reference file with one element's text (or a priority attribute) replaced."""
    text = CNF.decode()
    tags = ["deviceSecurityMode", "ipAddressMode", "TLSResumptionTimer", "capfAuthMode",
            "phonePort", "ethernetPhonePort", "webAccess", "pcPort", "fullConfig",
            "transportLayerProtocol", "encrConfig"]
    tag = draw(st.sampled_from(tags))
    value = draw(st.one_of(NUMBERS, st.text(max_size=10)))
    start, end = text.find(f"<{tag}>"), text.find(f"</{tag}>")
    if start >= 0 and end > start:
        text = text[:start + len(tag) + 2] + value.replace("<", "").replace("&", "") + \
            text[end:]
    if draw(st.booleans()):
        text = text.replace('priority="0"', f'priority="{draw(NUMBERS)}"', 1)
    return text.encode()


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated(CNF_SEEDS, 8), cnf_documents()))
def test_cnf_xml_raises_only_cnf_format_error(data: bytes) -> None:
    try:
        cnf_xml.parse_cnf_xml(data)
    except cnf_xml.CnfFormatError:
        pass


@pytest.mark.parametrize("document", ids=["element", "priority"], argvalues=[
    b"<device><deviceSecurityMode>" + b"9" * 5000 + b"</deviceSecurityMode></device>",
    b"<device><devicePool><callManagerGroup><members><member priority=\"" + b"9" * 5000
    + b"\"/></members></callManagerGroup></devicePool></device>",
])
def test_a_number_of_thousands_of_digits_is_a_format_error(document: bytes) -> None:
    # Found by fuzzing: int() raised ValueError (4,300-digit limit) out of parse_cnf_xml,
    # which the phone's firmware does not catch.
    with pytest.raises(cnf_xml.CnfFormatError):
        cnf_xml.parse_cnf_xml(document)
