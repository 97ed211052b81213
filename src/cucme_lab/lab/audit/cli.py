"""`cucme-lab audit [--lab DIR] [--labfile FILE] [--json] [--fail-under SCORE]`: the security
audit of a lab.

A running lab keeps its audit in `audit.json` beside `lab.json` (refreshed within a second of a
change: `live.keep_audit_current`); the command prints that one, which includes the phones'
live state.
A stopped lab is booted offline from its saved configuration (nothing listens, nothing in the
folder changes) and audited; a folder with no saved configuration is audited as the lab file
would start it. Exit code 0 when the audit ran, 1 when its score is below `--fail-under`, 2
when it could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import trio

from cucme_lab.lab.audit import audit_router
from cucme_lab.lab.audit.live import read_live_audit
from cucme_lab.lab.labfile import DEFAULT_LAB, LabFile, load_lab
from cucme_lab.lab.lock import LabInUse, lab_lock
from cucme_lab.lab.yamlnodes import SchemaError

DEFAULT_LAB_DIR = Path.home() / ".cucme-lab" / "default"
EXIT_OK, EXIT_BELOW, EXIT_ERROR = 0, 1, 2
FIRST_AUDIT_POLLS = 30


def _score(text: str) -> int:
    if not text.isdigit() or int(text) > 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a score from 0 to 100")
    return int(text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cucme-lab audit", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lab", type=Path, default=DEFAULT_LAB_DIR,
                   help="lab folder, running or stopped (default: %(default)s)")
    p.add_argument("--labfile", type=Path, default=DEFAULT_LAB,
                   help="lab file for a folder with no saved configuration yet")
    p.add_argument("--json", action="store_true",
                   help="print the audit as JSON (docs/audit.schema.json)")
    p.add_argument("--fail-under", type=_score, metavar="SCORE",
                   help="exit 1 when the score is below SCORE (0-100), for CI")
    return p.parse_args(argv)


async def audit_offline(lab_dir: Path, labfile: LabFile) -> dict:
    """Boot the saved configuration with no network and audit it (the caller holds the lock)."""
    from cucme_lab.lab.addresses import AddressPlan
    from cucme_lab.lab.router_lab import load_chassis
    from cucme_lab.router.router import Router
    from cucme_lab.shell.boot import reload_router
    from cucme_lab.shell.commands import command_set

    router = Router.open(lab_dir, addresses=AddressPlan(), chassis=load_chassis(lab_dir))
    await reload_router(router, command_set())
    return audit_router(router)


def audit_lab(lab_dir: Path, labfile: LabFile) -> tuple[dict, str]:
    """The audit and what it judged: the running lab's live audit or the saved configuration."""
    if not (lab_dir / "nvram" / "startup-config").exists():
        with tempfile.TemporaryDirectory(prefix="cucme-audit-") as tmp:
            seed = Path(tmp) / "lab"
            (seed / "nvram").mkdir(parents=True)
            (seed / "nvram" / "startup-config").write_text(labfile.startup_config or "")
            if labfile.chassis:
                (seed / "chassis.json").write_text(json.dumps(labfile.chassis))
            report = trio.run(audit_offline, seed, labfile)
        return report, f"a new lab from {labfile.source or 'the lab file'} (not started yet)"
    try:
        with lab_lock(lab_dir):
            return trio.run(audit_offline, lab_dir, labfile), \
                "the saved configuration (lab stopped; booted offline)"
    except LabInUse:
        for _ in range(FIRST_AUDIT_POLLS):  # a lab that just started writes it within a second
            report = read_live_audit(lab_dir)
            if report is not None:
                return report, "the running configuration and live state (lab running)"
            time.sleep(0.1)
        raise RuntimeError("the lab is running but has written no audit (audit.json) yet; "
                           "is it an older cucme-lab?") from None


def format_report(report: dict, lab_dir: Path, judged: str) -> str:
    findings = report["findings"]
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("high", "medium",
                                                                            "low")}
    lines = [f"Security audit of {lab_dir}: {judged}",
             f"Score: {report['score']}/100 ({len(findings)} finding(s): "
             + ", ".join(f"{n} {s}" for s, n in counts.items()) + ")"]
    for f in findings:
        lines += ["", f"{f['severity'].upper():<6} {f['title']}  [{f['id']}]",
                  f"       {f['document']}, section {f['section']}"]
        lines += textwrap.wrap(f"Why: {f['why']}", 90, initial_indent="       ",
                               subsequent_indent="            ")
        lines.append("       Fix:")
        lines += [f"         {cmd}" for cmd in f["fix"]]
    if not findings:
        lines.append("\nEvery recommendation checked holds.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        labfile = load_lab(args.labfile)
        report, judged = audit_lab(args.lab, labfile)
    except (SchemaError, RuntimeError, OSError, ValueError) as exc:
        print(f"cucme-lab audit: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(format_report(report, args.lab, judged), end="")
    if args.fail_under is not None and report["score"] < args.fail_under:
        print(f"cucme-lab audit: score {report['score']} is below {args.fail_under}",
              file=sys.stderr)
        return EXIT_BELOW
    return EXIT_OK
