"""SCCP over TLS at fleet scale: 1,000 phones register on 2443 and stay registered.

The router (a lab with the SCCP services only) runs in this process; the phones run in
separate processes (DESIGN 10: one trio process saturates one core), each phone with its own
pre-made LSC (made before timing; keys are drawn from a small pool, since key generation is
not what is measured) and a pre-built TLS context.

Figures, each beside its floor measured in the same run:
- TLS registrations per second (connect, mutual TLS, certificate validation against the
  trustpoint, Register .. LineStat; each phone is a configured ephone with one line, or with
  --auto-register an unknown phone that registers as a new ephone without lines), beside
  bare mutual-TLS handshakes per second between the same processes with the same
  certificates and suite (the least a registration costs);
- steady-state router CPU with every phone registered, keepalive 30 s, beside the same
  router process idle;
- router memory per registered phone, beside the memory of one idle bare TLS connection.
Targets (issue 6): >= 500 registrations/s on 2 cores, < 2% of one core, < 64 KB per phone.

The phone processes run at nice 10 (PHONE_NICENESS): they stand in for phones on hardware of
their own.

Run: python benchmarks/sccp_bench.py [--phones 1000] [--window 30] [--procs 2] [--profile]
(SCCP_BENCH_PROFILE_PHONES=1 profiles the phones' side of the registrations.)
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing as mp
import os
import resource
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
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from cucme_lab.netio import tls_stream  # noqa: E402
from cucme_lab.netio.runtime import tune_for_many_connections  # noqa: E402

TP = "CUCME-TP"
SOURCE = "10.1.1.1"
BARE_PORT = 2543  # a bare TLS listener beside 2443, for the handshake floor
KEY_POOL = 16
# The phones stand in for hardware of their own: on the two cores they share with the router,
# they yield to it when both want a core, so what is measured is the router's rate, not how
# the scheduler shares a core between the router and its load. The floor runs alike.
PHONE_NICENESS = 10


# --- certificates (made before anything is timed) -------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(cn: str, key, issuer_key, issuer: str, serial: int, ca: bool = False):
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    b = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(serial).not_valid_before(now)
         .not_valid_after(now + datetime.timedelta(days=365)))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return b.sign(issuer_key, hashes.SHA256())


def make_pki(macs: list[str]):
    def gen():
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)

    ca_key, router_key, sast_key = gen(), gen(), gen()
    ca = _cert("BENCHCA", ca_key, ca_key, "BENCHCA", 1, ca=True)
    router_cert = _cert("cme.lab", router_key, ca_key, "BENCHCA", 2)
    sast = _cert("SAST1", sast_key, ca_key, "BENCHCA", 3)
    pool = [gen() for _ in range(KEY_POOL)]
    pem = serialization.Encoding.PEM
    keys_pem = [k.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()) for k in pool]
    certs_pem = [_cert(f"SEP{mac}", pool[i % KEY_POOL], ca_key, "BENCHCA", 10 + i)
                 .public_bytes(pem) for i, mac in enumerate(macs)]
    from cucme_lab.wire.ctl import CtlRecord, Role, build_ctl
    ctl = build_ctl([CtlRecord.from_certificate(sast, Role.SAST),
                     CtlRecord.from_certificate(router_cert, Role.CCM_TFTP)], sast, sast_key)
    return ca, router_cert, router_key, certs_pem, keys_pem, ctl


# --- the phones' process ----------------------------------------------------------------------

def print_profile(profiler, lines: int) -> None:
    """SCCP_BENCH_SORT (tottime, cumulative, ...) and SCCP_BENCH_LINES choose what is shown;
    SCCP_BENCH_DUMP=<prefix> also writes the profile to <prefix>.<pid> for pstats."""
    import pstats

    if os.environ.get("SCCP_BENCH_DUMP"):
        profiler.dump_stats(os.environ["SCCP_BENCH_DUMP"] + f".{os.getpid()}")
    stats = pstats.Stats(profiler).sort_stats(os.environ.get("SCCP_BENCH_SORT", "tottime"))
    stats.print_stats(int(os.environ.get("SCCP_BENCH_LINES", str(lines))))


class Settled:
    """The `task_status` of a phone started with start_soon: its worker waits on the event.
    A nursery.start per phone would cost each phone process a nursery and a task move
    (about 50 us) that a fleet of real phones, each on its own hardware, does not pay."""

    def __init__(self) -> None:
        self.event = trio.Event()

    def started(self, value: object = None) -> None:
        self.event.set()


def phone_process(conn, host, tls_port, phones, keys_pem, ctl, mode, concurrency) -> None:
    tune_for_many_connections()  # as cucme-phones sets its processes
    os.nice(PHONE_NICENESS)
    trio.run(_phones_main, conn, host, tls_port, phones, keys_pem, ctl, mode, concurrency)


async def _phones_main(conn, host, tls_port, phones, keys_pem, ctl, mode, concurrency) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from cucme_lab.phones.sccp_client import SccpPhone
    from cucme_lab.wire.ctl import parse_ctl

    keys = [load_pem_private_key(k, None) for k in keys_pem]
    ctl = parse_ctl(ctl)  # parsed once, as a phone keeps its CTL in memory
    fleet = []
    for mac, ip, local, cert_pem, index in phones:  # index: in the whole fleet (its key)
        ph = SccpPhone(mac, station_ip=ip, local_address=local, security_mode=mode,
                       certificate=x509.load_pem_x509_certificate(cert_pem),
                       key=keys[index % len(keys)], ctl=ctl)
        ph.ssl_context = ph.make_context()
        fleet.append(ph)
    conn.send(("ready",))

    async def command() -> str:
        return await trio.to_thread.run_sync(conn.recv)

    async def pool(job) -> float:
        queue = list(range(len(fleet)))
        start = time.perf_counter()

        async def worker():
            while queue:
                await job(queue.pop())
        async with trio.open_nursery() as n:
            for _ in range(concurrency):
                n.start_soon(worker)
        return time.perf_counter() - start

    async with trio.open_nursery() as nursery:
        assert await command() == "register"

        async def register(i: int) -> None:
            settled = Settled()
            nursery.start_soon(fleet[i].run, host, tls_port, settled)
            await settled.event.wait()

        cpu = time.process_time()
        prof = None
        if os.environ.get("SCCP_BENCH_PROFILE_PHONES"):
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        elapsed = await pool(register)
        if prof is not None:
            prof.disable()
            print_profile(prof, 20)
        conn.send(("registered", sum(p.registered for p in fleet), elapsed,
                   time.process_time() - cpu))
        assert await command() == "stop"
        nursery.cancel_scope.cancel()
    conn.send(("stopped",))

    assert await command() == "bare"
    streams = []

    async def bare(i: int) -> None:
        sock = await tls_stream.connect(host, BARE_PORT, fleet[i].local_address)
        s = tls_stream.TlsStream(sock, fleet[i].ssl_context, server_side=False)
        await s.do_handshake()
        streams.append(s)

    cpu = time.process_time()
    elapsed = await pool(bare)
    conn.send(("bare", len(streams), elapsed, time.process_time() - cpu))
    assert await command() == "close"
    for s in streams:
        await s.aclose()
    conn.send(("closed",))


# --- the router ------------------------------------------------------------------------------

async def answer(pipe, proc) -> tuple:
    """A phone process's next answer; a process that died says so instead of hanging us."""
    while not await trio.to_thread.run_sync(pipe.poll, 0.5):
        if not proc.is_alive():
            raise SystemExit(f"phone process {proc.pid} died (exit code {proc.exitcode})")
    return pipe.recv()


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def bare_tls_server(lab, task_status=trio.TASK_STATUS_IGNORED) -> None:
    from cucme_lab.services.sccp import server_context

    ctx = server_context(lab, TP)
    host = lab.addresses.to_loopback(SOURCE)

    async def handle(sock):
        tls = tls_stream.TlsStream(sock, ctx, server_side=True)
        try:
            await tls.do_handshake()
            while await tls.receive_some(4096):
                pass
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await tls.aclose()

    listener = tls_stream.listen(host, BARE_PORT, backlog=2048)
    task_status.started()
    await tls_stream.serve(listener, handle)


