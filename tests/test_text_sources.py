"""Every `%` message the shell prints says where its text comes from.

IOS texts are copied letter for letter from real outputs; a text with no source found is
marked `[U]` so that a reader knows it is the lab's guess. Marks: `[C]` a real capture or
Cisco document, `[D]` a Cisco document's example, `[M]` from memory, `[U]` no source. The mark
stands on the line, on the next (a call continued), or within the three lines above it.
"""

from __future__ import annotations

import re
from pathlib import Path

SHELL = Path(__file__).resolve().parents[1] / "src" / "cucme_lab" / "shell"
CALL = re.compile(r'(c\.out|c\.log|\.log\.log|emit|write|out\.append|lines\.append)\(\s*f?["\']%')
MARK = re.compile(r"\[[UMCD]\]")
# call control owns these (`show ephone`): marked by the team that edits them
SKIP = {"ephone_show.py"}


def unmarked() -> list[str]:
    found = []
    for path in sorted(SHELL.rglob("*.py")):
        if path.name in SKIP:
            continue
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if CALL.search(line) and not MARK.search("\n".join(lines[max(0, i - 3):i + 2])):
                found.append(f"{path.relative_to(SHELL)}:{i + 1}: {line.strip()}")
    return found


def test_every_percent_message_of_the_shell_names_its_source():
    assert unmarked() == []


async def test_copying_an_empty_startup_config_says_what_ios_says(shell):
    out = await shell.type("copy startup-config running-config", "")
    assert "%Error opening nvram:startup-config (No such file or directory)\n" in out
    assert "%%" not in out
