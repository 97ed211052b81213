"""Running scenarios: each in a fresh lab folder of its own, its timeline printed step by
step, its result judged (`cucme-lab scenario run` is `scenario_cli`; `-j N` is `parallel`).

The exit code of a run is 0 when every expectation of every scenario held (drafts are skipped
and do not fail the run), 1 when any expectation failed or a step could not be carried out, 2
when any scenario file is invalid (schema error, with file, line and field) or the command
line is wrong.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trio

from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.scenarios.outcomes import Check, StepError, StepOutcome
from cucme_lab.scenarios.scenario import Scenario, Step, load_scenario
from cucme_lab.scenarios.steps import Context, run_step
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.declarations import CommandSet

LIBRARY = Path(__file__).parent / "library"
EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@dataclass
class StepResult:
    index: int
    step: Step
    status: str  # passed | failed | error | not-run
    at: float = 0.0  # seconds since the scenario started
    duration: float = 0.0
    seen: str = ""
    output: str = ""
    checks: list[Check] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict:
        return {"index": self.index, "line": self.step.line, "kind": self.step.kind,
                "title": self.step.title, "status": self.status, "at": round(self.at, 4),
                "duration": round(self.duration, 4), "seen": self.seen, "output": self.output,
                "checks": [c.as_dict() for c in self.checks], "error": self.error}


@dataclass
class ScenarioResult:
    file: str
    name: str = ""
    status: str = "passed"  # passed | failed | error | invalid | skipped
    reason: str = ""  # why skipped, invalid or in error
    shows: str = ""
    duration: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    schema_error: SchemaError | None = None

    @property
    def failures(self) -> list[tuple[StepResult, Check | None]]:
        out: list[tuple[StepResult, Check | None]] = []
        for r in self.steps:
            if r.status == "error":
                out.append((r, None))
            out += [(r, c) for c in r.checks if not c.ok]
        return out

    def as_dict(self) -> dict:
        d = {"file": self.file, "name": self.name, "status": self.status,
             "reason": self.reason, "shows": self.shows, "duration": round(self.duration, 4),
             "steps": [s.as_dict() for s in self.steps]}
        if self.schema_error is not None:
            e = self.schema_error
            d["schema_error"] = {"file": e.file, "line": e.line, "field": e.field,
                                 "message": e.message}
        return d


# --- running ------------------------------------------------------------------------------

@asynccontextmanager
async def open_context(sc: Scenario, lab_dir: Path) -> AsyncIterator[Context]:
    """The scenario's lab: the router alone, or the router with its services and phones."""
    async with trio.open_nursery() as nursery:
        if sc.settings.network:
            from cucme_lab.lab.runtime import run_lab

            async with run_lab(lab_dir, sc.lab, boot_phones=sc.settings.boot_phones,
                               time_scale=sc.settings.time_scale) as runtime:
                ctx = Context(runtime.router, runtime.lab.commands, runtime, nursery)
                try:
                    yield ctx
                finally:
                    ctx.close()
        else:
            commands = command_set()
            ctx = Context(await _router_only(sc, lab_dir, commands), commands, None, nursery)
            try:
                yield ctx
            finally:
                ctx.close()
        nursery.cancel_scope.cancel()


async def _router_only(sc: Scenario, lab_dir: Path, commands: CommandSet):
    import json

    from cucme_lab.lab.addresses import AddressPlan
    from cucme_lab.lab.router_lab import load_chassis
    from cucme_lab.router.router import Router
    from cucme_lab.shell.boot import reload_router

    lab_dir.mkdir(parents=True, exist_ok=True)
    nvram = lab_dir / "nvram" / "startup-config"
    if sc.lab.startup_config and not nvram.exists():
        nvram.parent.mkdir(parents=True, exist_ok=True)
        nvram.write_text(sc.lab.startup_config)
    if sc.lab.chassis and not (lab_dir / "chassis.json").exists():
        (lab_dir / "chassis.json").write_text(json.dumps(sc.lab.chassis))
    # no network: the plan only says where configured addresses would be (nothing listens)
    router = Router.open(lab_dir, addresses=AddressPlan(), chassis=load_chassis(lab_dir))
    await reload_router(router, commands)
    return router


