"""`cucme-lab guided`: run a guided lab, show its progress, grade it.

    cucme-lab guided --list
    cucme-lab guided LAB [--lab DIR] [--script FILE|-] [--settle SECONDS] [--serve]
                         [--no-phones] [--json OUT] [--junit OUT] [--time-scale X]
                         [--dashboard [--dashboard-port N] [--dashboard-host ADDR]]

LAB is a lab file with `guided:` objectives, or the name of one shipped with cucme-lab (see
`--list`). The lab runs as `cucme-lab` runs it (console, script or `--serve`); the console's
status bar shows the percent complete and which objectives hold, `:objectives` lists them with
the hints of those not done (`:hint ID` one), and `lab.json` carries the same under `guided`
(the browser dashboard, with `--dashboard`, draws it in its guided-lab panel).
When the console is left (or the script ends, or the lab is stopped) the objectives are judged
one last time and the grade is printed, written to `--json`/`--junit`, and to the lab folder as
`grade.json`. Exit code: 0 when every objective holds, 1 when one
does not, 2 when the lab file is wrong.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import trio

from cucme_lab.lab.controls import run_control, toolbar
from cucme_lab.lab.dashboard.server import (
    DEFAULT_HOST,
    add_dashboard_arguments,
    optional_dashboard,
)
from cucme_lab.lab.labfile import LabFile, load_lab
from cucme_lab.lab.lock import LabInUse
from cucme_lab.lab.runtime import run_lab
from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.scenarios import grade_report
from cucme_lab.scenarios.guided import GuideTracker, format_grade, load_guide
from cucme_lab.scenarios.steps import Context

GUIDED_LABS = Path(__file__).resolve().parents[1] / "lab" / "labs" / "guided"
EXIT_PASSED, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def find_lab(name: str) -> Path:
    """A path as given, else a shipped guided lab by name (`nsa-global-rollout`)."""
    path = Path(name)
    if path.exists():
        return path
    shipped = GUIDED_LABS / f"{name.replace('-', '_')}.yaml"
    if shipped.exists():
        return shipped
    raise FileNotFoundError(f"no lab file {name} (and no guided lab of that name: "
                            "cucme-lab guided --list)")


async def run_guided(labfile: LabFile, lab_dir: Path, *, script: str | None = None,
                     serve: bool = False, boot_phones: bool = True,
                     time_scale: float = 1.0, settle: float = 0.0,
                     dashboard: tuple[str, int] | None = None) -> dict:
    """Run the lab with its guide until the console, script or serving ends; the grade.

    `settle`: after a script, up to this many seconds for the lab to catch up (phones
    rebooting after `reset all`) before the final judgement. `dashboard`: (host, port) to
    serve the browser dashboard on."""
    guide = load_guide(labfile)
    if guide is None:
        raise SchemaError(labfile.source, 1, "lab.guided", "this lab file has no `guided:` "
                          "section (objectives)")
    from cucme_lab.shell.frontends import run_console, run_script

    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with run_lab(lab_dir, labfile, boot_phones=boot_phones,
                           time_scale=time_scale) as runtime, \
                optional_dashboard(runtime, dashboard is not None,
                                   *(dashboard or (DEFAULT_HOST, 0))) as dash:
            lab = runtime.lab

            def publish(progress: dict) -> None:
                lab.manifest.guided = progress
                lab.write_manifest()
                if dash is not None:
                    dash.hub.poke()  # the page's guided-lab panel

            async def controls(line: str) -> str:
                if line.split()[:1] in (["objectives"], ["hint"]):
                    return objectives_text(tracker, line.split()[1:])
                return await run_control(runtime, line)

            async with trio.open_nursery() as nursery:
                ctx = Context(runtime.router, lab.commands, runtime, nursery)
                tracker = GuideTracker(guide, ctx, publish)
                await tracker.judge()
                publish(tracker.progress())
                nursery.start_soon(tracker.run)
                if script:
                    await run_script(runtime.router, lab.commands, script, controls)
                    with trio.move_on_after(settle):
                        while not await _all_done(tracker):
                            await trio.sleep(0.1)
                if serve:
                    async for _ in signals:
                        break
                elif not script:
                    await run_console(runtime.router, lab.commands, controls,
                                      lambda: f"{tracker.status_line()}   {toolbar(runtime)}")
                nursery.cancel_scope.cancel()
            await tracker.judge()
            tracker.stop()
            ctx.close()
            publish(tracker.progress())
            grade = tracker.grade()
            grade_report.write_json(grade, lab_dir / "grade.json")
            return grade


def objectives_text(tracker: GuideTracker, wanted: list[str]) -> str:
    """`:objectives` (every objective, with the hint of each not done) or `:hint ID`."""
    shown = [o for o in tracker.guide.objectives if not wanted or o.id in wanted]
    if not shown:
        return f"% No objective {' '.join(wanted)} (type :objectives)\n"
    lines = [tracker.status_line()] if not wanted else []
    for o in shown:
        done = tracker.states[o.id].done
        lines.append(f"  [{'x' if done else ' '}] {o.id}: {o.text}")
        if (not done or wanted) and o.hint:
            lines.append(f"        hint: {o.hint}")
    return "\n".join(lines) + "\n"


async def _all_done(tracker: GuideTracker) -> bool:
    await tracker.judge()
    return tracker.percent == 100 or tracker.time_up


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cucme-lab guided", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("labfile", nargs="?", help="a guided lab file, or a shipped lab's name")
    p.add_argument("--list", action="store_true", help="list the guided labs shipped")
    p.add_argument("--lab", type=Path, help="lab folder (default: ~/.cucme-lab/guided/NAME)")
    p.add_argument("--script", metavar="FILE", help="type FILE's lines (or stdin with '-')")
    p.add_argument("--serve", action="store_true", help="run without a console until stopped")
    p.add_argument("--no-phones", action="store_true", help="do not power the phones on")
    p.add_argument("--json", metavar="OUT", type=Path, help="write the grade as JSON to OUT")
    p.add_argument("--junit", metavar="OUT", type=Path, help="write the grade as JUnit XML")
    p.add_argument("--settle", type=float, default=0.0, metavar="SECONDS",
                   help="after --script, wait up to SECONDS for the objectives to hold")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="phones' timers scaled by this factor (tests: 0.05)")
    add_dashboard_arguments(
        p, "serve the browser dashboard, progress included (its URL is printed)")
    return p.parse_args(argv)


def list_labs() -> int:
    for path in sorted(GUIDED_LABS.glob("*.yaml")):
        try:
            guide = load_guide(load_lab(path))
        except SchemaError as exc:
            print(f"{path.stem.replace('_', '-'):28} INVALID {exc}")
            continue
        limit = f", {guide.time_limit / 60:g} min" if guide and guide.time_limit else ""
        count = len(guide.objectives) if guide else 0
        print(f"{path.stem.replace('_', '-'):28} {guide.title if guide else ''} "
              f"({count} objectives{limit})")
    return EXIT_PASSED


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.list:
        return list_labs()
    if not args.labfile:
        print("cucme-lab guided: give a lab file or a guided lab's name (--list)",
              file=sys.stderr)
        return EXIT_INVALID
    try:
        path = find_lab(args.labfile)
        labfile = load_lab(path)
        lab_dir = args.lab or Path.home() / ".cucme-lab" / "guided" / path.stem
        grade = trio.run(lambda: run_guided(labfile, lab_dir, script=args.script,
                                            serve=args.serve, boot_phones=not args.no_phones,
                                            time_scale=args.time_scale,
                                            settle=args.settle,
                                            dashboard=(args.dashboard_host, args.dashboard_port)
                                            if args.dashboard else None))
    except (SchemaError, FileNotFoundError) as exc:
        print(f"cucme-lab guided: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except LabInUse as exc:
        print(f"cucme-lab guided: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(format_grade(grade), end="")
    if args.json:
        grade_report.write_json(grade, args.json)
    if args.junit:
        grade_report.write_junit(grade, args.junit)
    return EXIT_PASSED if grade["passed"] else EXIT_FAILED
