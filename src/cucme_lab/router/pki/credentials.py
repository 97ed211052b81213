"""What a trustpoint holds: the router's certificate, its key pair and the CA certificates.

Services that present or check certificates (TLS listeners, the CTL and file signers) read them
here, from the configuration (the certificate chain) and the key store (the trustpoint's
`rsakeypair` label, or its own name when it has none), so they always use what the router has
now: a re-enrolled certificate is picked up at once, a missing one is reported as missing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from cucme_lab.router.pki import config as pki_config
from cucme_lab.router.pki.config import CertificateChainSection, TrustpointSection
from cucme_lab.router.router import Router


@dataclass(frozen=True)
class Credentials:
    trustpoint: str
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    ca_certificates: tuple[x509.Certificate, ...]


class MissingCredentials(LookupError):
    """The trustpoint, its certificate or its key is not there; the message says which."""


def trustpoint(router: Router, name: str) -> TrustpointSection | None:
    return pki_config.trustpoint(router.config, name)


def chain(router: Router, name: str) -> CertificateChainSection | None:
    return pki_config.certificate_chain(router.config, name)


def key_label(router: Router, name: str) -> str:
    """The label of trustpoint (or CA) `name`'s key pair; its own name without a trustpoint."""
    tp = trustpoint(router, name)
    return tp.key_label if tp is not None else name


# Parsed once per distinct DER: every TLS registration asks for the trustpoint's CA.
_parse_der = functools.lru_cache(maxsize=256)(x509.load_der_x509_certificate)


def certificate(router: Router, name: str) -> x509.Certificate | None:
    """The trustpoint's own (router) certificate, if it has enrolled."""
    ch = chain(router, name)
    ders = ch.der(ca=False) if ch is not None else []
    return _parse_der(bytes(ders[0])) if ders else None


def ca_certificates(router: Router, name: str) -> list[x509.Certificate]:
    ch = chain(router, name)
    return [_parse_der(bytes(d)) for d in ch.der(ca=True)] if ch else []


def credentials(router: Router, name: str) -> Credentials:
    """Everything a service needs to present the trustpoint's identity, or why it can't."""
    if trustpoint(router, name) is None:
        raise MissingCredentials(f"trustpoint {name} does not exist")
    cert = certificate(router, name)
    if cert is None:
        raise MissingCredentials(f"trustpoint {name} has no certificate")
    key = router.keystore.signing(key_label(router, name))
    if key is None:
        raise MissingCredentials(f"trustpoint {name} has no key pair {key_label(router, name)}")
    if key.private_key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise MissingCredentials(f"trustpoint {name}: the key pair does not match the "
                                 "certificate")
    return Credentials(name, cert, key.private_key, tuple(ca_certificates(router, name)))
