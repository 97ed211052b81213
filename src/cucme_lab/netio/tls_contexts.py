"""pyOpenSSL contexts for netio's TLS stream: the router's listener and a phone's client side.

TLS 1.2 only, at @SECLEVEL=0 so 1024-bit keys and authenticated mode's NULL-SHA are possible
(DESIGN 10). No session tickets or session cache: every connection is a full handshake, as a
phone presents its certificate at every registration.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from OpenSSL import SSL, crypto

X509_V_FLAG_NO_CHECK_TIME = 0x200000  # OpenSSL's flag; pyOpenSSL names only some flags
MODE_NO_AUTO_CHAIN = 0x8  # SSL_MODE_NO_AUTO_CHAIN, which pyOpenSSL does not name


@functools.lru_cache(maxsize=4096)
def _openssl_key(key: rsa.RSAPrivateKey) -> crypto.PKey:
    """A key in OpenSSL's form, made once per key object.

    pyOpenSSL copies a `cryptography` key into a new OpenSSL key for every context, and a new
    OpenSSL key pays its first private operation's set-up (Montgomery forms, blinding) again:
    about 0.25 ms with 1024 bits, a third of a phone's handshake. A phone keeps its key for
    its life, so its contexts share one OpenSSL key, as firmware keeps one in memory.
    """
    return crypto.PKey.from_cryptography_key(key)


def _use_key(ctx: SSL.Context, key: rsa.RSAPrivateKey) -> None:
    with warnings.catch_warnings():  # a PKey is deprecated input in pyOpenSSL 25 and later
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.use_privatekey(_openssl_key(key))


def _tls12(ciphers: str) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_cipher_list(ciphers.encode())
    ctx.set_options(SSL.OP_NO_TICKET | SSL.OP_NO_RENEGOTIATION)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    # An idle connection gives its 16 KB read and write buffers back, as the ssl module's do:
    # a router holding a thousand registered phones keeps ~40 KB each instead of ~65 KB.
    ctx.set_mode(SSL.MODE_RELEASE_BUFFERS)
    return ctx


def server_context(cert: x509.Certificate, key: rsa.RSAPrivateKey, *,
                   client_cas: Iterable[x509.Certificate] | None, ciphers: str) -> SSL.Context:
    """A listener presenting `cert`; with `client_cas`, it asks for the peer's certificate.

    OpenSSL checks only that the peer's chain leads to one of `client_cas`, ignoring dates:
    the caller judges the certificate afterwards at its own clock (the router's, not the
    host's). A peer that presents none fails the handshake (a phone on 2443 always has one;
    finishing the handshake first would let any client talk TLS to the router). Without
    `client_cas` no certificate is asked for (CAPF: the phone proves itself inside the
    protocol).
    """
    ctx = _tls12(ciphers)
    ctx.set_options(SSL.OP_CIPHER_SERVER_PREFERENCE)
    ctx.use_certificate(cert)
    _use_key(ctx, key)
    ctx.check_privatekey()
    cas = list(client_cas or ())
    # The chain is given once. Left to itself, OpenSSL would rebuild it from the store, and
    # check its signatures, at every handshake: 10-30 us a handshake on this machine.
    ctx.set_mode(MODE_NO_AUTO_CHAIN)
    for ca in issuer_path(cert, cas):
        ctx.add_extra_chain_cert(ca)
    if client_cas is None:
        ctx.set_verify(SSL.VERIFY_NONE)
        return ctx
    store = ctx.get_cert_store()
    assert store is not None
    for ca in cas:
        store.add_cert(crypto.X509.from_cryptography(ca))
    store.set_flags(X509_V_FLAG_NO_CHECK_TIME)
    ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    return ctx


def issuer_path(cert: x509.Certificate, cas: list[x509.Certificate]) -> list[x509.Certificate]:
    """The certificates from `cas` that lead from `cert` to a self-signed one, issuer first:
    what OpenSSL's automatic chain sent with a listener's certificate (root included)."""
    path: list[x509.Certificate] = []
    current = cert
    while current.issuer != current.subject:
        issuer = next((ca for ca in cas if ca.subject == current.issuer and ca not in path),
                      None)
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    return path


def client_context(cert: x509.Certificate | None, key: rsa.RSAPrivateKey | None, *,
                   ciphers: str) -> SSL.Context:
    """A client presenting `cert`; it trusts nobody by itself (the caller compares the
    server's certificate with what it knows, as a phone with its CTL)."""
    ctx = _tls12(ciphers)
    if cert is not None and key is not None:
        ctx.use_certificate(cert)
        _use_key(ctx, key)
    ctx.set_verify(SSL.VERIFY_NONE)
    return ctx


@functools.lru_cache(maxsize=8)
def shared_client_context(ciphers: str) -> SSL.Context:
    """One client context per suite list for every phone of a process: each connection gets
    its own certificate and key (`use_identity`). Building a context per phone cost about a
    tenth of a phone's CPU in a fleet (SSL_CTX_new, cipher list parsing) for nothing."""
    return client_context(None, None, ciphers=ciphers)


@functools.lru_cache(maxsize=4096)
def _openssl_certificate(cert: x509.Certificate) -> crypto.X509:
    """A certificate in OpenSSL's form, made once per certificate object (as `_openssl_key`)."""
    return crypto.X509.from_cryptography(cert)


def use_identity(conn: SSL.Connection, cert: x509.Certificate, key: rsa.RSAPrivateKey
                 ) -> None:
    """Present `cert` and `key` on this connection only (its context stays shared)."""
    with warnings.catch_warnings():  # X509 and PKey are deprecated input in pyOpenSSL 25+
        warnings.simplefilter("ignore", DeprecationWarning)
        conn.use_certificate(_openssl_certificate(cert))
        conn.use_privatekey(_openssl_key(key))


def log_keys(ctx: SSL.Context, path: str) -> None:
    """Append the NSS key log lines of every connection of `ctx` to `path` (Wireshark)."""
    def write(_conn: SSL.Connection, line: bytes) -> None:
        with open(path, "ab") as f:
            f.write(line + b"\n")
    ctx.set_keylog_callback(write)
