"""The security audit at fleet size: how long `audit_router` takes on a router with 1,000
ephones (NSA Appendix B's security on top), beside a floor measured in the same run on the
same router: rendering `show running-config` once (the audit reads the same typed model, and
a running lab recomputes it at most once a second after a change: lab/audit/live.py). Also
what encoding the report for a live lab's audit.json costs: compact, as live.py writes it,
beside the indented dump it replaced.

Run: python benchmarks/audit_bench.py
"""

from __future__ import annotations

import json
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
from cucme_lab.lab.audit import audit_router  # noqa: E402
from cucme_lab.router.router import Router  # noqa: E402
from cucme_lab.shell.commands import command_set  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402

PHONES = 1000
ROUNDS = 15
SECURITY = (ROOT / "tests" / "data" / "nsa_appendix_b.txt").read_text().replace(
    "rsa-keypair", "rsakeypair").splitlines()


def timed(fn) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def build(folder: Path) -> Router:
    router = Router.open(folder, addresses=AddressPlan())
    session = Session(router, ScriptTerminal([]), command_set(), priv=15)
    session.enter_config()
    lines = [*SECURITY, "telephony-service", f" max-ephones {PHONES}", f" max-dn {PHONES}",
             " exit", *fleet_ephones(PHONES)]
    for line in lines:
        await session.handle(line)
    session.close()
    return router


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        router = trio.run(build, Path(tmp) / "lab")
        report = audit_router(router)
        audit = timed(lambda: audit_router(router))
        floor = timed(lambda: router.running_config())
        # a running lab writes each refresh to audit.json (lab/audit/live.py): compact, through
        # json's C encoder; an indented dump goes through the pure-Python one
        compact = timed(lambda: json.dumps(report, separators=(",", ":")))
        indented = timed(lambda: json.dumps(report, indent=1))
    print(f"audit of {PHONES} ephones ({len(report['findings'])} findings, score "
          f"{report['score']}): {audit * 1000:.1f} ms median of {ROUNDS}")
    print(f"its audit.json as the live lab encodes it: {compact * 1000:.1f} ms "
          f"(indented, as before: {indented * 1000:.1f} ms)")
    print(f"floor, show running-config of the same router:   {floor * 1000:.1f} ms "
          f"(audit / floor = {audit / floor:.2f})")


if __name__ == "__main__":
    main()
