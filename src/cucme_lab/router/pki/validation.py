"""Checking a peer's certificate against a trustpoint, as the router's TLS services must.

The chain must lead to one of the trustpoint's CA certificates by real signatures, every
certificate must be valid at the router's clock (so an unset or skewed clock has its effect),
and revocation is checked by the trustpoint's `revocation-check` methods in order.

The CRL method needs the network: the CRL is fetched from the certificate's distribution point
over HTTP, through the lab's address plan, like any client would. That is asked of the
`crl_source` the caller passes (the lab builds the network one,
`cucme_lab.services.pki_client.crl_source_for`, and hands it to the services that validate);
with none, no CRL can be had. Without a CRL, `crl` fails and the next method (if any) is tried;
`none` accepts.

Every decision is traced with `debug crypto pki validation` / `transactions`, and a refusal is
logged (`%PKI-3-CERTIFICATE_INVALID...`, `%PKI-3-CRL_FETCH_FAIL`), so the trainee sees why.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from cucme_lab.router.pki.credentials import ca_certificates, trustpoint
from cucme_lab.router.router import Router

CrlSource = Callable[[x509.Certificate, x509.Certificate],
                     Awaitable[x509.CertificateRevocationList | None]]


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    reason: str = ""  # why not, in words a debug line can show
    leaf: x509.Certificate | None = None

    @property
    def subject(self) -> str:
        """The leaf's subject as text, made only when a message needs it (a fleet's TLS
        registrations are accepted by the thousand, and nobody reads most of them)."""
        return self.leaf.subject.rfc4514_string() if self.leaf is not None else ""


def _trace_flags(what: str) -> list[str]:
    return ["crypto pki transactions", "crypto pki validation"] if what == "CRL" else \
        [f"crypto pki {what}"]


def tracing(router: Router, what: str) -> bool:
    """Would `trace(router, what, ...)` show anything? (Spares building its text.)"""
    debug = getattr(router, "debug", None)
    return debug is not None and any(debug.on(flag) for flag in _trace_flags(what))


def trace(router: Router, what: str, text: str) -> None:
    """A `debug crypto pki transactions|validation` line (`CRL` lines go to both)."""
    debug = getattr(router, "debug", None)
    if debug is None:
        return
    for flag in _trace_flags(what):
        if debug.on(flag):
            debug.emit(flag, f"CRYPTO_PKI: {text}")
            return


@functools.lru_cache(maxsize=4096)
def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Did `issuer` sign `cert`? Remembered: the answer never changes for the same two
    certificates (equal by their DER), and a fleet shows the same CA at every handshake."""
    if not _issued_by(cert, issuer):
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


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """The name link alone, for a chain whose signatures a TLS handshake has verified."""
    return cert.issuer == _subject(issuer)


@functools.lru_cache(maxsize=256)
def _subject(cert: x509.Certificate) -> x509.Name:
    """A CA's subject, read once: `cryptography` builds a Name anew at each access, and
    every phone's certificate is checked against the same CA."""
    return cert.subject


def revocation_methods(router: Router, name: str) -> list[str]:
    """`revocation-check crl none` -> ["crl", "none"]; IOS's default is `crl`."""
    tp = trustpoint(router, name)
    return [str(m) for m in tp.revocation_methods] if tp is not None else ["crl"]


async def validate_chain(router: Router, chain: Sequence[x509.Certificate], name: str,
                         crl_source: CrlSource | None = None, *,
                         signatures_checked: bool = False) -> ValidationResult:
    """Is `chain` (leaf first) acceptable to trustpoint `name` now?

    `signatures_checked`: a TLS layer verified the signatures up to this trustpoint's CA
    certificates already, so the path is built by issuer names alone.
    """
    link = _issued_by if signatures_checked else _signed_by
    result = await _validate(router, chain, name, crl_source, link)
    if result.ok:
        if tracing(router, "validation"):
            trace(router, "validation", f"Certificate validated for {result.subject} "
                  f"(trustpoint {name})")
    else:
        trace(router, "validation", f"Certificate validation failed for {result.subject}: "
              f"{result.reason}")
        router.log.log(f"%PKI-3-CERTIFICATE_INVALID: Certificate chain validation has failed. "
                       f"{result.reason[:1].upper() + result.reason[1:]}")  # [U] text
    return result


async def _validate(router: Router, chain: Sequence[x509.Certificate], name: str,
                    crl_source: CrlSource | None,
                    link: Callable[[x509.Certificate, x509.Certificate], bool]
                    ) -> ValidationResult:
    if not chain:
        return ValidationResult(False, "no certificate presented")
    leaf = chain[0]
    anchors = ca_certificates(router, name)
    if trustpoint(router, name) is None:
        return ValidationResult(False, f"trustpoint {name} does not exist", leaf)
    if not anchors:
        return ValidationResult(False, f"trustpoint {name} has no CA certificate", leaf)
    now = router.clock.now_utc()
    path = [leaf]
    pool = list(chain[1:]) + anchors
    while path[-1] not in anchors:
        # each signature is checked once: an anchor that signed the tip ends the path
        anchor = next((a for a in anchors if link(path[-1], a)), None)
        if anchor is not None:
            path.append(anchor)
            break
        nxt = next((c for c in pool if c not in path and link(path[-1], c)), None)
        if nxt is None:
            return ValidationResult(False, "certificate chain does not lead to the "
                                    f"trustpoint {name} CA", leaf)
        path.append(nxt)
    for cert in path:
        if now < cert.not_valid_before_utc:
            return ValidationResult(False, "certificate is not yet valid", leaf)
        if now > cert.not_valid_after_utc:
            return ValidationResult(False, "certificate has expired", leaf)
    issuer = path[1] if len(path) > 1 else path[0]
    tried_crl = False
    for method in revocation_methods(router, name):
        if method == "none":
            return ValidationResult(True, "", leaf)
        if method == "crl":
            tried_crl = True
            crl = await _fetch(router, name, leaf, issuer, crl_source)
            if crl is None:
                continue  # the next method, if any, is tried
            if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
                return ValidationResult(False, "CRL signature is not valid", leaf)
            if crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None:
                return ValidationResult(False, "certificate is revoked", leaf)
            return ValidationResult(True, "", leaf)
    if tried_crl:
        return ValidationResult(False, "revocation status could not be checked (CRL "
                                "retrieval failed)", leaf)
    return ValidationResult(False, "revocation status could not be checked (OCSP is not "
                            "available)", leaf)


async def _fetch(router: Router, name: str, leaf: x509.Certificate, issuer: x509.Certificate,
                 crl_source: CrlSource | None) -> x509.CertificateRevocationList | None:
    crl = await crl_source(leaf, issuer) if crl_source is not None else None
    if crl is None:
        router.log.log(f"%PKI-3-CRL_FETCH_FAIL: CRL fetch for trustpoint {name} failed")  # [M]
    return crl
