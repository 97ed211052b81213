"""One process per lab folder: an exclusive `flock` on `lab.lock` in the folder.

Two `cucme-lab` on one folder would share its NVRAM, flash, phones and `lab.json`: the second
bound none of the addresses the first holds, ran half-started and, on its way out, rewrote
`lab.json` to `stopped` under the first. The lock is taken before anything in the folder is
read or written and held until the lab has stopped; the kernel drops it if the process dies,
so a crashed lab never leaves the folder locked. Within one process the lock is re-entrant
(`run_lab` takes it before seeding NVRAM, then `open_lab` inside it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

LOCK_NAME = "lab.lock"

_held: dict[Path, tuple[IO[str], int]] = {}  # this process's locks: open file, depth


class LabInUse(Exception):
    """Another process holds the lab folder; the message says which and what to do."""


@contextlib.contextmanager
def lab_lock(lab_dir: Path) -> Iterator[None]:
    """Hold the lab folder for this process until the block ends, or raise LabInUse."""
    lab_dir = Path(lab_dir).resolve()
    held = _held.get(lab_dir)
    if held is not None:
        _held[lab_dir] = (held[0], held[1] + 1)
        try:
            yield
        finally:
            f, depth = _held[lab_dir]
            _held[lab_dir] = (f, depth - 1)
        return
    lab_dir.mkdir(parents=True, exist_ok=True)
    f = open(lab_dir / LOCK_NAME, "a+")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        owner = f.read().strip()
        f.close()
        who = f" (process {owner})" if owner.isdigit() else ""
        raise LabInUse(f"the lab folder {lab_dir} is in use by another cucme-lab{who}; "
                       "stop that one first, or give this one another folder with --lab"
                       ) from None
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    _held[lab_dir] = (f, 1)
    try:
        yield
    finally:
        del _held[lab_dir]
        f.close()  # closing the descriptor releases the flock
