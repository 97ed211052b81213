"""Crash isolation in the service manager: a service that fails, before or after it started,
is logged and started again with backoff; the manager, the other services and the lab go on.

Before, the manager's guard called `task_status.started()` a second time for a service that
failed after starting (`RuntimeError: called 'started' twice`), which ended the whole lab.
"""

from __future__ import annotations

import re
import struct
from functools import partial

import pytest
import trio
from lab_pki import LabCA, install_trustpoint

from cucme_lab.lab.router_lab import open_lab
from cucme_lab.services import manager as manager_module
from cucme_lab.services.manager import Binding
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

TP = "CUCME-TP"
CONFIG = f"""\
hostname R1
ip domain name lab.local
username admin privilege 15 secret adminpw
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
ip http server
line vty 0 4
 login local
crypto key generate rsa modulus 1024
telephony-service
 ip source-address 10.1.1.1 port 2000
 secure-signaling trustpoint {TP}
capf-server
 trustpoint-label {TP}
 source-addr 10.1.1.1
"""
LISTENING = ("tftp", "http", "capf", "sccp", "sccp-tls", "ssh", "telnet")


async def _configure(router, text: str) -> str:
    terminal = ScriptTerminal(text.splitlines())
    session = Session(router, terminal, command_set(), priv=15)
    session.enter_config()
    await session.run()
    return terminal.output()


def _inject(service, *, before_start: bool = False) -> None:
    """Make the service's next instance fail once: after it started and served a moment (the
    case that took the lab down), or on its way up."""
    original = service.serve
    armed = [True]

    async def serve(lab, binding, task_status):
        if not armed[0]:
            return await original(lab, binding, task_status=task_status)
        armed[0] = False
        if before_start:
            raise RuntimeError(f"injected fault in {service.name} before it started")
        async with trio.open_nursery() as n:
            value = await n.start(partial(original, lab, binding))
            task_status.started(value)
            await trio.sleep(0.05)
            raise RuntimeError(f"injected fault in {service.name}")

    service.serve = serve


async def _answers(entry) -> bool:
    """Does the service's socket answer? TCP: a connection is accepted; TFTP: a read request
    for an unknown file gets an ERROR packet."""
    if entry.transport == "udp":
        sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        with sock:
            await sock.sendto(b"\x00\x01nothing-here\x00octet\x00",
                              (entry.bound_address, entry.bound_port))
            with trio.move_on_after(2):
                data = await sock.recv(512)
                return struct.unpack(">H", data[:2])[0] == 5
        return False
    try:
        with trio.fail_after(2):
            stream = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
    except (OSError, trio.TooSlowError):
        return False
    await stream.aclose()
    return True


async def _entry(lab, name: str, not_this=None, timeout: float = 10.0):
    with trio.fail_after(timeout):
        while True:
            for entry in lab.services.entries():
                if entry.name == name and entry is not not_this:
                    return entry
            await trio.sleep(0.02)


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("ISOLATIONCA")


@pytest.mark.parametrize("name", LISTENING)
async def test_a_service_failing_after_it_started_comes_back_alone(tmp_path, ca, name):
    async with open_lab(tmp_path / "lab") as lab:
        _inject(next(s for s in lab.services.services if s.name == name))
        cert, key = ca.issue("cme.lab")
        install_trustpoint(lab.router, TP, ca, cert, key)
        out = await _configure(lab.router, CONFIG)  # every service starts now
        assert "% Invalid" not in out and "% Incomplete" not in out, out
        others = {n: await _entry(lab, n) for n in LISTENING if n != name}
        line = await _wait_log(lab, f'%SYS-3-PROC_RESTART: Process "{name}"')
        assert f"RuntimeError: injected fault in {name}" in line
        assert "restarting in 0.1 seconds" in line
        assert re.search(r"\n-Process= \"" + re.escape(name) + r"\", level= 0, pid= \d+\n"
                         r"-Traceback= .*test_service_isolation\.py:\d+", line), line
        with trio.fail_after(10):
            while _running(lab, name).restarts < 1:
                await trio.sleep(0.02)
        assert await _answers(await _entry(lab, name))  # back, and answering
        for other, entry in others.items():  # everything else kept running, untouched
            assert entry in lab.services.entries(), other
            assert _running(lab, other).restarts == 0, other
            assert await _answers(entry), other
        assert sum("%SYS-3-PROC_RESTART" in x for x in lab.router.log.lines) == 1


def _running(lab, name: str):
    return next(r for b, r in lab.services.running.items() if b.service == name)


async def _wait_log(lab, fragment: str, timeout: float = 10.0) -> str:
    with trio.fail_after(timeout):
        while True:
            for line in lab.router.log.lines:
                if fragment in line:
                    return line
            await trio.sleep(0.02)


