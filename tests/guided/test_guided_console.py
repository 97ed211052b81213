"""A guided lab at the real console (a pseudo-terminal): the status bar shows the progress,
and leaving the console prints the grade."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[2]
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CPR = "\x1b[6n"  # prompt_toolkit asks where the cursor is; a terminal answers


class Screen:
    """What the console wrote, escapes removed; answers cursor position requests."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.text = ""
        self.seen = 0

    def wait_for(self, wanted: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.text[self.seen:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{wanted!r} not shown; last: {self.text[-600:]!r}")
            try:
                chunk = self.child.read_nonblocking(4096, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            if CPR in chunk:
                self.child.send("\x1b[1;1R")
            self.text += ESCAPE.sub("", chunk)
        self.seen = self.text.index(wanted, self.seen) + len(wanted)


def test_the_status_bar_shows_progress_and_exit_grades(tmp_path):
    env = dict(os.environ, TERM="vt100", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT / "src"))
    child = pexpect.spawn(sys.executable, ["-m", "cucme_lab.cli", "guided", "toll-fraud",
                                           "--lab", str(tmp_path / "lab"), "--no-phones"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(24, 250))
    screen = Screen(child)
    try:
        screen.wait_for("CME>")
        screen.wait_for("Lab 0% [cor-names- cor-lists- international-restricted-")
        child.sendline("enable")
        screen.wait_for("CME#")
        child.sendline("configure terminal")
        screen.wait_for("CME(config)#")
        child.sendline("gw-accounting syslog")
        child.sendline("dial-control-mib retain-timer 10080")
        child.sendline("end")
        time.sleep(1.5)  # the tracker judges twice a second
        child.send("\x0c")  # Ctrl-L: the console redraws the whole screen, status bar too
        screen.wait_for("Lab 14% [")
        screen.wait_for("call-history+]")
        child.sendline(":objectives")
        screen.wait_for("[ ] cor-names: Declare the classes of calls")
        screen.wait_for("hint: dial-peer cor custom / name 911")
        screen.wait_for("[x] call-history: Keep call history for forensics")
        child.sendline(":hint after-hours-block")
        screen.wait_for("hint: telephony-service / after-hours block pattern 1 9011")
        child.sendline(":hint nothing-such")
        screen.wait_for("% No objective nothing-such (type :objectives)")
        child.sendline("exit")
        screen.wait_for("Grade: 14% (1 of 7 objectives)")
        screen.wait_for("hint: dial-peer voice 11 pots / corlist outgoing callint")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 1
    assert (tmp_path / "lab" / "grade.json").exists()
