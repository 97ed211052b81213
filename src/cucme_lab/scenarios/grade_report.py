"""A guided lab's grade as files: JSON (the tracker's `grade()`) and JUnit XML (one test case
per objective; a failed objective is a `<failure>` whose message is its hint)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from cucme_lab.router.storage import atomic_write
from cucme_lab.scenarios.report import _clean


def write_json(grade: dict, out: Path) -> None:
    _write(out, (json.dumps(grade, indent=1, ensure_ascii=False) + "\n").encode())


def to_junit(grade: dict) -> ET.Element:
    objectives = grade["objectives"]
    failed = [o for o in objectives if not o["done"]]
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": _clean(f"guided lab: {grade['title']}"), "tests": str(len(objectives)),
        "failures": str(len(failed)), "errors": "0", "skipped": "0",
        "time": f"{grade['elapsed']:.3f}"})
    props = ET.SubElement(suite, "properties")
    for name, value in (("percent", grade["percent"]), ("time_limit", grade["time_limit"]),
                        ("time_up", grade["time_up"])):
        ET.SubElement(props, "property", {"name": name, "value": str(value)})
    for o in objectives:
        case = ET.SubElement(suite, "testcase", {"classname": f"guided.{grade['lab']}",
                                                 "name": _clean(f"{o['id']}: {o['text']}"),
                                                 "time": "0"})
        if not o["done"]:
            details = [f"{c['what']}\n  expected: {c['expected']}\n  observed: {c['observed']}"
                       for c in o["checks"] if not c["ok"]]
            if o["error"]:
                details.append(f"cannot judge: {o['error']}")
            node = ET.SubElement(case, "failure", {
                "type": "ObjectiveNotMet",
                "message": _clean(f"hint: {o['hint']}" if o["hint"] else o["check"])})
            node.text = _clean("\n".join([f"objective: {o['check']}", *details]))
    return suites


def write_junit(grade: dict, out: Path) -> None:
    tree = ET.ElementTree(to_junit(grade))
    ET.indent(tree)
    _write(out, ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True) + b"\n")


def _write(out: Path, data: bytes) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, data)
