"""Scenario wall times: the whole library end to end, and the Appendix B scenarios alone.

Each figure is printed beside its floor, measured in the same run:
- the floor of a networked scenario is the lab's own start and stop (router boot, services,
  four phones powered on) with one trivial step: what no scenario on the default lab can avoid;
- the floor of the shell-only Appendix B scenario is pasting the appendix into a Session
  directly, without the scenario machinery.
Target (issue 8): the Appendix B scenario under 5 s on this machine. The full Appendix B
scenario (`nsa_appendix_b.yaml`) is run even while it is a draft; its status is printed.

Run: python benchmarks/scenario_bench.py [--drafts]   (--drafts: run drafts in the library too)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cucme_lab.lab.addresses import AddressPlan  # noqa: E402
from cucme_lab.router.router import Router  # noqa: E402
from cucme_lab.scenarios.runner import LIBRARY, run_file  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

TARGET = 5.0
APPENDIX_B = (ROOT / "tests" / "data" / "nsa_appendix_b.txt").read_text().splitlines()
TRIVIAL = """\
lab: default
settings: {time-scale: 0.05}
steps:
  - expect: {running-config: "hostname CME"}
"""


def timed(path: Path, run_drafts: bool = True) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = run_file(path, run_drafts=run_drafts)
    return time.perf_counter() - t0, result.status


def paste_floor() -> float:
    async def paste() -> float:
        with tempfile.TemporaryDirectory() as d:
            router = Router.open(Path(d) / "lab", addresses=AddressPlan())
            t0 = time.perf_counter()
            session = Session(router, ScriptTerminal(APPENDIX_B), command_set(), priv=15)
            session.enter_config()
            await session.run()
            return time.perf_counter() - t0
    return trio.run(paste)


def main() -> None:
    run_drafts = "--drafts" in sys.argv
    with tempfile.TemporaryDirectory() as d:
        trivial = Path(d) / "trivial.yaml"
        trivial.write_text(TRIVIAL)
        floor_lab, _ = timed(trivial)
    shell, shell_status = timed(LIBRARY / "nsa_appendix_b_shell.yaml")
    full, full_status = timed(LIBRARY / "nsa_appendix_b.yaml")
    floor_paste = paste_floor()
    print(f"Appendix B pasted (shell only)  {shell:7.3f} s  [{shell_status}]   "
          f"floor (bare paste in a Session) {floor_paste:.3f} s   target < {TARGET:g} s")
    print(f"Appendix B rollout (4 phones)   {full:7.3f} s  [{full_status}]   "
          f"floor (lab start/stop, 4 phones) {floor_lab:.3f} s   target < {TARGET:g} s")
    t0 = time.perf_counter()
    counts: dict[str, int] = {}
    for path in sorted(LIBRARY.glob("*.yaml")):
        _, status = timed(path, run_drafts=run_drafts)
        counts[status] = counts.get(status, 0) + 1
    total = time.perf_counter() - t0
    ready = sum(n for s, n in counts.items() if s != "skipped")
    print(f"whole library ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})  "
          f"{total:7.3f} s   floor ({ready} x lab start/stop) {ready * floor_lab:.3f} s")


if __name__ == "__main__":
    main()
