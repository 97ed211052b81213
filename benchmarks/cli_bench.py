"""CLI throughput: pasting NSA Appendix B, `show running-config` at 450 phones, parse latency.

Each figure is printed beside its floor, measured in the same run on the same lines: the cost of
only splitting the input into words (the least any parser must do), and of only joining the
finished running-config lines. Targets from the issue: Appendix B paste under 50 ms,
`show running-config` at 450 ephones under 20 ms, p99 parse under 1 ms.

Run: python benchmarks/cli_bench.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchmarks_support import fleet_ephones  # noqa: E402

from cucme_lab.lab.addresses import AddressPlan  # noqa: E402
from cucme_lab.router.router import Router  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.parser import tokenize  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

APPENDIX_B = (ROOT / "tests" / "data" / "nsa_appendix_b.txt").read_text().splitlines()


def fleet_config(n: int) -> list[str]:
    lines = ["telephony-service", f" max-ephones {n}", f" max-dn {n}",
             " ip source-address 10.1.1.1 port 2000"]
    return lines + fleet_ephones(n)


async def paste(router: Router, lines: list[str]) -> float:
    session = Session(router, ScriptTerminal([]), command_set(), priv=15)
    session.enter_config()
    start = time.perf_counter()
    for line in lines:
        await session.handle(line)
    elapsed = time.perf_counter() - start
    session.close()
    return elapsed


def floor_tokenize(lines: list[str]) -> float:
    start = time.perf_counter()
    for line in lines:
        tokenize(line)
    return time.perf_counter() - start


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up: builds the command trees once, as a running lab has
        await paste(Router.open(Path(tmp) / "warm", addresses=AddressPlan()), APPENDIX_B)

        runs = [await paste(Router.open(Path(tmp) / f"b{i}", addresses=AddressPlan()),
                            APPENDIX_B) for i in range(20)]
        best = min(runs)
        floor = min(floor_tokenize(APPENDIX_B) for _ in range(20))
        print(f"paste Appendix B: {len(APPENDIX_B)} lines, median "
              f"{statistics.median(runs) * 1e3:.2f} ms, best {best * 1e3:.2f} ms "
              f"({len(APPENDIX_B) / best:,.0f} lines/s); floor (split into words) "
              f"{floor * 1e3:.3f} ms, ratio {best / floor:.0f}x; target < 50 ms: "
              f"{'met' if best < 0.050 else 'MISSED'}")

        router = Router.open(Path(tmp) / "fleet", addresses=AddressPlan())
        await paste(router, fleet_config(450))
        times = []
        for _ in range(20):
            start = time.perf_counter()
            text = router.running_config()
            times.append(time.perf_counter() - start)
        lines = text.splitlines()
        join_floor = min(_time(lambda: "\n".join(lines)) for _ in range(20))
        print(f"show running-config, 450 ephones + 450 ephone-dns: {len(lines)} lines, median "
              f"{statistics.median(times) * 1e3:.2f} ms; floor (join lines) "
              f"{join_floor * 1e3:.3f} ms, ratio {statistics.median(times) / join_floor:.0f}x; "
              f"target < 20 ms: {'met' if statistics.median(times) < 0.020 else 'MISSED'}")

        session = Session(router, ScriptTerminal([]), command_set(), priv=15)
        session.enter_config()
        samples = []
        sample_lines = [ln for ln in APPENDIX_B if ln.strip() and not ln.startswith("!")]
        for _ in range(30):
            for line in sample_lines:
                start = time.perf_counter()
                session.resolve(line)
                samples.append(time.perf_counter() - start)
        samples.sort()
        p50 = samples[len(samples) // 2]
        p99 = samples[int(len(samples) * 0.99)]
        tok = min(floor_tokenize(sample_lines) for _ in range(20)) / len(sample_lines)
        print(f"parse latency per command ({len(samples)} samples): median {p50 * 1e6:.1f} us, "
              f"p99 {p99 * 1e6:.1f} us; floor (split into words) {tok * 1e6:.2f} us, ratio "
              f"{p50 / tok:.0f}x; target p99 < 1 ms: {'met' if p99 < 0.001 else 'MISSED'}")


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    trio.run(main)
