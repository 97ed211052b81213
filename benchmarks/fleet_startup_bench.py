"""The fleet's start-up: `cucme-phones --lab DIR -n 2 --processes 2` from start to exit against
a running fleet lab (two phones: start-up and the end, little between), wall time and CPU.

Printed beside its floor, measured in the same run: one interpreter that imports what a fleet
worker needs (trio, cryptography, the phones' code) and exits, the least a fleet in worker
processes costs before its first phone boots. `cucme-phones` forks its workers from the
coordinator after that one import (lab/forked_workers.py); spawned, each worker imported
again (before session 8: 0.78-0.82 s of wall, 0.95-1.00 s of CPU here).

Run: python benchmarks/fleet_startup_bench.py [runs]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLEET_LAB = ROOT / "src" / "cucme_lab" / "lab" / "labs" / "fleet.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
FLOOR_IMPORTS = ("import trio, cryptography.x509, cucme_lab.lab.fleet_cli, "
                 "cucme_lab.phones.fleet, cucme_lab.phones.registration")


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (its own and its children's) of one command, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed:\n{result.stdout}{result.stderr}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def wait_for_lab(lab: Path, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        path = lab / "lab.json"
        if path.exists():
            names = {s["name"] for s in json.loads(path.read_text())["services"]}
            if {"tftp", "sccp"} <= names:
                return
        time.sleep(0.05)
    raise SystemExit("the fleet lab did not start")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        lab = Path(tmp) / "lab"
        server = subprocess.Popen([sys.executable, "-m", "cucme_lab.cli", "--labfile",
                                   str(FLEET_LAB), "--lab", str(lab), "--serve", "--no-phones"],
                                  env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_lab(lab, server)
            fleet, floor = [], []
            for i in range(runs):
                fleet.append(timed([sys.executable, "-m", "cucme_lab.lab.fleet_cli", "--lab",
                                    str(lab), "-n", "2", "--processes", "2", "--quiet",
                                    "--mac-start", f"0000.0001.{i:02X}00"]))
                floor.append(timed([sys.executable, "-c", FLOOR_IMPORTS]))
        finally:
            server.terminate()
            server.wait(timeout=30)
    wall, cpu = (statistics.median(f[k] for f in fleet) for k in (0, 1))
    floor_wall, floor_cpu = (statistics.median(f[k] for f in floor) for k in (0, 1))
    print(f"cucme-phones -n 2 --processes 2, start to exit (median of {runs}): wall {wall:.2f} s, "
          f"CPU {cpu:.2f} s")
    print(f"floor, one interpreter importing a fleet worker's code: wall {floor_wall:.2f} s, "
          f"CPU {floor_cpu:.2f} s (fleet / floor: wall {wall / floor_wall:.2f}, "
          f"CPU {cpu / floor_cpu:.2f})")


if __name__ == "__main__":
    main()
