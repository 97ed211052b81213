"""Syslog throughput at `debug ephone` volume, beside bare socket sends in the same run.

The router logs debug lines (`debug ephone detail`'s kind of text) as fast as a fleet's
registrations would, with `logging HOST` and `logging trap debugging` so every line becomes a
datagram: through the event log, the bounded outbox and the syslog service, to a UDP receiver
on the host's loopback address (a thread with a plain socket, counting). The floor: the same
number of datagrams of the same size sent by a bare Python loop on a blocking socket to the
same receiver. Lines the outbox dropped (the producer outran the service) are counted apart.

Run: python benchmarks/syslog_bench.py [lines]
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cucme_lab.lab.router_lab import open_lab  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

HOST = "192.168.153.129"
BATCH = 50  # lines logged between two yields: a registration burst's debug lines
# [U] the shape of a `debug ephone detail` line; its length is what matters here
LINE = ("ephone-{n}[{n}][SEP0011220{n:05X}]:refCnt 1 next 0 ephone-{n} Station Register "
        "message: DeviceType 119, max streams 3, protocol version 17")


class Receiver(threading.Thread):
    """Counts datagrams on a plain blocking socket until told to stop."""

    def __init__(self, address: str, port: int) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((address, port))
        self.sock.settimeout(0.2)
        self.count = 0
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            try:
                self.sock.recv(2048)
                self.count += 1
            except TimeoutError:
                continue

    def wait_for(self, n: int, timeout: float = 30.0) -> float:
        end = time.perf_counter() + timeout
        while self.count < n and time.perf_counter() < end:
            time.sleep(0.001)
        return time.perf_counter()


def bare_sends(receiver: Receiver, n: int, size: int) -> float:
    """Datagrams per second of a bare Python sendto loop (the floor)."""
    start_count = receiver.count
    payload = b"x" * size
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        target = receiver.sock.getsockname()
        start = time.perf_counter()
        for _ in range(n):
            s.sendto(payload, target)
        end = receiver.wait_for(start_count + n)
    return n / (end - start)


async def router_sends(n: int) -> tuple[float, int, int, int, float]:
    """(datagrams per second, received, sent, dropped) through the lab's syslog path, and the
    floor's datagrams per second."""
    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab") as lab:
            plan = lab.addresses
            receiver = Receiver(plan.to_loopback(HOST), plan.port(514))
            receiver.start()
            terminal = ScriptTerminal(["configure terminal", f"logging {HOST}",
                                       "logging trap debugging", "no logging console", "end"])
            await Session(lab.router, terminal, command_set(), priv=15).run()
            await lab.service("syslog")
            await trio.sleep(0.2)
            base = receiver.count
            log = lab.router.log
            box = next(iter(log.outboxes.values()))
            sent_before, dropped_before = box.sent, box.dropped
            start = time.perf_counter()
            for i in range(n):
                log.log(LINE.format(n=i % 450 + 1))
                if i % BATCH == BATCH - 1:
                    await trio.sleep(0)
            while box.queue:
                await trio.sleep(0.001)
            sent = box.sent - sent_before
            end = await trio.to_thread.run_sync(receiver.wait_for, base + sent, 10.0)
            received = receiver.count - base
            bare = bare_sends(receiver, n, len(LINE) + 40)
            receiver.stopping = True
            receiver.join()
            receiver.sock.close()
            return received / (end - start), received, sent, box.dropped - dropped_before, bare


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rate, received, sent, dropped, bare = trio.run(router_sends, n)
    print(f"syslog at debug-ephone volume: {n} lines logged, {sent} datagrams sent, "
          f"{received} received, {dropped} dropped (outbox full)")
    print(f"  router (log -> outbox -> syslog service -> UDP): {rate:,.0f} datagrams/s")
    print(f"  floor, bare Python sendto loop, same size:       {bare:,.0f} datagrams/s")
    print(f"  ratio: {rate / bare:.2f} of the floor")


if __name__ == "__main__":
    main()
