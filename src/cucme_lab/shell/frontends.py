"""The router's console front-ends: a script typed at the console, or the interactive console.

Both run a shell Session on the console line; the lab may add `:` controls and a status bar.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator

from cucme_lab.router.router import Router
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

Controls = Callable[[str], Awaitable[str]]


def script_lines(name: str) -> Iterator[str]:
    if name == "-":
        yield from sys.stdin
    else:
        with open(name, encoding="utf-8") as f:
            yield from f


async def run_script(router: Router, commands: CommandSet, name: str,
                     controls: Controls | None = None) -> None:
    """Type the script's lines at the console; print exactly what the console shows."""
    terminal = ScriptTerminal(script_lines(name))
    terminal.sink = lambda text: (sys.stdout.write(text), sys.stdout.flush())
    session = Session(router, terminal, commands, controls=controls)
    await session.run()
    sys.stdout.write("\n")


async def run_console(router: Router, commands: CommandSet, controls: Controls | None = None,
                      toolbar: Callable[[], str] | None = None) -> None:
    from prompt_toolkit.patch_stdout import patch_stdout

    from cucme_lab.shell.console import ConsoleTerminal

    terminal = ConsoleTerminal(toolbar=toolbar)
    session = Session(router, terminal, commands, controls=controls)
    terminal.session = session
    with patch_stdout(raw=True):
        await session.run()
