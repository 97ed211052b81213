"""CAPF: LSC installs per second with 100 concurrent phones, 1024- and 2048-bit keys.

Printed beside the floor measured in the same run: the work an install cannot avoid — one key
generation per phone, one TLS handshake per phone and one CA signature per LSC — divided over
the machine's cores (key generation runs in worker threads, which release the GIL).

Run: python benchmarks/capf_bench.py [phones]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import trio
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from conftest import Shell  # noqa: E402
from lab_pki import LabCA, install_ca_trustpoint, install_trustpoint  # noqa: E402

from cucme_lab.lab.router_lab import open_lab  # noqa: E402
from cucme_lab.phones.capf_client import run_capf  # noqa: E402
from cucme_lab.phones.tls import phone_context  # noqa: E402


def config(phones: int, bits: int) -> str:
    lines = ["interface Vlan10", " ip address 10.9.0.1 255.255.0.0", "telephony-service",
             f" max-ephones {phones}", " ip source-address 10.9.0.1 port 2000", "capf-server",
             " cert-enroll-trustpoint CAServer password 0 lablablab",
             " trustpoint-label CME", " source-addr 10.9.0.1", " auth-mode null-string",
             f" phone-key-size {bits}"]
    for i in range(1, phones + 1):
        lines += [f"ephone {i}", f" mac-address 0000.0000.{i:04X}",
                  " cert-oper upgrade auth-mode null-string"]
    return "\n".join(lines)


async def rollout(phones: int, bits: int) -> float:
    ca = LabCA("CAServer")
    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab") as lab:
            install_ca_trustpoint(lab.router, "CAServer", ca)
            cert, key = ca.issue("cme")
            install_trustpoint(lab.router, "CME", ca, cert, key)
            await Shell(lab.router).paste_config(config(phones, bits))
            entry = await lab.service("capf")
            ok = 0

            async def phone(i: int) -> None:
                nonlocal ok
                result = await run_capf(entry.bound_address, entry.bound_port,
                                        device_name=f"SEP00000000{i:04X}",
                                        capf_certificate=cert)
                ok += result.ok

            start = time.perf_counter()
            async with trio.open_nursery() as n:
                for i in range(1, phones + 1):
                    n.start_soon(phone, i)
            elapsed = time.perf_counter() - start
            assert ok == phones, f"{ok}/{phones} installed"
            return elapsed


def floor(phones: int, bits: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    for _ in range(phones):
        rsa.generate_private_key(public_exponent=65537, key_size=bits)
    keygen = time.perf_counter() - start
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    start = time.perf_counter()
    for _ in range(phones):
        ca_key.sign(b"x" * 500, padding.PKCS1v15(), hashes.SHA256())
    signing = time.perf_counter() - start
    handshakes = trio.run(_handshakes, phones)
    return keygen, handshakes, signing


async def _handshakes(n: int) -> float:
    from cucme_lab.services.https_tls import server_context

    ca = LabCA("HS")
    cert, key = ca.issue("server")
    server = server_context(cert, key)
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def handle(stream):
        ssl_stream = trio.SSLStream(stream, server, server_side=True)
        await ssl_stream.do_handshake()
        await ssl_stream.aclose()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handle, listeners)
        start = time.perf_counter()
        for _ in range(n):
            tcp = await trio.open_tcp_stream("127.0.0.1", port)
            s = trio.SSLStream(tcp, phone_context(), server_hostname=None)
            await s.do_handshake()
            await s.aclose()
        elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    return elapsed


def main() -> None:
    phones = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    cores = os.cpu_count() or 1
    for bits in (1024, 2048):
        wall = trio.run(rollout, phones, bits)
        keygen, handshakes, signing = floor(phones, bits)
        work = keygen + handshakes + signing
        print(f"CAPF {bits}-bit: {phones} concurrent installs in {wall:.2f} s "
              f"({phones / wall:.1f} LSC/s); floor: key generation {keygen:.2f} s + TLS "
              f"handshakes {handshakes:.2f} s + CA signatures {signing:.3f} s = {work:.2f} s of "
              f"CPU, / {cores} cores = {work / cores:.2f} s; ratio {wall / (work / cores):.2f}x")


if __name__ == "__main__":
    main()
