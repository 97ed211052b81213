"""What a scenario step comes to: its outcome, the checks it judged, or why it could not run.

Kept apart from `steps` (which carries steps out) so the expectations judged elsewhere
(`snmp_expect`, `audit_expect`, `outside_step`) build their checks without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class StepError(Exception):
    """A step that cannot be carried out (no such phone, no network, ...)."""


@dataclass
class Check:
    what: str
    expected: str
    observed: str
    ok: bool

    def as_dict(self) -> dict:
        return {"what": self.what, "expected": self.expected, "observed": self.observed,
                "ok": self.ok}


@dataclass
class StepOutcome:
    seen: str = ""  # one line for the timeline
    output: str = ""  # the full text (cli output), for reports
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)
