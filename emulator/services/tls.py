"""TLS contexts for the router's services, built from a trustpoint's credentials.

Python's `ssl` loads certificates and keys only from files, so the PEM is written to a private
temporary file, loaded, and removed at once. The security level is lowered to 1 so the 1024-bit
keys the NSA guide recommends are accepted (DESIGN.md section 10), and to 0 where the
authenticated mode's NULL-SHA suite is wanted.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ENCRYPTING_CIPHERS = "DEFAULT:@SECLEVEL=1"
NULL_CIPHERS = "NULL-SHA:@SECLEVEL=0"  # TLS 1.2 integrity-only, as phones in authenticated mode


def _load_identity(ctx: ssl.SSLContext, cert: x509.Certificate, key: rsa.RSAPrivateKey,
                   chain: Iterable[x509.Certificate] = ()) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pem += cert.public_bytes(serialization.Encoding.PEM)
    for extra in chain:
        pem += extra.public_bytes(serialization.Encoding.PEM)
    fd, path = tempfile.mkstemp(prefix="cucme-tls-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def _trust(ctx: ssl.SSLContext, cas: Iterable[x509.Certificate]) -> None:
    data = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in cas)
    if data:
        ctx.load_verify_locations(cadata=data)


def server_context(cert: x509.Certificate, key: rsa.RSAPrivateKey, *,
                   client_cas: Iterable[x509.Certificate] | None = None,
                   ciphers: str = ENCRYPTING_CIPHERS, tls12_only: bool = False
                   ) -> ssl.SSLContext:
    """A listener presenting `cert`; with `client_cas`, the peer must present a certificate.

    The peer's certificate is only required here, not judged: the router judges it afterwards
    with its own validation (trustpoint, router clock, revocation), as IOS does.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    _load_identity(ctx, cert, key)
    if client_cas is not None:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        _trust(ctx, client_cas)
    return ctx


def peer_certificate(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> x509.Certificate | None:
    der = ssl_object.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der) if der else None
