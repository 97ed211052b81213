"""A guided lab graded end to end: a scripted trainee doing the NSA global rollout gets 100%;
one who forgets `regenerate` sees the failing objective with its hint."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import trio

from cucme_lab.lab.labfile import load_lab
from cucme_lab.lab.manifest import read_manifest
from cucme_lab.scenarios import grade_report
from cucme_lab.scenarios.guided import format_grade
from cucme_lab.scenarios.guided_cli import find_lab, run_guided

TRAINEES = Path(__file__).parent / "trainees"
SCALE = 0.05  # phones' timers, as the scenario library runs them


def nsa_lab():
    return load_lab(find_lab("nsa-global-rollout"))


async def test_a_scripted_trainee_completes_the_nsa_global_rollout(tmp_path):
    lab_dir = tmp_path / "lab"
    with trio.fail_after(240):
        grade = await run_guided(nsa_lab(), lab_dir,
                                 script=str(TRAINEES / "nsa_global_rollout.txt"),
                                 time_scale=SCALE, settle=120)
    assert [o["id"] for o in grade["objectives"] if not o["done"]] == []
    assert grade["percent"] == 100 and grade["passed"]
    assert not grade["time_up"] and grade["time_limit"] == 3600
    guided = read_manifest(lab_dir)["guided"]
    assert guided["percent"] == 100
    assert set(guided) == {"title", "percent", "time_limit", "elapsed", "objectives"}
    assert all(o["done"] for o in guided["objectives"])
    assert json.loads((lab_dir / "grade.json").read_text())["percent"] == 100


async def test_a_trainee_who_forgets_regenerate_sees_the_objective_and_its_hint(tmp_path):
    script = tmp_path / "trainee.txt"
    lines = (TRAINEES / "nsa_global_rollout.txt").read_text().splitlines()
    script.write_text("\n".join(x for x in lines if x.strip() != "regenerate") + "\n")
    lab_dir = tmp_path / "lab"
    with trio.fail_after(120):
        grade = await run_guided(nsa_lab(), lab_dir, script=str(script), time_scale=SCALE,
                                 settle=8)
    failed = {o["id"]: o for o in grade["objectives"] if not o["done"]}
    assert "ctl-file" in failed and "phones-encrypted" in failed
    assert "servers-enrolled" not in failed and "capf" not in failed
    assert grade["percent"] < 100 and not grade["passed"]
    text = format_grade(grade)
    assert "[ ] ctl-file: Generate the CTL file (3.4)" in text
    assert "hint: in ctl-client, after the server, sast1 and sast2 lines, type `regenerate`" \
        in text
    assert "not yet: flash:CTLFile.tlv: expected 'exists', observed 'absent'" in text
    # the same in the JUnit report: the failed objective's message is its hint
    grade_report.write_junit(grade, tmp_path / "grade.xml")
    suite = ET.parse(tmp_path / "grade.xml").getroot().find("testsuite")
    cases = {c.get("name").split(":")[0]: c for c in suite.iter("testcase")}
    failure = cases["ctl-file"].find("failure")
    assert failure is not None and "type `regenerate`" in failure.get("message")
    assert cases["capf"].find("failure") is None
    assert int(suite.get("failures")) == len(failed)
    guided = read_manifest(lab_dir)["guided"]
    assert not next(o for o in guided["objectives"] if o["id"] == "ctl-file")["done"]
