"""A lab whose router answers SNMP, and net-snmp's tools run from a chosen loopback source."""

from __future__ import annotations

import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import trio

from cucme_lab.lab.router_lab import open_lab
from cucme_lab.services.snmp import SnmpService
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

ROUTER = "10.1.10.1"
MANAGER = "10.1.10.50"  # inside the ACL's subnet
STRANGER = "192.168.77.7"  # outside every configured subnet: arrives on the WAN interface
CONFIG = """hostname CME
interface Vlan10
 ip address 10.1.10.1 255.255.255.0
interface FastEthernet0/0
 ip address 192.168.1.1 255.255.255.0
access-list 10 permit 10.1.10.0 0.0.0.255
snmp-server community cisco RO 10
snmp-server community s3cret RW 10
snmp-server location Lab rack 1
snmp-server contact admin@example.com
"""


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (.ci/run installs Debian's snmp)")
    return found


async def configure(router, text: str) -> str:
    terminal = ScriptTerminal(text.splitlines())
    session = Session(router, terminal, command_set(), priv=15)
    session.enter_config()
    await session.run()
    return terminal.output()


async def shell(router, *lines: str) -> str:
    terminal = ScriptTerminal(list(lines))
    await Session(router, terminal, command_set(), priv=15).run()
    return terminal.output()


@asynccontextmanager
async def snmp_lab(tmp_path: Path, extra: str = "", services: list | None = None):
    async with open_lab(tmp_path / "lab", services=services or [SnmpService()],
                        wan_interface="FastEthernet0/0") as lab:
        await configure(lab.router, CONFIG + extra)
        with trio.fail_after(5):
            while not any(e.name == "snmp" and e.configured_address == ROUTER
                          for e in lab.services.entries()):
                await trio.sleep(0.01)
        yield lab


def agent(lab) -> str:
    entry = next(e for e in lab.services.entries()
                 if e.name == "snmp" and e.configured_address == ROUTER)
    return f"udp:{entry.bound_address}:{entry.bound_port}"


async def netsnmp(lab, command: str, *args: str, source: str = MANAGER,
                  community: str = "cisco", version: str = "2c") -> tuple[int, str]:
    """Run a net-snmp tool from `source`'s loopback address; (exit code, stdout+stderr)."""
    argv = [tool(command), "-v", version, "-c", community, "-t", "0.5", "-r", "1",
            f"--clientaddr={lab.addresses.to_loopback(source)}", "-On", agent(lab), *args]
    with trio.fail_after(20):
        done = await trio.run_process(argv, capture_stdout=True, capture_stderr=True,
                                      check=False)
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")
