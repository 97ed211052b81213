"""The scenario framework with scenarios that need only the router shell (no network)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.scenarios import runner
from cucme_lab.scenarios.runner import run_file
from cucme_lab.scenarios.scenario import load_scenario
from cucme_lab.scenarios.scenario_cli import main

HERE = Path(__file__).parent
SHELL_LAB = 'lab: {phones: [], startup-config: "hostname CME"}\nsettings: {network: false}\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- schema errors name file, line and field ---------------------------------------------------

@pytest.mark.parametrize("text, line, field, message", [
    ("steps: []\n", 1, "steps", "at least one step"),
    ("name: x\nsteps:\n  - cli: show clock\n  - expekt: {syslog: x}\n", 4,
     "steps[1].expekt",
     "unknown field (expected one of: cli, expect, fault, file, login, name, outside-server, "
     "phones"),
    ("steps:\n  - {cli: x, expect: {syslog: y}}\n", 2, "steps[0]", "a step is one of"),
    ("steps:\n  - expect:\n      phone: 1\n      state: dancing\n", 4, "steps[0].expect.state",
     "must be one of"),
    ("steps:\n  - phones: {action: key-auth-string, phone: 1, digits: 12ab}\n", 2,
     "steps[0].phones.digits", "digits only"),
    ("steps:\n  - wait: {until: {syslog: x}, timeout: -1}\n", 2, "steps[0].wait.timeout",
     "between"),
    ("steps:\n  - fault: {skew-clock: two days}\n", 2, "steps[0].fault.skew-clock",
     "unit"),
    ("steps:\n  - fault: {stop-service: dns}\n", 2, "steps[0].fault.stop-service",
     "must be one of"),
    ("status: draft\nsteps:\n  - cli: x\n", 1, "status", "needs a `reason:`"),
    ("lab:\n  phones:\n    - {mac: NOTAMAC}\nsteps:\n  - cli: x\n", 3, "lab.phones[0].mac",
     "not a MAC"),
    ("steps:\n  - expect: {running-config: {matches: '('}}\n", 2,
     "steps[0].expect.running-config.matches", "regular expression"),
    ("steps:\n  - expect: {flash: a, exsts: true}\n", 2, "steps[0].expect.exsts",
     "unknown field"),
    ("steps:\n  - cli: [a, b\n", 3, "(file)", "not valid YAML"),
    ("steps:\n  - file: {flash: Ringlist.xml}\n", 2, "steps[0].file.text", "needs `text:`"),
    ("bogus: 1\nsteps:\n  - cli: x\n", 1, "bogus", "unknown field"),
    ("steps:\n  - phones: {action: dial, phone: 1}\n", 2, "steps[0].phones.digits",
     "needs `digits:`"),
    ("steps:\n  - phones: {action: dial, phone: 1, digits: 70x2}\n", 2,
     "steps[0].phones.digits", "keypad"),
    ("steps:\n  - phones: {action: answer}\n", 2, "steps[0].phones", "acts on one phone"),
    ("steps:\n  - phones: {action: hang-up, phone: 1, digits: 1}\n", 2,
     "steps[0].phones.digits", "not a field of the `hang-up` action"),
    ("steps:\n  - expect: {phone: 1, call: {state: talking}}\n", 2,
     "steps[0].expect.call.state", "must be one of: offhook"),
    ("steps:\n  - expect: {phone: 1, call: {icon: padlock}}\n", 2,
     "steps[0].expect.call.icon", "must be one of: lock, shield, none"),
    ("steps:\n  - expect: {phone: 1, call: {line: 1}}\n", 2, "steps[0].expect.call",
     "say what to expect of the call"),
    ("steps:\n  - wait: {until: {phone: 2, call: {media: {flowing: yes please}}}}\n", 2,
     "steps[0].wait.until.call.media.flowing", "true or false"),
    ("steps:\n  - expect: {phone: 1, call: {media: {jitter: 3}}}\n", 2,
     "steps[0].expect.call.media.jitter", "unknown field"),
])
def test_schema_errors_name_line_and_field(tmp_path, text, line, field, message):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(SchemaError) as info:
        load_scenario(path)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), line, field), str(err)
    assert message in err.message


def test_a_valid_scenario_parses_every_step_kind(tmp_path):
    path = write(tmp_path, "ok.yaml", """\
