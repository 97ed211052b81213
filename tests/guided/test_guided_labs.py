"""Every shipped guided lab: valid, not done before the trainee starts, and graded 100% when
a scripted trainee follows its document; the `cucme-lab guided` command and its reports."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import trio

from cucme_lab.lab.labfile import load_lab
from cucme_lab.scenarios.guided import load_guide
from cucme_lab.scenarios.guided_cli import GUIDED_LABS, find_lab, run_guided

TRAINEES = Path(__file__).parent / "trainees"
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.stem for p in GUIDED_LABS.glob("*.yaml"))
# lab -> (phones powered on, seconds the lab may take to catch up after the script)
RUNS = {"cisco_separate_trustpoints": (True, 120), "nsa_individual_settings": (True, 120),
        "toll_fraud": (False, 5), "access_hardening": (True, 60)}


def test_the_five_guided_labs_are_shipped_and_valid():
    assert SHIPPED == ["access_hardening", "cisco_separate_trustpoints", "nsa_global_rollout",
                       "nsa_individual_settings", "toll_fraud"]
    for name in SHIPPED:
        guide = load_guide(load_lab(GUIDED_LABS / f"{name}.yaml"))
        assert guide is not None and guide.time_limit and len(guide.objectives) >= 5
        assert all(o.hint and o.text for o in guide.objectives)
        assert (TRAINEES / f"{name}.txt").exists()


@pytest.mark.parametrize("name", sorted(RUNS))
async def test_a_scripted_trainee_grades_100_percent(tmp_path, name):
    phones, settle = RUNS[name]
    with trio.fail_after(240):
        grade = await run_guided(load_lab(find_lab(name.replace("_", "-"))), tmp_path / "lab",
                                 script=str(TRAINEES / f"{name}.txt"), boot_phones=phones,
                                 time_scale=0.05, settle=settle)
    missed = {o["id"]: o["checks"] for o in grade["objectives"] if not o["done"]}
    assert missed == {}
    assert grade["percent"] == 100


@pytest.mark.parametrize("name", SHIPPED)
async def test_nothing_is_done_before_the_trainee_starts(tmp_path, name):
    script = tmp_path / "idle.txt"
    script.write_text("enable\n")
    with trio.fail_after(60):
        grade = await run_guided(load_lab(GUIDED_LABS / f"{name}.yaml"), tmp_path / "lab",
                                 script=str(script), boot_phones=False)
    assert grade["percent"] == 0
    assert not any(o["done"] for o in grade["objectives"])


def test_the_guided_command_grades_a_script_and_writes_json_and_junit(tmp_path):
    script = tmp_path / "half.txt"
    script.write_text("enable\nconfigure terminal\nenable secret secretword1\n"
                      "service password-encryption\nend\n")
    proc = _guided(tmp_path, "toll-fraud", "--script", str(script), "--no-phones")
    assert proc.returncode == 1, proc.stderr
    assert "Grade: 0% (0 of 7 objectives)" in proc.stdout
    assert "hint: dial-peer voice 11 pots / corlist outgoing callint" in proc.stdout
    grade = json.loads((tmp_path / "grade.json").read_text())
    assert grade["percent"] == 0 and grade["lab"] == "toll-fraud"
    suite = ET.parse(tmp_path / "grade.xml").getroot().find("testsuite")
    assert suite.get("tests") == "7" and suite.get("failures") == "7"

    proc = _guided(tmp_path, str(GUIDED_LABS / "access_hardening.yaml"), "--script",
                   str(script), "--no-phones")
    assert proc.returncode == 1
    assert "[x] enable-secret:" in proc.stdout and "[x] password-encryption:" in proc.stdout
    assert "[ ] vty-ssh-only:" in proc.stdout


def test_the_guided_command_refuses_a_lab_without_objectives_and_lists_the_labs(tmp_path):
    proc = _guided(tmp_path, str(ROOT / "tests" / "data" / "empty_lab.yaml"))
    assert proc.returncode == 2 and "has no `guided:` section" in proc.stderr
    proc = _guided(tmp_path, "no-such-lab")
    assert proc.returncode == 2 and "cucme-lab guided --list" in proc.stderr
    listing = _run(["guided", "--list"]).stdout
    assert "nsa-global-rollout" in listing and "toll-fraud" in listing


@pytest.mark.parametrize("body, message", [
    ("    objectives: []\n", "at least one objective"),
    ("    objectives:\n      - {id: a, text: t}\n", "needs `check:`"),
    ("    objectives:\n      - {id: a, text: t, check: {flash: X}}\n"
     "      - {id: a, text: u, check: {flash: Y}}\n", "given twice"),
    ("    objectives:\n      - {id: A b, text: t, check: {flash: X}}\n", "lower-case"),
    ("    objectives:\n      - {id: a, text: t, check: {flsh: X}}\n", "unknown expectation"),
    ("    time-limit: -5\n    objectives:\n      - {id: a, text: t, check: {flash: X}}\n",
     "positive"),
])
def test_a_malformed_guide_names_its_line(tmp_path, body, message):
    from cucme_lab.lab.yamlnodes import SchemaError

    path = tmp_path / "lab.yaml"
    path.write_text("lab:\n  name: x\n  guided:\n" + body)
    with pytest.raises(SchemaError) as err:
        load_guide(load_lab(path))
    assert message in str(err.value)
    assert err.value.line >= 4


def _guided(tmp_path: Path, lab: str, *args: str):
    return _run(["guided", lab, "--lab", str(tmp_path / "lab"), "--json",
                 str(tmp_path / "grade.json"), "--junit", str(tmp_path / "grade.xml"), *args])


def _run(argv: list[str]):
    import subprocess

    return subprocess.run([sys.executable, "-m", "cucme_lab.cli", *argv], capture_output=True,
                          text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
