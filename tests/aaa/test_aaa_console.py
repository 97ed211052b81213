"""The real `cucme-lab` console under `aaa new-model`: the login list asks the lab's TACACS+
server; a reject is final; typed through a pseudo-terminal like a person would."""

from __future__ import annotations

import os
from pathlib import Path

import pexpect

SRC = Path(__file__).resolve().parents[2] / "src"
LAB = """lab:
  name: console-aaa
  phones: []
  tacacs:
    address: 10.17.1.2
    key: xyz
    users:
      - {name: alice, password: wonder}
  startup-config: |
    hostname CON
    username admin privilege 15 secret adminpw
    aaa new-model
    aaa authentication login default group tacacs+ local
    tacacs-server host 10.17.1.2
    tacacs-server timeout 2
    tacacs-server key xyz
"""


def test_the_console_asks_the_login_list(tmp_path, cucme_lab):
    labfile = tmp_path / "lab.yaml"
    labfile.write_text(LAB)
    env = dict(os.environ, TERM="vt100", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    child = pexpect.spawn(cucme_lab, ["--labfile", str(labfile), "--lab", str(tmp_path / "lab")],
                          env=env, encoding="utf-8", timeout=30, dimensions=(24, 120))
    try:
        child.expect_exact("User Access Verification")
        child.expect_exact("Username:")
        child.sendline("admin")  # a local user only: the server's reject is final
        child.expect_exact("Password:")
        child.sendline("adminpw")
        child.expect_exact("% Authentication failed")
        child.expect_exact("Username:")
        child.sendline("alice")
        child.expect_exact("Password:")
        child.sendline("wonder")
        child.expect_exact("CON>")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