steps:
  - cli: [show clock]
  - cli: {lines: "show version", priv: 1}
  - phones: {action: tamper, phone: 1, where: tftp, byte: 10}
  - phones: {action: set-clock, phone: all, offset: -1y}
  - phones: {action: set-clock, phone: 2, time: "2030-01-31 12:00:00"}
  - phones: {action: add, mac: BEEF.BEEF.0001, model: "7970", address: 1.2.3.30}
  - wait: {seconds: 0.1}
  - wait: {until: {phone: all, state: registered, security: encrypted}, timeout: 5}
  - expect: {phone: CAFE.CAFE.1234, lsc: {issuer: CN=CAServer, key-size: 1024}, mic: none}
  - expect: {phone: 1, hardening: {web-access: disabled}, web-page: closed, trust-list: none}
  - expect: {tftp: CTLFile.tlv, exists: false}
  - expect: {cli: {command: show ephone, not-contains: SEP}}
  - fault: {drop-traffic: 2}
  - fault: {drop-traffic: 2, clear: true}
  - fault: {stop-service: http}
  - fault: {unset-clock: true}
  - phones: {action: dial, phone: 1, digits: "7002#"}
  - phones: {action: answer, phone: 2, soft-key: true, line: 1}
  - phones: {action: hang-up, phone: CAFE.CAFE.1234}
  - wait: {until: {phone: 2, call: {state: ringin, other: 7001}}, timeout: 5}
  - expect: {phone: 1, call: {line: 1, security: encrypted, icon: lock,
                              media: {flowing: true, srtp: true, auth-failures: 0, signal: ok}}}
  - expect: {phone: all, call: none}
""")
    sc = load_scenario(path)
    dial, answer, hang_up, ringing, call, idle = (s.args for s in sc.steps[-6:])
    assert dial == {"action": "dial", "phone": "1", "digits": "7002#", "line": None,
                    "soft-key": False}
    assert (answer["soft-key"], answer["line"], hang_up["phone"]) == (True, 1, "CAFE.CAFE.1234")
    assert ringing["until"]["call"] == {"state": "ringin", "other": "7001"}
    assert call["call"] == {"line": 1, "security": "encrypted", "icon": "lock",
                            "media": {"flowing": True, "srtp": True, "auth-failures": 0,
                                      "signal": "ok"}}
    assert idle["call"] is None
    assert sc.steps[-6].title == "phones: dial 1 7002#"
    assert [s.kind for s in sc.steps][:3] == ["cli", "cli", "phones"]
    assert sc.steps[1].args == {"lines": ["show version"], "priv": 1}
    assert sc.steps[3].args["offset"] == -365 * 86400
    assert sc.steps[8].args["lsc"] == {"issuer": "CN=CAServer", "subject": None,
                                       "key-size": 1024}
    assert len(sc.lab.phones) == 4  # the default lab
    assert all(s.title for s in sc.steps)


PLAIN_CALL = """\
lab: default
settings: {time-scale: 0.05, timeout: 60}
steps:
  - wait: {until: {phone: all, state: registered}, timeout: 30}
  - phones: {action: dial, phone: 3, digits: "7004"}
  - wait: {until: {phone: 4, call: {state: ringin, other: "7003"}}, timeout: 10}
  - phones: {action: answer, phone: 4, soft-key: true}
  - wait: {until: {phone: 3, call: {state: connected, media: {flowing: true}}}, timeout: 10}
  - expect: {phone: 4, call: {state: connected, security: non-secure, icon: none,
                              media: {srtp: false, signal: ok, auth-failures: 0}}}
  - expect: {phone: 1, call: none}
  - name: a wrong expectation
    expect: {phone: 3, call: {icon: lock, media: {srtp: true}}}
  - phones: {action: hang-up, phone: 3}
  - wait: {until: {phone: 4, call: none}, timeout: 10}
  - name: nothing rings any more
    phones: {action: answer, phone: 4}
"""


def test_a_plain_call_in_a_scenario_with_expected_and_observed(tmp_path):
    result = run_file(write(tmp_path, "call.yaml", PLAIN_CALL.replace(
        "settings: {", "settings: {keep-going: true, ")))
    statuses = [s.status for s in result.steps]
    assert statuses[:7] == ["passed"] * 7, runner.format_result(result)
    assert statuses[7:] == ["failed", "passed", "passed", "error"], runner.format_result(result)
    failed = {c.what: (c.expected, c.observed) for c in result.steps[7].checks if not c.ok}
    assert failed == {"SEPCAFECAFE3456 call icon": ("lock", "none"),
                      "SEPCAFECAFE3456 call media SRTP": ("true", "false")}
    assert "cannot answer: no call is ringing" in result.steps[10].error


def test_a_file_step_puts_the_file_on_flash_for_the_shell(tmp_path):
    path = write(tmp_path, "file.yaml", SHELL_LAB + """\
