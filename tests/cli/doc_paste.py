"""Pasting the source documents' configuration blocks, line by line, and seeing which fail."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cucme_lab.router.router import Router
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

REJECTION = re.compile(r"^% (Invalid input detected|Incomplete command\.|Ambiguous command|"
                       r"Invalid encrypted password|Trustpoint not found|MAC address .* in use)",
                       re.M)


def fenced_blocks(text: str) -> list[list[str]]:
    """The lines of every ``` fenced block, in document order."""
    blocks, current, inside = [], [], False
    for line in text.splitlines():
        if line.startswith("```"):
            if inside:
                blocks.append(current)
            current, inside = [], not inside
            continue
        if inside:
            current.append(line)
    return blocks


class RecordingTerminal(ScriptTerminal):
    """Remembers which pasted line each piece of output belongs to."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.index = -1
        self.by_line: dict[int, list[str]] = {}

    def _next(self) -> str | None:
        line = super()._next()
        if line is not None:
            self.index += 1
        return line

    def write(self, text: str) -> None:
        super().write(text)
        self.by_line.setdefault(self.index, []).append(text)


@dataclass
class PasteResult:
    lines: list[str]
    outputs: list[str] = field(default_factory=list)

    def rejected(self) -> list[tuple[str, str]]:
        """(line, first error line) for each pasted line IOS refused."""
        found = []
        for line, out in zip(self.lines, self.outputs, strict=True):
            m = REJECTION.search(out)
            if m:
                found.append((line.strip(), out[m.start():].splitlines()[0]))
        return found


async def paste_document(router: Router, path: Path) -> PasteResult:
    """Paste each block into configuration mode, as an admin pastes a block at a time.

    A block that ends inside a sub-mode leaves the next block there (the documents split some
    configurations across pages); a block that left configuration mode gets `configure terminal`
    again before the next one, and a session its `exit` ended is replaced by a new one.
    """
    result = PasteResult([])
    session: Session | None = None
    for block in fenced_blocks(path.read_text()):
        terminal = RecordingTerminal(block)
        if session is None or session.closed:
            session = Session(router, terminal, command_set(), priv=15)
        session.terminal = terminal
        if session.mode == "exec":
            session.enter_config()
        while True:
            text = await terminal.readline(session.prompt() + session.pending)
            if text is None:
                break
            text, session.pending = session.pending + text, ""
            await session.handle(text)
            if session.closed:
                break
        result.lines += block
        result.outputs += ["".join(terminal.by_line.get(i, [])) for i in range(len(block))]
    return result
