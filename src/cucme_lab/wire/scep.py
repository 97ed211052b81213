"""SCEP (RFC 8894) messages, sans I/O: the CMS SignedData/EnvelopedData a pkiMessage is made of.

A pkiMessage is a SignedData whose authenticated attributes carry the SCEP fields (messageType,
transactionID, senderNonce, recipientNonce, pkiStatus, failInfo) and whose content, when there
is one, is an EnvelopedData holding the real payload (a PKCS#10 request, an IssuerAndSubject,
or a degenerate certs-only SignedData with the issued certificate).

Both sides use this module: the router's CA (`router.pki.scep_server`) and the router's own
enrolment client. Anything malformed raises `ScepError` with a reason a log line can show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding

from cucme_lab.wire import der
from cucme_lab.wire.der import DerError, Tlv

# --- message types, statuses, failure reasons (RFC 8894 section 3.2.1) -----------------------
CERT_REP = 3
RENEWAL_REQ = 17
PKCS_REQ = 19
CERT_POLL = 20  # GetCertInitial in the older drafts
GET_CERT = 21
GET_CRL = 22
MESSAGE_TYPES = {CERT_REP: "CertRep", RENEWAL_REQ: "RenewalReq", PKCS_REQ: "PKCSReq",
                 CERT_POLL: "CertPoll", GET_CERT: "GetCert", GET_CRL: "GetCRL"}

SUCCESS, FAILURE, PENDING = 0, 2, 3
STATUS_NAMES = {SUCCESS: "SUCCESS", FAILURE: "FAILURE", PENDING: "PENDING"}
BAD_ALG, BAD_MESSAGE_CHECK, BAD_REQUEST, BAD_TIME, BAD_CERT_ID = 0, 1, 2, 3, 4

# --- object identifiers ------------------------------------------------------------------------
ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
ATTR_MESSAGE_TYPE = "2.16.840.1.113733.1.9.2"
ATTR_PKI_STATUS = "2.16.840.1.113733.1.9.3"
ATTR_FAIL_INFO = "2.16.840.1.113733.1.9.4"
ATTR_SENDER_NONCE = "2.16.840.1.113733.1.9.5"
ATTR_RECIPIENT_NONCE = "2.16.840.1.113733.1.9.6"
ATTR_TRANSACTION_ID = "2.16.840.1.113733.1.9.7"

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "1.2.840.113549.2.5": hashes.MD5,
    "1.3.14.3.2.26": hashes.SHA1,
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}
DIGEST_OIDS = {cls.name: o for o, cls in DIGESTS.items()}
# signature algorithm OIDs some clients put in SignerInfo instead of rsaEncryption
RSA_SIGNATURES = {"1.2.840.113549.1.1.4": "md5", "1.2.840.113549.1.1.5": "sha1",
                  "1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384",
                  "1.2.840.113549.1.1.13": "sha512"}

CIPHERS = {  # name: (oid, key length, block size)
    "des": ("1.3.14.3.2.7", 8, 8),
    "des3": ("1.2.840.113549.3.7", 24, 8),
    "aes128": ("2.16.840.1.101.3.4.1.2", 16, 16),
    "aes192": ("2.16.840.1.101.3.4.1.22", 24, 16),
    "aes256": ("2.16.840.1.101.3.4.1.42", 32, 16),
}
CIPHER_BY_OID = {v[0]: k for k, v in CIPHERS.items()}

# What the CA's GetCACaps answers (RFC 8894 section 3.5.2).
CA_CAPS = ("AES", "DES3", "GetNextCACert", "POSTPKIOperation", "SCEPStandard", "SHA-1",
           "SHA-256", "SHA-512")


# What cryptography's parsers raise for a mangled certificate or key. Names are parsed lazily,
# when first read, and an attribute value of an unknown string type raises KeyError there.
# A version field other than v1/v3 raises InvalidVersion, which is not a ValueError.
_MALFORMED = (ValueError, IndexError, KeyError, TypeError, UnsupportedAlgorithm,
              x509.InvalidVersion)


class ScepError(ValueError):
    """A message that is not valid SCEP; `fail_info` is the failInfo a CA should answer."""

    def __init__(self, reason: str, fail_info: int = BAD_REQUEST) -> None:
        super().__init__(reason)
        self.fail_info = fail_info


# --- building ----------------------------------------------------------------------------------


def _alg(o: str, params: bytes | None = der.null()) -> bytes:
    return der.seq(der.oid(o), params or b"")


def _issuer_and_serial(cert: x509.Certificate) -> bytes:
    return der.seq(cert.issuer.public_bytes(), der.integer(cert.serial_number))


def _attribute(o: str, value: bytes) -> bytes:
    return der.seq(der.oid(o), der.set_of(value))


def content_info(content_type: str, content: bytes) -> bytes:
    return der.seq(der.oid(content_type), der.explicit(0, content))


def _cipher(name: str, key: bytes, iv: bytes) -> Cipher:
    if name in ("des", "des3"):
        return Cipher(TripleDES(key * 3 if len(key) == 8 else key), modes.CBC(iv))
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def envelope(content: bytes, recipient: x509.Certificate, cipher: str = "aes128") -> bytes:
    """EnvelopedData: `content` encrypted with a fresh key sent under the recipient's RSA key."""
    o, key_len, block = CIPHERS[cipher]
    key, iv = os.urandom(key_len), os.urandom(block)
    padder = padding.PKCS7(block * 8).padder()
    padded = padder.update(content) + padder.finalize()
    enc = _cipher(cipher, key, iv).encryptor()
    encrypted = enc.update(padded) + enc.finalize()
    public = recipient.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise ScepError("the recipient's key is not RSA", BAD_ALG)
    wrapped = public.encrypt(key, asym_padding.PKCS1v15())
    recipient_info = der.seq(der.integer(0), _issuer_and_serial(recipient),
                             _alg(RSA_ENCRYPTION), der.octets(wrapped))
    body = der.seq(der.integer(0), der.set_of(recipient_info),
                   der.seq(der.oid(ID_DATA), _alg(o, der.octets(iv)),
                           der.implicit_primitive(0, encrypted)))
    return content_info(ID_ENVELOPED_DATA, body)


