"""`scenario run -j N`: scenarios N at a time, each in a worker process with a lab of its own.

A worker runs one scenario as the serial run does (`runner.run_reported`) and hands back its
result with the text the serial run would have printed for it; the parent prints those texts
in file order, so the output, the reports and the exit code are the serial run's. Each lab has
its own folder and claims a loopback range of its own (lab/ranges.py), so labs running at
once never bind the same addresses. Workers are forked where the platform can (the parent has
no trio run and no threads when it forks): a worker then starts without importing the lab again.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cucme_lab.scenarios.runner import ScenarioResult, run_reported


def _run_one(path: Path, lab_root: Path | None, run_drafts: bool, quiet: bool
             ) -> tuple[ScenarioResult, str]:
    lines: list[str] = []
    result = run_reported(path, lab_root=lab_root, run_drafts=run_drafts, quiet=quiet,
                          write=lines.append)
    return result, "".join(line + "\n" for line in lines)


def run_parallel(files: list[Path], jobs: int, *, lab_root: Path | None, run_drafts: bool,
                 quiet: bool) -> Iterator[tuple[ScenarioResult, str]]:
    """Each file's result and printed text, in file order, `jobs` (0: one per CPU) at once."""
    workers = min(jobs if jobs > 0 else os.cpu_count() or 1, len(files))
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context(method)) as pool:
        futures = [pool.submit(_run_one, path, lab_root, run_drafts, quiet) for path in files]
        for future in futures:
            yield future.result()
