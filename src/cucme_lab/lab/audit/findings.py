"""What an audit check returns, and how the findings become a score.

A check is a function of the router giving zero or more `Finding`s. Each finding names the
document and section whose recommendation is not met, why that matters, and the commands that
fix it. The score weighs each check once (by its worst severity), however many phones it
names: 100 means every check of the registry held.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["high", "medium", "low"]
Document = Literal["NSA", "Cisco"]
WEIGHTS: dict[str, int] = {"high": 10, "medium": 5, "low": 2}
NSA = "NSA"
CISCO = "Cisco"


def place(name: str) -> str:
    """A configured name as the place part of a finding id (docs/audit.schema.json):
    `FastEthernet0/0` becomes `FastEthernet0-0`, any other character not allowed `_`."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "_", name.replace("/", "-"))


@dataclass(frozen=True)
class Finding:
    """One recommendation not met. `id` is the check's id, then `/` and the object (ephone
    tag, trustpoint, vty range) when a check can find the same fault in several places."""

    id: str
    severity: Severity
    document: Document
    section: str
    title: str
    why: str
    fix: tuple[str, ...]

    @property
    def check(self) -> str:
        return self.id.split("/", 1)[0]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "document": self.document,
                "section": self.section, "title": self.title, "why": self.why,
                "fix": list(self.fix)}


@dataclass(frozen=True)
class Check:
    """A recommendation and the function that looks for it being broken."""

    id: str
    severity: Severity
    document: Document
    section: str
    title: str
    why: str
    run: Callable[[Any], Iterable[Finding]]

    def finding(self, fix: Iterable[str], *, what: str = "", title: str = "",
                why: str = "", severity: Severity | None = None) -> Finding:
        """A finding of this check; `what` names the object when there can be several."""
        return Finding(f"{self.id}/{what}" if what else self.id, severity or self.severity,
                       self.document, self.section, title or self.title, why or self.why,
                       tuple(fix))


def score(checks: Iterable[Check], findings: Iterable[Finding]) -> int:
    """Percent of the checks' weight that held; a check counts once, by its worst finding."""
    checks = list(checks)
    total = sum(WEIGHTS[c.severity] for c in checks)
    failed = {f.check for f in findings}
    lost = sum(WEIGHTS[c.severity] for c in checks if c.id in failed)
    return 100 if total == 0 else round(100 * (total - lost) / total)