def degenerate(certificates: list[x509.Certificate] = (),  # type: ignore[assignment]
               crls: list[x509.CertificateRevocationList] = ()  # type: ignore[assignment]
               ) -> bytes:
    """A certs-only SignedData: how SCEP returns certificates (and CRLs)."""
    parts = [der.integer(1), der.set_of(), der.seq(der.oid(ID_DATA))]
    if certificates:
        parts.append(der.tlv(0xA0, b"".join(c.public_bytes(Encoding.DER)
                                            for c in certificates)))
    if crls:
        parts.append(der.tlv(0xA1, b"".join(c.public_bytes(Encoding.DER) for c in crls)))
    parts.append(der.set_of())
    return content_info(ID_SIGNED_DATA, der.seq(*parts))


@dataclass
class Attributes:
    """The SCEP fields of a pkiMessage."""

    message_type: int
    transaction_id: str
    sender_nonce: bytes | None = None
    recipient_nonce: bytes | None = None
    pki_status: int | None = None
    fail_info: int | None = None

    def encode(self) -> list[bytes]:
        out = [_attribute(ATTR_MESSAGE_TYPE, der.printable(str(self.message_type))),
               _attribute(ATTR_TRANSACTION_ID, der.printable(self.transaction_id))]
        if self.pki_status is not None:
            out.append(_attribute(ATTR_PKI_STATUS, der.printable(str(self.pki_status))))
        if self.fail_info is not None:
            out.append(_attribute(ATTR_FAIL_INFO, der.printable(str(self.fail_info))))
        if self.sender_nonce is not None:
            out.append(_attribute(ATTR_SENDER_NONCE, der.octets(self.sender_nonce)))
        if self.recipient_nonce is not None:
            out.append(_attribute(ATTR_RECIPIENT_NONCE, der.octets(self.recipient_nonce)))
        return out


def sign(attrs: Attributes, content: bytes | None, signer: x509.Certificate,
         key: rsa.RSAPrivateKey, digest: str = "sha256",
         extra_certificates: list[x509.Certificate] = ()  # type: ignore[assignment]
         ) -> bytes:
    """A pkiMessage: SignedData over `content` (an EnvelopedData, or nothing) with `attrs`."""
    algorithm = DIGESTS[DIGEST_OIDS[digest]]()
    data = content or b""
    h = hashes.Hash(algorithm)
    h.update(data)
    signed = [_attribute(ATTR_CONTENT_TYPE, der.oid(ID_DATA)),
              _attribute(ATTR_MESSAGE_DIGEST, der.octets(h.finalize())), *attrs.encode()]
    signed_set = der.set_of(*signed)
    signature = key.sign(signed_set, asym_padding.PKCS1v15(), algorithm)
    signer_info = der.seq(der.integer(1), _issuer_and_serial(signer),
                          _alg(DIGEST_OIDS[digest]), der.tlv(0xA0, der.decode(signed_set).value),
                          _alg(RSA_ENCRYPTION), der.octets(signature))
    encap = der.seq(der.oid(ID_DATA), der.explicit(0, der.octets(data))) if content is not None \
        else der.seq(der.oid(ID_DATA))
    certs = [signer, *extra_certificates]
    body = der.seq(der.integer(1), der.set_of(_alg(DIGEST_OIDS[digest])), encap,
                   der.tlv(0xA0, b"".join(c.public_bytes(Encoding.DER) for c in certs)),
                   der.set_of(signer_info))
    return content_info(ID_SIGNED_DATA, body)


