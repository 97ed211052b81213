"""Global configuration of the router itself: hostname for now."""

from __future__ import annotations

import re

from cli_shell.registry import command
from cli_shell.session import Ctx


@command("config", "hostname WORD:name", no="hostname")
def hostname(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.set("hostname", "hostname Router", {"name": "Router"})
        return
    name = c.args["name"]
    if not re.fullmatch(r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", name):
        c.out("% Hostname contains one or more illegal characters.")
        return
    c.router.config.set("hostname", f"hostname {name}", {"name": name})
