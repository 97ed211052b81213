"""Guided labs: a lab file's objectives, judged while the lab runs, and the final grade.

```yaml
lab:
  name: nsa-global-rollout
  phones: [...]
  startup-config: |
    ...
  guided:
    title: "NSA guide: secure CUCME with global settings"
    time-limit: 45m            # optional: seconds, or a number with s, m, h
    objectives:
      - id: ctl-file
        text: "Generate the CTL file (section 3.4)"
        hint: "ctl-client ... regenerate: without it no CTL file is created"
        check: {flash: CTLFile.tlv}        # any scenario expectation (docs/scenarios.md)
```

An objective holds when every check of its expectation holds: the expectations are parsed by
the scenario format (`scenario._expect`) and judged by the scenario steps (`steps.evaluate`),
so a guided lab and a scenario mean the same by `phone: all, security: encrypted`. The tracker
re-judges every objective twice a second, keeps `lab.json`'s `guided` key current, and freezes
the objectives' state when the time limit passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import trio

from cucme_lab.lab.labfile import LabFile
from cucme_lab.lab.yamlnodes import Node, SchemaError
from cucme_lab.scenarios.outcomes import Check, StepError
from cucme_lab.scenarios.scenario import _expect, describe_expect, duration
from cucme_lab.scenarios.steps import Context, evaluate

INTERVAL = 0.5  # seconds between judgements
ID = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Objective:
    id: str
    text: str
    hint: str
    expect: dict  # a parsed scenario expectation


@dataclass(frozen=True)
class Guide:
    title: str
    objectives: tuple[Objective, ...]
    time_limit: float | None = None  # seconds
    name: str = "lab"


def load_guide(labfile: LabFile) -> Guide | None:
    """The lab file's guide, or None when it has no `guided:` section."""
    node = labfile.guided
    if node is None:
        return None
    f = node.mapping({"title", "time-limit", "objectives"})
    if "objectives" not in f:
        raise node.error("a guided lab needs `objectives:`", f"{node.path}.objectives")
    limit = None
    if "time-limit" in f and f["time-limit"].scalar() is not None:
        limit = duration(f["time-limit"])
        if limit <= 0:
            raise f["time-limit"].error("a time limit is a positive duration")
    items = f["objectives"].sequence()
    if not items:
        raise f["objectives"].error("a guided lab needs at least one objective")
    objectives, seen = [], set()
    for item in items:
        objectives.append(_objective(item, seen))
    title = f["title"].text() if "title" in f else labfile.name
    return Guide(title, tuple(objectives), limit, labfile.name)


def _objective(node: Node, seen: set[str]) -> Objective:
    g = node.mapping({"id", "text", "hint", "check"})
    for key in ("id", "text", "check"):
        if key not in g:
            raise node.error(f"an objective needs `{key}:`", f"{node.path}.{key}")
    ident = g["id"].text()
    if not ID.fullmatch(ident):
        raise g["id"].error("an objective id is lower-case letters, digits and dashes")
    if ident in seen:
        raise g["id"].error(f"the objective id {ident} is given twice")
    seen.add(ident)
    return Objective(ident, g["text"].text().strip(),
                     g["hint"].text().strip() if "hint" in g else "", _expect(g["check"]))


@dataclass
class ObjectiveState:
    done: bool = False
    checks: list[Check] = field(default_factory=list)
    error: str = ""


