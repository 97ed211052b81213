"""Listeners under a connection flood: is a good client still served within 1 s?

A lab listens on every TCP service (SCCP 2000, SCCP over TLS 2443, CAPF 3804, HTTP, SSH,
telnet; TLS with the tests' LabCA and 1024-bit keys). First each service's good client is timed
with nothing else going on (the floor, in this run). Then every listener gets 300 half-open
connections (TCP connected with no byte sent, or a partial first message: half a frame header,
the start of a TLS ClientHello, a request line cut short, `SSH-2.0-`, a lone IAC DO), kept at
300 (one the server drops is opened again), and 10 slow clients that send a valid first message
one byte a second. The good clients are timed again while that goes on. Per service it prints
the good client's latency under load beside the floor, e.g.

    sccp      loaded   12.3 ms (max 15.0)  floor: unloaded 4.1 ms  target < 1000 ms  ok

Good clients: SCCP and SCCP-TLS register a configured phone (TLS with its certificate) and
wait for RegisterAck; CAPF finishes the handshake and reads AUTH_REQUEST; HTTP gets GetCACaps;
SSH logs in with a password (asyncssh, in a thread); telnet logs in and waits for the prompt.
The vty lines are 0-999 (`login local`): half-open SSH and telnet connections each hold a line,
as on IOS, and 5 lines would be gone at once (see the report).

The loaded samples are spread over --hold seconds (20), long enough for the TLS services'
10-second handshake deadline to drop half-open connections, which are then opened again.
Clients bind 127.N.M.K addresses (at most 20 connections each, under SCCP's 32 per peer): all
traffic stays on loopback. Bounded by --seconds; every socket is closed at the end.

Run: python benchmarks/listener_load_bench.py [--half-open 300] [--slow 10] [--samples 5]
                                              [--hold 20] [--seconds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import trio
from OpenSSL import SSL

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import asyncssh  # noqa: E402
from conftest import Shell  # noqa: E402
from lab_pki import LabCA, install_ca_trustpoint, install_trustpoint  # noqa: E402

from cucme_lab.lab.router_lab import Lab, open_lab  # noqa: E402
from cucme_lab.netio import tls_contexts, tls_stream  # noqa: E402
from cucme_lab.phones.capf_client import _context as capf_client_context  # noqa: E402
from cucme_lab.phones.tls import ENCRYPTING_CIPHERS  # noqa: E402
from cucme_lab.wire import sccp  # noqa: E402

SERVICES = ("sccp", "sccp-tls", "capf", "http", "ssh", "telnet")
TP, CA_TP = "CUCME-TP", "CAServer"
TARGET_MS = 1000.0
PER_ADDRESS = 20  # connections per client address: under SCCP's MAX_PER_PEER (32)
GOOD_MAC = "00FF00BB0001"
CONFIG = f"""\
hostname R1
ip domain name lab.local
username admin privilege 15 secret adminpw
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
ip http server
line vty 0 999
 login local
 transport input telnet ssh
crypto key generate rsa modulus 1024
telephony-service
 max-ephones 40
 ip source-address 10.1.1.1 port 2000
 secure-signaling trustpoint {TP}
ephone-dn 1
 number 1001
ephone 1
 mac-address {GOOD_MAC[:4]}.{GOOD_MAC[4:8]}.{GOOD_MAC[8:]}
 type 7965
 button 1:1
capf-server
 cert-enroll-trustpoint {CA_TP} password 0 lablablab
 trustpoint-label {TP}
 source-addr 10.1.1.1
 auth-mode null-string
