"""AAA: TACACS+ logins per second through the router's client, beside a bare TCP round trip.

* TACACS+ logins: 400 ASCII logins (START, GETPASS, CONTINUE, PASS: two round trips on a
  connection of their own, as IOS without single-connect), 20 at a time, walked through the
  router's method list (`router.aaa`) against the lab's TACACS+ server on loopback.
* floor: 400 bare TCP connections, 20 at a time, to a trio server that echoes two small
  messages on each (the same two round trips, no TACACS+ and no AAA).

Run: python benchmarks/aaa_bench.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from remote_clients import remote_lab  # noqa: E402

from cucme_lab.lab.runtime import tacacs_server_for  # noqa: E402
from cucme_lab.lab.tacacs_server import TacacsSpec, TacacsUser  # noqa: E402
from cucme_lab.router import aaa  # noqa: E402

LOGINS, AT_ONCE = 400, 20
CONFIG = """aaa new-model
aaa authentication login default group tacacs+ local
tacacs-server host 10.17.1.2
tacacs-server key xyz
"""


async def in_batches(job) -> float:
    start = time.perf_counter()
    limit = trio.CapacityLimiter(AT_ONCE)

    async def one() -> None:
        async with limit:
            await job()

    async with trio.open_nursery() as nursery:
        for _ in range(LOGINS):
            nursery.start_soon(one)
    return time.perf_counter() - start


async def tacacs_logins(tmp: Path) -> float:
    async with remote_lab(tmp / "tacacs", CONFIG) as lab:
        server = tacacs_server_for(lab, TacacsSpec("10.17.1.2", "xyz",
                                                   [TacacsUser("alice", "wonder")]))
        async with trio.open_nursery() as nursery:
            await nursery.start(server.run)
            request = aaa.LoginRequest("alice", "wonder", port="tty2", rem_addr="10.1.1.50")

            async def login() -> None:
                verdict = await aaa.walk(lab.router, None, ["group tacacs+"], request)
                assert verdict.ok, verdict.tried

            elapsed = await in_batches(login)
            nursery.cancel_scope.cancel()
    return elapsed


async def bare_round_trips() -> float:
    async def echo(stream: trio.SocketStream) -> None:
        async with stream:
            for _ in range(2):
                data = await stream.receive_some(4096)
                if not data:
                    return
                await stream.send_all(data)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, echo, listeners)

        async def round_trips() -> None:
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            async with stream:
                for size in (30, 20):
                    await stream.send_all(b"x" * size)
                    await stream.receive_some(4096)

        elapsed = await in_batches(round_trips)
        nursery.cancel_scope.cancel()
    return elapsed


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        floor = await bare_round_trips()
        measured = await tacacs_logins(Path(tmp))
    print(f"{LOGINS} TACACS+ logins, {AT_ONCE} at a time: {LOGINS / measured:.0f} logins/s "
          f"(floor: bare TCP, two round trips each: {LOGINS / floor:.0f}/s)")


if __name__ == "__main__":
    trio.run(main)
