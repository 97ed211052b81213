"""Terminal lines (`line con 0`, `line vty 0 4`) and what they enforce at login.

Each block is a typed `TerminalLine` (`cucme_lab.router.access_config`): the `config-line`
commands assign its attributes, and the login path (`cucme_lab.router.access`) reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.access_config import (
    LINE_AUX,
    LINE_CON,
    LINE_VTY,
    ExecTimeout,
    LoginMode,
    TerminalLine,
    Transport,
    VtyLines,
    vty_blocks,
)
from cucme_lab.router.config.model import typed_fields
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.system import kept_password, typed_password
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting = DECLARED.command, DECLARED.setting
typed_setting = DECLARED.typed_setting

LINE = "config-line"
LINE_HELP = {"con": "Primary terminal line", "console": "Primary terminal line",
             "vty": "Virtual terminal", "aux": "Auxiliary line"}


@command("config", "line {console|con}:kind <0-0>:first", help=LINE_HELP, no=False)
def line_console(c: Ctx) -> None:
    c.enter(LINE, c.router.config.section(LINE_CON, ("0",), "line con 0", TerminalLine))


@command("config", "line aux <0-0>:first", help=LINE_HELP, no=False)
def line_aux(c: Ctx) -> None:
    c.enter(LINE, c.router.config.section(LINE_AUX, ("0",), "line aux 0", TerminalLine))


# An ISR numbers its vty lines up to 1869 [M]; the lab's SSH benchmark uses 50 of them.
@command("config", "line vty <0-1869>:first [<1-1869>:last]", help=LINE_HELP,
         no="line vty <0-1869>:first [<1-1869>:last]")
def line_vty(c: Ctx) -> None:
    config = c.router.config
    first = c.args["first"]
    last = c.arg("last", first)
    if last < first:
        c.out("%Invalid line range")  # [M]
        return
    if c.no:
        for sec in vty_blocks(config):
            if sec.first >= first and sec.first > 4:
                config.remove(LINE_VTY, sec.ident)
        return
    # IOS keeps 0-4 as one block; lines beyond it form a second block.
    blocks = []
    if first <= 4:
        blocks.append((0, 4))
    if last > 4:
        blocks.append((max(first, 5), last))
        for sec in vty_blocks(config):
            if sec.ident != ("0", "4") and sec.first >= 5:
                config.remove(LINE_VTY, sec.ident)
        blocks[-1] = (5, last)
    secs = [config.section(LINE_VTY, (str(a), str(b)), f"line vty {a} {b}", VtyLines)
            for a, b in blocks]
    c.enter(LINE, secs[0] if len(secs) == 1 else LineGroup(kind=LINE_VTY, members=secs))


@dataclass(eq=False)
class LineGroup(VtyLines):
    """`line vty 0 15`: what is typed next applies to every block of lines in the range.

    Not part of the configuration: each setting assigned to it is assigned to its members.
    """

    members: list[VtyLines] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in typed_fields(VtyLines):
            # While the dataclass initialises its own defaults there are no members yet.
            for sec in self.__dict__.get("members", ()):
                setattr(sec, name, value)


@command(LINE, "login [local]", help={"local": "Local password checking"})
def login(c: Ctx) -> None:
    """`no login` asks for nothing (vty lines ask for the line password unless told so)."""
    line: TerminalLine = c.target
    if c.no:
        line.login = None
        return
    line.login = LoginMode.LOCAL if c.arg("local") else LoginMode.LINE


@command(LINE, "password [{0|7}:ptype] LINE:text", no="password")
def line_password(c: Ctx) -> None:
    line: TerminalLine = c.target
    if c.no or c.default:
        line.reset_setting("password")
        return
    password = typed_password(c)
    if password is not None:
        line.password = kept_password(c, password)


TRANSPORTS = "{all|none|ssh|telnet}"


@command(LINE, f"transport input {TRANSPORTS}:first [{{ssh|telnet}}:second]",
         help={"transport": "Define transport protocols for line",
               "input": "Define which protocols to use when connecting to the terminal server",
               "ssh": "TCP/IP SSH protocol", "telnet": "TCP/IP Telnet protocol",
               "all": "All protocols", "none": "No protocols"}, no="transport input")
def transport_input(c: Ctx) -> None:
    """`all` and `none` stand alone; two protocols print telnet first, as IOS does."""
    line: TerminalLine = c.target
    if c.no or c.default:
        line.reset_setting("transport_input")
        return
    protos = [c.args["first"]] + ([c.args["second"]] if "second" in c.args else [])
    if c.args["first"] in ("all", "none"):
        protos = [c.args["first"]]
    order = {"ssh": 1, "telnet": 0}
    if len(protos) == 2:
        protos = sorted(set(protos), key=lambda p: order[p])
    line.transport_input = tuple(Transport(p) for p in protos)


typed_setting(LINE, TerminalLine, "exec-timeout <0-35791>:minutes [<0-2147483>:seconds]",
              "exec_timeout", lambda a: ExecTimeout(a["minutes"], a.get("seconds") or 0),
              help={"exec-timeout": "Set the EXEC timeout"})
typed_setting(LINE, TerminalLine, "session-timeout <0-35791>:minutes", "session_timeout")
typed_setting(LINE, TerminalLine, "timeout login response <0-300>:seconds", "login_response",
              help={"timeout": "Timeouts",  # [M] help texts
                    "login": "Timeouts related to the login sequence",
                    "response": "Timeout for any user input during login sequences"})
typed_setting(LINE, TerminalLine, "privilege level <0-15>:level", "privilege",
              help={"privilege": "Change privilege level for line", "level": "Assign default "
                    "privilege level for line"})
typed_setting(LINE, TerminalLine, "logging synchronous", "logging_synchronous", lambda a: True,
              help={"logging": "Modify message logging facilities",
                    "synchronous": "Synchronized message output"})


@command(LINE, "access-class {<1-199>|<1300-2699>|WORD}:acl {in|out}:dir",
         help={"access-class": "Filter connections based on an IP access list",
               "in": "Filter incoming connections", "out": "Filter outgoing connections"},
         no="access-class {<1-199>|<1300-2699>|WORD}:acl {in|out}:dir")
def access_class(c: Ctx) -> None:
    line: TerminalLine = c.target
    attr = "access_class_in" if c.args["dir"] == "in" else "access_class_out"
    if c.no or c.default:
        line.reset_setting(attr)
        return
    setattr(line, attr, c.args["acl"])
