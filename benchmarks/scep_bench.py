"""Certificates issued per second through SCEP on loopback, beside the cost of one RSA signature.

A lab router runs its CA (`grant auto`, `database level complete` on flash) and HTTP server;
clients enrol over real sockets with pre-made 1024-bit keys (PKCSReq, PKCS#10 wrapped in
EnvelopedData, signed SignedData, CertRep decrypted and checked). Printed beside the floor each
issue cannot avoid: one RSA-1024 and one RSA-2048 signature, measured in the same run (the CA
signs the certificate and the reply; the client signs the CSR, its request and decrypts).
The HTTP server admits `ip http max-connections 16` (IOS's most; its default, 5, would refuse
the clients beyond 5), so the concurrency is at most 16.

    python benchmarks/scep_bench.py [--certs N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cucme_lab.lab.router_lab import open_lab  # noqa: E402
from cucme_lab.router.pki import enrolment  # noqa: E402
from cucme_lab.router.pki.ca import CertificateServer  # noqa: E402
from cucme_lab.services import pki_client  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

SETUP = ["conf t", "hostname CME1", "ip domain name lab.local", "interface Vlan1",
         "ip address 3.3.3.1 255.255.255.0", "exit", "ip http server", "ip http max-connections 16",
         "crypto pki server CAserver", "database level complete", "database url flash:",
         "grant auto", "exit", "crypto pki trustpoint CAserver",
         "enrollment url http://3.3.3.1:80", "exit", "crypto pki server CAserver",
         "no shutdown", "benchpass", "benchpass", "end"]


def signature_cost(bits: int, rounds: int = 200) -> float:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        key.sign(b"x" * 500, padding.PKCS1v15(), hashes.SHA256())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def run(certs: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab") as lab:
            router = lab.router
            session = Session(router, ScriptTerminal(SETUP), command_set(), priv=15)
            await session.run()
            await trio.sleep(0.2)
            ca_cert = CertificateServer(router, "CAserver").ca_certificate()
            # one key per request: the transaction ID is the key's hash, and a repeated one
            # is a resend that the CA answers from its request database without issuing
            keys = [rsa.generate_private_key(public_exponent=65537, key_size=1024)
                    for _ in range(certs)]
            url = "http://3.3.3.1:80"
            done = 0
            limiter = trio.CapacityLimiter(concurrency)

            async def one(i: int) -> None:
                nonlocal done
                async with limiter:
                    key = keys[i]
                    subject = enrolment.subject_name(None, f"bench{i}.lab.local", None, None)
                    csr = enrolment.build_csr(key, subject, "pw")
                    enrol = enrolment.Enrolment(f"B{i}", url, key, csr, ca_cert)
                    reply = await pki_client.pki_operation(router, url,
                                                           enrol.request_message())
                    state, cert, why = enrol.read_reply(reply)
                    assert state == "granted", why
                    done += 1

            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for i in range(certs):
                    nursery.start_soon(one, i)
            elapsed = time.perf_counter() - start
            last = CertificateServer(router, "CAserver").last_serial()
    sig1024 = signature_cost(1024)
    sig2048 = signature_cost(2048)
    print(f"SCEP enrolment on loopback: {done} certificates in {elapsed:.2f} s, "
          f"{done / elapsed:.1f} certificates/s (concurrency {concurrency}, "
          f"{elapsed / done * 1000:.2f} ms each; last serial {last})")
    print(f"floor, same run: one RSA-1024 signature {sig1024 * 1e3:.3f} ms, "
          f"one RSA-2048 signature {sig2048 * 1e3:.3f} ms; an enrolment needs 7 RSA-1024 "
          f"private-key operations (CA: decrypt, sign certificate, sign reply; client: CSR, "
          f"signer certificate, request, decrypt) = {7 * sig1024 * 1e3:.2f} ms, "
          f"{1 / (7 * sig1024):.0f} certificates/s on one core")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--certs", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=8)
    args = p.parse_args()
    trio.run(run, args.certs, min(args.concurrency, 16))


if __name__ == "__main__":
    main()
