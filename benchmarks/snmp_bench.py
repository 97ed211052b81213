"""SNMP: walks of the ifTable and the ephone tables with 450 registered phones, gets per second.

A lab with the SCCP and SNMP services runs in this process; 450 ephones are configured and
450 phones register over SCCP (raw Register frames from 450 loopback addresses, connections
held open, keepalive 3600 s so none expires during the run). A manager in a separate process
(the lab's trio loop is not shared with the load) then walks, one request at a time:

* GetNext walk of IF-MIB's ifTable (1.3.6.1.2.1.2.2) and CISCO-CCME-MIB's ccmeEphoneConfTable
  and ccmeEphoneActTable: varbinds per second (one varbind per request);
* GetBulk walk (max-repetitions 50) of the same tables: varbinds per second;
* net-snmp's own `snmpbulkwalk` of the ephone tables, its wall time (a real manager);

beside the floor, measured in the same run by the same manager process: a bare UDP echo
server on a trio socket in the lab's process, answering the same request datagram, round
trips per second (what one request-answer costs with no SNMP at all).

Run: python benchmarks/snmp_bench.py [--phones 450] [--seconds 120]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import socket
import sys
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchmarks_support import fleet_ephones  # noqa: E402

from cucme_lab.lab.router_lab import open_lab  # noqa: E402
from cucme_lab.services.sccp import SccpService  # noqa: E402
from cucme_lab.services.snmp import SnmpService  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402
from cucme_lab.wire import sccp  # noqa: E402
from cucme_lab.wire import snmp as wire  # noqa: E402

ROUTER = "10.1.1.1"
MANAGER = "10.1.1.5"
TABLES = {"ifTable": (1, 3, 6, 1, 2, 1, 2, 2),
          "ccmeEphoneConfTable": (1, 3, 6, 1, 4, 1, 9, 9, 439, 1, 1, 43),
          "ccmeEphoneActTable": (1, 3, 6, 1, 4, 1, 9, 9, 439, 1, 2, 6)}


def config(phones: int) -> str:
    return "\n".join([
        "hostname CME", "interface Vlan10", " ip address 10.1.1.1 255.255.255.0",
        " ip address 10.1.2.1 255.255.255.0 secondary",
        " ip address 10.1.3.1 255.255.255.0 secondary",
        "access-list 10 permit 10.1.1.0 0.0.0.255",
        "snmp-server community bench RO 10",
        "telephony-service", f" max-ephones {phones}", f" max-dn {phones}",
        f" ip source-address {ROUTER} port 2000", " keepalive 3600",
        *fleet_ephones(phones)]) + "\n"


def phone_address(i: int) -> str:
    """Phone i (1-based) on 10.1.1-3.x, one address each (SCCP caps connections per peer)."""
    block, host = divmod(i - 1, 200)
    return f"10.1.{block + 1}.{host + 20}"


def register_frame(i: int) -> bytes:
    mac = f"001122{i // 256:02X}{i % 256:02X}00"
    return sccp.encode_frame(sccp.Register(
        device_name=f"SEP{mac}", station_ip=IPv4Address(phone_address(i)), device_type=436,
        max_streams=5, active_streams=0, protocol_ver=17, unknown=0, phone_features=0x210,
        max_conferences=0, active_conferences=0, mac_address=bytes.fromhex(mac),
        ipv4_address_scope=0, max_number_of_lines=1), 0)


async def register(lab, i: int, target: tuple[str, int], held: list) -> None:
    sock = trio.socket.socket()
    await sock.bind((lab.addresses.to_loopback(phone_address(i)), 0))
    await sock.connect(target)
    stream = trio.SocketStream(sock)
    held.append(stream)
    await stream.send_all(register_frame(i))
    codec = sccp.SccpConnection(sccp.Role.PHONE)
    while True:
        data = await stream.receive_some(65536)
        if not data:
            raise RuntimeError(f"phone {i}: closed before RegisterAck")
        codec.feed(data)
        for message in codec.events():
            if isinstance(message, sccp.RegisterAck):
                return
            if isinstance(message, sccp.RegisterReject):
                raise RuntimeError(f"phone {i}: {message}")


async def drain(stream: trio.SocketStream) -> None:
    """Read and drop what the router sends a held phone (so its writes never block)."""
    try:
        while await stream.receive_some(65536):
            pass
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def echo_server(sock) -> None:
    while True:
        data, peer = await sock.recvfrom(65535)
        await sock.sendto(data, peer)


# --- the manager, in its own process ---------------------------------------------------------

def manager(source: str, agent: tuple[str, int], echo: tuple[str, int], rounds: int,
            out: mp.Queue) -> None:
    try:
        out.put(walks(source, agent, echo, rounds))
    except Exception as exc:  # the parent reports it instead of waiting for ever
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def walks(source: str, agent: tuple[str, int], echo: tuple[str, int], rounds: int) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((source, 0))
    sock.settimeout(5)
    request_id = 0

    def ask(kind: str, oid: tuple, reps: int = 0) -> list:
        nonlocal request_id
        request_id += 1
        sock.sendto(wire.encode_request(wire.V2C, b"bench", kind, [oid], request_id, reps), agent)
        _, status, _, varbinds = wire.decode_response(sock.recv(65535))
        assert status == 0, status
        return varbinds

    def walk(kind: str, root: tuple) -> tuple[int, int, float]:
        got, requests, oid = 0, 0, root
        start = time.perf_counter()
        while True:
            varbinds = ask(kind, oid, 50)
            requests += 1
            inside = [(o, v) for o, v in varbinds
                      if o[:len(root)] == root and v != wire.END_OF_MIB_VIEW]
            got += len(inside)
            if len(inside) < len(varbinds) or not varbinds:
                return got, requests, time.perf_counter() - start
            oid = varbinds[-1][0]

    results = {}
    for kind in ("getnext", "getbulk"):
        for name, root in TABLES.items():
            results[(kind, name)] = walk(kind, root)
    probe = wire.encode_request(wire.V2C, b"bench", "getnext", [TABLES["ifTable"]], 1)
    start = time.perf_counter()
    for _ in range(rounds):
        sock.sendto(probe, echo)
        sock.recv(65535)
    results["echo"] = (rounds, time.perf_counter() - start)
    return results


async def main(phones: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, trio.fail_after(seconds):
        async with open_lab(Path(tmp) / "lab", services=[SccpService(), SnmpService()]) as lab:
            terminal = ScriptTerminal(config(phones).splitlines())
            session = Session(lab.router, terminal, command_set(), priv=15)
            session.enter_config()
            await session.run()
            with trio.fail_after(10):
                while {e.name for e in lab.services.entries()} != {"sccp", "snmp"}:
                    await trio.sleep(0.01)
            entries = {e.name: e for e in lab.services.entries()
                       if e.configured_address == ROUTER}
            sccp_at = (entries["sccp"].bound_address, entries["sccp"].bound_port)
            agent = (entries["snmp"].bound_address, entries["snmp"].bound_port)
            held: list[trio.SocketStream] = []
            echo = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            await echo.bind((lab.addresses.to_loopback(ROUTER), 0))
            async with trio.open_nursery() as nursery:
                start = time.perf_counter()
                async with trio.open_nursery() as regs:
                    for i in range(1, phones + 1):
                        regs.start_soon(register, lab, i, sccp_at, held)
                print(f"{len(lab.router.phones.registrations)} phones registered in "
                      f"{time.perf_counter() - start:.1f} s")
                for stream in held:
                    nursery.start_soon(drain, stream)
                nursery.start_soon(echo_server, echo)
                spawn = mp.get_context("spawn")
                queue = spawn.Queue()
                source = lab.addresses.to_loopback(MANAGER)
                proc = spawn.Process(
                    target=manager, args=(source, agent, echo.getsockname(), 3000, queue))
                proc.start()
                results = await trio.to_thread.run_sync(queue.get)
                await trio.to_thread.run_sync(proc.join)
                if "error" in results:
                    print("the manager failed:", results["error"])
                    print("\n".join(lab.router.log.lines[-5:]))
                    nursery.cancel_scope.cancel()
                    return
                report(results)
                await netsnmp_walk(source, agent)
                nursery.cancel_scope.cancel()
            for stream in held:
                await stream.aclose()
            echo.close()


def report(results: dict) -> None:
    rounds, elapsed = results["echo"]
    floor = rounds / elapsed
    print(f"floor: bare UDP echo on a trio socket, same manager: {floor:,.0f} round trips/s")
    for (kind, name), (got, requests, secs) in ((k, v) for k, v in results.items()
                                                 if k != "echo"):
        print(f"{kind:8} walk of {name:20} {got:5} varbinds in {requests:4} requests, "
              f"{secs * 1000:7.1f} ms: {got / secs:8,.0f} gets/s, {requests / secs:7,.0f} "
              f"requests/s  (floor {floor:,.0f} round trips/s)")


async def netsnmp_walk(source: str, agent: tuple[str, int]) -> None:
    tool = shutil.which("snmpbulkwalk")
    if tool is None:
        print("net-snmp's snmpbulkwalk is not installed: its figure is skipped")
        return
    for name in ("ccmeEphoneConfTable", "ccmeEphoneActTable"):
        oid = ".".join(map(str, TABLES[name]))
        argv = [tool, "-v2c", "-c", "bench", "-On", "-Cr50", f"--clientaddr={source}",
                f"udp:{agent[0]}:{agent[1]}", oid]
        start = time.perf_counter()
        done = await trio.run_process(argv, capture_stdout=True, check=True)
        secs = time.perf_counter() - start
        lines = done.stdout.count(b"\n")
        print(f"net-snmp snmpbulkwalk of {name:20} {lines:5} varbinds in {secs * 1000:7.1f} ms "
              f"(process start included): {lines / secs:8,.0f} gets/s")


def _run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=450)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    trio.run(main, args.phones, args.seconds)


if __name__ == "__main__":
    _run()
