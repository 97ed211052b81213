"""A small test CA (RSA-1024, made once per session) and "enrolment" straight into trustpoints.

Stands in for the IOS CA in provisioning tests: where the NSA guide runs `crypto pki
authenticate` and `crypto pki enroll`, `enroll()` leaves what they would leave behind: the
trustpoint's certificate chain (router certificate + CA certificate) and its key pair under the
trustpoint's `rsakeypair` label.
"""

from __future__ import annotations

import datetime
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator.config.pki_sections import CHAIN_KIND, CertificateChainSection
from emulator.keystore import RsaKey
from emulator.pki import credentials
from emulator.router import Router

DER = serialization.Encoding.DER


@cache
def key(name: str) -> rsa.RSAPrivateKey:
    """One 1024-bit key per name for the whole session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def subject(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lab")])


class TestCA:
    __test__ = False  # not a pytest class

    def __init__(self, cn: str = "CAserver") -> None:
        self.key = key("ca:" + cn)
        self.serial = 1
        now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
        self.cert = (x509.CertificateBuilder().subject_name(subject(cn)).issuer_name(subject(cn))
                     .public_key(self.key.public_key()).serial_number(1)
                     .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, cn: str, public_key: rsa.RSAPublicKey) -> x509.Certificate:
        self.serial += 1
        now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        return (x509.CertificateBuilder().subject_name(subject(cn))
                .issuer_name(self.cert.subject).public_key(public_key)
                .serial_number(self.serial).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=365))
                .sign(self.key, hashes.SHA256()))


@cache
def session_ca() -> TestCA:
    return TestCA()


def enroll(router: Router, tp: str, ca: TestCA | None = None, *, generation: int = 0
           ) -> x509.Certificate:
    """Give trustpoint `tp` (typed beforehand) a certificate and key from the test CA.

    `generation` > 0 makes a new key pair, as a re-enrolment with a regenerated key would.
    """
    ca = ca or session_ca()
    label = credentials.key_label(router, tp)
    private = key(f"{tp}#{generation}")
    cert = ca.issue(f"{router.hostname}.{tp}", private.public_key())
    chain = router.config.section(CHAIN_KIND, (tp,), f"crypto pki certificate chain {tp}",
                                  CertificateChainSection)
    chain.set_der([cert.public_bytes(DER)], [ca.cert.public_bytes(DER)])
    router.keystore.add(RsaKey(label, private))
    return cert


def install_ca(router: Router, tp: str, ca: TestCA | None = None) -> None:
    """The CA's own trustpoint: CA certificate only (what `no shutdown` leaves)."""
    ca = ca or session_ca()
    chain = router.config.section(CHAIN_KIND, (tp,), f"crypto pki certificate chain {tp}",
                                  CertificateChainSection)
    chain.set_der([], [ca.cert.public_bytes(DER)])
    router.keystore.add(RsaKey(credentials.key_label(router, tp), ca.key))