def issuer_and_subject(issuer: x509.Name, subject: x509.Name) -> bytes:
    """The content of a CertPoll (GetCertInitial) request."""
    return der.seq(issuer.public_bytes(), subject.public_bytes())


def issuer_and_serial(issuer: x509.Name, serial: int) -> bytes:
    """The content of GetCert and GetCRL requests."""
    return der.seq(issuer.public_bytes(), der.integer(serial))


# --- reading -----------------------------------------------------------------------------------


@dataclass
class PkiMessage:
    """A verified pkiMessage: its SCEP fields, its signer and its (still encrypted) content."""

    attributes: Attributes
    digest: str
    signer: x509.Certificate
    certificates: list[x509.Certificate] = field(default_factory=list)
    content: bytes | None = None  # the EnvelopedData ContentInfo, if any

    @property
    def message_type(self) -> int:
        return self.attributes.message_type

    @property
    def transaction_id(self) -> str:
        return self.attributes.transaction_id


def _content_info(data: bytes, expected: str) -> Tlv:
    try:
        top = der.decode(data).expect(der.SEQUENCE).children()
    except DerError as exc:
        raise ScepError(f"not a DER ContentInfo: {exc}") from None
    if len(top) != 2 or top[0].tag != der.OID or top[1].tag != 0xA0:
        raise ScepError("not a ContentInfo")
    kind = der.decode_oid(top[0].value)
    if kind != expected:
        raise ScepError(f"content type {kind}, expected {expected}")
    inner = top[1].children()
    if len(inner) != 1:
        raise ScepError("ContentInfo content is not one value")
    return inner[0].expect(der.SEQUENCE)


def _load_certificates(node: Tlv) -> list[x509.Certificate]:
    certs = []
    for item in node.children():
        if item.tag != der.SEQUENCE:
            continue  # other certificate choices are not used by SCEP
        try:
            certs.append(x509.load_der_x509_certificate(item.raw))
        except (ValueError, x509.InvalidVersion) as exc:
            raise ScepError(f"a certificate in the message does not parse: {exc}") from None
    return certs


# Levels of a constructed (BER) OCTET STRING: clients chunk their content once; a message
# nesting thousands of levels ended scep.parse with RecursionError before this bound.
MAX_OCTET_NESTING = 8


def _octet_content(node: Tlv, depth: int = 0) -> bytes:
    """An OCTET STRING, primitive or (BER-style) constructed from chunks."""
    if node.tag in (der.OCTET_STRING, 0x80):
        return node.value
    if node.tag in (0x24, 0xA0):
        if depth >= MAX_OCTET_NESTING:
            raise ScepError(f"OCTET STRING nested more than {MAX_OCTET_NESTING} levels deep")
        return b"".join(_octet_content(c, depth + 1) for c in node.children())
    raise ScepError(f"expected an OCTET STRING, found tag {node.tag:#x}")


def _attr_values(signed_attrs: Tlv) -> dict[str, Tlv]:
    found: dict[str, Tlv] = {}
    for attr in signed_attrs.children():
        parts = attr.expect(der.SEQUENCE).children()
        if len(parts) != 2:
            raise ScepError("an Attribute is not (type, values)")
        values = parts[1].expect(der.SET).children()
        if len(values) != 1:
            raise ScepError("an Attribute has not exactly one value")
        found[der.decode_oid(parts[0].expect(der.OID).value)] = values[0]
    return found


def _string(attrs: dict[str, Tlv], o: str) -> str | None:
    node = attrs.get(o)
    if node is None:
        return None
    if node.tag not in (der.PRINTABLE_STRING, der.UTF8_STRING, der.IA5_STRING):
        raise ScepError(f"attribute {o} is not a string")
    try:
        return node.value.decode("ascii")
    except UnicodeDecodeError:
        raise ScepError(f"attribute {o} is not ASCII") from None


