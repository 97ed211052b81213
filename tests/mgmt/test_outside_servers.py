"""The outside servers' start-up: a server that does not come up says why."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from cucme_lab.lab.outside_servers import (
    _start,
    _stop,
    _why,
    chrony,
    fake_clock,
    forget_fake_clocks,
)


async def test_a_server_that_exits_is_reported_with_its_status_and_last_lines(tmp_path):
    log = tmp_path / "server.log"
    process = await _start(["sh", "-c", "echo starting; echo 'cannot bind' >&2; exit 3"], log)
    with trio.fail_after(10):
        await process.wait()
    why = _why(process, log)
    assert "exited with status 3" in why
    assert "starting | cannot bind" in why  # stdout and stderr, in order


async def test_a_server_still_running_is_reported_as_such_and_stopped(tmp_path):
    log = tmp_path / "server.log"
    process = await _start(["sh", "-c", "echo waiting; exec sleep 60"], log)
    try:
        with trio.fail_after(10):
            while "waiting" not in log.read_text():
                await trio.sleep(0.02)
        assert _why(process, log) == f" (still running; {log}: waiting)"
    finally:
        await _stop(process)
    assert process.returncode is not None


def test_a_fake_clock_starts_at_the_time_given_and_runs():
    env = fake_clock("2027-03-01 12:00")
    assert env["FAKETIME"] == "@2027-03-01 12:00:00"  # libfaketime's start-at form
    assert Path(env["LD_PRELOAD"]).is_file()
    # one process, as chronyd is: its clock starts there and runs
    probe = "import time; a = time.time(); time.sleep(0.3); print(a, time.time())"
    with subprocess.Popen([sys.executable, "-c", probe], env={**os.environ, **env},
                          stdout=subprocess.PIPE, text=True) as proc:
        out = proc.communicate(timeout=30)[0].split()
    forget_fake_clocks([proc.pid])
    start, later = float(out[0]), float(out[1])
    expected = datetime.datetime(2027, 3, 1, 12, 0).timestamp()  # local time, as libfaketime
    assert expected <= start < expected + 5
    assert later >= start + 0.25


def test_a_fake_time_that_is_no_time_is_refused():
    with pytest.raises(ValueError, match="YYYY-MM-DD HH:MM"):
        fake_clock("last friday")


async def test_a_chrony_with_a_fake_clock_leaves_nothing_in_dev_shm(tmp_path):
    """libfaketime keeps a semaphore and shared memory under each process's PID and leaves
    them; a shared memory left alone stops a later process that gets the same PID."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = set(os.listdir("/dev/shm"))
    with trio.fail_after(30):
        async with chrony(tmp_path / "c", "127.0.0.1", port, fake_time="2027-03-01 12:00"):
            pass
    assert {n for n in os.listdir("/dev/shm") if "faketime" in n} - before == set()
