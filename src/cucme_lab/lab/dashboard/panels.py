"""The audit and guided-lab panels: what another part of the lab computes, shown as it is.

The audit comes from `cucme_lab.lab.audit.audit_router` when that module is there (it is built
beside the dashboard); without it the panel says the audit is not available. A guided lab's
progress is the `guided` key of the manifest (`lab.json`).
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Auditor = Callable[[Any], dict]
NOT_AVAILABLE = "The audit is not available in this installation (no cucme_lab.lab.audit)."


def find_auditor() -> Auditor | None:
    """`audit_router(router) -> dict` when the audit module imports, else None."""
    try:
        module = importlib.import_module("cucme_lab.lab.audit")
    except ImportError:
        return None
    return getattr(module, "audit_router", None)


def audit_panel(router: Any, auditor: Auditor | None) -> dict[str, Any]:
    """The report as the page draws it: {"available", "score", "findings"} or why not."""
    if auditor is None:
        return {"available": False, "reason": NOT_AVAILABLE}
    try:
        report = auditor(router)
    except Exception as exc:  # the audit's bug must not take the dashboard down
        log.exception("the audit failed")
        return {"available": False, "reason": f"The audit failed: {type(exc).__name__}: {exc}"}
    return {"available": True, "score": report.get("score"),
            "findings": list(report.get("findings", []))}


class GuidedReader:
    """A guided lab's progress: the manifest object's `guided`, else `lab.json`'s key.

    The file is read again only when it changed, and at most once per `interval` seconds: a
    fleet's rollout rewrites it at every phone's step.
    """

    def __init__(self, manifest: Any, lab_dir: Path, interval: float = 1.0) -> None:
        self.interval = interval
        self._read_at = float("-inf")
        self.manifest = manifest
        self.path = Path(lab_dir) / "lab.json"
        self._stamp: int | None = None
        self._guided: dict | None = None

    def read(self) -> dict | None:
        guided = getattr(self.manifest, "guided", None)
        if isinstance(guided, dict):
            return guided
        now = time.monotonic()
        if now - self._read_at < self.interval:
            return self._guided
        self._read_at = now
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            return None
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                data = json.loads(self.path.read_text())
            except (OSError, ValueError):
                return self._guided  # a reader racing a rewrite: keep the last one seen
            found = data.get("guided") if isinstance(data, dict) else None
            self._guided = found if isinstance(found, dict) else None
        return self._guided
