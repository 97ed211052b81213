"""Checking a peer's certificate against a trustpoint, as the router's TLS services must.

The chain must lead to one of the trustpoint's CA certificates by real signatures, every
certificate must be valid at the router's clock (so an unset or skewed clock has its effect),
and revocation is checked by the trustpoint's `revocation-check` methods in order.

The CRL method needs the network (the CRL is fetched from its distribution point over HTTP), so
it is asked of a `crl_source` the caller passes in; without one, `crl` cannot succeed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from emulator.pki.credentials import ca_certificates, trustpoint
from emulator.router import Router

CrlSource = Callable[[x509.Certificate, x509.Certificate],
                     Awaitable[x509.CertificateRevocationList | None]]


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    reason: str = ""  # why not, in words a debug line can show
    subject: str = ""


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except Exception:
        return False
    return True


def revocation_methods(router: Router, name: str) -> list[str]:
    tp = trustpoint(router, name)
    methods = tp.value("revocation-check", "methods") if tp is not None else None
    if isinstance(methods, list | tuple):
        return [str(m) for m in methods]
    line = tp.settings.get("revocation-check") if tp is not None else None
    return line.line.split()[1:] if line is not None else ["crl"]


async def validate_chain(router: Router, chain: Sequence[x509.Certificate], name: str,
                         crl_source: CrlSource | None = None) -> ValidationResult:
    """Is `chain` (leaf first) acceptable to trustpoint `name` now?"""
    if not chain:
        return ValidationResult(False, "no certificate presented")
    leaf = chain[0]
    subject = leaf.subject.rfc4514_string()
    anchors = ca_certificates(router, name)
    if trustpoint(router, name) is None:
        return ValidationResult(False, f"trustpoint {name} does not exist", subject)
    if not anchors:
        return ValidationResult(False, f"trustpoint {name} has no CA certificate", subject)
    now = router.clock.now_utc()
    path = [leaf]
    pool = list(chain[1:]) + anchors
    while not any(path[-1] == a or _signed_by(path[-1], a) for a in anchors):
        nxt = next((c for c in pool if c not in path and _signed_by(path[-1], c)), None)
        if nxt is None:
            return ValidationResult(False, "certificate chain does not lead to the "
                                    f"trustpoint {name} CA", subject)
        path.append(nxt)
    if path[-1] not in anchors:
        path.append(next(a for a in anchors if _signed_by(path[-1], a)))
    for cert in path:
        if now < cert.not_valid_before_utc:
            return ValidationResult(False, "certificate is not yet valid", subject)
        if now > cert.not_valid_after_utc:
            return ValidationResult(False, "certificate has expired", subject)
    for method in revocation_methods(router, name):
        if method == "none":
            return ValidationResult(True, "", subject)
        if method == "crl":
            crl = await crl_source(leaf, path[1]) if crl_source is not None else None
            if crl is None:
                continue  # the next method, if any, is tried
            if not crl.is_signature_valid(path[1].public_key()):
                return ValidationResult(False, "CRL signature is not valid", subject)
            if crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None:
                return ValidationResult(False, "certificate is revoked", subject)
            return ValidationResult(True, "", subject)
    return ValidationResult(False, "revocation status could not be checked (CRL retrieval "
                            "failed)", subject)
