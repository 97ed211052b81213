"""The `cucme-lab` command line: --script, --serve, --lab and the lab.json manifest."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EMPTY = Path(__file__).resolve().parents[1] / "data" / "empty_lab.yaml"


@pytest.fixture
def run(cucme_lab):
    def run(*args: str, stdin: str = "", timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([cucme_lab, "--labfile", str(EMPTY), *args], input=stdin,
                              capture_output=True,
                              text=True, timeout=timeout)
    return run


def test_script_output_is_what_the_console_shows(tmp_path, run):
    script = tmp_path / "lines.txt"
    script.write_text("enable\nconfigure terminal\nhostname LAB\nfoo bar\nend\n")
    result = run("--lab", str(tmp_path / "lab"), "--script", str(script))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[:5] == ["Router>enable", "Router#configure terminal",
                         "Enter configuration commands, one per line.  End with CNTL/Z.",
                         "Router(config)#hostname LAB", "LAB(config)#foo bar"]
    assert lines[5] == " " * len("LAB(config)#") + "^"
    assert "% Invalid input detected at '^' marker." in lines


def test_script_from_stdin_answers_dialogues_with_following_lines(tmp_path, run):
    result = run("--lab", str(tmp_path / "lab"), "--script", "-",
                 stdin="enable\nconf t\nhostname X1\nend\ncopy running-config startup-config\n"
                       "\nshow startup-config | include hostname\n")
    assert result.returncode == 0
    assert "Destination filename [startup-config]? \nBuilding configuration...\n[OK]" in \
        result.stdout
    assert "hostname X1" in result.stdout.split("show startup-config")[1]
    manifest = json.loads((tmp_path / "lab" / "lab.json").read_text())
    assert manifest["state"] == "stopped"
    assert manifest["router"]["hostname"] == "X1"


def test_serve_runs_until_sigterm_and_writes_the_manifest(tmp_path, cucme_lab):
    lab = tmp_path / "lab"
    proc = subprocess.Popen([cucme_lab, "--labfile", str(EMPTY), "--lab", str(lab), "--serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            path = lab / "lab.json"
            if path.exists() and json.loads(path.read_text())["state"] == "running":
                break
            time.sleep(0.05)
        manifest = json.loads((lab / "lab.json").read_text())
        assert manifest["pid"] == proc.pid
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads((lab / "lab.json").read_text())["state"] == "stopped"


def test_default_lab_folder_is_created_on_first_run(tmp_path, cucme_lab):
    env_home = tmp_path / "home"
    env_home.mkdir()
    result = subprocess.run([cucme_lab, "--no-phones", "--script", "-"], input="show clock\n",
                            capture_output=True, text=True, timeout=30,
                            env={"HOME": str(env_home), "PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 0
    assert (env_home / ".cucme-lab" / "default" / "nvram").is_dir()


def test_a_lab_file_describes_another_chassis(tmp_path, run):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "chassis.json").write_text(json.dumps(
        {"model": "2811", "interfaces": ["FastEthernet0/0", "FastEthernet0/1", "Serial0/3/0"]}))
    result = run("--lab", str(lab), "--script", "-",
                 stdin="enable\nconf t\ninterface Serial0/3/0\nip address 10.1.1.1 "
                       "255.255.255.0\ninterface FastEthernet0/3/4\nend\n")
    assert "Router(config-if)#ip address" in result.stdout
    assert result.stdout.count("% Invalid input") == 1  # only the port this chassis lacks


def test_a_second_cucme_lab_on_a_folder_in_use_refuses_and_touches_nothing(tmp_path, cucme_lab):
    """The second process used to run half-started, exit 0 and rewrite lab.json to stopped
    under the first: now it says why and exits 1 before the folder is touched."""
    lab = tmp_path / "lab"
    first = subprocess.Popen([cucme_lab, "--labfile", str(EMPTY), "--lab", str(lab), "--serve"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        path = lab / "lab.json"
        while time.monotonic() < deadline:
            if path.exists() and json.loads(path.read_text())["state"] == "running":
                break
            time.sleep(0.05)
        second = subprocess.run([cucme_lab, "--labfile", str(EMPTY), "--lab", str(lab),
                                 "--serve"], capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert second.stdout == ""
        assert second.stderr == (f"cucme-lab: the lab folder {lab.resolve()} is in use by "
                                 f"another cucme-lab (process {first.pid}); stop that one "
                                 "first, or give this one another folder with --lab\n")
        # the first keeps writing it as its services come up; the second never wrote it
        after = json.loads(path.read_text())
        assert (after["pid"], after["state"]) == (first.pid, "running")
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=20) == 0
    finally:
        if first.poll() is None:
            first.kill()
    assert json.loads(path.read_text())["state"] == "stopped"
    # the folder is free again once the first has stopped
    again = subprocess.run([cucme_lab, "--labfile", str(EMPTY), "--lab", str(lab), "--script",
                            "-"], input="show clock\n", capture_output=True, text=True,
                           timeout=30)
    assert again.returncode == 0 and "Router>show clock" in again.stdout
