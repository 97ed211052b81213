"""Helpers for end-to-end phone tests (the `runtime` fixture is in tests/conftest.py)."""

from __future__ import annotations

import trio

from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal


async def type_lines(router, lines: list[str]) -> str:
    terminal = ScriptTerminal(lines)
    await Session(router, terminal, command_set()).run()
    return terminal.output()


async def until(phone, predicate, timeout: float = 20.0) -> None:
    with trio.fail_after(timeout):
        await phone.wait_until(predicate, timeout)
