"""A running lab's audit kept current for `cucme-lab audit` and the dashboard.

The whole report goes to `audit.json` in the lab folder (written atomically); `lab.json` carries
a summary under `audit` ({score, findings, high, medium, low, file, updated}), so the manifest,
rewritten at every phone change, stays small in a 1,000-phone lab. The audit is recomputed when
the configuration, the registrations or the CTL file changed, at most once a second, and never
for more than about 5% of the event loop's time (it reads the router's state, so it runs on the
loop, not in a thread).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import trio

from cucme_lab.lab.audit import audit_router
from cucme_lab.router.provisioning.tftp_table import CTL_FILENAME
from cucme_lab.router.storage import atomic_write

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between looks: the audit is at most this late
SHARE = 0.05  # of the loop's time the audit may take
AUDIT_FILE = "audit.json"


def _state(router: Any) -> tuple:
    """What the audit's answer depends on, cheaply: the last change, who registered how."""
    regs = router.phones.registrations
    return (id(router.last_change), router.last_change, len(regs),
            sum(hash((t, r.security_mode)) for t, r in regs.items()),
            router.storage.flash_path(CTL_FILENAME).is_file())


def summary(report: dict) -> dict:
    found = report["findings"]
    counts = {s: sum(1 for f in found if f["severity"] == s) for s in ("high", "medium", "low")}
    return {"score": report["score"], "findings": len(found), **counts, "file": AUDIT_FILE,
            "updated": time.time()}


def read_live_audit(lab_dir: Path) -> dict | None:
    """The running lab's last audit (audit.json), or None before the first one."""
    path = Path(lab_dir) / AUDIT_FILE
    return json.loads(path.read_text()) if path.exists() else None


async def keep_audit_current(lab: Any, interval: float = INTERVAL) -> None:
    """Refresh audit.json and lab.json's summary whenever the audit may have changed."""
    seen: tuple | None = None
    pause = interval
    while True:
        state = _state(lab.router)
        if state != seen:
            seen = state
            started = time.perf_counter()
            try:
                report = audit_router(lab.router)
                # compact, through json's C encoder: an indented dump takes the pure-Python
                # one, 7 ms of a 1,000-phone refresh's 13 (benchmarks/audit_bench.py; 2 ms
                # compact); `cucme-lab audit --json` indents
                atomic_write(Path(lab.lab_dir) / AUDIT_FILE,
                             (json.dumps(report, separators=(",", ":")) + "\n").encode())
                lab.manifest.audit = summary(report)
                lab.write_manifest()
            except Exception:  # an audit bug or a full disk must not take the lab down
                log.exception("the audit could not be refreshed; the previous one stays")
            pause = max(interval, (time.perf_counter() - started) / SHARE)
        await trio.sleep(pause)