def _number(attrs: dict[str, Tlv], o: str) -> int | None:
    text = _string(attrs, o)
    if text is None:
        return None
    if not text.isdigit():
        raise ScepError(f"attribute {o} is not a number: {text!r}")
    return int(text)


def _nonce(attrs: dict[str, Tlv], o: str) -> bytes | None:
    node = attrs.get(o)
    if node is None:
        return None
    return node.expect(der.OCTET_STRING).value


def parse(data: bytes, signer_hint: x509.Certificate | None = None) -> PkiMessage:
    """Read a pkiMessage and check its signature and content digest."""
    try:
        return _parse(data, signer_hint)
    except ScepError:
        raise
    except _MALFORMED as exc:
        # DerError, or cryptography's parsers meeting a mangled certificate or key
        raise ScepError(f"malformed pkiMessage: {type(exc).__name__} {exc}") from None


def _parse(data: bytes, signer_hint: x509.Certificate | None) -> PkiMessage:
    parts = _content_info(data, ID_SIGNED_DATA).children()
    if len(parts) < 4:
        raise ScepError("SignedData has too few fields")
    encap = parts[2].expect(der.SEQUENCE).children()
    if not encap or der.decode_oid(encap[0].expect(der.OID).value) != ID_DATA:
        raise ScepError("SignedData does not carry id-data")
    content = None
    if len(encap) > 1:
        wrapped = encap[1].expect(0xA0).children()
        if len(wrapped) != 1:
            raise ScepError("eContent is not one OCTET STRING")
        content = _octet_content(wrapped[0])
    certificates: list[x509.Certificate] = []
    rest = parts[3:]
    if rest and rest[0].tag == 0xA0:
        certificates = _load_certificates(rest[0])
        rest = rest[1:]
    if rest and rest[0].tag == 0xA1:
        rest = rest[1:]
    if len(rest) != 1:
        raise ScepError("SignedData has no signerInfos")
    signers = rest[0].expect(der.SET).children()
    if len(signers) != 1:
        raise ScepError(f"a pkiMessage has one signer, this one has {len(signers)}")
    info = signers[0].expect(der.SEQUENCE).children()
    if len(info) < 5 or info[3].tag != 0xA0:
        raise ScepError("SignerInfo has no signed attributes")
    sid = info[1].expect(der.SEQUENCE).children()
    if len(sid) != 2:
        raise ScepError("SignerInfo is not identified by issuer and serial number")
    serial = der.decode_int(sid[1].expect(der.INTEGER).value)
    pool = certificates + ([signer_hint] if signer_hint is not None else [])
    signer = next((c for c in pool if c.serial_number == serial
                   and c.issuer.public_bytes() == sid[0].raw), None)
    if signer is None:
        raise ScepError("the signer's certificate is not in the message", BAD_CERT_ID)
    signer.subject  # noqa: B018 - read now: the CA reads it later, outside this error handling
    digest_oid = der.decode_oid(info[2].expect(der.SEQUENCE).children()[0].value)
    if digest_oid not in DIGESTS:
        raise ScepError(f"unsupported digest algorithm {digest_oid}", BAD_ALG)
    algorithm = DIGESTS[digest_oid]()
    signed_attrs = info[3]
    attrs = _attr_values(signed_attrs)
    sig_alg = der.decode_oid(info[4].expect(der.SEQUENCE).children()[0].value)
    if sig_alg != RSA_ENCRYPTION and sig_alg not in RSA_SIGNATURES:
        raise ScepError(f"unsupported signature algorithm {sig_alg}", BAD_ALG)
    signature = info[5].expect(der.OCTET_STRING).value if len(info) > 5 else b""
    public = signer.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise ScepError("the signer's key is not RSA", BAD_ALG)
    try:
        public.verify(signature, der.tlv(der.SET, signed_attrs.value), asym_padding.PKCS1v15(),
                      algorithm)
    except Exception:
        raise ScepError("the pkiMessage signature does not verify", BAD_MESSAGE_CHECK) from None
    h = hashes.Hash(algorithm)
    h.update(content or b"")
    if _nonce(attrs, ATTR_MESSAGE_DIGEST) != h.finalize():
        raise ScepError("the content does not match its messageDigest", BAD_MESSAGE_CHECK)
    message_type = _number(attrs, ATTR_MESSAGE_TYPE)
    transaction_id = _string(attrs, ATTR_TRANSACTION_ID)
    if message_type is None or transaction_id is None:
        raise ScepError("messageType or transactionID is missing")
    fields = Attributes(message_type, transaction_id, _nonce(attrs, ATTR_SENDER_NONCE),
                        _nonce(attrs, ATTR_RECIPIENT_NONCE), _number(attrs, ATTR_PKI_STATUS),
                        _number(attrs, ATTR_FAIL_INFO))
    return PkiMessage(fields, DIGESTS[digest_oid].name, signer, certificates, content)


