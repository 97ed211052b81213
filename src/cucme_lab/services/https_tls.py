"""`ssl` contexts for the router's HTTPS, built from a trustpoint's credentials.

(SCCP over TLS and CAPF use netio's pyOpenSSL contexts; docs/architecture.md says why.)
Python's `ssl` loads certificates and keys only from files, so the PEM is written to a private
temporary file, loaded, and removed at once. The security level is lowered to 1 so the 1024-bit
keys the NSA guide recommends are accepted (DESIGN.md section 10).
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


def server_context(cert: x509.Certificate, key: rsa.RSAPrivateKey, *,
                   ciphers: str = ENCRYPTING_CIPHERS) -> ssl.SSLContext:
    """A listener presenting `cert` (HTTPS); it asks nothing of the peer."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    _load_identity(ctx, cert, key)
    return ctx