steps:
  - file:
      flash: flash:Ringlist.xml
      text: |
        <CiscoIPPhoneRingList>
        </CiscoIPPhoneRingList>
  - expect: {flash: Ringlist.xml}
  - expect: {cli: {command: more flash:Ringlist.xml, contains: "<CiscoIPPhoneRingList>"}}
""")
    sc = load_scenario(path)
    assert sc.steps[0].args == {"flash": "Ringlist.xml",
                                "text": "<CiscoIPPhoneRingList>\n</CiscoIPPhoneRingList>\n"}
    assert sc.steps[0].title == "file: flash:Ringlist.xml (47 bytes)"
    result = run_file(path)
    assert result.status == "passed", runner.format_result(result)


# --- running: pass, fail with expected and observed -------------------------------------------

PASSING = SHELL_LAB + """\
steps:
  - cli: |
      configure terminal
      hostname R1
      end
  - expect: {running-config: "hostname R1"}
  - expect: {syslog: {matches: "%SYS-5-CONFIG_I: Configured from console"}}
  - fault: {skew-clock: -2d}
  - expect: {cli: {command: show clock, contains: "*"}}
"""


def test_a_passing_scenario(tmp_path):
    result = run_file(write(tmp_path, "pass.yaml", PASSING))
    assert result.status == "passed", runner.format_result(result)
    assert [s.status for s in result.steps] == ["passed"] * 5
    assert runner.exit_code([result]) == 0


def test_a_wrong_expectation_shows_expected_and_observed(tmp_path):
    path = write(tmp_path, "wrong.yaml", SHELL_LAB + """\
steps:
  - cli: |
      configure terminal
      telephony-service
       max-ephones 4
      end
  - expect:
      running-config: |
        telephony-service
         max-ephones 5
  - expect: {syslog: x}
""")
    result = run_file(path)
    assert result.status == "failed"
    assert [s.status for s in result.steps] == ["passed", "failed", "not-run"]
    (step, check), = result.failures
    assert step.step.line == 9
    assert check.expected == "telephony-service\n max-ephones 5\n"
    assert "telephony-service\n max-ephones 4" in check.observed
    text = runner.format_result(result)
    assert "expected: telephony-service" in text and "observed: (nearest" in text
    assert " max-ephones 4" in text
    assert "1 step(s) not run" in text


def test_keep_going_runs_every_step(tmp_path):
    path = write(tmp_path, "kg.yaml", SHELL_LAB.replace("network: false",
                                                        "network: false, keep-going: true")
                 + "steps:\n  - expect: {syslog: nothing-like-this}\n"
                   "  - expect: {running-config: {not-contains: hostname CME}}\n"
                   "  - expect: {running-config: hostname CME}\n")
    result = run_file(path)
    assert [s.status for s in result.steps] == ["failed", "failed", "passed"]
    assert result.failures[1][1].observed == "found: hostname CME"


def test_a_step_that_cannot_run_is_an_error_not_a_traceback(tmp_path):
    path = write(tmp_path, "err.yaml", SHELL_LAB + "steps:\n  - phones: {action: boot}\n")
    result = run_file(path)
    assert result.status == "failed"
    assert result.steps[0].status == "error"
    assert "needs the lab's network" in result.steps[0].error


def test_wait_times_out_with_the_last_observation(tmp_path):
    path = write(tmp_path, "wait.yaml", SHELL_LAB + """\
steps:
  - wait: {until: {running-config: "hostname NEVER"}, timeout: 0.2}
""")
    result = run_file(path)
    assert result.steps[0].status == "failed"
    assert result.steps[0].seen == "timed out after 0.2s"
    assert "(still, after 0.2s)" in result.steps[0].checks[0].observed


def test_dialogue_answers_are_the_following_lines_and_mode_persists(tmp_path):
    path = write(tmp_path, "dlg.yaml", SHELL_LAB + """\
steps:
  - cli: configure terminal
  - cli: |
      hostname R2
      crypto key generate rsa general-keys label K1 modulus 1024
  - expect: {cli: {not-contains: "% Invalid input"}}
  - expect: {running-config: "hostname R2"}
