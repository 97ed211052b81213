"""README and docs/scenarios.md: what a newcomer types from them runs as written."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import installed_script

from cucme_lab.lab.labfile import load_lab

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _max_ephones(labfile: Path) -> int:
    config = load_lab(labfile).startup_config or ""
    found = re.search(r"^ max-ephones (\d+)$", config, re.M)
    return int(found.group(1)) if found else 0


def test_readme_says_what_a_newcomer_needs_first():
    assert "Python 3.11 or newer" in README
    assert "python3 -m venv .venv" in README and ". .venv/bin/activate" in README
    assert "Leave the console with `exit`" in README and "Ctrl-D" in README


def test_every_fleet_example_uses_a_lab_that_admits_its_phones():
    """The default lab allows 4 ephones: `-n 200` against it was rejected after 120 s."""
    commands = [shlex.split(line.strip()) for line in README.splitlines()
                if line.strip().startswith("cucme-phones ")]
    assert commands
    default = _max_ephones(ROOT / "src/cucme_lab/lab/labs/default.yaml")
    fleet = ROOT / "src/cucme_lab/lab/labs/fleet.yaml"
    for words in commands:
        count = int(words[words.index("-n") + 1])
        if "--labfile" in words:
            labfile = ROOT / words[words.index("--labfile") + 1]
        else:  # attached to a lab folder the README starts from the fleet lab file
            lab = words[words.index("--lab") + 1]
            assert f"cucme-lab --lab {lab} --labfile {fleet.relative_to(ROOT)}" in README
            labfile = fleet
        assert count > default and _max_ephones(labfile) >= count


def test_the_readme_fleet_command_runs_as_written(tmp_path):
    line = next(line.strip() for line in README.splitlines()
                if line.strip().startswith("cucme-phones --labfile"))
    words = shlex.split(line)
    words[0] = installed_script("cucme-phones")
    (tmp_path / "src").symlink_to(ROOT / "src")  # the README runs in the repository's root
    run = subprocess.run([*words, "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^ +200 +registered / non-secure: Registered$", run.stdout, re.M)
    assert (tmp_path / "out.json").exists()


def test_cucme_lab_help_names_the_scenario_commands_and_how_to_leave(cucme_lab):
    out = subprocess.run([cucme_lab, "--help"], capture_output=True, text=True,
                         timeout=60).stdout
    assert "cucme-lab scenario {run,check,list}" in out
    assert "cucme-lab scenario run FILE|DIR..." in out
    assert "Leave the console with `exit`" in out


def test_the_pytest_example_in_docs_scenarios_asserts_something_and_passes(tmp_path):
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    block = docs.split("## pytest", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert "or True" not in block
    (tmp_path / "test_example.py").write_text(block)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "test_example.py"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
