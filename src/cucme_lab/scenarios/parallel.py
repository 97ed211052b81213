"""`scenario run -j N`: scenarios N at a time, each in a worker process with a lab of its own.

A worker runs one scenario as the serial run does (`runner.run_reported`) and hands back its
result with the text the serial run would have printed for it; the parent prints those texts
in file order, so the output, the reports and the exit code are the serial run's. Each lab has
its own folder and claims a loopback range of its own (lab/ranges.py), so labs running at
once never bind the same addresses. Workers are forked where the platform can (the parent has
no trio run and no threads when it forks): a worker then starts without importing the lab again.

The longest scenarios start first (their durations in the last run, kept in the labs' runtime
folder; a scenario not seen before counts by its file's size), so a long one does not start
last and leave the other workers idle at the end. The pytest plugin orders its items by the
same times under `pytest -n N` and records them from its runs.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from cucme_lab.lab.ranges import runtime_dir
from cucme_lab.scenarios.runner import ScenarioResult, run_reported

TIMES_FILE = "scenario-times.json"
SECONDS_PER_BYTE = 0.0005  # a guess for a scenario never timed: a 4 kB file, 2 s


def _run_one(path: Path, lab_root: Path | None, run_drafts: bool, quiet: bool
             ) -> tuple[ScenarioResult, str]:
    lines: list[str] = []
    result = run_reported(path, lab_root=lab_root, run_drafts=run_drafts, quiet=quiet,
                          write=lines.append)
    return result, "".join(line + "\n" for line in lines)


def load_times() -> dict[str, float]:
    try:
        times = json.loads((runtime_dir() / TIMES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return times if isinstance(times, dict) else {}


def _save_times(times: dict[str, float]) -> None:
    """Keep `times` for the next run, less the files that are gone (a test's temporary
    scenarios would otherwise pile up)."""
    times = {name: t for name, t in times.items() if Path(name).exists()}
    path = runtime_dir() / TIMES_FILE
    temporary = path.with_name(f"{TIMES_FILE}.{os.getpid()}")
    with contextlib.suppress(OSError):  # only a hint for the next run's order
        temporary.write_text(json.dumps(times, indent=0, sort_keys=True))
        temporary.replace(path)


def remember_times(durations: dict[Path, float]) -> None:
    """Add these scenarios' durations (this run's) to the kept times, for the next run."""
    times = load_times()
    times.update({str(path.resolve()): round(seconds, 3) for path, seconds in durations.items()})
    _save_times(times)


def expected_seconds(path: Path, times: dict[str, float]) -> float:
    known = times.get(str(path.resolve()))
    if isinstance(known, (int, float)):
        return float(known)
    try:
        return path.stat().st_size * SECONDS_PER_BYTE
    except OSError:
        return 0.0


def run_parallel(files: list[Path], jobs: int, *, lab_root: Path | None, run_drafts: bool,
                 quiet: bool) -> Iterator[tuple[ScenarioResult, str]]:
    """Each file's result and printed text, in file order, `jobs` (0: one per CPU) at once."""
    workers = min(jobs if jobs > 0 else os.cpu_count() or 1, len(files))
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    times = load_times()
    longest_first = sorted(range(len(files)),
                           key=lambda i: -expected_seconds(files[i], times))
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context(method)) as pool:
        futures: dict[int, Future[tuple[ScenarioResult, str]]] = {
            i: pool.submit(_run_one, files[i], lab_root, run_drafts, quiet)
            for i in longest_first}
        durations: dict[Path, float] = {}
        for i, path in enumerate(files):
            result, text = futures[i].result()
            durations[path] = result.duration
            yield result, text
    remember_times(durations)
