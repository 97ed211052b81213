"""cucme-lab installs one top-level import package, and leaves a user's own package names alone.

Before, five generic names (`emulator`, `scenarios`, `netio`, ...) went into site-packages, and
a project with its own `scenarios/` package could not start pytest once cucme-lab was installed
(its pytest11 plugin `scenarios.pytest_plugin` shadowed the project's package).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_distribution_declares_one_top_level_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = project["tool"]["setuptools"]["packages"]["find"]
    assert find == {"where": ["src"], "include": ["cucme_lab*"]}
    top_level = {p.name for p in (ROOT / "src").iterdir()
                 if p.is_dir() and (p / "__init__.py").exists()}
    assert top_level == {"cucme_lab"}
    for target in [*project["project"]["scripts"].values(),
                   *project["project"]["entry-points"]["pytest11"].values()]:
        assert target.startswith("cucme_lab."), target


def test_a_project_with_its_own_scenarios_and_emulator_packages_runs_its_pytest(tmp_path):
    for package in ("scenarios", "emulator"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"NAME = {package!r}\n")
    (tmp_path / "test_mine.py").write_text(
        "import emulator\nimport scenarios\n\n\n"
        "def test_my_packages():\n"
        "    assert (scenarios.NAME, emulator.NAME) == ('scenarios', 'emulator')\n")
    # The cucme_lab plugin loads through its entry point, as in any project with it installed.
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "test_mine.py"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
