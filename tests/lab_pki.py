"""A small test CA, and putting its certificates into a router's trustpoints.

For tests of services that need certificates but are not about the IOS CA itself: the keys are
1024-bit and made once per test process.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cucme_lab.router.pki.config import (
    CHAIN_KIND,
    TRUSTPOINT_KIND,
    CertificateChainSection,
    KeyPair,
    RevocationMethod,
    TrustpointSection,
)
from cucme_lab.router.pki.keystore import RsaKey
from cucme_lab.router.router import Router


@cache
def rsa_key(name: str, bits: int = 1024) -> rsa.RSAPrivateKey:
    """One key per name and size for the whole test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class LabCA:
    cn: str = "LABCA"
    key: rsa.RSAPrivateKey = field(default=None)  # type: ignore[assignment]
    cert: x509.Certificate = field(default=None)  # type: ignore[assignment]
    serial: int = 1

    def __post_init__(self) -> None:
        self.key = rsa_key("ca:" + self.cn)
        now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
        self.cert = (x509.CertificateBuilder().subject_name(name(self.cn))
                     .issuer_name(name(self.cn)).public_key(self.key.public_key())
                     .serial_number(1).not_valid_before(now)
                     .not_valid_after(now + datetime.timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, cn: str, key: rsa.RSAPrivateKey | None = None, *, days: int = 365,
              not_before: datetime.datetime | None = None) -> tuple[x509.Certificate,
                                                                    rsa.RSAPrivateKey]:
        key = key or rsa_key(cn)
        self.serial += 1
        start = not_before or datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(self.serial)
                .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
                .sign(self.key, hashes.SHA256()))
        return cert, key

    def crl(self, revoked: Iterable[int] = ()) -> x509.CertificateRevocationList:
        """This CA's CRL, listing the serial numbers `revoked`, valid for a day."""
        now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject)
                   .last_update(now).next_update(now + datetime.timedelta(days=1)))
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now)
                .build())
        return builder.sign(self.key, hashes.SHA256())


def crl_source(*cas: LabCA, revoked: Iterable[int] = ()
               ) -> Callable[[x509.Certificate, x509.Certificate],
                             Awaitable[x509.CertificateRevocationList | None]]:
    """A `validate_chain` CRL source publishing these CAs' CRLs (None for any other issuer),
    as if each CA served its CRL at its distribution point."""
    gone = list(revoked)

    async def source(cert: x509.Certificate, issuer: x509.Certificate
                     ) -> x509.CertificateRevocationList | None:
        ca = next((c for c in cas if c.cert.subject == issuer.subject), None)
        return ca.crl(gone) if ca is not None else None

    return source


def install_trustpoint(router: Router, tp: str, ca: LabCA, cert: x509.Certificate | None = None,
                       key: rsa.RSAPrivateKey | None = None, *, revocation: str = "none") -> None:
    """What `crypto pki authenticate` + `enroll` leave behind: chain, key pair, trustpoint."""
    sec = router.config.section(TRUSTPOINT_KIND, (tp,), f"crypto pki trustpoint {tp}",
                                TrustpointSection)
    assert isinstance(sec, TrustpointSection)
    sec.revocation_check = (RevocationMethod(revocation),)
    sec.rsakeypair = KeyPair(tp)
    chain = router.config.section(CHAIN_KIND, (tp,), f"crypto pki certificate chain {tp}",
                                  CertificateChainSection)
    der = serialization.Encoding.DER
    chain.set_der([cert.public_bytes(der)] if cert is not None else [],
                  [ca.cert.public_bytes(der)])
    if key is not None:
        router.keystore.add(RsaKey(tp, key))
    router.notify()


def install_ca_trustpoint(router: Router, tp: str, ca: LabCA) -> None:
    """A trustpoint holding the CA's own certificate and key, like the IOS CA's trustpoint."""
    router.keystore.add(RsaKey(tp, ca.key))
    install_trustpoint(router, tp, ca, revocation="crl")