StepListener = Callable[[ScenarioResult, StepResult], None]


async def run_scenario(sc: Scenario, lab_dir: Path, *, run_drafts: bool = False,
                       on_step: StepListener | None = None) -> ScenarioResult:
    result = ScenarioResult(sc.file, sc.name, shows=sc.shows)
    if sc.status == "draft" and not run_drafts:
        result.status, result.reason = "skipped", f"draft: {sc.reason}"
        result.steps = [StepResult(i, s, "not-run") for i, s in enumerate(sc.steps, 1)]
        return result
    start = trio.current_time()
    remaining = list(enumerate(sc.steps, 1))
    with trio.move_on_after(sc.settings.timeout) as scope:
        try:
            async with open_context(sc, lab_dir) as ctx:
                while remaining:
                    index, step = remaining.pop(0)
                    r = await _one_step(ctx, index, step, start)
                    result.steps.append(r)
                    if on_step is not None:
                        on_step(result, r)
                    if r.status != "passed" and not sc.settings.keep_going:
                        break
        except Exception as exc:  # the lab itself failed to start or stop
            result.status = "error"
            result.reason = f"the lab failed: {type(exc).__name__}: {exc}"
    if scope.cancelled_caught:
        result.status = "failed"
        result.reason = f"the scenario did not finish within {sc.settings.timeout:g}s"
    result.steps += [StepResult(i, s, "not-run") for i, s in remaining]
    result.duration = trio.current_time() - start
    if result.status == "passed" and any(s.status in ("failed", "error")
                                         for s in result.steps):
        result.status = "failed"
    return result


async def _one_step(ctx: Context, index: int, step: Step, start: float) -> StepResult:
    t0 = trio.current_time()
    r = StepResult(index, step, "passed", at=t0 - start)
    try:
        outcome: StepOutcome = await run_step(ctx, step)
    except StepError as exc:
        r.status, r.error = "error", str(exc)
    except trio.Cancelled:
        r.status, r.error = "error", "cancelled: the scenario ran out of time"
        r.duration = trio.current_time() - t0
        raise
    except Exception as exc:
        r.status, r.error = "error", f"{type(exc).__name__}: {exc}"
    else:
        r.seen, r.output, r.checks = outcome.seen, outcome.output, outcome.checks
        if not outcome.ok:
            r.status = "failed"
    r.duration = trio.current_time() - t0
    return r


def run_file(path: Path | str, *, lab_root: Path | None = None, run_drafts: bool = False,
             on_step: StepListener | None = None) -> ScenarioResult:
    """Load and run one scenario file in a fresh lab folder (synchronous: starts trio)."""
    started = time.monotonic()
    try:
        sc = load_scenario(path)
    except SchemaError as exc:
        return ScenarioResult(str(path), Path(path).name, "invalid", str(exc),
                              schema_error=exc)
    except OSError as exc:
        err = SchemaError(str(path), 1, "(file)", f"cannot read: {exc.strerror or exc}")
        return ScenarioResult(str(path), Path(path).name, "invalid", str(err), schema_error=err)
    if lab_root is not None:
        lab_dir = Path(lab_root) / Path(path).name.split(".")[0]
        if lab_dir.exists():
            shutil.rmtree(lab_dir)
        result = trio.run(lambda: run_scenario(sc, lab_dir, run_drafts=run_drafts,
                                               on_step=on_step))
    else:
        with tempfile.TemporaryDirectory(prefix="cucme-scenario-") as tmp:
            result = trio.run(lambda: run_scenario(sc, Path(tmp) / "lab",
                                                   run_drafts=run_drafts, on_step=on_step))
    result.duration = time.monotonic() - started
    return result


def exit_code(results: list[ScenarioResult]) -> int:
    if any(r.status == "invalid" for r in results):
        return EXIT_INVALID
    if any(r.status in ("failed", "error") for r in results):
        return EXIT_FAILED
    return EXIT_OK


