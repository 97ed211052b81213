"""`cucme-lab --serve --dashboard`: the URL is printed and in lab.json, the page answers, and
SIGTERM stops the lab and the dashboard together."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMPTY = ROOT / "tests" / "data" / "empty_lab.yaml"


def test_serve_with_dashboard_lists_its_url_and_stops_on_sigterm(tmp_path):
    lab = tmp_path / "lab"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "cucme_lab.cli", "--labfile", str(EMPTY),
                             "--lab", str(lab), "--serve", "--dashboard"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            path = lab / "lab.json"
            if path.exists():
                url = json.loads(path.read_text()).get("dashboard", {}).get("url")
            time.sleep(0.05)
        assert url and url.startswith("http://127.0.0.1:"), "no dashboard.url in lab.json"
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
        with direct.open(url, timeout=10) as page:
            assert page.status == 200 and b"cucme-lab dashboard" in page.read()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert f"Dashboard: {url}" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    manifest = json.loads((lab / "lab.json").read_text())
    assert manifest["state"] == "stopped" and "dashboard" not in manifest


def test_guided_lab_with_dashboard_shows_its_progress(tmp_path):
    """`cucme-lab guided LAB --serve --dashboard`: the page's first snapshot carries the guided
    lab's objectives."""
    lab = tmp_path / "lab"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "cucme_lab.cli", "guided",
                             "nsa-global-rollout", "--lab", str(lab), "--serve", "--no-phones",
                             "--dashboard"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = guided = None
        deadline = time.monotonic() + 30
        while (url is None or guided is None) and time.monotonic() < deadline:
            path = lab / "lab.json"
            if path.exists():
                try:
                    manifest = json.loads(path.read_text())
                except ValueError:  # caught mid-rewrite
                    continue
                url = manifest.get("dashboard", {}).get("url")
                guided = manifest.get("guided")
            time.sleep(0.05)
        assert url and guided, "no dashboard.url or guided progress in lab.json"
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
        with direct.open(url + "events", timeout=10) as stream:
            for raw in stream:
                line = raw.decode()
                if line.startswith("data:"):
                    snapshot = json.loads(line[5:])
                    break
        assert snapshot["guided"]["title"] == guided["title"]
        assert [o["id"] for o in snapshot["guided"]["objectives"]][:2] == [
            "http-server", "ca-running"]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1, err  # stopped before any work: not passed
        assert f"Dashboard: {url}" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


FLEET_LAB = ROOT / "src" / "cucme_lab" / "lab" / "labs" / "fleet.yaml"


async def test_a_fleet_in_other_processes_has_its_calls_on_the_dashboard(tmp_path):
    """`cucme-phones --calls` against a lab served with its dashboard: the phones run in
    worker processes, so only the router sees their calls; the page's event stream carries
    them (device, line, state, the other number, security) while they last, and no call once
    they are hung up."""
    import trio

    from .http_client import EventStream, request

    lab = tmp_path / "lab"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-m", "cucme_lab.cli", "--labfile",
                               str(FLEET_LAB), "--lab", str(lab), "--serve", "--no-phones",
                               "--dashboard"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        with trio.fail_after(90):
            url = None
            while url is None:
                path = lab / "lab.json"
                if path.exists():
                    manifest = json.loads(path.read_text())
                    names = {s["name"] for s in manifest["services"]}
                    if {"tftp", "sccp"} <= names:
                        url = manifest.get("dashboard", {}).get("url")
                await trio.sleep(0.05)
            events = await EventStream(url).open()
            try:
                kind, snapshot = await events.next_event()
                assert kind == "snapshot" and snapshot["calls"] == []
                fleet = await trio.lowlevel.open_process(
                    [sys.executable, "-m", "cucme_lab.lab.fleet_cli", "--lab", str(lab),
                     "-n", "4", "--calls", "2", "--call-seconds", "3", "--processes", "2",
                     "--quiet"], env=env, stdout=subprocess.DEVNULL)
                try:
                    connected: list[dict] = []
                    while len(connected) < 4:
                        kind, update = await events.next_event()
                        calls = update.get("calls")
                        if calls is not None:
                            connected = [c for c in calls if c["state"] == "connected"]
                    devices = {c["device"] for c in connected}
                    assert devices == {f"SEP00000000100{i}" for i in range(1, 5)}
                    assert all(c["security"] == "non-secure" and c["media"] is None
                               and c["line"] == 1 and c["other"].startswith("2")
                               for c in connected), connected
                    state = (await request(url, path="/api/state")).json()
                    assert len(state["calls"]) == 4
                    while True:  # hung up after 3 seconds: the calls leave the page
                        kind, update = await events.next_event()
                        if update.get("calls") == []:
                            break
                    assert await fleet.wait() == 0
                finally:
                    if fleet.returncode is None:
                        fleet.kill()
                        await fleet.wait()
            finally:
                await events.aclose()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
