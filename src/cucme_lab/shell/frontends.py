"""The router's console front-ends: a script typed at the console, or the interactive console.

Both run a shell Session on the console line; the lab may add `:` controls and a status bar.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator

from cucme_lab.router import aaa
from cucme_lab.router.router import Router
from cucme_lab.shell.console_login import CONSOLE_PORT, console_login, console_section
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal

Controls = Callable[[str], Awaitable[str]]


def script_lines(name: str) -> Iterator[str]:
    """The script's lines, decoded as a vty decodes what a client types.

    Bytes that are not UTF-8 become U+FFFD instead of ending the run with UnicodeDecodeError:
    the session refuses such a line with IOS's caret, and the lines around it still run.
    """
    if name == "-":
        reconfigure = getattr(sys.stdin, "reconfigure", None)
        if reconfigure is not None:  # absent when a test puts text in place of stdin
            reconfigure(encoding="utf-8", errors="replace")
        yield from sys.stdin
    else:
        with open(name, encoding="utf-8", errors="replace") as f:
            yield from f


def _console_write(text: str) -> None:
    """Write to stdout, replacing what its encoding cannot show rather than failing."""
    encoding = sys.stdout.encoding or "utf-8"
    sys.stdout.write(text.encode(encoding, "replace").decode(encoding))
    sys.stdout.flush()


async def run_script(router: Router, commands: CommandSet, name: str,
                     controls: Controls | None = None) -> None:
    """Type the script's lines at the console; print exactly what the console shows."""
    terminal = ScriptTerminal(script_lines(name))
    terminal.sink = _console_write
    session = Session(router, terminal, commands, controls=controls)
    await session.run()
    sys.stdout.write("\n")


async def run_console(router: Router, commands: CommandSet, controls: Controls | None = None,
                      toolbar: Callable[[], str] | None = None) -> None:
    from prompt_toolkit.patch_stdout import patch_stdout

    from cucme_lab.shell.console import ConsoleTerminal

    terminal = ConsoleTerminal(toolbar=toolbar)
    with patch_stdout(raw=True):
        login = await console_login(router, terminal)
        if login is None:
            return
        user, priv = login
        session = Session(router, terminal, commands, controls=controls, user=user, priv=priv)
        terminal.session = session
        accounting = aaa.ExecAccounting.begin(router, user, CONSOLE_PORT, "",
                                              console_section(router.config))
        try:
            await session.run()
        finally:
            accounting.end()
