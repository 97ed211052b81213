"""`cucme-phones --processes N` against a running lab: worker processes forked, not spawned.

A spawned worker starts an interpreter and imports trio, cryptography and the phones' code
before its first phone boots: about 0.36 s of CPU each, inside the time a user waits for the
fleet (and inside `rollout_bench`'s window). Forked from the coordinator after it imported that
code once, a worker starts with everything loaded, so N workers cost one import, not N.

The fork happens before the coordinator's event loop starts (a process must not fork from
inside `trio.run`: the child would inherit a run it cannot leave), with nothing but the main
thread alive. Each child runs its share of the phones and writes the same JSON lines a spawned
worker prints (progress, then results) into a pipe, then leaves with `os._exit`, so nothing of
the parent's (its buffers, its exit handlers) runs twice. The parent reads the pipes and waits
for each child through a pidfd, killing the children if it is interrupted.

A fleet that starts its own lab (`--labfile`) still spawns its workers: the lab runs in the
coordinator's event loop before they are needed. Remote workers (`--remote`) go through
execnet as before.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

import trio

from cucme_lab.phones.spec import PhoneSpec

PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class ForkedWorker:
    """A child running a share of the fleet, and the read end of the pipe it writes to."""

    pid: int
    output: int


def fork_workers(shares: list[list[PhoneSpec]],
                 run_share: Callable[[int, list[PhoneSpec], Callable[[dict], None]], None]
                 ) -> list[ForkedWorker]:
    """Fork one child per share; each calls `run_share(i, share, emit)` and exits (0, or 1 if
    it raised). Call before any event loop or thread starts."""
    import cucme_lab.phones.fleet  # noqa: F401  (loaded once here, inherited by every child)
    import cucme_lab.phones.registration  # noqa: F401

    sys.stdout.flush()
    sys.stderr.flush()
    # what the parent holds (the imports) moves out of the collector's sight: a child's
    # collections no longer walk it, nor copy its pages by touching them (Python's gc docs)
    gc.freeze()
    workers: list[ForkedWorker] = []
    parent = os.getpid()
    for i, share in enumerate(shares):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            for sibling in workers:  # the earlier children's pipes are not this one's
                os.close(sibling.output)
            _child(i, share, write_end, run_share, parent)
        os.close(write_end)
        workers.append(ForkedWorker(pid, read_end))
    return workers


def _child(i: int, share: list[PhoneSpec], write_end: int,
           run_share: Callable[[int, list[PhoneSpec], Callable[[dict], None]], None],
           parent: int) -> None:
    status = 1
    try:
        _end_with_parent(parent)
        with os.fdopen(write_end, "w") as out:
            def emit(message: dict) -> None:
                out.write(json.dumps(message) + "\n")
                out.flush()

            run_share(i, share, emit)
        status = 0
    except BaseException:  # a child must not go back into the parent's code: report, leave
        import traceback
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(status)


def _end_with_parent(parent: int) -> None:
    """Ctrl-C is the coordinator's to handle (it kills its children), and a coordinator that
    dies without a word (SIGKILL, SIGTERM) takes its children with it: Linux's parent-death
    signal, through libc's prctl (without it, a child whose parent died would stop at its next
    write into the pipe)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)


async def gather(worker: ForkedWorker, on_message: Callable[[dict], None]) -> None:
    """Hand each JSON line the child writes to `on_message` until it closes the pipe, then
    reap it. Cancelled, the child is killed and reaped."""
    try:
        async with trio.lowlevel.FdStream(worker.output) as stream:
            await read_json_lines(stream, on_message)
        await _reaped(worker.pid)
    except BaseException:
        _kill(worker.pid)
        raise


async def read_json_lines(stream: trio.abc.ReceiveStream,
                          on_message: Callable[[dict], None]) -> None:
    """Each line a worker writes (a JSON message) to `on_message`, until its stream ends."""
    buffer = b""
    async for chunk in stream:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            on_message(json.loads(line))


async def _reaped(pid: int) -> None:
    """Wait for `pid` to exit (its pidfd turns readable), then collect it."""
    pidfd = os.pidfd_open(pid)
    try:
        await trio.lowlevel.wait_readable(pidfd)
    finally:
        os.close(pidfd)
    os.waitpid(pid, 0)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