async def test_a_service_failing_on_its_way_up_does_not_hold_up_the_others(tmp_path, ca):
    async with open_lab(tmp_path / "lab") as lab:
        sccp = next(s for s in lab.services.services if s.name == "sccp")
        _inject(sccp, before_start=True)
        cert, key = ca.issue("cme.lab")
        install_trustpoint(lab.router, TP, ca, cert, key)
        await _configure(lab.router, CONFIG)
        line = await _wait_log(lab, '%SYS-3-PROC_RESTART: Process "sccp"')
        assert "before it started" in line
        for name in LISTENING:
            assert await _answers(await _entry(lab, name)), name


class Flaky:
    """Fails `failures` times, each right after it started; then serves until cancelled."""

    name = "flaky"

    def __init__(self, failures: int, up_for: float = 0.0) -> None:
        self.failures, self.up_for, self.starts = failures, up_for, []

    def wanted(self, lab):
        return [Binding("flaky", "1.2.3.4", 0, transport="none")]

    async def serve(self, lab, binding, task_status):
        self.starts.append(trio.current_time())
        task_status.started()
        if len(self.starts) <= self.failures:
            await trio.sleep(self.up_for)
            raise KeyError("flaky")
        await trio.sleep_forever()


async def test_restarts_back_off_and_start_over_after_a_healthy_run(tmp_path, monkeypatch):
    monkeypatch.setattr(manager_module, "RESTART_RESET", 0.5)
    monkeypatch.setattr(manager_module, "RESTART_MAX", 0.4)
    flaky = Flaky(failures=4)
    async with open_lab(tmp_path / "lab", services=[flaky]) as lab:
        with trio.fail_after(5):
            while len(flaky.starts) < 5:
                await trio.sleep(0.01)
        gaps = [b - a for a, b in zip(flaky.starts, flaky.starts[1:], strict=False)]
        for gap, expected in zip(gaps, (0.1, 0.2, 0.4, 0.4), strict=True):
            assert expected <= gap < expected + 0.15
        delays = re.findall(r"restarting in ([\d.]+) seconds", "\n".join(lab.router.log.lines))
        assert delays == ["0.1", "0.2", "0.4", "0.4"]  # doubling, up to RESTART_MAX
        [running] = lab.services.running.values()
        assert running.restarts == 4
    # an instance that stayed up longer than RESTART_RESET starts the pauses over
    slow = Flaky(failures=3, up_for=0.6)
    async with open_lab(tmp_path / "lab2", services=[slow]) as lab:
        with trio.fail_after(10):
            while len(slow.starts) < 4:
                await trio.sleep(0.01)
        delays = re.findall(r"restarting in ([\d.]+) seconds", "\n".join(lab.router.log.lines))
        assert delays == ["0.1", "0.1", "0.1"]


async def test_a_manifest_that_cannot_be_written_does_not_stop_the_manager(tmp_path,
                                                                            monkeypatch):
    flaky = Flaky(failures=0)
    async with open_lab(tmp_path / "lab", services=[flaky]) as lab:
        def full(self):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(type(lab.manifest), "write", full)
        lab.router.mark_changed()  # the manager reconciles and writes lab.json: it fails
        await trio.sleep(0.1)
        lab.router.mark_changed()  # and again: the manager is still there to hear it
        await trio.sleep(0.1)
        assert [b.service for b in lab.services.running] == ["flaky"]
        assert len(flaky.starts) == 1
        monkeypatch.undo()


async def test_a_fault_in_one_vty_session_ends_that_session_only(tmp_path, monkeypatch):
    from cucme_lab.services import telnet as telnet_module

    original = telnet_module.serve_telnet
    faults = [True]

    async def serve_telnet(lab, stream, conn):
        if faults.pop() if faults else False:
            raise RuntimeError("injected fault in one telnet session")
        await original(lab, stream, conn)

    monkeypatch.setattr(telnet_module, "serve_telnet", serve_telnet)
    async with open_lab(tmp_path / "lab") as lab:
        await _configure(lab.router, "interface FastEthernet0/0\n ip address 10.1.1.1 "
                         "255.255.255.0\n no shutdown\nline vty 0 4\n password cisco\n login\n")
        entry = await _entry(lab, "telnet")
        first = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
        with trio.fail_after(5):
            assert await first.receive_some(1024) == b""  # that session ended
        line = await _wait_log(lab, "%SYS-3-CONN_FAULT: telnet connection from")
        assert "RuntimeError: injected fault in one telnet session" in line
        second = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
        seen = b""
        with trio.fail_after(5):
            while b"Password:" not in seen:
                seen += await second.receive_some(1024)
        await second.aclose()
        assert _running(lab, "telnet").restarts == 0  # the listener never went down
