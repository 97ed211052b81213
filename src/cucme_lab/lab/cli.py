"""`cucme-lab`: the lab's command line.

    cucme-lab [--lab DIR] [--labfile FILE] [--script FILE|-] [--serve] [--no-phones]
              [--dashboard [--dashboard-port N] [--dashboard-host ADDR]]

opens the router's console on a lab (the default lab: the NSA guide's starting point, four
7970 phones), types a script at that console, or serves the lab until SIGINT/SIGTERM.
(`cucme-lab scenario ...` is the scenario runner's: `cucme_lab.cli` dispatches.)
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import trio

from cucme_lab.lab.controls import run_control, toolbar
from cucme_lab.lab.dashboard.server import add_dashboard_arguments, optional_dashboard
from cucme_lab.lab.labfile import DEFAULT_LAB, load_lab
from cucme_lab.lab.lock import LabInUse
from cucme_lab.lab.real_addresses import RealAddresses
from cucme_lab.lab.runtime import run_lab
from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.netio.runtime import tune_for_many_connections
from cucme_lab.shell.frontends import run_console, run_script

DEFAULT_LAB_DIR = Path.home() / ".cucme-lab" / "default"


USAGE = """\
cucme-lab [--lab DIR] [--labfile FILE] [--script FILE|-] [--serve] [--no-phones]
                 [--real-addresses] [--dashboard [--dashboard-port N] [--dashboard-host ADDR]]
       cucme-lab scenario {run,check,list} ..."""

DESCRIPTION = """\
Opens the router's console on a lab (the default lab: the NSA guide's starting point, four
7970 phones), types a script at that console, or serves the lab until SIGINT/SIGTERM.
Leave the console with `exit` (or `logout`) at the Router> or Router# prompt, or Ctrl-D."""

EPILOG = """\
scenarios:
  cucme-lab scenario run FILE|DIR...    run scenarios, print their timelines, write reports
  cucme-lab scenario check FILE|DIR...  validate scenario files without running them
  cucme-lab scenario list [DIR]         list the library's scenarios (or DIR's)
  cucme-lab audit [--lab DIR] [--json]  the security audit against both documents
  cucme-lab guided LAB|--list           a guided lab, graded (objectives, hints, time limit)
  see `cucme-lab scenario --help`; a lab folder is used by one cucme-lab at a time"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cucme-lab", usage=USAGE, description=DESCRIPTION,
                                epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lab", type=Path, default=DEFAULT_LAB_DIR,
                   help="lab folder: nvram/, flash/, phones/, lab.json (default: %(default)s)")
    p.add_argument("--labfile", type=Path, default=DEFAULT_LAB,
                   help="lab file (YAML): phones and start-up configuration of a new lab")
    p.add_argument("--script", metavar="FILE",
                   help="type FILE's lines (or stdin with '-') as at the console")
    p.add_argument("--serve", action="store_true",
                   help="keep the lab running without a console until SIGINT/SIGTERM")
    p.add_argument("--no-phones", action="store_true",
                   help="do not power on the lab's phones at start")
    p.add_argument("--real-addresses", action="store_true",
                   help="bind the configured addresses as they are instead of loopback (they "
                   "must exist on this host or namespace; see `python -m cucme_lab.lab.netns`)")
    add_dashboard_arguments(p, "serve the browser dashboard (its URL is printed and in lab.json)")
    return p.parse_args(argv)


async def amain(args: argparse.Namespace) -> int:
    labfile = load_lab(args.labfile)
    if labfile.guided is not None:
        print("cucme-lab: this lab file has objectives; `cucme-lab guided FILE` grades them",
              file=sys.stderr)
    # listen for SIGTERM before anything starts, so a stop request is never lost
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        addresses = RealAddresses() if args.real_addresses else None
        async with run_lab(args.lab, labfile, boot_phones=not args.no_phones,
                           addresses=addresses) as runtime, \
                optional_dashboard(runtime, args.dashboard, args.dashboard_host,
                                   args.dashboard_port):
            async def controls(line: str) -> str:
                return await run_control(runtime, line)

            router = runtime.router
            if args.script:
                await run_script(router, runtime.lab.commands, args.script, controls)
            if args.serve:
                async for _ in signals:
                    break
            elif not args.script:
                await run_console(router, runtime.lab.commands, controls,
                                  lambda: toolbar(runtime))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tune_for_many_connections()
    try:
        return trio.run(amain, args)
    except SchemaError as exc:
        print(f"cucme-lab: {exc}", file=sys.stderr)
        return 2
    except LabInUse as exc:  # refused before anything in the folder was touched
        print(f"cucme-lab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
