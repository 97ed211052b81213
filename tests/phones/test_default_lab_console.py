"""`cucme-lab` on a fresh lab: the default lab's four phones register, seen at the console."""

from __future__ import annotations

import json
import os
import time

import pexpect


def test_fresh_default_lab_shows_four_registered_phones(tmp_path, cucme_lab):
    env = dict(os.environ, TERM="vt100")
    child = pexpect.spawn(cucme_lab, ["--lab", str(tmp_path / "lab")], env=env,
                          encoding="utf-8", timeout=20, dimensions=(40, 160))
    try:
        child.expect_exact("CME>")
        deadline = time.monotonic() + 20
        while True:
            child.sendline(":phones")
            child.expect_exact("Status")
            child.expect_exact("CME>")
            if child.before.count(" registered ") == 4:
                break
            assert time.monotonic() < deadline, child.before
            time.sleep(0.5)
        child.sendline(":phone 1")
        child.expect_exact("Status Messages:")
        child.expect_exact("Registered")
        manifest = json.loads((tmp_path / "lab" / "lab.json").read_text())
        assert [p["state"] for p in manifest["phones"]] == ["registered"] * 4
        assert {s["name"] for s in manifest["services"]} >= {"tftp", "sccp"}
        child.sendline("enable")
        child.expect_exact("CME#")
        child.sendline("show ephone registered | count REGISTERED")
        child.expect_exact("Number of lines which match regexp = 4")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
