"""The phone's side of CAPF: enrol, fetch or delete its LSC over TLS on port 3804.

The phone connects, checks that the server's certificate is the one its CTL lists for CAPF (no
CTL, no check: a phone without a trust list trusts any CAPF server, as the firmware does),
answers with the authentication its configuration file names (`capfAuthMode`: the auth string
keyed in by the user, the null string, its LSC or its MIC), generates a key of the requested
size, and keeps the LSC it is given.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import trio
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from OpenSSL import SSL

from cucme_lab.netio import tls_contexts, tls_stream
from cucme_lab.netio.tls_stream import TlsStream
from cucme_lab.phones.tls import ENCRYPTING_CIPHERS
from cucme_lab.wire import capf

SESSION_TIMEOUT = 120.0


@dataclass
class CapfResult:
    """How a CAPF session ended, and the LSC the phone holds afterwards."""

    ok: bool
    reason: int | None = None
    detail: str = ""
    lsc: capf.CertificateCredential | None = None
    deleted: bool = False


@functools.cache
def _context() -> SSL.Context:
    """The phone's CAPF client context: no certificate, no trust of its own (the CTL decides),
    netio's stream and pyOpenSSL as on 2443 (docs/architecture.md)."""
    return tls_contexts.client_context(None, None, ciphers=ENCRYPTING_CIPHERS)


def generate_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


async def run_capf(host: str, port: int, *, device_name: str,
                   capf_certificate: x509.Certificate | None = None,
                   auth_string: str | None = None,
                   lsc: capf.CertificateCredential | None = None,
                   mic: capf.CertificateCredential | None = None,
                   auth_mode: capf.AuthType | None = None,
                   local_address: str | None = None,
                   timeout: float = SESSION_TIMEOUT) -> CapfResult:
    """One CAPF session against the server at host:port."""
    try:
        with trio.fail_after(timeout):
            sock = await tls_stream.connect(host, port, local_address)
            stream = TlsStream(sock, _context(), server_side=False)
            try:
                await stream.do_handshake()
                served = stream.peer_certificate()
                if capf_certificate is not None and served != capf_certificate:
                    return CapfResult(False, detail="CAPF server certificate is not the one "
                                      "in the CTL")
                session = capf.CapfClientSession(device_name, password=auth_string,
                                                 auth_mode=auth_mode, lsc=lsc, mic=mic)
                return await _converse(stream, session, lsc)
            finally:
                with trio.CancelScope(shield=True), trio.move_on_after(1):
                    await stream.aclose()
    except trio.TooSlowError:
        return CapfResult(False, detail="CAPF session timed out")
    except (OSError, trio.BrokenResourceError) as exc:
        return CapfResult(False, detail=f"cannot reach the CAPF server: {exc}")


async def _converse(stream: TlsStream, session: capf.CapfClientSession,
                    lsc: capf.CertificateCredential | None) -> CapfResult:
    result = CapfResult(False, lsc=lsc)
    while not session.closed:
        data = await stream.receive_some(65536)
        step = session.receive_data(data)
        while True:
            if step.data:
                await stream.send_all(step.data)
            follow_up = None
            for event in step.events:
                if isinstance(event, capf.KeyRequired):
                    key = await trio.to_thread.run_sync(generate_rsa_key, event.key_size or 2048)
                    follow_up = session.provide_key(key)
                elif isinstance(event, capf.CertificateReceived) and event.accepted:
                    result.lsc = session.lsc
                elif isinstance(event, capf.DeleteRequested):
                    result.lsc, result.deleted = None, True
                elif isinstance(event, capf.SessionEnded):
                    result.reason = event.reason
                    result.detail = event.detail
                    result.ok = event.reason in (capf.Reason.NO_ACTION,
                                                 capf.Reason.UPDATE_CERTIFICATE)
                elif isinstance(event, capf.ProtocolFailure):
                    result.detail = event.detail
            if follow_up is None:
                break
            step = follow_up
        if not data:
            break
    return result
