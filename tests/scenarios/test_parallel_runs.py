"""Scenarios run in parallel: `cucme-lab scenario run -j N` and the pytest plugin under
pytest-xdist give the serial run's output, reports and exit code; each lab runs in its own
folder on a loopback range of its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cucme_lab.scenarios.scenario_cli import main

NETWORK_LAB = ('lab: {phones: [], startup-config: "hostname CME"}\n'
               "settings: {network: true, timeout: 20}\n")
GOOD = NETWORK_LAB + """\
steps:
  - cli: |
      configure terminal
      hostname R1
      end
  - expect: {running-config: "hostname R1"}
"""
BAD = NETWORK_LAB + "steps:\n  - expect: {syslog: zzz}\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def timeless(text: str) -> str:
    """The printed timeline without its times, which differ from run to run."""
    return re.sub(r"\d+\.\d+s", "_s", text)


def test_jobs_print_report_and_exit_as_the_serial_run(tmp_path, capsys):
    files = [str(write(tmp_path, f"good{i}.yaml", GOOD)) for i in range(3)]
    files.insert(1, str(write(tmp_path, "bad.yaml", BAD)))
    files.append(str(write(tmp_path, "invalid.yaml", "steps:\n  - dance: {}\n")))
    runs = {}
    for jobs in ("1", "3"):
        report = tmp_path / f"report-{jobs}.json"
        code = main(["run", "-j", jobs, "--json", str(report), *files])
        runs[jobs] = (code, timeless(capsys.readouterr().out), json.loads(report.read_text()))
    (code1, out1, rep1), (code3, out3, rep3) = runs["1"], runs["3"]
    assert code1 == code3 == 2
    assert out1 == out3
    assert "FAIL syslog contains" in out3 and "summary: 3 passed, 1 failed, 1 invalid" in out3
    assert rep1["summary"] == rep3["summary"] and rep1["exit_code"] == rep3["exit_code"]
    assert [s["status"] for s in rep1["scenarios"]] == [s["status"] for s in rep3["scenarios"]]
    # quiet: one line per scenario, in file order
    assert main(["run", "-q", "-j", "2", *files[:2]]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["PASSED", "FAILED"]


def test_the_plugin_runs_scenarios_under_xdist(tmp_path):
    pytest.importorskip("xdist")
    for i in range(3):
        write(tmp_path, f"scenario_good{i}.yaml", GOOD)
    write(tmp_path, "scenario_bad.yaml", BAD)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2",
                           str(tmp_path)], capture_output=True, text=True, timeout=240,
                          cwd=tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "1 failed, 3 passed" in out
    assert "FAIL syslog contains" in out and "expected: zzz" in out


ORDER_HOOK = '''
import json, os
def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller: how it hands items out
        with open(os.path.join(os.path.dirname(__file__), "chunk"), "w") as f:
            f.write(str(session.config.option.maxschedchunk))
def pytest_collection_finish(session):
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    if worker:
        with open(os.path.join(os.path.dirname(__file__), worker + ".order"), "w") as f:
            json.dump([item.name for item in session.items], f)
'''


def test_under_xdist_the_longest_scenarios_go_first_one_at_a_time_and_are_timed(tmp_path):
    pytest.importorskip("xdist")
    paths = [write(tmp_path, f"scenario_good{i}.yaml", GOOD) for i in range(3)]
    write(tmp_path, "conftest.py", ORDER_HOOK)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    last_run = {str(paths[2].resolve()): 50.0, str(paths[0].resolve()): 20.0,
                str(tmp_path / "gone.yaml"): 1.0}
    (runtime / "scenario-times.json").write_text(json.dumps(last_run))
    env = {**os.environ, "CUCME_LAB_RUNTIME_DIR": str(runtime)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2",
                           str(tmp_path)], capture_output=True, text=True, timeout=240,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for worker in ("gw0", "gw1"):  # each worker collects, the controller hands out in order
        order = json.loads((tmp_path / f"{worker}.order").read_text())
        assert order == ["scenario_good2", "scenario_good0", "scenario_good1"]
    assert (tmp_path / "chunk").read_text() == "1"  # one at a time, not in chunks of four
    times = json.loads((runtime / "scenario-times.json").read_text())
    assert sorted(times) == sorted(str(p.resolve()) for p in paths)  # gone.yaml pruned
    assert all(0 < t < 20 for t in times.values())  # this run's durations
