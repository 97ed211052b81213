"""SNMP and CDP commands: `snmp-server community|location|contact`, `show snmp`, `cdp run`,
`cdp enable`, `show cdp`, `show cdp neighbors [detail]`.

Handlers write the typed settings of `router.config.snmp` and the interface block; the agent
(`router.snmp`) and the CDP table (`router.cdp`) read them.
"""

from __future__ import annotations

from cucme_lab.router import cdp
from cucme_lab.router.config.interfaces import Interface
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.snmp import SnmpAccess, SnmpCommunity
from cucme_lab.router.snmp.agent import show_snmp
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, typed_setting = DECLARED.command, DECLARED.typed_setting

USER = 1
IF = "config-if"
SNMP_HELP = {"snmp-server": "Modify SNMP engine parameters",
             "community": "Enable SNMP; set community string and access privs",
             "view": "Restrict this community to a named MIB view",
             "RO": "Read-only access with this community string",
             "RW": "Read-write access with this community string",
             "<1-99>": "Std IP accesslist allowing access with this community string",
             "location": "Text for mib object sysLocation",
             "contact": "Text for mib object sysContact"}
SHOW_HELP = {"snmp": "snmp statistics", "cdp": "CDP information",
             "neighbors": "CDP neighbor entries", "detail": "Show detailed information"}


@command("config", "snmp-server community WORD:name [view WORD:view] [{RO|RW}:access] "
         "[<1-99>:acl]", help=SNMP_HELP, no="snmp-server community WORD:name")
def snmp_community(c: Ctx) -> None:
    communities = c.router.config.snmp_communities
    name = c.args["name"]
    if c.no or c.default:
        communities.pop(name, None)
        return
    communities[name] = SnmpCommunity(name, SnmpAccess(c.arg("access") or "RO"), c.arg("acl"),
                                      c.arg("view"))


typed_setting("config", RootConfig, "snmp-server location LINE:text", "snmp_location",
              lambda a: a["text"].strip(), help=SNMP_HELP, no="snmp-server location")
typed_setting("config", RootConfig, "snmp-server contact LINE:text", "snmp_contact",
              lambda a: a["text"].strip(), help=SNMP_HELP, no="snmp-server contact")


@command("exec", "show snmp", priv=USER, help=SHOW_HELP)
def show_snmp_command(c: Ctx) -> None:
    c.session.emit(show_snmp(c.router, c.router.snmp))


# --- CDP ------------------------------------------------------------------------------------------

@command("config", "cdp run", help={"cdp": "Global CDP configuration subcommands",
                                    "run": "Enable CDP"})
def cdp_run(c: Ctx) -> None:
    c.router.config.cdp_run = not c.no


@command(IF, "cdp enable", help={"cdp": "CDP interface subcommands",
                                 "enable": "Enable CDP on interface"})
def cdp_enable(c: Ctx) -> None:
    if isinstance(c.target, Interface):
        c.target.cdp_enable = not c.no


@command("exec", "show cdp", priv=USER, help=SHOW_HELP)
def show_cdp(c: Ctx) -> None:
    c.session.emit(cdp.show_cdp(c.router))


@command("exec", "show cdp neighbors [detail]", priv=USER, help=SHOW_HELP)
def show_cdp_neighbors(c: Ctx) -> None:
    if not c.router.config.cdp_run:
        # [M] IOS's text, as CDP daemons that copy IOS print it too
        c.session.emit("% CDP is not enabled\n")
        return
    c.session.emit(cdp.show_neighbors_detail(c.router) if c.arg("detail")
                   else cdp.show_neighbors(c.router))
