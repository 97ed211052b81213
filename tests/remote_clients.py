"""Clients and set-up shared by the remote-management tests and benchmark.

A raw telnet client over trio (it refuses nothing and answers nothing, so what it reads is what
the router sent, negotiation stripped), and a lab with only the SSH and telnet services.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from pathlib import Path

import trio

from cucme_lab.lab.router_lab import open_lab
from cucme_lab.services.ssh import SshService
from cucme_lab.services.telnet import TelnetService
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

ROUTER = "10.1.1.1"
BASE_CONFIG = """hostname R1
ip domain name lab.local
enable secret cisco
username admin privilege 15 secret adminpw
username joe secret joepw
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
line vty 0 4
 login local
"""
IAC_SEQUENCE = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0", re.S)


async def configure(router, text: str) -> str:
    terminal = ScriptTerminal(text.splitlines())
    session = Session(router, terminal, command_set(), priv=15)
    session.enter_config()
    await session.run()
    return terminal.output()


@asynccontextmanager
async def remote_lab(tmp_path: Path, extra: str = "", key_bits: int = 1024):
    """A lab whose router answers SSH and telnet on 10.1.1.1 (with an RSA key for SSH)."""
    async with open_lab(tmp_path / "lab", services=[SshService(), TelnetService()]) as lab:
        await configure(lab.router, BASE_CONFIG + f"crypto key generate rsa modulus {key_bits}\n"
                        + extra)
        await wait_for_service(lab, "ssh")
        await wait_for_service(lab, "telnet")
        yield lab


async def wait_for_service(lab, name: str, present: bool = True) -> None:
    with trio.fail_after(5):
        while any(e.name == name for e in lab.services.entries()) != present:
            await trio.sleep(0.01)


def endpoint(lab, name: str) -> tuple[str, int]:
    entry = next(e for e in lab.services.entries() if e.name == name)
    return entry.bound_address, entry.bound_port


class TelnetClient:
    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.text = ""
        self.closed = False

    @classmethod
    async def connect(cls, lab, source: str | None = None) -> TelnetClient:
        """Connect to the router's telnet port, from `source` (a configured address) if given."""
        host, port = endpoint(lab, "telnet")
        sock = trio.socket.socket()
        if source is not None:
            await sock.bind((lab.addresses.to_loopback(source), 0))
        await sock.connect((host, port))
        return cls(trio.SocketStream(sock))

    async def read_some(self) -> bool:
        try:
            data = await self.stream.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.text += IAC_SEQUENCE.sub(b"", data).decode("utf-8", "replace")
        return True

    async def expect(self, pattern: str, timeout: float = 5.0) -> str:
        """Read until `pattern` (a regex) appears; return everything read so far and reset."""
        with trio.fail_after(timeout):
            while not re.search(pattern, self.text):
                if not await self.read_some():
                    raise EOFError(f"closed before {pattern!r}; got {self.text!r}")
        text, self.text = self.text, ""
        return text

    async def until_closed(self, timeout: float = 5.0) -> str:
        with trio.fail_after(timeout):
            while await self.read_some():
                pass
        text, self.text = self.text, ""
        return text

    async def send(self, line: str, end: str = "\r\n") -> None:
        await self.stream.send_all((line + end).encode())

    async def login(self, user: str, password: str) -> str:
        await self.expect("Username: ")
        await self.send(user)
        await self.expect("Password: ")
        await self.send(password)
        return await self.expect(r"[>#]$")

    async def aclose(self) -> None:
        await self.stream.aclose()