async def secure_sccp_router(lab, ca, router_cert, router_key, telephony: list[str],
                             phones: int):
    """Give the lab's router the secure-signaling trustpoint (certificate, chain, key) and a
    telephony-service with `telephony` lines; the sccp-tls service entry once it listens."""
    from cucme_lab.router.pki.config import (
        CHAIN_KIND,
        TRUSTPOINT_KIND,
        CertificateChainSection,
        RevocationMethod,
        TrustpointSection,
    )
    from cucme_lab.router.pki.keystore import RsaKey
    from cucme_lab.shell.commands import command_set
    from cucme_lab.shell.session import Session
    from cucme_lab.shell.terminal import ScriptTerminal

    router = lab.router
    tp = router.config.section(TRUSTPOINT_KIND, (TP,), f"crypto pki trustpoint {TP}",
                               TrustpointSection)
    tp.revocation_check = (RevocationMethod.NONE,)
    chain = router.config.section(CHAIN_KIND, (TP,), f"crypto pki certificate chain {TP}",
                                  CertificateChainSection)
    der = serialization.Encoding.DER
    chain.set_der([router_cert.public_bytes(der)], [ca.public_bytes(der)])
    router.keystore.add(RsaKey(TP, router_key))
    session = Session(router, ScriptTerminal([]), command_set(), priv=15)
    session.enter_config()
    for line in ["telephony-service", f" ip source-address {SOURCE} port 2000",
                 f" secure-signaling trustpoint {TP}", *telephony]:
        await session.handle(line)
    router.mark_changed()
    router.phones.capacity = phones + 10
    with trio.fail_after(10):
        while not any(e.name == "sccp-tls" for e in lab.services.entries()):
            await trio.sleep(0.01)
    return next(e for e in lab.services.entries() if e.name == "sccp-tls")


