"""A library scenario is named, not pathed: `cucme-lab scenario run nsa_appendix_b` from any
folder finds the scenario shipped with the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cucme_lab
from cucme_lab.scenarios.runner import LIBRARY, scenario_files


def test_a_bare_name_is_the_librarys_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert scenario_files(["nsa_appendix_b"]) == [LIBRARY / "nsa_appendix_b.yaml"]
    assert scenario_files(["nsa_appendix_b.yaml"]) == [LIBRARY / "nsa_appendix_b.yaml"]
    # a file of that name here wins; a path is never looked up in the library
    (tmp_path / "nsa_appendix_b.yaml").write_text("name: mine\n")
    assert scenario_files(["nsa_appendix_b.yaml"]) == [Path("nsa_appendix_b.yaml")]
    assert scenario_files(["sub/nsa_appendix_c"]) == [Path("sub/nsa_appendix_c")]


def test_the_command_checks_a_library_scenario_from_another_folder(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(cucme_lab.__file__).parents[1]))
    done = subprocess.run([sys.executable, "-m", "cucme_lab.cli", "scenario", "check",
                           "nsa_appendix_b"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok ") and "nsa_appendix_b.yaml" in done.stdout
    missing = subprocess.run([sys.executable, "-m", "cucme_lab.cli", "scenario", "check",
                              "no_such_scenario"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 2 and "cannot read" in missing.stdout