def decrypt(data: bytes, key: rsa.RSAPrivateKey) -> tuple[bytes, str]:
    """Open an EnvelopedData addressed to `key`; returns the content and the cipher's name."""
    try:
        return _decrypt(data, key)
    except ScepError:
        raise
    except _MALFORMED as exc:
        raise ScepError(f"malformed EnvelopedData: {exc}") from None


def _decrypt(data: bytes, key: rsa.RSAPrivateKey) -> tuple[bytes, str]:
    parts = _content_info(data, ID_ENVELOPED_DATA).children()
    if len(parts) < 3:
        raise ScepError("EnvelopedData has too few fields")
    if parts[1].tag == 0xA0:  # originatorInfo
        parts = parts[:1] + parts[2:]
    recipients = parts[1].expect(der.SET).children()
    wrapped_key = None
    for r in recipients:
        fields = r.children()
        if r.tag == der.SEQUENCE and len(fields) == 4:
            wrapped_key = fields[3].expect(der.OCTET_STRING).value
            break
    if wrapped_key is None:
        raise ScepError("no key-transport recipient in the EnvelopedData", BAD_ALG)
    eci = parts[2].expect(der.SEQUENCE).children()
    if len(eci) < 3:
        raise ScepError("EncryptedContentInfo has no encrypted content")
    alg = eci[1].expect(der.SEQUENCE).children()
    cipher = CIPHER_BY_OID.get(der.decode_oid(alg[0].expect(der.OID).value))
    if cipher is None or len(alg) != 2:
        raise ScepError("unsupported content encryption algorithm", BAD_ALG)
    iv = alg[1].expect(der.OCTET_STRING).value
    _, key_len, block = CIPHERS[cipher]
    if len(iv) != block:
        raise ScepError("the IV has the wrong length", BAD_ALG)
    encrypted = _octet_content(eci[2])
    try:
        content_key = key.decrypt(wrapped_key, asym_padding.PKCS1v15())
    except ValueError:
        raise ScepError("the content key does not decrypt", BAD_MESSAGE_CHECK) from None
    if len(content_key) != key_len or not encrypted or len(encrypted) % block:
        raise ScepError("the content key or the ciphertext has the wrong length",
                        BAD_MESSAGE_CHECK)
    dec = _cipher(cipher, content_key, iv).decryptor()
    padded = dec.update(encrypted) + dec.finalize()
    unpadder = padding.PKCS7(block * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize(), cipher
    except ValueError:
        raise ScepError("bad padding in the encrypted content", BAD_MESSAGE_CHECK) from None


def read_degenerate(data: bytes) -> tuple[list[x509.Certificate],
                                          list[x509.CertificateRevocationList]]:
    """The certificates and CRLs of a certs-only SignedData."""
    try:
        parts = _content_info(data, ID_SIGNED_DATA).children()
        certs: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        for node in parts[3:]:
            if node.tag == 0xA0:
                certs = _load_certificates(node)
            elif node.tag == 0xA1:
                for item in node.children():
                    crls.append(x509.load_der_x509_crl(item.raw))
        return certs, crls
    except ScepError:
        raise
    except _MALFORMED as exc:
        raise ScepError(f"malformed certs-only message: {exc}") from None


def read_issuer_and_subject(data: bytes) -> tuple[bytes, bytes]:
    """(issuer Name DER, subject Name DER) of a CertPoll."""
    try:
        parts = der.decode(data).expect(der.SEQUENCE).children()
    except DerError as exc:
        raise ScepError(f"malformed IssuerAndSubject: {exc}") from None
    if len(parts) != 2 or any(p.tag != der.SEQUENCE for p in parts):
        raise ScepError("malformed IssuerAndSubject")
    return parts[0].raw, parts[1].raw


def read_issuer_and_serial(data: bytes) -> tuple[bytes, int]:
    try:
        parts = der.decode(data).expect(der.SEQUENCE).children()
        if len(parts) != 2:
            raise DerError("not (issuer, serial)")
        return parts[0].expect(der.SEQUENCE).raw, der.decode_int(
            parts[1].expect(der.INTEGER).value)
    except ValueError as exc:
        raise ScepError(f"malformed IssuerAndSerialNumber: {exc}") from None


def new_nonce() -> bytes:
    return os.urandom(16)