class GuideTracker:
    """Judges a guide's objectives against a running lab and reports progress and grade."""

    def __init__(self, guide: Guide, ctx: Context, publish: Any = None) -> None:
        self.guide = guide
        self.ctx = ctx
        self.publish = publish  # called with progress() when it changes (lab.json)
        self.states = {o.id: ObjectiveState() for o in guide.objectives}
        self.started = trio.current_time()
        self.stopped_at: float | None = None
        # the elapsed time at the last judgement: what the status bar shows, since the
        # console draws it from prompt_toolkit's own thread, where trio's clock is not
        self.seen_elapsed = 0.0

    @property
    def elapsed(self) -> float:
        end = self.stopped_at if self.stopped_at is not None else trio.current_time()
        return end - self.started

    @property
    def time_up(self) -> bool:
        return self.guide.time_limit is not None and self.elapsed >= self.guide.time_limit

    @property
    def percent(self) -> int:
        done = sum(1 for s in self.states.values() if s.done)
        return round(100 * done / len(self.states))

    async def judge(self) -> bool:
        """Judge every objective once (unless time is up); True when any changed."""
        self.seen_elapsed = self.elapsed
        if self.time_up:
            return False
        changed = False
        for objective in self.guide.objectives:
            state = ObjectiveState()
            try:
                state.checks = await evaluate(self.ctx, objective.expect)
                state.done = bool(state.checks) and all(c.ok for c in state.checks)
            except StepError as exc:
                state.error = str(exc)
            except Exception as exc:  # a judging bug marks the objective, never ends the lab
                state.error = f"{type(exc).__name__}: {exc}"
            changed |= state.done != self.states[objective.id].done
            self.states[objective.id] = state
        return changed

    async def run(self, interval: float = INTERVAL) -> None:
        """Judge, and publish progress, until cancelled."""
        last_published = -1.0
        while True:
            changed = await self.judge()
            now = trio.current_time()
            if self.publish is not None and (changed or now - last_published >= 1.0):
                self.publish(self.progress())
                last_published = now
            await trio.sleep(interval)

    def stop(self) -> None:
        self.stopped_at = trio.current_time()
        self.seen_elapsed = self.elapsed

    # --- what others read ---------------------------------------------------------------
    def progress(self) -> dict:
        """lab.json's `guided`: title, percent, time limit, elapsed, each objective's state."""
        return {"title": self.guide.title, "percent": self.percent,
                "time_limit": self.guide.time_limit, "elapsed": round(self.elapsed, 3),
                "objectives": [{"id": o.id, "text": o.text, "done": self.states[o.id].done,
                                "hint": o.hint} for o in self.guide.objectives]}

    def status_line(self) -> str:
        """The console's status bar: percent, each objective's mark, the clock (as of the last
        judgement; safe to call from any thread)."""
        marks = " ".join(f"{o.id}{'+' if self.states[o.id].done else '-'}"
                         for o in self.guide.objectives)
        clock = _clock(self.seen_elapsed)
        limit = self.guide.time_limit
        if limit is not None:
            clock += "/" + _clock(limit) + (" TIME UP" if self.seen_elapsed >= limit else "")
        return f"Lab {self.percent}% [{marks}] {clock}"

    def grade(self) -> dict:
        """The final grade report (JSON): every objective with its checks and, when it
        failed, its hint."""
        objectives = []
        for o in self.guide.objectives:
            s = self.states[o.id]
            objectives.append({"id": o.id, "text": o.text, "done": s.done, "hint": o.hint,
                               "check": describe_expect(o.expect), "error": s.error,
                               "checks": [c.as_dict() for c in s.checks]})
        return {"version": 1, "lab": self.guide.name, "title": self.guide.title,
                "percent": self.percent, "passed": self.percent == 100,
                "time_limit": self.guide.time_limit, "elapsed": round(self.elapsed, 3),
                "time_up": self.time_up, "objectives": objectives}


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


def format_grade(grade: dict) -> str:
    """The grade as the terminal shows it: each objective, and the hint of each failed one."""
    lines = [f"Guided lab: {grade['title']}",
             f"Grade: {grade['percent']}% "
             f"({sum(o['done'] for o in grade['objectives'])} of {len(grade['objectives'])} "
             f"objectives) in {_clock(grade['elapsed'])}"
             + (" - time limit passed" if grade["time_up"] else "")]
    for o in grade["objectives"]:
        lines.append(f"  [{'x' if o['done'] else ' '}] {o['id']}: {o['text']}")
        if not o["done"]:
            failed = [c for c in o["checks"] if not c["ok"]]
            for c in failed[:3]:
                observed = c["observed"].splitlines()[0] if c["observed"] else ""
                if observed.startswith(("(nearest", "(no similar")):  # an excerpt's heading
                    observed = "not there"
                lines.append(f"        not yet: {c['what']}: expected {c['expected']!r}, "
                             f"observed {observed!r}")
            if o["error"]:
                lines.append(f"        cannot judge: {o['error']}")
            if o["hint"]:
                lines.append(f"        hint: {o['hint']}")
    return "\n".join(lines) + "\n"


__all__ = ["Guide", "GuideTracker", "Objective", "SchemaError", "format_grade", "load_guide"]
