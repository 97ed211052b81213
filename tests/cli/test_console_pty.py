"""The real `cucme-lab` console, typed through a pseudo-terminal like a person would."""

from __future__ import annotations

import os
from pathlib import Path

import pexpect
import pytest

EMPTY = Path(__file__).resolve().parents[1] / "data" / "empty_lab.yaml"


@pytest.fixture
def console(tmp_path, cucme_lab):
    env = dict(os.environ, TERM="vt100", PYTHONUNBUFFERED="1")
    child = pexpect.spawn(cucme_lab, ["--labfile", str(EMPTY), "--lab", str(tmp_path / "lab")],
                          env=env,
                          encoding="utf-8", timeout=20, dimensions=(24, 120))
    yield child
    child.close(force=True)


def test_console_runs_a_session_with_help_completion_and_saves(console, tmp_path):
    c = console
    c.expect_exact("Router>")
    c.sendline("enable")
    c.expect_exact("Router#")
    c.sendline("configure terminal")
    c.expect_exact("Enter configuration commands, one per line.  End with CNTL/Z.")
    c.expect_exact("Router(config)#")
    c.sendline("hostname PTY1")
    c.expect_exact("PTY1(config)#")
    c.send("hostname ?")
    c.expect_exact("WORD")
    c.send("\x15")  # Ctrl-U clears the line the ? left in place
    c.send("\x1a")  # Ctrl-Z ends configuration
    c.expect_exact("PTY1#")
    c.send("sh\t")
    c.expect_exact("show")
    c.sendline("running-config | include hostname")
    c.expect_exact("hostname PTY1")
    c.sendline("write memory")
    c.expect_exact("[OK]")
    c.expect_exact("PTY1#")
    c.sendline("exit")
    c.expect(pexpect.EOF)
    assert "hostname PTY1" in (tmp_path / "lab" / "nvram" / "startup-config").read_text()


def test_console_boots_from_the_saved_configuration(tmp_path, cucme_lab):
    nvram = tmp_path / "lab" / "nvram"
    nvram.mkdir(parents=True)
    (nvram / "startup-config").write_text("hostname SAVED\nend\n")
    env = dict(os.environ, TERM="vt100")
    child = pexpect.spawn(cucme_lab, ["--labfile", str(EMPTY), "--lab", str(tmp_path / "lab")],
                          env=env,
                          encoding="utf-8", timeout=20)
    try:
        child.expect_exact("SAVED>")
        child.sendline("enable")
        child.expect_exact("SAVED#")
        child.sendline("show clock")
        child.expect(r"\*\d\d:\d\d:\d\d\.\d{3} UTC")
    finally:
        child.close(force=True)


def test_ctrl_c_at_the_console_aborts_the_ca_passphrase(console):
    """prompt_toolkit turns Ctrl-C into KeyboardInterrupt; at a dialogue's question the
    console ends the command, so pressing it twice no longer enables the CA."""
    c = console
    c.expect_exact("Router>")
    c.sendline("enable")
    c.expect_exact("Router#")
    c.sendline("configure terminal")
    c.expect_exact("Router(config)#")
    c.sendline("crypto pki server LABCA")
    c.expect_exact("Router(cs-server)#")
    c.sendline("no shutdown")
    c.expect_exact("Password:")
    c.send("\x03")
    c.expect_exact("Router(cs-server)#")
    c.sendline("no shutdown")
    c.expect_exact("Password:")
    c.sendline("labpass1")
    c.expect_exact("Re-enter password:")
    c.send("\x03")
    c.expect_exact("Router(cs-server)#")
    c.send("\x1a")
    c.expect_exact("Router#")
    c.sendline("show crypto pki server")
    c.expect_exact("State: initial")