"""


def register(mac: str) -> bytes:
    return sccp.encode_frame(sccp.Register(
        device_name=f"SEP{mac}", station_ip=IPv4Address("10.1.1.50"), device_type=115,
        max_streams=5, active_streams=0, protocol_ver=17, unknown=0, phone_features=0x210,
        max_conferences=0, active_conferences=0, mac_address=bytes.fromhex(mac),
        ipv4_address_scope=0, max_number_of_lines=1), 0)


def client_hello(context: SSL.Context) -> bytes:
    """The ClientHello a client with `context` opens with, made in memory."""
    conn = SSL.Connection(context, None)
    conn.set_connect_state()
    try:
        conn.do_handshake()
    except SSL.WantReadError:
        pass
    return conn.bio_read(65536)


class Sources:
    """Client addresses 127.<10+block>.x.y, each handed out PER_ADDRESS times."""

    def __init__(self, block: int) -> None:
        self.counter = itertools.count()
        self.block = block

    def next(self) -> str:
        n = next(self.counter) // PER_ADDRESS
        return f"127.{10 + self.block}.{n // 250}.{n % 250 + 1}"


async def connect(host: str, port: int, source: str) -> trio.SocketStream:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_STREAM)
    try:
        await sock.bind((source, 0))
        await sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return trio.SocketStream(sock)


# --- the good clients -----------------------------------------------------------------------------

@dataclass
class Target:
    name: str
    host: str
    port: int
    partial: bytes  # a first message cut short (half-open)
    whole: bytes  # a valid first message (the slow clients dribble it)


@dataclass
class Figures:
    floor: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    held: int = 0
    reopened: int = 0


async def good_sccp(target: Target, tls: SSL.Context | None) -> None:
    if tls is None:
        stream = await connect(target.host, target.port, "127.0.200.1")
    else:
        sock = await tls_stream.connect(target.host, target.port, "127.0.200.1")
        stream = tls_stream.TlsStream(sock, tls, server_side=False)
        await stream.do_handshake()
    codec = sccp.SccpConnection(sccp.Role.PHONE)
    try:
        await stream.send_all(register(GOOD_MAC))
        while True:
            data = await stream.receive_some(65536)
            if not data:
                raise RuntimeError("closed before RegisterAck")
            codec.feed(data)
            for message in codec.events():
                if isinstance(message, sccp.RegisterAck):
                    await stream.send_all(codec.send(sccp.Unregister()))
                    return
                if isinstance(message, sccp.RegisterReject):
                    raise RuntimeError(f"RegisterReject {message}")
    finally:
        await stream.aclose()


async def good_capf(target: Target) -> None:
    sock = await tls_stream.connect(target.host, target.port, "127.0.200.2")
    stream = tls_stream.TlsStream(sock, capf_client_context(), server_side=False)
    try:
        await stream.do_handshake()
        got = b""
        while len(got) < 8:
            data = await stream.receive_some(65536)
            if not data:
                raise RuntimeError("closed before AUTH_REQUEST")
            got += data
        if got[0] != 0x55 or got[1] != 1:
            raise RuntimeError(f"not AUTH_REQUEST: {got[:8].hex()}")
    finally:
        await stream.aclose()


async def good_http(target: Target) -> None:
    stream = await connect(target.host, target.port, "127.0.200.3")
    try:
        await stream.send_all(b"GET /cgi-bin/pkiclient.exe?operation=GetCACaps HTTP/1.1\r\n"
                              b"Host: r\r\nConnection: close\r\n\r\n")
        got = b""
        while b"POSTPKIOperation" not in got:
            data = await stream.receive_some(65536)
            if not data:
                raise RuntimeError(f"closed: {got[:60]!r}")
            got += data
        if not got.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(got[:60].decode("latin-1"))
    finally:
        await stream.aclose()


async def good_telnet(target: Target) -> None:
    stream = await connect(target.host, target.port, "127.0.200.4")
    got = b""

    async def until(marker: bytes) -> None:
        nonlocal got
        while marker not in got:
            data = await stream.receive_some(65536)
            if not data:
                raise RuntimeError(f"closed waiting for {marker!r}: {got[-80:]!r}")
            got += data

    try:
        await until(b"Username:")
        await stream.send_all(b"admin\r\n")
        await until(b"Password:")
        await stream.send_all(b"adminpw\r\n")
        await until(b"R1#")
    finally:
        await stream.aclose()


def _ssh_login(host: str, port: int) -> None:
    async def login() -> None:
        async with asyncssh.connect(host, port=port, username="admin", password="adminpw",
                                    known_hosts=None, client_keys=None, agent_path=None,
                                    preferred_auth="password", local_addr=("127.0.200.5", 0),
                                    login_timeout=10):
            pass

    asyncio.run(login())


async def good_ssh(target: Target) -> None:
    await trio.to_thread.run_sync(_ssh_login, target.host, target.port)


async def timed(fn: Callable[[], Awaitable[None]], figures: Figures, into: list[float]) -> None:
    start = time.perf_counter()
    try:
        with trio.fail_after(10):
            await fn()
    except Exception as exc:  # noqa: BLE001 - a refused or broken good client is the finding
        figures.failures.append(f"{type(exc).__name__}: {exc}"[:200])
        into.append(math.inf)
        return
    into.append((time.perf_counter() - start) * 1000)


# --- the load ---------------------------------------------------------------------------------

async def half_open(target: Target, sources: Sources, figures: Figures, partial: bool,
                    stop: trio.Event) -> None:
    """One of the 300: connected, silent or with a partial message; opened again when the
    server drops it (a server that times out idle connections does)."""
    first = True
    while not stop.is_set():
        try:
            stream = await connect(target.host, target.port, sources.next())
        except OSError:
            await trio.sleep(0.2)
            continue
        figures.held += 1
        if not first:
            figures.reopened += 1
        first = False
        try:
            if partial:
                await stream.send_all(target.partial)
            with trio.CancelScope() as scope:
                async def watch_stop(scope: trio.CancelScope = scope) -> None:
                    await stop.wait()
                    scope.cancel()

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(watch_stop)
                    while await stream.receive_some(65536):
                        pass  # what the server says (a greeting, a prompt) is read and dropped
                    nursery.cancel_scope.cancel()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        finally:
            figures.held -= 1
            await stream.aclose()
        await trio.sleep(0.1)


async def slow_client(target: Target, source: str, stop: trio.Event) -> None:
    """A valid first message, one byte a second, then silence until the end."""
    try:
        stream = await connect(target.host, target.port, source)
    except OSError:
        return
    try:
        for byte in target.whole:
            if stop.is_set():
                break
            await stream.send_all(bytes([byte]))
            with trio.move_on_after(1.0):
                await stop.wait()
        await stop.wait()
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    finally:
        await stream.aclose()


async def bench(args: argparse.Namespace) -> dict[str, Figures]:
    ca = LabCA("LOADCA")
    figures = {name: Figures() for name in SERVICES}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab") as lab:
            targets, goods = await start(lab, ca)
            print("measuring the floor ...", flush=True)
            for name in SERVICES:  # one warm-up each, then the samples
                await timed(goods[name], Figures(), [])
                for _ in range(args.samples):
                    await timed(goods[name], figures[name], figures[name].floor)
            stop = trio.Event()
            async with trio.open_nursery() as nursery:
                print(f"opening {args.half_open} half-open connections and {args.slow} slow "
                      f"clients on each of {len(SERVICES)} listeners ...", flush=True)
                for block, name in enumerate(SERVICES):
                    sources = Sources(block)
                    for i in range(args.half_open):
                        nursery.start_soon(half_open, targets[name], sources, figures[name],
                                           i % 2 == 1, stop)
                    for _ in range(args.slow):
                        nursery.start_soon(slow_client, targets[name], sources.next(), stop)
                with trio.move_on_after(30):
                    while any(f.held < args.half_open for f in figures.values()):
                        await trio.sleep(0.1)
                await trio.sleep(1)
                print("held: " + ", ".join(f"{n} {f.held}" for n, f in figures.items()),
                      flush=True)
                # the samples spread over --hold seconds: the servers' handshake and idle
                # timers drop half-open connections meanwhile, and they are opened again
                pause = args.hold / args.samples
                for _ in range(args.samples):
                    await trio.sleep(pause)
                    for name in SERVICES:
                        await timed(goods[name], figures[name], figures[name].loaded)
                for f in figures.values():
                    f.failures.append(f"held {f.held} at the end, {f.reopened} reopened")
                stop.set()
                nursery.cancel_scope.deadline = trio.current_time() + 10
    return figures


async def start(lab: Lab, ca: LabCA) -> tuple[dict[str, Target], dict[str, Callable]]:
    install_ca_trustpoint(lab.router, CA_TP, ca)
    cert, key = ca.issue("cme.lab.local")
    install_trustpoint(lab.router, TP, ca, cert, key)
    out = await Shell(lab.router).paste_config(CONFIG)
    assert not any(e in out for e in ("% Invalid", "% Incomplete", "% Ambiguous")), out
    entries = {name: await lab.service(name) for name in SERVICES}
    phone_cert, phone_key = ca.issue(f"SEP{GOOD_MAC}")
    phone_tls = tls_contexts.client_context(phone_cert, phone_key, ciphers=ENCRYPTING_CIPHERS)
    hello = client_hello(phone_tls)
    first = {
        "sccp": register("00FF00CC0001"),
        "sccp-tls": hello,
        "capf": client_hello(capf_client_context()),
        "http": b"GET / HTTP/1.1\r\nHost: r\r\n\r\n",
        "ssh": b"SSH-2.0-OpenSSH_9.6\r\n",
        "telnet": b"admin\r\n",
    }
    partial = {"sccp": first["sccp"][:4], "sccp-tls": hello[:40], "capf": first["capf"][:40],
               "http": b"GET / HTTP/1.1\r\nHo", "ssh": b"SSH-2.0-", "telnet": b"\xff\xfd"}
    targets = {name: Target(name, e.bound_address, e.bound_port, partial[name], first[name])
               for name, e in entries.items()}
    goods = {
        "sccp": lambda: good_sccp(targets["sccp"], None),
        "sccp-tls": lambda: good_sccp(targets["sccp-tls"], phone_tls),
        "capf": lambda: good_capf(targets["capf"]),
        "http": lambda: good_http(targets["http"]),
        "ssh": lambda: good_ssh(targets["ssh"]),
        "telnet": lambda: good_telnet(targets["telnet"]),
    }
    return targets, goods


def report(figures: dict[str, Figures], args: argparse.Namespace) -> bool:
    print(f"\n{args.half_open} half-open connections and {args.slow} slow clients per listener; "
          f"{args.samples} good clients each, median (max)")
    passed = True
    for name, f in figures.items():
        loaded, floor = statistics.median(f.loaded), statistics.median(f.floor)
        ok = max(f.loaded) < TARGET_MS
        passed &= ok
        print(f"{name:9} loaded {loaded:7.1f} ms (max {max(f.loaded):7.1f})  floor: unloaded "
              f"{floor:6.1f} ms (max {max(f.floor):6.1f})  target < {TARGET_MS:.0f} ms  "
              f"{'ok' if ok else 'FAILED'}")
        for failure in f.failures:
            print(f"{'':10}{failure}")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half-open", type=int, default=300)
    parser.add_argument("--slow", type=int, default=10)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--hold", type=float, default=20.0,
                        help="seconds of load the loaded samples are spread over")
    parser.add_argument("--seconds", type=float, default=300.0, help="the whole run's bound")
    args = parser.parse_args()

    async def bounded() -> dict[str, Figures]:
        with trio.fail_after(args.seconds):
            return await bench(args)

    figures = trio.run(bounded)
    sys.exit(0 if report(figures, args) else 1)


if __name__ == "__main__":
    main()
