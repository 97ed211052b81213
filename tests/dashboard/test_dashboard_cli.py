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
