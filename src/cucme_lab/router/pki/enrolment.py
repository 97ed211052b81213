"""The router as a SCEP client, sans I/O: what `crypto pki enroll` sends and what it keeps.

The request: a PKCS#10 with the subject the enrol dialogue settled on (`subject-name`, then
`hostname=`, `serialNumber=`, `ipaddress=` as IOS builds it) and the challenge password, signed
by the trustpoint's key; wrapped in a PKCSReq pkiMessage encrypted to the CA certificate the
trustpoint authenticated and signed with a throw-away self-signed certificate of the same key.
The reply decides: SUCCESS installs the certificate in the trustpoint's chain, PENDING leaves
the enrolment to be polled (CertPoll) until the CA grants or rejects it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AttributeOID, NameOID

from cucme_lab.router.pki.ca import UNSTRUCTURED_ADDRESS, UNSTRUCTURED_NAME
from cucme_lab.router.pki.config import CHAIN_KIND, CertificateChainSection
from cucme_lab.router.router import Router
from cucme_lab.wire import scep

CIPHER = "des3"  # IOS 12.4 clients encrypt SCEP requests with (3)DES
DIGEST = "sha1"  # ... and sign them with SHA-1; the CA answers in kind


def subject_name(dn: str | None, fqdn: str, serial: str | None, ip: str | None) -> x509.Name:
    rdns: list[x509.RelativeDistinguishedName] = []
    if dn:
        try:
            rdns += list(x509.Name.from_rfc4514_string(dn.strip()).rdns)
        except ValueError:
            rdns.append(x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COMMON_NAME, dn.strip())]))
    attrs = [x509.NameAttribute(UNSTRUCTURED_NAME, fqdn)]
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    if ip:
        attrs.append(x509.NameAttribute(UNSTRUCTURED_ADDRESS, ip))
    rdns.append(x509.RelativeDistinguishedName(attrs))
    return x509.Name(rdns)


def build_csr(key: rsa.RSAPrivateKey, subject: x509.Name, challenge: str | None
              ) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if challenge:
        builder = builder.add_attribute(AttributeOID.CHALLENGE_PASSWORD, challenge.encode())
    return builder.sign(key, hashes.SHA256())


def fingerprints(csr: x509.CertificateSigningRequest) -> tuple[str, str]:
    """MD5 and SHA1 of the request, grouped as IOS prints them."""
    data = csr.public_bytes(Encoding.DER)
    out = []
    for alg in ("md5", "sha1"):
        text = hashlib.new(alg, data).hexdigest().upper()
        out.append(" ".join(text[i:i + 8] for i in range(0, len(text), 8)))
    return out[0], out[1]


@dataclass
class Enrolment:
    """One certificate request on its way: what polling needs to go on."""

    trustpoint: str
    url: str
    key: rsa.RSAPrivateKey
    csr: x509.CertificateSigningRequest
    ca_certificate: x509.Certificate
    requester: x509.Certificate = field(init=False)
    transaction_id: str = field(init=False)
    attempts: int = 0

    def __post_init__(self) -> None:
        public = self.csr.public_key().public_bytes(Encoding.DER,
                                                    _spki_format())
        self.transaction_id = hashlib.sha1(public).hexdigest().upper()
        now = self.ca_certificate.not_valid_before_utc  # any valid window will do
        self.requester = (x509.CertificateBuilder().subject_name(self.csr.subject)
                          .issuer_name(self.csr.subject).public_key(self.key.public_key())
                          .serial_number(x509.random_serial_number())
                          .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
                          .sign(self.key, hashes.SHA256()))

    def request_message(self) -> bytes:
        content = scep.envelope(self.csr.public_bytes(Encoding.DER), self.ca_certificate, CIPHER)
        attrs = scep.Attributes(scep.PKCS_REQ, self.transaction_id, scep.new_nonce())
        return scep.sign(attrs, content, self.requester, self.key, DIGEST)

    def poll_message(self) -> bytes:
        content = scep.envelope(scep.issuer_and_subject(self.ca_certificate.subject,
                                                        self.csr.subject),
                                self.ca_certificate, CIPHER)
        attrs = scep.Attributes(scep.CERT_POLL, self.transaction_id, scep.new_nonce())
        return scep.sign(attrs, content, self.requester, self.key, DIGEST)

    def read_reply(self, data: bytes) -> tuple[str, x509.Certificate | None, str]:
        """("granted", cert, "") | ("pending", None, "") | ("failed", None, why)."""
        try:
            msg = scep.parse(data, self.ca_certificate)
        except scep.ScepError as exc:
            return "failed", None, f"bad reply from the CA: {exc}"
        if msg.signer.public_key().public_numbers() != \
                self.ca_certificate.public_key().public_numbers():
            return "failed", None, "the reply is not signed by the CA"
        if msg.transaction_id != self.transaction_id or msg.message_type != scep.CERT_REP:
            return "failed", None, "the reply does not answer this request"
        status = msg.attributes.pki_status
        if status == scep.PENDING:
            return "pending", None, ""
        if status != scep.SUCCESS or msg.content is None:
            return "failed", None, f"the CA refused the request (failInfo " \
                                   f"{msg.attributes.fail_info})"
        try:
            inner, _ = scep.decrypt(msg.content, self.key)
            certs, _ = scep.read_degenerate(inner)
        except scep.ScepError as exc:
            return "failed", None, str(exc)
        mine = [c for c in certs
                if c.public_key().public_numbers() == self.key.public_key().public_numbers()]
        if not mine:
            return "failed", None, "the CA returned no certificate for this key"
        return "granted", mine[0], ""


def _spki_format():
    from cryptography.hazmat.primitives.serialization import PublicFormat

    return PublicFormat.SubjectPublicKeyInfo


def install(router: Router, trustpoint: str, cert: x509.Certificate,
            ca_cert: x509.Certificate) -> None:
    """The enrolled certificate into `crypto pki certificate chain TP` beside the CA's."""
    sec = router.config.section(CHAIN_KIND, (trustpoint,),
                                f"crypto pki certificate chain {trustpoint}",
                                CertificateChainSection)
    assert isinstance(sec, CertificateChainSection)
    sec.set_der(router_certs=[cert.public_bytes(Encoding.DER)],
                ca_certs=[ca_cert.public_bytes(Encoding.DER)])
    router.mark_changed("console")


def pending(router: Router) -> dict[str, Enrolment]:
    return router.pki_runtime.enrolments  # type: ignore[return-value]
