"""`cucme-lab scenario`: run scenarios, print their timelines, write reports.

    cucme-lab scenario run [--json OUT] [--junit OUT] [--run-drafts] [--keep-labs DIR]
                           [--quiet] [-j N] FILE|DIR...
    cucme-lab scenario check FILE|DIR...      (validate only)
A FILE that is a bare name found nowhere else is the library's scenario of that name.
    cucme-lab scenario list [DIR]             (the library, or DIR's scenarios)

Each scenario runs in a fresh lab folder of its own; with `-j N`, N at a time in worker
processes, each lab on a loopback range of its own (lab/ranges.py), the timelines printed in
file order as a serial run prints them. The exit code is 0 when every expectation
of every scenario held (drafts are skipped and do not fail the run), 1 when any expectation
failed or a step could not be carried out, 2 when any scenario file is invalid (schema error,
with file, line and field) or the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.scenarios import report
from cucme_lab.scenarios.parallel import run_parallel
from cucme_lab.scenarios.runner import (
    EXIT_INVALID,
    EXIT_OK,
    LIBRARY,
    ScenarioResult,
    exit_code,
    run_reported,
    scenario_files,
)
from cucme_lab.scenarios.scenario import load_scenario


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cucme-lab scenario", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run scenarios and print their timelines")
    run.add_argument("files", nargs="+", metavar="FILE", help="scenario files or folders")
    run.add_argument("--json", metavar="OUT", help="write a JSON report to OUT")
    run.add_argument("--junit", metavar="OUT", help="write a JUnit XML report to OUT")
    run.add_argument("--run-drafts", action="store_true",
                     help="run scenarios marked `status: draft` instead of skipping them")
    run.add_argument("--keep-labs", metavar="DIR", type=Path,
                     help="run each scenario's lab in DIR/<name> and keep it afterwards")
    run.add_argument("--quiet", "-q", action="store_true", help="print one line per scenario")
    run.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                     help="run N scenarios at once, each in its own process (0: one per CPU)")
    check = sub.add_parser("check", help="validate scenario files without running them")
    check.add_argument("files", nargs="+", metavar="FILE")
    lst = sub.add_parser("list", help="list scenarios (default: the library)")
    lst.add_argument("folder", nargs="?", default=str(LIBRARY))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    if args.command == "list":
        return _list(Path(args.folder))
    files = scenario_files(args.files)
    if not files:
        print("cucme-lab scenario: no scenario files given", file=sys.stderr)
        return EXIT_INVALID
    if args.command == "check":
        return _check(files)
    results: list[ScenarioResult] = []
    if args.jobs != 1 and len(files) > 1:
        for r, text in run_parallel(files, args.jobs, lab_root=args.keep_labs,
                                    run_drafts=args.run_drafts, quiet=args.quiet):
            results.append(r)
            print(text, end="", flush=True)
    else:
        for path in files:
            results.append(run_reported(path, lab_root=args.keep_labs,
                                        run_drafts=args.run_drafts, quiet=args.quiet,
                                        write=lambda text: print(text, flush=True)))
    code = exit_code(results)
    counts = {s: sum(1 for r in results if r.status == s)
              for s in ("passed", "failed", "error", "invalid", "skipped")}
    print("summary: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
          + f" (exit {code})")
    if args.json:
        report.write_json(results, Path(args.json), code)
    if args.junit:
        report.write_junit(results, Path(args.junit))
    return code


def _check(files: list[Path]) -> int:
    code = EXIT_OK
    for path in files:
        try:
            sc = load_scenario(path)
        except SchemaError as exc:
            print(f"INVALID {exc}")
            code = EXIT_INVALID
        except OSError as exc:
            print(f"INVALID {path}:1: (file): cannot read: {exc.strerror or exc}")
            code = EXIT_INVALID
        else:
            draft = f" (draft: {sc.reason})" if sc.status == "draft" else ""
            print(f"ok      {path}: {sc.name}, {len(sc.steps)} step(s){draft}")
    return code


def _list(folder: Path) -> int:
    for path in sorted(folder.glob("*.yaml")):
        try:
            sc = load_scenario(path)
        except SchemaError as exc:
            print(f"{path.name:40} INVALID {exc.message} (line {exc.line})")
            continue
        mark = "draft" if sc.status == "draft" else "ready"
        print(f"{path.name:40} {mark:6} {sc.name}")
    return EXIT_OK