""")
    result = run_file(path)
    assert result.status == "passed", runner.format_result(result)


def test_a_draft_is_skipped_with_its_reason(tmp_path):
    path = write(tmp_path, "draft.yaml", "status: draft\nreason: waits for phones\n"
                 + SHELL_LAB + "steps:\n  - expect: {syslog: nothing}\n")
    result = run_file(path)
    assert (result.status, result.reason) == ("skipped", "draft: waits for phones")
    assert run_file(path, run_drafts=True).status == "failed"


# --- the command: exit codes and reports ------------------------------------------------------

def test_exit_codes_and_reports(tmp_path, capsys):
    good = write(tmp_path, "good.yaml", PASSING)
    bad = write(tmp_path, "bad.yaml", SHELL_LAB + "steps:\n  - expect: {syslog: absent<&>}\n")
    invalid = write(tmp_path, "invalid.yaml", "steps:\n  - dance: {}\n")
    draft = write(tmp_path, "draft.yaml", "status: draft\nreason: later\n" + PASSING)
    assert main(["run", str(good)]) == 0
    assert main(["run", str(good), str(draft)]) == 0
    assert main(["run", str(good), str(bad)]) == 1
    out_json, out_xml = tmp_path / "r.json", tmp_path / "r.xml"
    code = main(["run", "--json", str(out_json), "--junit", str(out_xml), str(good), str(bad),
                 str(invalid), str(draft)])
    assert code == 2
    assert main(["check", str(invalid)]) == 2
    assert main(["run"]) == 2  # usage
    printed = capsys.readouterr().out
    assert "FAIL syslog contains" in printed and "expected: absent<&>" in printed
    assert f"INVALID {invalid}:2: steps[0].dance: unknown field" in printed

    report = json.loads(out_json.read_text())
    assert report["exit_code"] == 2
    assert report["summary"] == {"passed": 1, "failed": 1, "error": 0, "invalid": 1,
                                 "skipped": 1}
    by_file = {Path(s["file"]).name: s for s in report["scenarios"]}
    check = by_file["bad.yaml"]["steps"][0]["checks"][0]
    assert (check["expected"], check["ok"]) == ("absent<&>", False)
    error = by_file["invalid.yaml"]["schema_error"]
    assert (error["file"], error["line"], error["field"]) == (str(invalid), 2, "steps[0].dance")
    assert error["message"].startswith("unknown field")
    assert by_file["draft.yaml"]["reason"] == "draft: later"

    root = ET.parse(out_xml).getroot()
    suite = root.find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    assert suite.get("errors") == "1" and suite.get("skipped") == "1"
    cases = {Path(c.get("file")).name: c for c in suite.findall("testcase")}
    failure = cases["bad.yaml"].find("failure")
    assert "expected 'absent<&>'" in failure.get("message")
    assert cases["invalid.yaml"].find("error").get("type") == "SchemaError"
    assert cases["draft.yaml"].find("skipped").get("message") == "draft: later"
    assert cases["good.yaml"].find("failure") is None
    assert "PASSED" in cases["good.yaml"].find("system-out").text


def test_the_installed_command_dispatches_to_the_runner(tmp_path, cucme_lab):
    bad = write(tmp_path, "bad.yaml", "steps: 3\n")
    proc = subprocess.run([cucme_lab, "scenario", "run", str(bad)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{bad}:1: steps: expected a list" in proc.stdout


# --- the library -------------------------------------------------------------------------------

LIBRARY = sorted(runner.LIBRARY.glob("*.yaml"))


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_scenario_is_valid_and_names_its_passage(path):
    sc = load_scenario(path)
    assert path.read_text().startswith("# "), "a library scenario opens with its passage"
    assert sc.shows
    if sc.status == "draft":
        assert sc.reason


def test_the_appendix_b_shell_scenario_passes():
    result = run_file(runner.LIBRARY / "nsa_appendix_b_shell.yaml")
    assert result.status == "passed", runner.format_result(result)


# --- the pytest plugin -------------------------------------------------------------------------

def test_the_plugin_collects_scenario_files_and_reports_failures(tmp_path):
    write(tmp_path, "scenario_good.yaml", PASSING)
    write(tmp_path, "wrong.scenario.yaml", SHELL_LAB + "steps:\n  - expect: {syslog: zzz}\n")
    write(tmp_path, "scenario_draft.yaml", "status: draft\nreason: later\n" + PASSING)
    write(tmp_path, "scenario_invalid.yaml", "steps:\n  - dance: 1\n")
    write(tmp_path, "not_a_scenario.yaml", "steps: 3\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
                           str(tmp_path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "2 failed, 1 passed, 1 skipped" in out
    assert "FAIL syslog contains" in out and "expected: zzz" in out
    assert "scenario_invalid.yaml:2: steps[0].dance: unknown field" in out
    assert "SKIPPED" in out and "draft: later" in out
    assert "not_a_scenario" not in out
