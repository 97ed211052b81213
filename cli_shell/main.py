"""`cucme-lab`: open the router's console, run a script of typed lines, or serve the lab."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import trio

import cli_shell.commands  # noqa: F401  (registers every command)
from cli_shell.session import Session
from cli_shell.terminal import ScriptTerminal
from emulator.lab import open_lab
from emulator.router import Router

DEFAULT_LAB = Path.home() / ".cucme-lab" / "default"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cucme-lab", description=__doc__)
    p.add_argument("--lab", type=Path, default=DEFAULT_LAB,
                   help="lab folder: nvram/, flash/, lab.json (default: %(default)s)")
    p.add_argument("--script", metavar="FILE",
                   help="type FILE's lines (or stdin with '-') as at the console")
    p.add_argument("--serve", action="store_true",
                   help="keep the lab running without a console until SIGINT/SIGTERM")
    return p.parse_args(argv)


def script_lines(name: str):
    if name == "-":
        yield from sys.stdin
    else:
        with open(name, encoding="utf-8") as f:
            yield from f


async def run_script(router: Router, name: str) -> None:
    terminal = ScriptTerminal(script_lines(name))
    terminal.sink = lambda text: (sys.stdout.write(text), sys.stdout.flush())
    session = Session(router, terminal)
    await session.run()
    sys.stdout.write("\n")


async def run_console(router: Router) -> None:
    from prompt_toolkit.patch_stdout import patch_stdout

    from cli_shell.console import ConsoleTerminal

    terminal = ConsoleTerminal()
    session = Session(router, terminal)
    terminal.session = session
    with patch_stdout(raw=True):
        await session.run()


async def serve_until_signal() -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


async def amain(args: argparse.Namespace) -> int:
    async with open_lab(args.lab) as lab:
        if args.script:
            await run_script(lab.router, args.script)
        if args.serve:
            await serve_until_signal()
        elif not args.script:
            await run_console(lab.router)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return trio.run(amain, args)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
