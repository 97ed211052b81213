"""Loopback ranges for labs running at once on one machine: each lab claims its 127.B.0.0/16.

A lab's preferred range comes from a hash of its folder (so a lab keeps its addresses from one
run to the next); two labs whose folders hash alike, or many labs at once (`scenario run -j`,
pytest-xdist), would otherwise bind the same addresses. A claim is an exclusive `flock` on
`range-127.B.lock` in a runtime folder every lab of this user shares; a lab that finds its
preferred range held takes the next free one. The lock lives as long as the open file: it is
released when the lab stops, and by the kernel when its process dies, so no claim outlives
its lab. Locks conflict between open files, within one process too.

Labs that claim nothing (an older cucme-lab, another user's, a lab given its own plan) still
bind addresses: a range where the kernel lists any socket bound (/proc/net/tcp, udp) is passed
over as well, so a new lab does not land on a running one's addresses.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cucme_lab.lab.addresses import AddressPlan, plan_for_lab

FIRST_BASE = 20  # 127.20.0.0/16 is the first lab range
RANGES = 200  # 127.20 .. 127.219
ENV_DIR = "CUCME_LAB_RUNTIME_DIR"


class NoRangeLeft(RuntimeError):
    """Every lab range on this machine is claimed."""


def runtime_dir() -> Path:
    """Where the claims live: $CUCME_LAB_RUNTIME_DIR, else $XDG_RUNTIME_DIR/cucme-lab, else a
    per-user folder in the temporary directory."""
    chosen = os.environ.get(ENV_DIR)
    if chosen:
        path = Path(chosen)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "cucme-lab"
    else:
        path = Path(tempfile.gettempdir()) / f"cucme-lab-{os.getuid()}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def preferred_base(lab_dir: Path | str) -> int:
    """The range a lab folder gets when nobody else holds it (its hash, as before claims)."""
    return plan_for_lab(str(lab_dir)).base


PROC_TABLES = ("/proc/net/tcp", "/proc/net/udp")
TCP_LISTEN = "0A"


def bases_in_use() -> set[int]:
    """The second octets of 127.B.x.y addresses some listening TCP or any UDP socket on this
    host is bound to (Linux lists local addresses as little-endian hex, 127.B.x.y as
    YYXXBB7F); empty where there is no /proc."""
    used: set[int] = set()
    for table in PROC_TABLES:
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split(maxsplit=4)
            if len(fields) < 4 or (table.endswith("tcp") and fields[3] != TCP_LISTEN):
                continue  # a TCP socket counts while it listens (not in TIME_WAIT after a lab)
            address = fields[1]
            if len(address) >= 8 and address[6:8] == "7F":
                used.add(int(address[4:6], 16))
    return used


def _try_claim(folder: Path, base: int):  # type: ignore[no-untyped-def]
    f = open(folder / f"range-127.{base}.lock", "a+")  # noqa: SIM115 - held while claimed
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")  # who holds it, for a person looking
    f.flush()
    return f


@contextlib.contextmanager
def claimed_plan(lab_dir: Path | str) -> Iterator[AddressPlan]:
    """The lab's address plan on a range no other running lab holds, for the block's length."""
    folder = runtime_dir()
    start = preferred_base(lab_dir) - FIRST_BASE
    busy = bases_in_use()
    for step in range(RANGES):
        base = FIRST_BASE + (start + step) % RANGES
        if base in busy:
            continue
        held = _try_claim(folder, base)
        if held is not None:
            break
    else:
        raise NoRangeLeft(f"all {RANGES} lab loopback ranges are in use (claims in {folder})")
    try:
        yield AddressPlan(base=base)
    finally:
        held.close()  # closing the file releases the lock
