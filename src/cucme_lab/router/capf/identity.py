"""Is the certificate a phone authenticates to CAPF with still good? (auth-mode LSC and MIC)

The CAPF session has already checked that the phone holds the certificate's key and that the
certificate names the device (`wire.capf.server`). What needs the router is judged here, by
the same `validate_chain` that 2443 uses: the chain to a trustpoint's CA by real signatures, the
dates at the router's clock, and revocation by that trustpoint's `revocation-check` methods
(with the CRL source the lab gives, `ServiceHost.crl_source`).

Which trustpoint: an LSC must come from the CA that issues LSCs, `cert-enroll-trustpoint`; a
MIC from a manufacturer root imported into a trustpoint (a certificate the LSC CA issued is an
LSC, not a MIC, whichever trustpoints also hold that CA). The reference CAPF server checks none
of this (spec 4.8); see docs/architecture.md, departures.
"""

from __future__ import annotations

from cryptography import x509

from cucme_lab.router.capf.config import CapfServerBlock
from cucme_lab.router.pki.config import trustpoints
from cucme_lab.router.pki.credentials import ca_certificates
from cucme_lab.router.pki.validation import CrlSource, validate_chain
from cucme_lab.router.router import Router
from cucme_lab.wire.capf import AuthType


async def certificate_refusal(router: Router, cfg: CapfServerBlock | None, mode: AuthType,
                              certificate_der: bytes, crl_source: CrlSource | None) -> str:
    """Why CAPF must refuse this LSC or MIC, or "" when it is good now."""
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError:
        return "unreadable certificate"
    lsc_ca = cfg.ca_trustpoint if cfg is not None else None
    if mode is AuthType.LSC:
        if not lsc_ca:
            return "no cert-enroll-trustpoint to check an LSC against"
        candidates = [lsc_ca]
    else:
        lsc_cas = ca_certificates(router, lsc_ca) if lsc_ca else []
        candidates = [tp.name for tp in trustpoints(router.config)
                      if any(ca.subject == certificate.issuer and ca not in lsc_cas
                             for ca in ca_certificates(router, tp.name))]
        if not candidates:
            return "the MIC's issuer is not a manufacturer root in any trustpoint"
    reason = ""
    for name in candidates:
        result = await validate_chain(router, [certificate], name, crl_source)
        if result.ok:
            return ""
        reason = f"{result.reason} (trustpoint {name})"
    return reason
