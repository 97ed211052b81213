"""Secure calls at scale: call setups per second, and concurrent SRTP calls held with media.

The router (a lab with the SCCP services only, every phone a configured ephone with one line,
`device-security-mode encrypted`) runs in this process; the phones run in worker processes at
nice 10 as in sccp_bench.py (they stand in for hardware of their own), each phone with a
pre-made LSC, registered over TLS with an encrypting suite. Phones are paired within their
process: the even one calls the odd one.

Figures, each beside its floor measured in the same run:
- secure call setups per second: the caller's off-hook until both phones are connected with
  media started (StartMediaTransmission, with SRTP keys, on both sides); each pair then hangs
  up and calls again, `--rounds` times, all pairs at once; the rate counts the whole cycle
  (setup and tear-down). Floor: the same number of SCCP message cycles (one KeepAlive round
  trip per message the phones sent in a call cycle) over the same TLS connections, without
  call logic.
- concurrent secure calls held `--hold` seconds with 50 packets per second each way (SRTP,
  AES_CM_128_HMAC_SHA1_32): loss %, auth failures. Floor: bare SRTP protect+unprotect per
  packet with pylibsrtp, and the calls that CPU alone would allow on the phones' cores. Each
  phone process sends and receives all its streams from one media clock (phones/media.py:
  one 20 ms tick, sendto in a loop, non-blocking drains), so the phones' CPU per packet is
  printed beside the floor's.
Targets (issue 17, 2 cores): >= 200 secure call setups/s; 200 concurrent secure calls with live
media under 1% loss.

Run: python benchmarks/call_bench.py [--pairs 200] [--rounds 5] [--calls 200] [--hold 10]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
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
from sccp_bench import (  # noqa: E402
    PHONE_NICENESS,
    Settled,
    answer,
    make_pki,
    secure_sccp_router,
)

from cucme_lab.netio.runtime import tune_for_many_connections  # noqa: E402

TIMEOUT = 30.0


# --- the phones' process ------------------------------------------------------------------------

def phone_process(conn, host, tls_port, phones, keys_pem, ctl) -> None:
    tune_for_many_connections()
    os.nice(PHONE_NICENESS)
    trio.run(_phones_main, conn, host, tls_port, phones, keys_pem, ctl)


def _started(call) -> bool:
    return call is not None and call.state == "connected" and call.media is not None \
        and call.media.remote is not None


async def _phones_main(conn, host, tls_port, phones, keys_pem, ctl) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from cucme_lab.phones.sccp_client import SccpPhone
    from cucme_lab.wire import sccp
    from cucme_lab.wire.ctl import parse_ctl

    keys = [load_pem_private_key(k, None) for k in keys_pem]
    ctl = parse_ctl(ctl)
    local_of = {ip: local for _, ip, local, _, _, _ in phones}

    def route(address: str, port: int) -> tuple[str, int]:
        return local_of.get(address, address), port

    fleet, numbers = [], []
    for mac, ip, local, cert_pem, index, number in phones:
        ph = SccpPhone(mac, station_ip=ip, local_address=local, security_mode="encrypted",
                       certificate=x509.load_pem_x509_certificate(cert_pem),
                       key=keys[index % len(keys)], ctl=ctl, route=route)
        ph.ssl_context = ph.make_context()
        fleet.append(ph)
        numbers.append(number)
    sent_messages = [0]
    for ph in fleet:  # count what the phones send: the floor repeats as many cycles
        def counting(message, ph=ph, send=ph._send) -> None:
            sent_messages[0] += 1
            send(message)
        ph._send = counting
    pairs = [(fleet[i], fleet[i + 1], numbers[i + 1]) for i in range(0, len(fleet) - 1, 2)]
    conn.send(("ready",))

    async def command():
        return await trio.to_thread.run_sync(conn.recv)

    async def call_up(caller, callee, number) -> None:
        await caller.dial(number, timeout=TIMEOUT)
        await callee.wait_for(lambda p: p.plane.ringing_call() is not None, TIMEOUT)
        await callee.answer()
        for p in (caller, callee):
            await p.wait_for(lambda q: _started(q.plane.active_call()), TIMEOUT)

    async def call_down(caller, callee) -> None:
        await caller.hang_up()
        for p in (caller, callee):
            await p.wait_for(lambda q: not q.calls, TIMEOUT)

    async with trio.open_nursery() as nursery:
        for ph in fleet:
            ph.media_nursery = nursery
        assert await command() == "register"
        settled_all = []
        for ph in fleet:
            settled = Settled()
            nursery.start_soon(ph.run, host, tls_port, settled)
            settled_all.append(settled)
        for settled in settled_all:
            await settled.event.wait()
        conn.send(("registered", sum(p.registered for p in fleet)))

        cmd, rounds, count = await command()
        assert cmd == "setups"
        calling = pairs[:count]
        latencies: list[float] = []
        failures: list[str] = []
        before = sent_messages[0]

        async def cycles(caller, callee, number) -> None:
            for _ in range(rounds):
                t0 = time.perf_counter()
                try:
                    await call_up(caller, callee, number)
                    latencies.append(time.perf_counter() - t0)
                    await call_down(caller, callee)
                except Exception as exc:  # noqa: BLE001 - reported, not fatal
                    failures.append(f"{type(exc).__name__}: {exc}")
                    return

        cpu, w0 = time.process_time(), time.perf_counter()
        async with trio.open_nursery() as n:
            for pair in calling:
                n.start_soon(cycles, *pair)
        wall = time.perf_counter() - w0
        per_cycle = (sent_messages[0] - before) / max(len(latencies), 1)
        conn.send(("setups", len(latencies), wall, time.process_time() - cpu, latencies,
                   failures[:5], len(failures), per_cycle))

        cmd, cycles_each = await command()
        assert cmd == "floor"

        async def keepalives(ph, cycles: int) -> None:
            for _ in range(cycles):
                acked = ph.keepalives_acked
                ph._send(sccp.KeepAlive())
                await ph._flush()
                await ph.wait_for(lambda p, a=acked: p.keepalives_acked > a, TIMEOUT)

        cpu, w0 = time.process_time(), time.perf_counter()
        async with trio.open_nursery() as n:
            for caller, callee, _ in calling:  # the pair's two connections share the cycles
                n.start_soon(keepalives, caller, (cycles_each + 1) // 2)
                n.start_soon(keepalives, callee, cycles_each // 2)
        conn.send(("floor", len(calling), time.perf_counter() - w0, time.process_time() - cpu))

        cmd, count, hold = await command()
        assert cmd == "media"
        held = pairs[:count]
        up_failures: list[str] = []

        async def up(pair) -> None:
            try:
                await call_up(*pair)
            except Exception as exc:  # noqa: BLE001
                up_failures.append(f"{type(exc).__name__}: {exc}")

        async with trio.open_nursery() as n:
            for pair in held:
                n.start_soon(up, pair)
        await trio.sleep(1.0)  # the first packets in flight: count from here
        streams = [c.media for caller, callee, _ in held for p in (caller, callee)
                   for c in p.calls.values() if c.media is not None]
        start = [(s.counters.sent, s.counters.received, s.counters.lost,
                  s.counters.auth_failures) for s in streams]
        cpu, w0 = time.process_time(), time.perf_counter()
        await trio.sleep(hold)
        wall = time.perf_counter() - w0
        used = time.process_time() - cpu
        end = [(s.counters.sent, s.counters.received, s.counters.lost,
                s.counters.auth_failures, s.counters.srtp) for s in streams]
        sent = sum(e[0] - b[0] for b, e in zip(start, end, strict=True))
        received = sum(e[1] - b[1] for b, e in zip(start, end, strict=True))
        lost = sum(e[2] - b[2] for b, e in zip(start, end, strict=True))
        auth = sum(e[3] - b[3] for b, e in zip(start, end, strict=True))
        srtp = sum(e[4] for e in end)
        conn.send(("media", len(streams), sent, received, lost, auth, srtp, wall, used,
                   up_failures[:5], len(up_failures)))
        assert await command() == "stop"
        nursery.cancel_scope.cancel()
    conn.send(("stopped",))


# --- floors ---------------------------------------------------------------------------------------

def srtp_floor_seconds(samples: int = 20000) -> float:
    """CPU of one packet's SRTP protect and unprotect (AES_CM_128_HMAC_SHA1_32, 160-byte G.711
    payload) with pylibsrtp, nothing else."""
    import pylibsrtp

    from cucme_lab.wire import rtp

    key = os.urandom(30)
    profile = pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32
    tx = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                                            srtp_profile=profile))
    rx = pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                                            srtp_profile=profile))
    packets = [rtp.pack_rtp(i, i * 160, 0x1234, rtp.SIGNAL_FRAME) for i in range(samples)]
    start = time.process_time()
    for packet in packets:
        rx.unprotect(tx.protect(packet))
    return (time.process_time() - start) / samples


# --- the router -----------------------------------------------------------------------------------

async def main(args) -> None:
    from cucme_lab.lab.router_lab import open_lab
    from cucme_lab.services.sccp import SccpService, SccpTlsService

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = 2 * max(args.pairs, args.calls)
    macs = [f"00BB{i:08X}" for i in range(n)]
    t0 = time.perf_counter()
    ca, router_cert, router_key, certs_pem, keys_pem, ctl = make_pki(macs)
    print(f"pre-made {n} phone certificates in {time.perf_counter() - t0:.1f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab",
                            services=[SccpService(), SccpTlsService()]) as lab:
            entry = await secure_sccp_router(
                lab, ca, router_cert, router_key,
                [" keepalive 30", " device-security-mode encrypted", f" max-ephones {n}",
                 f" max-dn {n}", *fleet_ephones(n, macs, model="7941")], n)
            phones = []
            for i, mac in enumerate(macs):
                ip = f"10.2.{i // 250}.{i % 250 + 2}"
                phones.append((mac, ip, lab.addresses.to_loopback(ip), certs_pem[i], i,
                               str(1001 + i)))  # fleet_ephones: ephone i+1 has dn 1000+i+1
            ctx = mp.get_context("spawn")
            procs, pipes = [], []
            share = (n // args.procs + 1) // 2 * 2  # whole pairs in each process
            for k in range(args.procs):
                part = phones[k * share:(k + 1) * share] if k < args.procs - 1 else \
                    phones[k * share:]
                parent, child = ctx.Pipe()
                p = ctx.Process(target=phone_process, args=(
                    child, entry.bound_address, entry.bound_port, part, keys_pem, ctl),
                    daemon=True)
                p.start()
                procs.append(p)
                pipes.append(parent)
            for pipe, proc in zip(pipes, procs, strict=True):
                await answer(pipe, proc)

            async def ask(*cmds) -> list:
                for pipe, cmd in zip(pipes, cmds, strict=True):
                    pipe.send(cmd)
                return [await answer(pipe, proc) for pipe, proc in zip(pipes, procs,
                                                                        strict=True)]

            answers = await ask(*["register"] * args.procs)
            registered = sum(a[1] for a in answers)
            print(f"registered {registered}/{n} encrypted", flush=True)

            # setups: only the first `pairs` pairs (split over the processes) call
            per_proc = [args.pairs // args.procs + (k < args.pairs % args.procs)
                        for k in range(args.procs)]
            c0, w0 = time.process_time(), time.perf_counter()
            answers = await ask(*[("setups", args.rounds, c) for c in per_proc])
            setup_wall = time.perf_counter() - w0
            setup_router_cpu = time.process_time() - c0
            setups = sum(a[1] for a in answers)
            latencies = sorted(x for a in answers for x in a[4])
            failures = sum(a[6] for a in answers)
            per_cycle = max(a[7] for a in answers)
            for a in answers:
                for f in a[5]:
                    print(f"  setup failure: {f}")
            cycles = round(per_cycle) * args.rounds
            c0, w0 = time.process_time(), time.perf_counter()
            answers = await ask(*[("floor", cycles)] * args.procs)
            floor_wall = time.perf_counter() - w0
            floor_router_cpu = time.process_time() - c0
            floor_pairs = sum(a[1] for a in answers)

            c0 = time.process_time()
            counts = [min(args.calls // args.procs + (k < args.calls % args.procs),
                          len(phones[k * share:(k + 1) * share]) // 2)
                      for k in range(args.procs)]
            answers = await ask(*[("media", c, args.hold) for c in counts])
            media_router_cpu = time.process_time() - c0
            streams = sum(a[1] for a in answers)
            sent, received = sum(a[2] for a in answers), sum(a[3] for a in answers)
            lost, auth = sum(a[4] for a in answers), sum(a[5] for a in answers)
            srtp = sum(a[6] for a in answers)
            hold_wall = max(a[7] for a in answers)
            phone_cpu = sum(a[8] for a in answers)
            up_failures = sum(a[10] for a in answers)
            for a in answers:
                for f in a[9]:
                    print(f"  media call failure: {f}")
            await ask(*["stop"] * args.procs)
            for p in procs:
                await trio.to_thread.run_sync(p.join, 10)

    srtp_cost = srtp_floor_seconds()
    rate = setups / setup_wall
    floor_rate = floor_pairs * args.rounds / floor_wall
    expected = streams * 50 * hold_wall
    missing = max(0.0, expected - received)
    calls_held = streams // 2
    print(f"phones: {n} encrypted (TLS, AES suite) in {args.procs} process(es) at nice "
          f"{PHONE_NICENESS}, cores {os.cpu_count()}")
    print(f"{'secure call setups/s':30} {rate:9.0f}   floor: same message cycles without call "
          f"logic {floor_rate:.0f}/s   target >= 200")
    print(f"    {setups} setups ({per_proc} pairs x {args.rounds} rounds, {failures} failed) in "
          f"{setup_wall:.2f} s incl. hang-ups; off-hook to both connected with media started: "
          f"median {statistics.median(latencies) * 1000 if latencies else 0:.1f} ms, p95 "
          f"{latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0:.1f} ms; "
          f"router CPU per setup {setup_router_cpu / max(setups, 1) * 1000:.2f} ms")
    print(f"    floor: {per_cycle:.1f} phone messages per call cycle -> {cycles} KeepAlive "
          f"round trips per pair in {floor_wall:.2f} s; router CPU per cycle's worth "
          f"{floor_router_cpu / max(floor_pairs * args.rounds, 1) * 1000:.2f} ms")
    print(f"{'concurrent secure calls held':30} {calls_held:9d}   ({streams} streams, {srtp} "
          f"SRTP, {up_failures} failed to connect) for {hold_wall:.1f} s at 50 pps each way")
    print(f"{'media loss (sequence gaps)':30} {100 * lost / max(sent, 1):8.2f}%   ({lost} of "
          f"{sent} sent; auth failures {auth})   target < 1% with 200 calls")
    print(f"{'media short of 50 pps':30} {100 * missing / max(expected, 1):8.2f}%   (received "
          f"{received} of {expected:.0f} due in real time: a sender that falls behind skips "
          "ahead rather than burst, so CPU-starved phones show here, not as gaps)")
    print(f"    phones' CPU while holding: {phone_cpu / hold_wall * 100:.0f}% of one core "
          f"(per packet {phone_cpu / max(sent + received, 1) * 1e6:.1f} us sent or received); "
          f"router CPU {media_router_cpu:.2f} s over the whole media phase")
    print(f"{'floor: SRTP protect+unprotect':30} {srtp_cost * 1e6:8.2f} us per packet -> "
          f"{1 / (srtp_cost * 100):.0f} calls per core at 50 pps each way")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=200, help="pairs calling for the setup rate")
    ap.add_argument("--rounds", type=int, default=5, help="calls per pair, one after another")
    ap.add_argument("--calls", type=int, default=200, help="concurrent calls held with media")
    ap.add_argument("--hold", type=float, default=10.0, help="seconds the calls are held")
    ap.add_argument("--procs", type=int, default=2)
    tune_for_many_connections()
    trio.run(main, ap.parse_args())
