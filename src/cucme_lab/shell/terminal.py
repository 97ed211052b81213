"""What a shell session talks to: the console, a vty, a scenario, or a test.

A session writes text and asks for lines (commands, dialogue answers, passwords) and keys
(`--More--`, `[confirm]`). Each front-end implements this; dialogues are written once against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol


class Terminal(Protocol):
    interactive: bool

    def write(self, text: str) -> None: ...

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        """Show `prompt`, return the next line without its newline, or None at end of input."""

    async def read_key(self, prompt: str) -> str | None:
        """Show `prompt`, return one key press (paging, `[confirm]`), or None at end of input."""


class ScriptTerminal:
    """Lines from a script, output as the console would show it (prompt, echo, output).

    A dialogue's answers are the script's following lines, as when a configuration is pasted.
    """

    interactive = False

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines: Iterator[str] = iter(lines)
        self.chunks: list[str] = []
        self.sink = None  # a callable receiving text as it is written, if set

    def write(self, text: str) -> None:
        if self.sink is not None:
            self.sink(text)
        else:
            self.chunks.append(text)

    def _next(self) -> str | None:
        try:
            return next(self._lines).rstrip("\r\n")
        except StopIteration:
            return None

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        self.write(prompt)
        line = self._next()
        if line is None:
            return None
        self.write((line if echo else "") + "\n")
        return line

    async def read_key(self, prompt: str) -> str | None:
        self.write(prompt)
        line = self._next()
        if line is None:
            return None
        self.write("\n")
        return line[:1] if line else "\r"

    def output(self) -> str:
        return "".join(self.chunks)
