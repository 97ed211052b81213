"""Real outside servers a lab's configuration names, started on their loopback addresses.

`logging 192.168.153.129` and `ntp server 171.68.10.80` name hosts outside the router; the lab
gives each its own loopback address (`AddressPlan.to_loopback`), so Debian's own servers can
stand there: rsyslog as the syslog collector and chrony as the NTP server. Tests and the
scenario step `outside-server` start them with these context managers, each in the foreground
with a configuration file of its own in a work folder, and stop them when the block ends.

chronyd runs with `-x` (it never touches the host's clock), optionally with libfaketime
preloaded so it serves a chosen time (`fake_clock`).
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

START_TIMEOUT = 10.0  # seconds a server has to come up


class ServerUnavailable(RuntimeError):
    """The server's program is not installed, or it did not come up in time."""


@dataclass
class Collector:
    """A running rsyslog: where it listens and the file its lines go to."""

    address: str
    port: int
    path: Path

    def lines(self) -> list[str]:
        return self.path.read_text(errors="replace").splitlines() if self.path.exists() else []


def _program(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if Path(p).exists()), None)
    if found is None:
        raise ServerUnavailable(f"{name} is not installed")
    return found


def _require_free(address: str, port: int) -> None:
    """Refuse to start where something listens already: its answers would be taken for
    the new server's."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, port))
        except OSError as exc:
            raise ServerUnavailable(f"{address}:{port} is taken: {exc.strerror}") from None


async def _start(argv: list[str], log: Path, env: dict[str, str] | None = None
                 ) -> trio.Process:
    """`argv` in a session of its own, what it prints going to `log` (for `_why`)."""
    with log.open("wb") as out:
        return await trio.lowlevel.open_process(argv, stdout=out, stderr=subprocess.STDOUT,
                                                env=env, start_new_session=True)


FAKE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_fake_time(text: str) -> datetime.datetime:
    """`2027-03-01 12:00:00` (seconds optional): the time a fake clock starts at, local."""
    for fmt in (FAKE_TIME_FORMAT, "%Y-%m-%d %H:%M"):
        try:
            return datetime.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a time as YYYY-MM-DD HH:MM[:SS]")


def fake_clock(text: str) -> dict[str, str]:
    """The environment that starts a program's clock at `text` and lets it run: libfaketime
    preloaded, its start-at form. Not the `faketime` wrapper: it keeps a named semaphore and
    shared memory under its PID, which a wrapper stopped by a signal leaves behind, and a
    later wrapper given the same PID then exits at once (`sem_open: File exists`). The library
    keeps the same pair under each process's PID (Debian's 0.9.10 ignores
    FAKETIME_DISABLE_SHM, which later versions honour) and leaves it at exit; a leftover pair
    is harmless to a later process (it finds the semaphore and shares nothing), a shared
    memory left alone is not (`shm_open failed`), so `forget_fake_clocks` removes both."""
    library = next((p for p in sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
                    + [Path("/usr/lib/faketime/libfaketime.so.1")] if p.is_file()), None)
    if library is None:
        raise ServerUnavailable("libfaketime is not installed")
    start = parse_fake_time(text).strftime(FAKE_TIME_FORMAT)
    return {"LD_PRELOAD": str(library), "FAKETIME": f"@{start}", "FAKETIME_DISABLE_SHM": "1"}


def group_pids(process: trio.Process) -> list[int]:
    """The server's process and its children (chronyd forks a helper), while they run."""
    pids = [process.pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children")
                 .read_text().split()]
    except OSError:
        pass
    return pids


def forget_fake_clocks(pids: list[int]) -> None:
    """Remove the semaphore and shared memory libfaketime left under each of `pids`, both
    or neither (see `fake_clock`)."""
    for pid in pids:
        for name in (f"faketime_shm_{pid}", f"sem.faketime_sem_{pid}"):
            Path("/dev/shm", name).unlink(missing_ok=True)


def _why(process: trio.Process, log: Path, lines: int = 5) -> str:
    """Why a server did not come up, as far as can be seen: whether it is still running,
    and the end of what it printed."""
    state = ("still running" if process.returncode is None
             else f"exited with status {process.returncode}")
    try:
        tail = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        tail = []
    return f" ({state}; {log}: " + (" | ".join(tail) if tail else "nothing printed") + ")"


