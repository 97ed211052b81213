"""The scenario library serially and in parallel, in one sitting (issue 22, parallel labs).

Runs `cucme-lab scenario run LIBRARY -q` with -j 1 and with -j N (default 2), each `--rounds`
times alternately, and prints each wall time beside the serial run's (the floor a parallel run
is judged by: serial / N is its ideal) with the verdicts of both. Each run is a fresh process,
as a user or CI starts it. Target (2 cores): -j 2 in at most 60% of the serial time, with the
same verdicts. Figures on a shared host move with its load: the load average is printed too.

Also `--pytest`: the same for `pytest --scenario-library` without and with `-n N` (xdist);
`--pytest-only` for that alone.

Run: python benchmarks/parallel_scenarios_bench.py [--jobs 2] [--rounds 2] [--pytest]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "cucme_lab" / "scenarios" / "library"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def timed(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=ENV, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    return time.perf_counter() - start, proc.returncode, lines[-1] if lines else ""


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() \
        else "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pytest", action="store_true", help="also pytest with and without -n")
    ap.add_argument("--pytest-only", action="store_true", help="pytest with and without -n")
    args = ap.parse_args()
    runner = [sys.executable, "-m", "cucme_lab.cli", "scenario", "run", str(LIBRARY), "-q"]
    kinds = [] if args.pytest_only else [("scenario run", runner, runner + ["-j", str(args.jobs)])]
    if args.pytest or args.pytest_only:
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "-o", "addopts=", str(LIBRARY)]
        kinds.append(("pytest", pytest, pytest + ["-n", str(args.jobs)]))
    print(f"library: {len(list(LIBRARY.glob('*.yaml')))} scenarios; cores {os.cpu_count()}")
    for name, serial, parallel in kinds:
        for _ in range(args.rounds):
            s_time, s_code, s_last = timed(serial)
            s_load = load()
            p_time, p_code, p_last = timed(parallel)
            print(f"{name:13} -j {args.jobs}: {p_time:6.1f} s = {100 * p_time / s_time:3.0f}% of "
                  f"serial {s_time:6.1f} s (ideal {100 / args.jobs:.0f}%, target <= 60%); "
                  f"exit {p_code} vs {s_code}; load {s_load}/{load()}")
            print(f"{'':13} serial: {s_last}")
            print(f"{'':13} -j {args.jobs}:  {p_last}")


if __name__ == "__main__":
    main()
