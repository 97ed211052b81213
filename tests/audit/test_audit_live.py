"""The audit of a running lab: live state (registrations) in the findings, lab.json kept
current, and `cucme-lab audit` on a running and on a stopped lab folder."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import trio

from cucme_lab.lab.audit.live import read_live_audit
from cucme_lab.lab.manifest import read_manifest
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

from .test_audit_states import DEFAULT_FINDINGS, ROOT, SCHEMA, ids

BELOW = {f"phone-registered-below-mode/{n}" for n in (1, 2, 3, 4)}


async def type_lines(router, text: str) -> str:
    terminal = ScriptTerminal(text.splitlines())
    await Session(router, terminal, command_set(), priv=15).run()
    return terminal.output()


async def lab_json_audit_until(lab_dir, predicate, timeout: float = 10.0) -> dict:
    """The running lab's audit.json once it satisfies `predicate`; lab.json's summary agrees."""
    with trio.fail_after(timeout):
        while True:
            audit = read_live_audit(lab_dir)
            if audit is not None and predicate(audit):
                summary = read_manifest(lab_dir).get("audit")
                if summary is not None and summary["score"] == audit["score"]:
                    assert summary["findings"] == len(audit["findings"])
                    assert summary["file"] == "audit.json"
                    return audit
            await trio.sleep(0.05)


async def test_phones_registered_below_their_new_mode_until_reset(runtime):
    lab_dir = runtime.lab.lab_dir
    with trio.fail_after(60):
        for phone in runtime.phones:
            await phone.wait_until(lambda p: p.state == "registered", 30)
        audit = await lab_json_audit_until(lab_dir, lambda a: True)
        assert ids(audit) == DEFAULT_FINDINGS
        # encrypted from now on, but nobody resets the phones: they stay registered over TCP
        await type_lines(runtime.router, "configure terminal\ntelephony-service\n"
                         " device-security-mode encrypted\nend")
        audit = await lab_json_audit_until(lab_dir, lambda a: BELOW <= ids(a))
        jsonschema.validate(audit, SCHEMA)
        finding = next(f for f in audit["findings"]
                       if f["id"] == "phone-registered-below-mode/1")
        assert "configured encrypted but registered non-secure (TCP)" in finding["title"]
        # `cucme-lab audit` on the running lab prints lab.json's audit (live state included)
        proc = await run_audit_command("--lab", str(lab_dir))
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "the running configuration and live state (lab running)" in out
    assert "[phone-registered-below-mode/4]" in out


async def run_audit_command(*args: str):
    return await trio.run_process(
        [sys.executable, "-m", "cucme_lab.cli", "audit", *args],
        capture_stdout=True, capture_stderr=True, check=False,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


async def test_audit_command_on_a_stopped_lab_boots_its_saved_configuration(tmp_path):
    from cucme_lab.lab.runtime import run_lab

    lab_dir = tmp_path / "lab"
    with trio.fail_after(60):
        async with run_lab(lab_dir, boot_phones=False) as rt:
            await type_lines(rt.router, "configure terminal\nservice password-encryption\nend\n"
                             "write memory")
        proc = await run_audit_command("--lab", str(lab_dir), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout)
    jsonschema.validate(report, SCHEMA)
    assert ids(report) == DEFAULT_FINDINGS - {"password-encryption-off"}


def test_audit_command_prints_a_readable_report(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cucme_lab.cli", "audit", "--lab", str(tmp_path / "new")],
        capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Score: " in out and "/100" in out
    assert "HIGH   line vty 0 4 accepts telnet  [vty-telnet/vty0-4]" in out
    assert "Cisco, section Configuring SSH Access" in out
    assert "          transport input ssh" in out
    assert not (tmp_path / "new").exists(), "auditing a new folder creates nothing"


def test_audit_command_fails_under_a_score_for_ci(tmp_path):
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    base = [sys.executable, "-m", "cucme_lab.cli", "audit", "--lab", str(tmp_path / "new")]
    low = subprocess.run([*base, "--fail-under", "90"], capture_output=True, text=True,
                         timeout=60, env=env)
    assert low.returncode == 1 and "is below 90" in low.stderr
    ok = subprocess.run([*base, "--json", "--fail-under", "10"], capture_output=True,
                        text=True, timeout=60, env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["score"] >= 10
    bad = subprocess.run([*base, "--fail-under", "101"], capture_output=True, text=True,
                         timeout=60, env=env)
    assert bad.returncode == 2


def test_audit_command_with_a_bad_lab_file_says_why(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("lab: {phones: [{model: 7970}]}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "cucme_lab.cli", "audit", "--lab", str(tmp_path / "new"),
         "--labfile", str(bad)], capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "a phone needs a mac" in proc.stderr


async def test_a_failing_audit_leaves_the_lab_running(tmp_path, monkeypatch, caplog):
    from cucme_lab.lab.audit import live
    from cucme_lab.lab.router_lab import open_lab

    def broken(router):
        raise RuntimeError("injected audit bug")

    monkeypatch.setattr(live, "audit_router", broken)
    with trio.fail_after(30):
        async with open_lab(tmp_path / "lab") as lab:
            await trio.sleep(0.2)
            lab.router.mark_changed()
            await trio.sleep(1.5)  # the next look fails again
            out = await type_lines(lab.router, "show running-config | include hostname")
            assert "hostname Router" in out
    assert "the audit could not be refreshed" in caplog.text
    assert live.read_live_audit(tmp_path / "lab") is None
