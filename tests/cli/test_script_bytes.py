"""`cucme-lab --script` reads its file as a terminal reads bytes: a bad byte is invalid input.

Bytes that are not UTF-8 used to end the run with UnicodeDecodeError before the first line was
typed; now the good lines run and the bad one gets IOS's caret under the undecodable byte.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from cucme_lab.shell.session import INVALID

EMPTY = Path(__file__).resolve().parents[1] / "data" / "empty_lab.yaml"
SCRIPT = b"show clock\n\xff\nshow clo\xffck\nshow version | include IOS\n"


def run_bytes(cucme_lab: str, lab: Path, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    result = subprocess.run([cucme_lab, "--labfile", str(EMPTY), "--lab", str(lab), *args],
                            input=stdin, capture_output=True, timeout=60)
    return (result.returncode, result.stdout.decode("utf-8", "replace"),
            result.stderr.decode("utf-8", "replace"))


def assert_bad_lines_refused_and_good_lines_run(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert "UnicodeDecodeError" not in err
    lines = out.splitlines()
    assert lines[0] == "Router>show clock" and "UTC" in lines[1]
    assert lines[2:5] == ["Router>\ufffd", " " * len("Router>") + "^", INVALID]
    assert lines[6:9] == ["Router>show clo\ufffdck", " " * len("Router>show clo") + "^", INVALID]
    assert lines[10] == "Router>show version | include IOS"
    assert lines[11].startswith("Cisco IOS Software")


def test_a_script_file_with_invalid_utf8_runs_its_good_lines(tmp_path, cucme_lab):
    script = tmp_path / "bad.txt"
    script.write_bytes(SCRIPT)
    assert_bad_lines_refused_and_good_lines_run(
        *run_bytes(cucme_lab, tmp_path / "lab", "--script", str(script)))


def test_a_script_on_stdin_with_invalid_utf8_runs_its_good_lines(tmp_path, cucme_lab):
    assert_bad_lines_refused_and_good_lines_run(
        *run_bytes(cucme_lab, tmp_path / "lab", "--script", "-", stdin=SCRIPT))


async def test_a_line_holding_an_undecodable_byte_is_invalid_in_every_mode(shell, router):
    # the vty decodes a client's bytes the same way, so a telnet client gets the same answer
    out = await shell.type("\ufffd", "configure terminal", "hostname R\ufffd", "end")
    assert f"Router#\ufffd\n{' ' * len('Router#')}^\n{INVALID}\n" in out
    assert "Translating" not in out
    assert (f"Router(config)#hostname R\ufffd\n{' ' * len('Router(config)#hostname R')}^\n"
            f"{INVALID}\n") in out
    assert "hostname Router\n" in router.running_config()
