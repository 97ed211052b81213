"""Floors shared by benchmarks: costs measured on this machine in the same run."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]


def fleet_ephones(n: int, macs: Sequence[str] | None = None, model: str = "7965") -> list[str]:
    """`n` ephone-dns (1001...) and `n` ephones of `model`, one line each: a fleet's
    configuration. `macs` (12 hex digits each) when the ephones must match phones of the
    caller's; otherwise 0011.22xx.xx00."""
    lines = []
    for i in range(1, n + 1):
        lines += [f"ephone-dn {i}", f" number {1000 + i}"]
    for i in range(1, n + 1):
        mac = macs[i - 1] if macs is not None else f"001122{i // 256:02X}{i % 256:02X}00"
        dotted = ".".join(mac[k:k + 4] for k in (0, 4, 8))
        lines += [f"ephone {i}", f" mac-address {dotted}", f" type {model}", f" button 1:{i}"]
    return lines


def tls_handshake_seconds(samples: int = 100, suite: str = "AES128-SHA",
                          client_bits: int | None = 1024) -> float:
    """CPU of one TLS 1.2 handshake, client and server together, with nothing else.

    The same OpenSSL as the lab's phones and router (netio, pyOpenSSL), a 1024-bit server key
    as the lab's trustpoints have, and the suite the measured handshakes use (encrypted mode's
    by default; NULL-SHA for authenticated mode), over memory buffers in one thread: no
    sockets, no scheduling, so the least a handshake costs. The client presents a certificate
    with a key of `client_bits` (a phone's LSC on 2443, whose CertificateVerify it signs), or
    none with `client_bits=None` (a phone on CAPF's 3804, which proves itself inside CAPF).
    """
    from lab_pki import LabCA, rsa_key
    from OpenSSL import SSL

    from cucme_lab.netio import tls_contexts

    ca = LabCA("FLOOR")
    server_cert, server_key = ca.issue("server")
    ciphers = f"{suite}:@SECLEVEL=0"
    server = tls_contexts.server_context(server_cert, server_key,
                                         client_cas=None if client_bits is None else [ca.cert],
                                         ciphers=ciphers)
    if client_bits is not None:
        name = f"client-{client_bits}"
        client_cert, client_key = ca.issue(name, rsa_key(name, client_bits))
        client = tls_contexts.client_context(client_cert, client_key, ciphers=ciphers)
    else:
        client = tls_contexts.client_context(None, None, ciphers=ciphers)

    def pump(src: SSL.Connection, dst: SSL.Connection) -> None:
        while True:
            try:
                dst.bio_write(src.bio_read(65536))
            except SSL.WantReadError:
                return

    start = time.process_time()
    for _ in range(samples):
        c, s = SSL.Connection(client, None), SSL.Connection(server, None)
        c.set_connect_state()
        s.set_accept_state()
        done = [False, False]
        while not all(done):
            for i, (me, peer) in enumerate(((c, s), (s, c))):
                if not done[i]:
                    try:
                        me.do_handshake()
                        done[i] = True
                    except SSL.WantReadError:
                        pass
                pump(me, peer)
    return (time.process_time() - start) / samples
