"""The shared test CA (tests/lab_pki.py), and "enrolment" straight into typed trustpoints.

Stands in for the IOS CA in provisioning tests: where the NSA guide runs `crypto pki
authenticate` and `crypto pki enroll`, `enroll()` leaves what they would leave behind: the
trustpoint's certificate chain (router certificate + CA certificate) and its key pair under the
trustpoint's `rsakeypair` label.
"""

from __future__ import annotations

from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lab_pki import LabCA, rsa_key

from cucme_lab.router.pki import credentials
from cucme_lab.router.pki.config import CHAIN_KIND, CertificateChainSection
from cucme_lab.router.pki.keystore import RsaKey
from cucme_lab.router.router import Router

DER = serialization.Encoding.DER


@cache
def session_ca() -> LabCA:
    return LabCA("CAserver")


def enroll(router: Router, tp: str, ca: LabCA | None = None, *, generation: int = 0
           ) -> x509.Certificate:
    """Give trustpoint `tp` (typed beforehand) a certificate and key from the test CA.

    `generation` > 0 makes a new key pair, as a re-enrolment with a regenerated key would.
    """
    ca = ca or session_ca()
    label = credentials.key_label(router, tp)
    cert, private = ca.issue(f"{router.hostname}.{tp}", rsa_key(f"{tp}#{generation}"))
    chain = router.config.section(CHAIN_KIND, (tp,), f"crypto pki certificate chain {tp}",
                                  CertificateChainSection)
    chain.set_der([cert.public_bytes(DER)], [ca.cert.public_bytes(DER)])
    router.keystore.add(RsaKey(label, private))
    return cert


def install_ca(router: Router, tp: str, ca: LabCA | None = None) -> None:
    """The CA's own trustpoint: CA certificate only (what `no shutdown` leaves)."""
    ca = ca or session_ca()
    chain = router.config.section(CHAIN_KIND, (tp,), f"crypto pki certificate chain {tp}",
                                  CertificateChainSection)
    chain.set_der([], [ca.cert.public_bytes(DER)])
    router.keystore.add(RsaKey(credentials.key_label(router, tp), ca.key))
