"""`cucme-phones`: a fleet in worker processes, in-process lab or attached to a running one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

FLEET_LAB = Path(__file__).resolve().parents[2] / "src/cucme_lab/lab/labs/fleet.yaml"


def test_fleet_in_two_processes_against_an_in_process_lab(cucme_phones, tmp_path):
    out = tmp_path / "fleet.json"
    scratch = tmp_path / "scratch"  # the lab's and the phones' temporary folders
    scratch.mkdir()
    result = subprocess.run([cucme_phones, "--labfile", str(FLEET_LAB), "-n", "24",
                             "--models", "7965:2,7941:1", "--processes", "2", "--quiet",
                             "--json", str(out)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stdout + result.stderr
    # the run's lab and flash went with it (the range claims' folder is for every lab to share)
    assert [p.name for p in scratch.iterdir()] in ([], [f"cucme-lab-{os.getuid()}"])
    assert "24  registered / non-secure: Registered" in result.stdout
    assert "registered" in result.stdout.split("stage")[1]
    phones = json.loads(out.read_text())["phones"]
    assert len({p["mac"] for p in phones}) == 24
    assert sorted({p["model"] for p in phones}) == ["7941", "7965"]


def test_fleet_calls_between_pairs_in_two_processes(cucme_phones, tmp_path):
    """--calls: each phone got a line from the fleet lab's `auto assign`; pairs call each
    other (within each worker process), hold with media, and the totals are reported."""
    out = tmp_path / "calls.json"
    result = subprocess.run([cucme_phones, "--labfile", str(FLEET_LAB), "-n", "9", "--calls",
                             "4", "--call-seconds", "1", "--processes", "2", "--quiet",
                             "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "calls: 4 set up, 4 connected, 0 failed, 0 SRTP; held 1 s" in result.stdout
    report = json.loads(out.read_text())["calls"]
    assert (report["setups"], report["connected"], report["failed"]) == (4, 4, 0)
    assert report["security"] == {"non-secure": 4}
    media = report["media"]
    assert media["sent"] >= 4 * 2 * 40 and media["received"] >= 4 * 2 * 35
    assert media["auth_failures"] == 0 and media["signal_ok"] == 8
    assert media["loss_percent"] < 5
    calls = report["calls"]
    assert len({c["caller"] for c in calls} | {c["callee"] for c in calls}) == 8
    assert all(c["number"].startswith("2") and len(c["number"]) == 4 for c in calls)


def test_fleet_refuses_more_calls_than_pairs(cucme_phones, tmp_path):
    result = subprocess.run([cucme_phones, "--labfile", str(FLEET_LAB), "-n", "3", "--calls",
                             "2", "--quiet"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--calls 2 needs at least 4 phones" in result.stderr


def test_fleet_attaches_to_a_running_lab(cucme_lab, cucme_phones, tmp_path):
    lab = tmp_path / "lab"
    server = subprocess.Popen([cucme_lab, "--labfile", str(FLEET_LAB), "--lab", str(lab),
                               "--serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            path = lab / "lab.json"
            if path.exists():
                names = {s["name"] for s in json.loads(path.read_text())["services"]}
                if {"tftp", "sccp"} <= names:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.1)
        scratch = tmp_path / "scratch"  # the fleet's temporary folder, no --store
        scratch.mkdir()
        result = subprocess.run([cucme_phones, "--lab", str(lab), "-n", "10", "--quiet"],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "TMPDIR": str(scratch)})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "10  registered / non-secure: Registered" in result.stdout
        assert list(scratch.iterdir()) == []  # the phones' flash went with them
        # in two worker processes, forked from the coordinator (each its own flash folder)
        store = tmp_path / "flash"
        result = subprocess.run([cucme_phones, "--lab", str(lab), "-n", "10", "--quiet",
                                 "--processes", "2", "--mac-start", "0000.0000.2001",
                                 "--store", str(store)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "10  registered / non-secure: Registered" in result.stdout
        assert [len(list((store / w).glob("SEP*"))) for w in ("w0", "w1")] == [5, 5]
        _interrupted_fleet_leaves_no_worker(cucme_phones, lab, signal.SIGINT,
                                            tmp_path / "interrupted")
        _interrupted_fleet_leaves_no_worker(cucme_phones, lab, signal.SIGKILL,
                                            tmp_path / "killed")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_a_lab_without_tftp_is_reported_not_a_traceback(cucme_phones, tmp_path):
    (tmp_path / "lab.json").write_text(json.dumps({"services": [], "network": {}}))
    result = subprocess.run([cucme_phones, "--lab", str(tmp_path), "-n", "1", "--quiet"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "no TFTP server" in result.stdout + result.stderr


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _interrupted_fleet_leaves_no_worker(cucme_phones: str, lab: Path, how: int,
                                        scratch: Path) -> None:
    """Ctrl-C on a fleet in forked workers ends the workers with it (the coordinator kills
    them) and removes the phones' temporary flash; a coordinator killed outright ends them too
    (their parent-death signal)."""
    scratch.mkdir()
    fleet = subprocess.Popen([cucme_phones, "--lab", str(lab), "-n", "40", "--quiet",
                              "--processes", "2", "--mac-start", "0000.0000.3001"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.monotonic() + 30
    while len(workers := _children(fleet.pid)) < 2:
        assert time.monotonic() < deadline and fleet.poll() is None
        time.sleep(0.05)
    fleet.send_signal(how)
    fleet.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its interrupted fleet"
        time.sleep(0.05)
    if how == signal.SIGINT:
        assert list(scratch.iterdir()) == []
