"""The phone's TLS suites, and a phone-like `ssl` client context for tests.

A phone presents its LSC or MIC and has no CA store: after the handshake it compares the
server's certificate with the one the CTL lists for that role (CCM for call control, CAPF for
CAPF), so no context verifies. 1024-bit keys need security level 1; authenticated mode's
NULL-SHA needs level 0. The phones themselves connect through netio (pyOpenSSL).
"""

from __future__ import annotations

import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# An SCCP phone's encrypting suites: RSA key exchange with AES-CBC and SHA-1, as 7900-series
# firmware offers them (Cisco's CUCM security guide: SCCP "supports TLS 1.2 with the earlier
# supported ciphers", the AES 128 and SHA-1 ones; no ECDHE). The router would choose ECDHE if
# offered, which costs each handshake an ephemeral key exchange a 7965 never makes.
ENCRYPTING_CIPHERS = "AES128-SHA:AES256-SHA:@SECLEVEL=1"
NULL_CIPHERS = "NULL-SHA:@SECLEVEL=0"


def phone_context(cert: x509.Certificate | None = None, key: rsa.RSAPrivateKey | None = None,
                  *, ciphers: str = ENCRYPTING_CIPHERS) -> ssl.SSLContext:
    """An `ssl` client context like a phone's: for tests and capf_bench, whose clients talk to
    the router through Python's own TLS (an implementation independent of netio's)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    if cert is not None and key is not None:
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        pem += cert.public_bytes(serialization.Encoding.PEM)
        fd, path = tempfile.mkstemp(prefix="cucme-phone-", suffix=".pem")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            ctx.load_cert_chain(path)
        finally:
            os.unlink(path)
    return ctx
