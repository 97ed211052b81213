"""What a shell session talks to: the console, a vty, a scenario, or a test.

A session writes text and asks for lines (commands, dialogue answers, passwords) and keys
(`--More--`, `[confirm]`). Each front-end implements this; dialogues are written once against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

# What `readline` and `read_key` return when Ctrl-C is pressed at a dialogue's question (a
# passphrase, `[yes/no]`, `[confirm]`): the session ends the dialogue there, as IOS does. At the
# command prompt Ctrl-C keeps its own meaning (in configuration mode, like Ctrl-Z). A script
# (a pasted configuration, a test, a scenario step) presses it with a line holding only `\x03`.
INTERRUPT = "\x03"


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
        return script_answer(self, self._next(), echo)

    async def read_key(self, prompt: str) -> str | None:
        self.write(prompt)
        return script_key(self, self._next())

    def output(self) -> str:
        return "".join(self.chunks)


def script_answer(terminal: Terminal, line: str | None, echo: bool) -> str | None:
    """A script's next line as the answer to a prompt, echoed as the console shows it; a line
    holding only Ctrl-C is the key, echoed `^C`."""
    if line is None:
        return None
    if line == INTERRUPT:
        terminal.write("^C\n")
        return INTERRUPT
    terminal.write((line if echo else "") + "\n")
    return line


def script_key(terminal: Terminal, line: str | None) -> str | None:
    """A script's next line as one key press: its first character, Enter for an empty line."""
    if line is None:
        return None
    terminal.write("^C\n" if line == INTERRUPT else "\n")
    return line[:1] if line else "\r"