async def _stop(process: trio.Process) -> None:
    """End the server and everything it started: it runs in a session of its own."""
    _signal_group(process, signal.SIGTERM)
    with trio.move_on_after(5):
        await process.wait()
    _signal_group(process, signal.SIGKILL)  # whatever is left of the group
    await process.wait()


def _signal_group(process: trio.Process, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:  # the group is gone already
        pass


@asynccontextmanager
async def rsyslog(workdir: Path, address: str, port: int) -> AsyncIterator[Collector]:
    """rsyslogd in the foreground, its imudp input on `address`:`port`, every datagram written
    to `workdir/messages.log` as `SENDER-ADDRESS RAW-DATAGRAM`, one a line."""
    program = _program("rsyslogd")
    _require_free(address, port)
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "messages.log"
    conf = workdir / "rsyslog.conf"
    conf.write_text(
        f'global(workDirectory="{workdir}")\n'
        'module(load="imudp")\n'
        f'input(type="imudp" address="{address}" port="{port}")\n'
        'template(name="raw" type="string" string="%fromhost-ip% %rawmsg%\\n")\n'
        f'*.* action(type="omfile" file="{out}" template="raw")\n')
    log = workdir / "rsyslogd.log"
    process = await _start([program, "-n", "-f", str(conf), "-i", str(workdir / "rsyslogd.pid")],
                           log)
    try:
        collector = Collector(address, port, out)
        await _wait_collecting(collector, process, log)
        yield collector
    finally:
        with trio.CancelScope(shield=True):
            await _stop(process)


async def _wait_collecting(collector: Collector, process: trio.Process, log: Path) -> None:
    """Send probes until one is in the file: rsyslog is listening and writing."""
    probe = f"<191>cucme-lab collector probe {time.time()}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        with trio.move_on_after(START_TIMEOUT):
            while True:
                s.sendto(probe.encode(), (collector.address, collector.port))
                await trio.sleep(0.1)
                if any(probe in line for line in collector.lines()):
                    return
    raise ServerUnavailable(f"rsyslog did not come up on {collector.address}:{collector.port}"
                            + _why(process, log))


@dataclass
class NtpServerProcess:
    address: str
    port: int


@asynccontextmanager
async def chrony(workdir: Path, address: str, port: int, *, fake_time: str | None = None,
                 keys: dict[int, str] | None = None, stratum: int = 8
                 ) -> AsyncIterator[NtpServerProcess]:
    """chronyd serving its own clock (`local stratum N`) on `address`:`port`; with
    `fake_time` (`2027-03-01 12:00:00`) that clock starts at that time; `keys`: MD5 keys by
    id."""
    program = _program("chronyd")
    _require_free(address, port)
    workdir.mkdir(parents=True, exist_ok=True)
    keyfile = workdir / "chrony.keys"
    keyfile.write_text("".join(f"{k} MD5 {v}\n" for k, v in (keys or {}).items()))
    keyfile.chmod(0o600)
    conf = workdir / "chrony.conf"
    conf.write_text(
        f"local stratum {stratum}\nallow 127.0.0.0/8\nbindaddress {address}\nport {port}\n"
        f"cmdport 0\npidfile {workdir / 'chronyd.pid'}\ndriftfile {workdir / 'drift'}\n"
        f"keyfile {keyfile}\n")
    env = None if fake_time is None else {**os.environ, **fake_clock(fake_time)}
    log = workdir / "chronyd.log"
    process = await _start([program, "-x", "-d", "-f", str(conf)], log, env)
    try:
        server = NtpServerProcess(address, port)
        await _wait_serving(server, process, log)
        yield server
    finally:
        pids = group_pids(process)
        with trio.CancelScope(shield=True):
            await _stop(process)
        if fake_time is not None:
            forget_fake_clocks(pids)


async def _wait_serving(server: NtpServerProcess, process: trio.Process, log: Path) -> None:
    """Send an NTP client request until an answer comes."""
    request = bytes([0x23]) + bytes(47)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        with trio.move_on_after(START_TIMEOUT):
            while True:
                s.sendto(request, (server.address, server.port))
                await trio.sleep(0.1)
                try:
                    answer = s.recv(512)
                except BlockingIOError:
                    continue
                if len(answer) >= 48 and struct.unpack("!B", answer[:1])[0] & 7 == 4:
                    return
    raise ServerUnavailable(f"chronyd did not come up on {server.address}:{server.port}"
                            + _why(process, log))
