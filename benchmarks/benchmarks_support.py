"""Floors shared by benchmarks: costs measured on this machine in the same run."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def mutual_tls_handshake_seconds(samples: int = 50) -> float:
    """Wall time of one mutual TLS 1.2 handshake on loopback, client and server both here."""
    from lab_pki import LabCA

    from emulator.services.tls import server_context
    from phone_sim.tls import phone_context

    ca = LabCA("FLOOR")
    server_cert, server_key = ca.issue("server")
    client_cert, client_key = ca.issue("client")
    server = server_context(server_cert, server_key, client_cas=[ca.cert])
    client = phone_context(client_cert, client_key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        for _ in range(samples):
            conn, _ = listener.accept()
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)

    thread = threading.Thread(target=serve)
    thread.start()
    start = time.perf_counter()
    for _ in range(samples):
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with client.wrap_socket(raw) as tls:
                tls.sendall(b"x")
    elapsed = time.perf_counter() - start
    thread.join()
    listener.close()
    return elapsed / samples
