"""Provisioning: TFTP files served per second to 100 concurrent clients, and `create cnf-files`
for 450 ephones with signing.

Each figure is printed beside the cost of the RSA signatures it needs, measured in the same run
with the same key: `create cnf-files` must sign 451 files (450 phones + XMLDefault), so its floor
is 451 signatures; serving needs none (files are signed once, then served from a snapshot), and
the line shows what signing on every request would have cost instead.

Run: python benchmarks/provisioning_bench.py [--key-bits 1024|2048] [--clients 100]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchmarks_support import fleet_ephones  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from cucme_lab.lab.router_lab import open_lab  # noqa: E402
from cucme_lab.router.pki.config import CHAIN_KIND, CertificateChainSection  # noqa: E402
from cucme_lab.router.pki.keystore import RsaKey  # noqa: E402
from cucme_lab.router.provisioning.tftp_table import published  # noqa: E402
from cucme_lab.services import tftp_client  # noqa: E402
from cucme_lab.services.tftp import TftpService, tftp_service  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

N_PHONES = 450
TP = "CME_TFTP"


def fleet_config(n: int) -> list[str]:
    lines = ["telephony-service", f" max-ephones {n}", f" max-dn {n}",
             " ip source-address 10.1.1.1 port 2000", " cnf-file perphone",
             f" tftp-server-credentials trustpoint {TP}", " device-security-mode encrypted",
             " service phone garp 1", " service phone webAccess 1",
             f"crypto pki trustpoint {TP}", f" rsakeypair {TP}"]
    return lines + fleet_ephones(n)


async def type_lines(router, lines: list[str]) -> str:
    terminal = ScriptTerminal(lines)
    session = Session(router, terminal, command_set(), priv=15)
    session.enter_config()
    await session.run()
    return terminal.output()


def install_credentials(router, bits: int) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TP)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    chain = router.config.section(CHAIN_KIND, (TP,), f"crypto pki certificate chain {TP}",
                                  CertificateChainSection)
    der = cert.public_bytes(serialization.Encoding.DER)
    chain.set_der([der], [der])
    router.keystore.add(RsaKey(TP, key))
    return key


def signature_cost(key: rsa.RSAPrivateKey, payload_size: int, count: int) -> float:
    """Seconds for `count` PKCS#1 v1.5 SHA-1 signatures of payload-sized data."""
    data = b"x" * payload_size
    started = time.perf_counter()
    for _ in range(count):
        key.sign(data, padding.PKCS1v15(), hashes.SHA1())
    return time.perf_counter() - started


async def bench_create(lab, key: rsa.RSAPrivateKey, runs: int) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = await type_lines(lab.router, ["telephony-service", " create cnf-files"])
        times.append(time.perf_counter() - started)
        assert "%" not in out.replace("%SYS", ""), out
    table = published(lab.router)
    signed = [e for e in table.entries() if e.name.endswith(".cnf.xml.sgn")]
    sizes = [len(table.get(e.name[:-4])) for e in signed]
    floor = statistics.median(signature_cost(key, int(statistics.mean(sizes)), len(signed))
                              for _ in range(runs))
    best = statistics.median(times)
    print(f"create cnf-files, {N_PHONES} ephones, signed ({key.key_size}-bit key):")
    print(f"  {best * 1000:8.1f} ms median of {runs}   "
          f"floor: {len(signed)} RSA signatures = {floor * 1000:.1f} ms "
          f"({best / floor:.2f}x the floor)")


async def bench_serve(lab, key: rsa.RSAPrivateKey, clients: int, per_client: int,
                      blksize: int) -> None:
    host, port = next((e.bound_address, e.bound_port) for e in lab.services.entries()
                      if e.name == "tftp")
    names = ["CTLFile.tlv"] if published(lab.router).get("CTLFile.tlv") else []
    names += [e.name for e in published(lab.router).entries() if e.name.endswith(".sgn")]
    total_bytes = 0

    async def client(i: int) -> None:
        nonlocal total_bytes
        for k in range(per_client):
            name = names[(i * per_client + k) % len(names)]
            data = await tftp_client.download(host, port, name, blksize=blksize, timeout=2.0)
            total_bytes += len(data)

    started = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for i in range(clients):
            nursery.start_soon(client, i)
    elapsed = time.perf_counter() - started
    files = clients * per_client
    mean_size = total_bytes / files
    one_sig = signature_cost(key, int(mean_size), 200) / 200
    print(f"TFTP, {clients} concurrent clients x {per_client} files (blksize {blksize}, "
          f"mean {mean_size:.0f} B):")
    print(f"  {files / elapsed:8.0f} files/s ({total_bytes / elapsed / 1e6:.2f} MB/s)   "
          f"RSA signatures needed at serve time: 0 (pre-signed snapshot); signing per "
          f"request would cost {one_sig * 1e3:.2f} ms each, a ceiling of "
          f"{1 / one_sig:.0f} files/s on one core")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key-bits", type=int, default=1024)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab", services=[TftpService()]) as lab:
            out = await type_lines(lab.router, fleet_config(N_PHONES))
            assert "%" not in out.replace("%SYS", "").replace("% CTL", ""), out[-500:]
            key = install_credentials(lab.router, args.key_bits)
            await bench_create(lab, key, args.runs)
            with trio.fail_after(20):
                while not lab.services.entries():
                    await trio.sleep(0.02)
            await tftp_service(lab).synced(lab)
            for blksize in (512, 1468):
                await bench_serve(lab, key, args.clients, args.per_client, blksize)


if __name__ == "__main__":
    trio.run(main)
