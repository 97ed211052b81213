"""The security audit: a router's configuration and live state against both documents.

`audit_router(router)` returns {"score": 0-100, "findings": [...]}, the schema of
docs/audit.schema.json (docs/audit.md lists every recommendation and its check).
"""

from __future__ import annotations

from typing import Any

from cucme_lab.lab.audit.cisco import CHECKS as CISCO_CHECKS
from cucme_lab.lab.audit.findings import Check, Finding, score
from cucme_lab.lab.audit.nsa import CHECKS as NSA_CHECKS
from cucme_lab.lab.audit.view import AuditView

CHECKS: list[Check] = [*NSA_CHECKS, *CISCO_CHECKS]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def run_checks(router: Any, checks: list[Check] | None = None) -> list[Finding]:
    """Every finding of the active checks, most severe first (registry order within)."""
    view = AuditView(router)
    found = [f for check in (CHECKS if checks is None else checks)
             for f in check.run(check, view)]
    return sorted(found, key=lambda f: SEVERITY_ORDER[f.severity])


def audit_router(router: Any) -> dict:
    """The audit as JSON (docs/audit.schema.json)."""
    findings = run_checks(router)
    return {"score": score(CHECKS, findings), "findings": [f.as_dict() for f in findings]}


__all__ = ["CHECKS", "audit_router", "run_checks"]
