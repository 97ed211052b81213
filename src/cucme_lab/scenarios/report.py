"""Scenario reports: JSON (everything the timeline shows) and JUnit XML (for CI dashboards).

JSON: `{"version": 1, "exit_code": N, "summary": {...}, "scenarios": [...]}`, each scenario
with its status, reason, steps (line, kind, title, status, seen, output, checks with expected and
observed) and, for an invalid file, `schema_error` {file, line, field, message}.

JUnit: one `<testcase>` per scenario in one `<testsuite>`; a failed expectation is a
`<failure>`, a step that could not run or an invalid file an `<error>`, a draft `<skipped>`;
the timeline is the case's `<system-out>`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from cucme_lab.router.storage import atomic_write
from cucme_lab.scenarios.runner import ScenarioResult, format_result

STATUSES = ("passed", "failed", "error", "invalid", "skipped")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def summary(results: list[ScenarioResult]) -> dict[str, int]:
    return {s: sum(1 for r in results if r.status == s) for s in STATUSES}


def to_json(results: list[ScenarioResult], exit_code: int) -> dict:
    return {"version": 1, "exit_code": exit_code, "summary": summary(results),
            "scenarios": [r.as_dict() for r in results]}


def write_json(results: list[ScenarioResult], out: Path, exit_code: int) -> None:
    text = json.dumps(to_json(results, exit_code), indent=1, ensure_ascii=False)
    _write(out, (text + "\n").encode("utf-8"))


def _clean(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _failure_text(r: ScenarioResult) -> tuple[str, str]:
    """A one-line message and the details of what failed (expected and observed)."""
    lines, message = [], ""
    for step, check in r.failures:
        if check is None:
            msg = f"step {step.index} (line {step.step.line}) {step.step.title}: {step.error}"
            lines.append(msg)
        else:
            msg = (f"step {step.index} (line {step.step.line}) {check.what}: "
                   f"expected {check.expected!r}, observed {check.observed!r}")
            lines.append(f"step {step.index} (line {step.step.line}) {step.step.title}\n"
                         f"  {check.what}\n  expected: {check.expected}\n"
                         f"  observed: {check.observed}")
        message = message or msg
    if r.reason:
        message = message or r.reason
        lines.append(r.reason)
    return message[:500], "\n".join(lines)


def to_junit(results: list[ScenarioResult]) -> ET.Element:
    counts = summary(results)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": "cucme-lab scenarios", "tests": str(len(results)),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"] + counts["invalid"]),
        "skipped": str(counts["skipped"]),
        "time": f"{sum(r.duration for r in results):.3f}"})
    for r in results:
        stem = Path(r.file).name.split(".")[0]
        case = ET.SubElement(suite, "testcase", {
            "classname": f"scenarios.{stem}", "name": _clean(r.name or stem),
            "file": _clean(r.file), "time": f"{r.duration:.3f}"})
        if r.status == "skipped":
            ET.SubElement(case, "skipped", {"message": _clean(r.reason)})
        elif r.status == "invalid":
            err = ET.SubElement(case, "error", {"type": "SchemaError",
                                                "message": _clean(r.reason)})
            err.text = _clean(r.reason)
        elif r.status in ("failed", "error"):
            message, details = _failure_text(r)
            only_errors = all(c is None for _, c in r.failures) and r.failures
            tag = "error" if r.status == "error" or only_errors else "failure"
            node = ET.SubElement(case, tag, {"type": "ScenarioFailure" if tag == "failure"
                                             else "ScenarioError", "message": _clean(message)})
            node.text = _clean(details)
        out = ET.SubElement(case, "system-out")
        out.text = _clean(format_result(r))
    return suites


def write_junit(results: list[ScenarioResult], out: Path) -> None:
    tree = ET.ElementTree(to_junit(results))
    ET.indent(tree)
    data = ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
    _write(out, data + b"\n")


def _write(out: Path, data: bytes) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, data)