async def main(args) -> None:
    from cucme_lab.lab.router_lab import open_lab
    from cucme_lab.services.sccp import SccpService, SccpTlsService

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = args.phones
    macs = [f"00AA{i:08X}" for i in range(n)]
    t0 = time.perf_counter()
    ca, router_cert, router_key, certs_pem, keys_pem, ctl = make_pki(macs)
    print(f"pre-made {n} phone certificates in {time.perf_counter() - t0:.1f} s "
          f"({KEY_POOL} keys)")

    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab",
                            services=[SccpService(), SccpTlsService()]) as lab:
            telephony = [f" keepalive {args.keepalive}", f" device-security-mode {args.mode}"]
            if not args.auto_register:  # each phone an ephone with one line, as in a rollout
                telephony += [f" max-ephones {n}", f" max-dn {n}",
                              *fleet_ephones(n, macs, model="7941")]  # the phones' SccpPhone type
            router = lab.router
            entry = await secure_sccp_router(lab, ca, router_cert, router_key, telephony, n)
            async with trio.open_nursery() as nursery:
                await nursery.start(bare_tls_server, lab)
                phones = []
                for i, mac in enumerate(macs):
                    ip = f"10.2.{i // 250}.{i % 250 + 2}"
                    phones.append((mac, ip, lab.addresses.to_loopback(ip), certs_pem[i], i))
                # idle floor of the router process
                await trio.sleep(1)
                c0, w0 = time.process_time(), time.perf_counter()
                await trio.sleep(3)
                idle_cpu = (time.process_time() - c0) / (time.perf_counter() - w0)

                ctx = mp.get_context("spawn")
                procs, pipes = [], []
                share = (n + args.procs - 1) // args.procs
                for k in range(args.procs):
                    parent, child = ctx.Pipe()
                    p = ctx.Process(target=phone_process, args=(
                        child, entry.bound_address, entry.bound_port,
                        phones[k * share:(k + 1) * share], keys_pem, ctl, args.mode,
                        args.concurrency), daemon=True)
                    p.start()
                    procs.append(p)
                    pipes.append(parent)
                print("phones starting", flush=True)
                for pipe, proc in zip(pipes, procs, strict=True):  # contexts first
                    await answer(pipe, proc)

                async def ask(cmd: str) -> list:
                    for pipe in pipes:
                        pipe.send(cmd)
                    pairs = zip(pipes, procs, strict=True)
                    return [await answer(pipe, proc) for pipe, proc in pairs]

                print("phones ready", flush=True)
                rss0 = rss_kb()
                profiler = None
                if args.profile:
                    import cProfile
                    profiler = cProfile.Profile()
                    profiler.enable()
                c0, w0 = time.process_time(), time.perf_counter()
                answers = await ask("register")
                reg_wall = time.perf_counter() - w0
                reg_cpu = time.process_time() - c0
                if profiler is not None:
                    profiler.disable()
                    print_profile(profiler, 25)
                registered = sum(a[1] for a in answers)
                phone_cpu = sum(a[3] for a in answers)
                print(f"registered {registered} in {reg_wall:.2f} s (phones' own pools: "
                      f"{', '.join(f'{a[2]:.2f} s' for a in answers)})", flush=True)
                await trio.sleep(2)
                rss1 = rss_kb()
                # steady state: everyone registered, keepalives flowing
                k0 = sum(r.keepalives for r in router.phones.registrations.values())
                c0, w0 = time.process_time(), time.perf_counter()
                await trio.sleep(args.window)
                steady_wall = time.perf_counter() - w0
                steady_cpu = (time.process_time() - c0) / steady_wall
                k1 = sum(r.keepalives for r in router.phones.registrations.values())
                still = len(router.phones.registrations)
                await ask("stop")
                with trio.fail_after(30):
                    while router.phones.registrations:
                        await trio.sleep(0.05)
                await trio.sleep(1)
                rss2 = rss_kb()
                c0, w0 = time.process_time(), time.perf_counter()
                answers = await ask("bare")
                bare_wall = time.perf_counter() - w0
                bare_cpu = time.process_time() - c0
                bare = sum(a[1] for a in answers)
                bare_phone_cpu = sum(a[3] for a in answers)
                await trio.sleep(1)
                rss3 = rss_kb()
                await ask("close")
                for p in procs:
                    await trio.to_thread.run_sync(p.join, 10)
                nursery.cancel_scope.cancel()

    rate = registered / reg_wall
    bare_rate = bare / bare_wall
    per_phone = (rss1 - rss0) / max(registered, 1)
    per_bare = (rss3 - rss2) / max(bare, 1)
    ephones = "auto-registered, no lines" if args.auto_register else "configured, one line each"
    print(f"phones: {n} in {args.procs} process(es), {ephones}, {args.mode} mode, concurrency "
          f"{args.concurrency}, keepalive {args.keepalive} s, cores {os.cpu_count()}, phones at "
          f"nice {PHONE_NICENESS}")
    print(f"registered {registered}/{n}; still registered after the window: {still}; "
          f"keepalives in the window: {k1 - k0}")
    print(f"{'TLS registrations/s':34} {rate:10.0f}   floor: bare mutual-TLS handshakes/s "
          f"{bare_rate:.0f}   target >= 500")
    print(f"{'router CPU per registration':34} {reg_cpu / max(registered, 1) * 1000:8.2f} ms"
          f"   (phones' CPU per registration {phone_cpu / max(registered, 1) * 1000:.2f} ms)"
          f"   floor: per bare handshake, router {bare_cpu / max(bare, 1) * 1000:.2f} ms, "
          f"phones {bare_phone_cpu / max(bare, 1) * 1000:.2f} ms")
    print(f"{'steady router CPU (one core)':34} {steady_cpu * 100:9.2f}%   floor: idle router "
          f"{idle_cpu * 100:.2f}%   target < 2%")
    print(f"{'router memory per phone':34} {per_phone:8.1f} KB   floor: idle bare TLS "
          f"connection {per_bare:.1f} KB (lower bound: it reuses memory the registered phones "
          "freed)   target < 64 KB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=1000)
    # two phone processes: the fleet can use both cores (DESIGN 10), the router being one
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--window", type=float, default=30.0)
    ap.add_argument("--keepalive", type=int, default=30)
    ap.add_argument("--profile", action="store_true", help="profile the router's registrations")
    ap.add_argument("--mode", choices=("authenticated", "encrypted"), default="authenticated")
    ap.add_argument("--auto-register", action="store_true",
                    help="configure no ephones: each phone registers as a new ephone without "
                         "lines (one message cycle fewer for the phone to wait for)")
    tune_for_many_connections()  # the router's process, as cucme-lab sets it
    trio.run(main, ap.parse_args())
