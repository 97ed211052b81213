"""Terminal lines (`line con 0`, `line vty 0 4`) and what they enforce at login."""

from __future__ import annotations

from cucme_lab.router.config.section import Section
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.system import _encrypting, store_password, typed_password
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting = DECLARED.command, DECLARED.setting

LINE_HELP = {"con": "Primary terminal line", "console": "Primary terminal line",
             "vty": "Virtual terminal", "aux": "Auxiliary line"}


@command("config", "line {console|con}:kind <0-0>:first", help=LINE_HELP, no=False)
def line_console(c: Ctx) -> None:
    sec = c.router.config.section("line con", ("0",), "line con 0")
    c.enter("config-line", sec)


@command("config", "line aux <0-0>:first", help=LINE_HELP, no=False)
def line_aux(c: Ctx) -> None:
    c.enter("config-line", c.router.config.section("line aux", ("0",), "line aux 0"))


# An ISR numbers its vty lines up to 1869 [M]; the lab's SSH benchmark uses 50 of them.
@command("config", "line vty <0-1869>:first [<1-1869>:last]", help=LINE_HELP,
         no="line vty <0-1869>:first [<1-1869>:last]")
def line_vty(c: Ctx) -> None:
    first = c.args["first"]
    last = c.arg("last", first)
    if last < first:
        c.out("%Invalid line range")
        return
    if c.no:
        for sec in c.router.config.sections("line vty"):
            if int(sec.ident[0]) >= first and int(sec.ident[0]) > 4:
                c.router.config.remove("line vty", sec.ident)
        return
    # IOS keeps 0-4 as one block; lines beyond it form a second block.
    blocks = []
    if first <= 4:
        blocks.append((0, 4))
    if last > 4:
        blocks.append((max(first, 5), last))
        for sec in c.router.config.sections("line vty"):
            if sec.ident != ("0", "4") and int(sec.ident[0]) >= 5:
                c.router.config.remove("line vty", sec.ident)
        blocks[-1] = (5, last)
    secs = [c.router.config.section("line vty", (str(a), str(b)), f"line vty {a} {b}")
            for a, b in blocks]
    for sec in secs[1:]:
        if not sec.settings:
            sec.set("login", "login", {"mode": "line"})
    c.enter("config-line", secs[0] if len(secs) == 1 else LineGroup(secs))


class LineGroup(Section):
    """`line vty 0 15`: what is typed next applies to every block of lines in the range."""

    def __init__(self, members: list[Section]) -> None:
        super().__init__(kind="line vty", header="")
        self.members = members

    def set(self, key, line, values=None, sort=()) -> None:  # type: ignore[override]
        for sec in self.members:
            sec.set(key, line, values, sort)

    def unset(self, key: str) -> bool:
        return any([sec.unset(key) for sec in self.members])

    def unset_prefix(self, prefix: str) -> int:
        return sum(sec.unset_prefix(prefix) for sec in self.members)

    def get(self, key: str):  # type: ignore[override]
        return self.members[0].get(key)

    def has(self, key: str) -> bool:
        return self.members[0].has(key)


@command("config-line", "login [local]", help={"local": "Local password checking"})
def login(c: Ctx) -> None:
    sec = c.target
    if c.no:
        sec.unset("login")
        return
    mode = "local" if c.arg("local") else "line"
    sec.set("login", "login local" if mode == "local" else "login", {"mode": mode})


@command("config-line", "password [{0|7}:ptype] LINE:text", no="password")
def line_password(c: Ctx) -> None:
    if c.no or c.default:
        c.target.unset("password")
        return
    ptype, text = typed_password(c)
    if ptype is None:
        return
    store_password(c.target, "password", "password", ptype, text, _encrypting(c))


TRANSPORTS = "{all|none|ssh|telnet}"


@command("config-line", f"transport input {TRANSPORTS}:first [{{ssh|telnet}}:second]",
         help={"transport": "Define transport protocols for line",
               "input": "Define which protocols to use when connecting to the terminal server",
               "ssh": "TCP/IP SSH protocol", "telnet": "TCP/IP Telnet protocol",
               "all": "All protocols", "none": "No protocols"}, no="transport input")
def transport_input(c: Ctx) -> None:
    if c.no or c.default:
        c.target.unset("transport input")
        return
    protos = [c.args["first"]] + ([c.args["second"]] if "second" in c.args else [])
    if c.args["first"] in ("all", "none"):
        protos = [c.args["first"]]
    order = {"ssh": 1, "telnet": 0}
    if len(protos) == 2:
        protos = sorted(set(protos), key=lambda p: order[p])
    c.target.set("transport input", "transport input " + " ".join(protos), {"protocols": protos})


setting("config-line", "exec-timeout <0-35791>:minutes [<0-2147483>:seconds]",
        help={"exec-timeout": "Set the EXEC timeout"},
        render=lambda a: f"exec-timeout {a['minutes']} {a.get('seconds', 0)}")
setting("config-line", "session-timeout <0-35791>:minutes")
setting("config-line", "privilege level <0-15>:level",
        help={"privilege": "Change privilege level for line", "level": "Assign default "
              "privilege level for line"})
setting("config-line", "logging synchronous", help={"logging": "Modify message logging "
                                                    "facilities", "synchronous": "Synchronized "
                                                    "message output"})
setting("config-line", "access-class {<1-199>|<1300-2699>|WORD}:acl {in|out}:dir",
        key="access-class {dir}", help={"access-class": "Filter connections based on an IP "
                                        "access list", "in": "Filter incoming connections",
                                        "out": "Filter outgoing connections"},
        no="access-class {<1-199>|<1300-2699>|WORD}:acl {in|out}:dir")
