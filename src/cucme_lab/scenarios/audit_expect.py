"""Judging the `audit` expectation: findings present or absent, the score at least N."""

from __future__ import annotations

from typing import Any

from cucme_lab.lab.audit import audit_router
from cucme_lab.scenarios.outcomes import Check


def _matches(wanted: str, found: str) -> bool:
    """`sast-shared-key` matches that finding; `phone-not-encrypted` matches every
    `phone-not-encrypted/N`; `phone-not-encrypted/2` only phone 2's."""
    return found == wanted or ("/" not in wanted and found.startswith(wanted + "/"))


def audit_checks(router: Any, a: dict) -> list[Check]:
    report = audit_router(router)
    found = [f["id"] for f in report["findings"]]
    out = []
    for wanted in a["present"]:
        hits = [f for f in found if _matches(wanted, f)]
        out.append(Check(f"audit finds {wanted}", "present",
                         ", ".join(hits) if hits else "absent; found: " + (", ".join(found)
                                                                          or "nothing"),
                         bool(hits)))
    for unwanted in a["absent"]:
        hits = [f for f in found if _matches(unwanted, f)]
        out.append(Check(f"audit does not find {unwanted}", "absent",
                         "absent" if not hits else "present: " + ", ".join(hits), not hits))
    if a["score"] is not None:
        out.append(Check("audit score", f">= {a['score']}", str(report["score"]),
                         report["score"] >= a["score"]))
    return out