def scenario_files(paths: list[str]) -> list[Path]:
    """Files as given; a folder stands for its `*.yaml` files (sorted); a bare name that is
    no file here names a scenario of the library (`nsa_appendix_b`, from any folder)."""
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(p.glob("*.yaml")) if p.is_dir() else [library_file(p)]
    return out


def library_file(path: Path) -> Path:
    """`path` itself, or the library's scenario of that name when `path` is a bare name that
    does not exist (the caller reports a missing file as before)."""
    if path.exists() or len(path.parts) != 1:
        return path
    for candidate in (LIBRARY / path.name, LIBRARY / f"{path.name}.yaml"):
        if candidate.is_file():
            return candidate
    return path


# --- the timeline -------------------------------------------------------------------------

MARK = {"passed": "ok", "failed": "FAIL", "error": "ERROR", "not-run": "not run"}


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines()) or prefix.rstrip()


def format_step(r: StepResult) -> str:
    head = f"  [{r.at:7.2f}s] {r.index:>2}. (line {r.step.line}) {r.step.title}"
    lines = [f"{head}  ... {MARK[r.status]}"]
    if r.seen:
        lines.append(f"             seen: {r.seen}")
    for c in r.checks:
        if c.ok:
            lines.append(f"             ok   {c.what}: {_one_line(c.expected)}")
        else:
            lines.append(f"             FAIL {c.what}")
            lines.append("               expected: " + _first_and_rest(c.expected, 25))
            lines.append("               observed: " + _first_and_rest(c.observed, 25))
    if r.error:
        lines.append(f"             error: {r.error}")
    return "\n".join(lines)


def _one_line(text: str, width: int = 70) -> str:
    one = text.replace("\n", "\\n")
    return one if len(one) <= width else one[:width - 3] + "..."


def _first_and_rest(text: str, indent: int) -> str:
    lines = text.splitlines() or [""]
    return "\n".join([lines[0]] + [" " * indent + x for x in lines[1:]])


def format_header(r: ScenarioResult) -> str:
    head = f"scenario {r.file}: {r.name}"
    return head + (f"\n  shows: {r.shows}" if r.shows else "")


def format_footer(r: ScenarioResult) -> str:
    checks = [c for s in r.steps for c in s.checks]
    failed = sum(1 for c in checks if not c.ok)
    if r.status == "invalid":
        return f"  INVALID {r.reason}"
    if r.status == "skipped":
        return f"  SKIPPED ({r.reason})"
    word = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR"}[r.status]
    extra = f": {r.reason}" if r.reason else ""
    not_run = sum(1 for s in r.steps if s.status == "not-run")
    tail = f", {not_run} step(s) not run" if not_run else ""
    return (f"  {word}{extra} ({len(checks)} check(s), {failed} failed{tail}) "
            f"in {r.duration:.2f}s")


def format_result(r: ScenarioResult) -> str:
    """The whole timeline of a finished scenario, as `run` prints it."""
    parts = [format_header(r)]
    if r.status not in ("invalid", "skipped"):
        parts += [format_step(s) for s in r.steps if s.status != "not-run"]
    parts.append(format_footer(r))
    return "\n".join(parts)


def run_reported(path: Path, *, lab_root: Path | None, run_drafts: bool, quiet: bool,
                 write: Callable[[str], None]) -> ScenarioResult:
    """Run one scenario, writing its timeline (or its one line, `quiet`) line by line."""
    headed: list[bool] = []

    def printer(res: ScenarioResult, step: StepResult) -> None:
        if quiet:
            return
        if not headed:
            headed.append(True)
            write(format_header(res))
        write(format_step(step))

    r = run_file(path, lab_root=lab_root, run_drafts=run_drafts, on_step=printer)
    if quiet:
        write(f"{r.status.upper():8} {r.file}: {r.name} ({r.duration:.2f}s)"
              + (f" - {r.reason}" if r.reason else ""))
    else:
        if not headed:
            write(format_header(r))
        write(format_footer(r))
    return r
