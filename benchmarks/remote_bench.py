"""Remote management: 5 concurrent netmiko sessions applying Appendix B, 50 concurrent SSH logins.

Each figure is printed beside a floor measured in the same run:

* netmiko: the wall time of 5 concurrent `cisco_ios` sessions (connect, enable,
  `send_config_set` of NSA Appendix B, `show running-config`, `write mem`, disconnect),
  beside the same five pastes typed into in-process shell sessions (no network, no netmiko):
  what the router's own work costs.
* SSH logins: 50 asyncssh clients connecting and authenticating with a password at once to
  the router (vty lines 0-49, `login local`), beside the same 50 clients against a bare
  asyncssh server in its own thread that accepts any password, with the same RSA-1024 host key:
  the cost of SSH itself.

Run: python benchmarks/remote_bench.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import asyncssh  # noqa: E402
import netmiko  # noqa: E402
from remote_clients import configure, endpoint, remote_lab  # noqa: E402

from cucme_lab.router import access as ra  # noqa: E402
from cucme_lab.services.ssh import asyncssh_key  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

APPENDIX_B = (ROOT / "tests" / "data" / "nsa_appendix_b.txt").read_text().splitlines()
SESSIONS = 5
LOGINS = 50


def netmiko_session(host: str, port: int) -> None:
    with netmiko.ConnectHandler(device_type="cisco_ios", host=host, port=port,
                                username="admin", password="adminpw", secret="cisco") as conn:
        conn.enable()
        conn.send_config_set(APPENDIX_B)
        conn.send_command("show running-config")
        conn.save_config()


async def in_process_pastes(router) -> float:
    start = time.perf_counter()
    for _ in range(SESSIONS):
        session = Session(router, ScriptTerminal([]), command_set(), priv=15)
        session.enter_config()
        for line in APPENDIX_B:
            await session.handle(line)
        await session.handle("end")
        session.close()
    return time.perf_counter() - start


async def netmiko_figures(tmp: Path) -> tuple[float, float]:
    async with remote_lab(tmp / "netmiko") as lab:
        host, port = endpoint(lab, "ssh")
        start = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(SESSIONS):
                nursery.start_soon(trio.to_thread.run_sync, netmiko_session, host, port)
        wall = time.perf_counter() - start
        floor = await in_process_pastes(lab.router)
    return wall, floor


async def _logins(host: str, port: int, user: str, password: str) -> float:
    async def one() -> None:
        async with asyncssh.connect(host, port=port, username=user, password=password,
                                    known_hosts=None, client_keys=None, agent_path=None,
                                    preferred_auth="password"):
            pass

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(LOGINS)))
    return time.perf_counter() - start


def logins_in_thread(host: str, port: int, user: str, password: str) -> float:
    return asyncio.run(_logins(host, port, user, password))


class BareServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return True


def bare_server_figure(key) -> float:
    """50 concurrent logins against a bare asyncssh server in its own thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            holder["server"] = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[key],
                                                     server_factory=BareServer)
            ready.set()

        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    port = holder["server"].sockets[0].getsockname()[1]
    try:
        return logins_in_thread("127.0.0.1", port, "admin", "adminpw")
    finally:
        loop.call_soon_threadsafe(holder["server"].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


async def login_figures(tmp: Path) -> tuple[float, float]:
    async with remote_lab(tmp / "logins") as lab:
        await configure(lab.router, "line vty 0 49\nline vty 5 49\n login local\n")
        host, port = endpoint(lab, "ssh")
        elapsed = await trio.to_thread.run_sync(logins_in_thread, host, port, "admin",
                                                "adminpw")
        failures = sum(f.count for f in lab.router.vty.failures.values())
        assert failures == 0, f"{failures} logins failed"
        key = asyncssh_key(ra.ssh_host_key(lab.router))
    floor = await trio.to_thread.run_sync(bare_server_figure, key)
    return elapsed, floor


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wall, paste_floor = await netmiko_figures(Path(tmp))
        print(f"{SESSIONS} concurrent netmiko sessions applying Appendix B: {wall:.2f} s wall "
              f"(floor: the same {SESSIONS} pastes in-process {paste_floor * 1000:.0f} ms)")
        elapsed, floor = await login_figures(Path(tmp))
        print(f"{LOGINS} concurrent SSH logins: {LOGINS / elapsed:.0f} logins/s "
              f"({elapsed * 1000:.0f} ms; floor: bare asyncssh server "
              f"{LOGINS / floor:.0f} logins/s, {floor * 1000:.0f} ms)")


if __name__ == "__main__":
    trio.run(main)
