"""AAA: `aaa new-model`, method lists, accounting, TACACS+ and RADIUS servers, their counters.

The handlers write typed attributes (`router/config/access.py` for the login and enable lists
and `tacacs-server host`, `router/config/aaa.py` for the rest); `cucme_lab.router.aaa` decides
with them, and `services/aaa_client.py` asks the servers.
"""

from __future__ import annotations

import re
import time
from ipaddress import IPv4Address

from cucme_lab.router import aaa
from cucme_lab.router.access_config import Password, TacacsServer, TerminalLine
from cucme_lab.router.config.aaa import (
    RADIUS_ACCT_PORT,
    RADIUS_AUTH_PORT,
    RADIUS_SERVER_KIND,
    SERVER_GROUP_KIND,
    AccountingList,
    RadiusHost,
    RadiusServerBlock,
    ServerGroupBlock,
)
from cucme_lab.router.config.root import RootConfig
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.system import kept_password
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, typed_setting = DECLARED.command, DECLARED.setting, DECLARED.typed_setting
RADIUS_MODE = "config-radius-server"


@command("config", "aaa new-model", help={"new-model": "Enable NEW access control commands and "
                                          "functions.(Disables OLD commands.)"})
def aaa_new_model(c: Ctx) -> None:
    enabled = not (c.no or c.default)
    c.router.config.aaa_new_model = enabled
    if enabled and not c.router.config.has("aaa session-id"):
        c.router.config.set("aaa session-id", "aaa session-id common")


setting("config", "aaa session-id {common|unique}:how", key="aaa session-id",
        help={"session-id": "AAA Session ID"})

AAA_METHODS = ("enable", "line", "local", "local-case", "none", "krb5")


def parse_methods(c: Ctx, text: str, allowed: tuple[str, ...]) -> list[str] | None:
    """AAA method lists: up to four of `group NAME`, `local`, `enable`, ... (old `tacacs+` too).

    A word that is not a method gets the caret under it, as the IOS parser puts it.
    """
    start = c.line.find(text)
    words = list(re.finditer(r"\S+", text))
    methods: list[str] = []
    i = 0
    while i < len(words):
        w = words[i].group(0).lower()
        if w in ("tacacs+", "radius"):
            methods.append(f"group {w}")
        elif "group".startswith(w) and len(w) >= 1 and i + 1 < len(words):
            methods.append(f"group {words[i + 1].group(0)}")
            i += 1
        else:
            hits = [m for m in allowed if m.startswith(w)]
            if len(hits) != 1 and w not in allowed:
                c.session.print_error(c.line, _error_at(start + words[i].start()))
                return None
            methods.append(w if w in allowed else hits[0])
        i += 1
        if len(methods) > 4:
            c.session.print_error(c.line, _error_at(start + words[i - 1].start()))
            return None
    return methods


def _error_at(position: int):
    from cucme_lab.shell.parser import ParseError

    return ParseError("invalid", position)


@command("config", "aaa authentication login {default|WORD}:list LINE:methods",
         help={"authentication": "Authentication configurations parameters.",
               "login": "Set authentication lists for logins.",
               "default": "The default authentication list."},
         no="aaa authentication login {default|WORD}:list")
def aaa_authentication_login(c: Ctx) -> None:
    name, lists = c.args["list"], c.router.config.aaa_login_lists
    if c.no or c.default:
        lists.pop(name, None)
        return
    if not _require_new_model(c):
        return
    methods = parse_methods(c, c.args["methods"], AAA_METHODS)
    if methods is not None:
        lists[name] = tuple(methods)


@command("config", "aaa authentication enable default LINE:methods",
         help={"enable": "Set authentication list for enable."},
         no="aaa authentication enable default")
def aaa_authentication_enable(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.reset_setting("aaa_enable_methods")
        return
    if not _require_new_model(c):
        return
    methods = parse_methods(c, c.args["methods"], ("enable", "line", "none"))
    if methods is not None:
        c.router.config.aaa_enable_methods = tuple(methods)


def _require_new_model(c: Ctx) -> bool:
    if c.router.config.aaa_new_model:
        return True
    c.session.print_error(c.line, _error_at(c.line.lower().find("aaa")))
    return False



@command("config", "aaa authorization exec {default|WORD}:list LINE:methods",
         help={"authorization": "Authorization configurations parameters.",
               "exec": "For starting an exec (shell).",
               "default": "The default authorization list."},
         no="aaa authorization exec {default|WORD}:list")
def aaa_authorization_exec(c: Ctx) -> None:
    lists = c.router.config.authorization_exec
    if c.no or c.default:
        lists.pop(c.args["list"], None)
        return
    if not _require_new_model(c):
        return
    methods = parse_methods(c, c.args["methods"], ("if-authenticated", "local", "none"))
    if methods is not None:
        lists[c.args["list"]] = tuple(methods)


typed_setting("config-line", TerminalLine, "authorization exec {default|WORD}:list",
              "authorization_exec", help={"authorization": "Authorization parameters.",
                                          "exec": "For starting an exec (shell).",
                                          "default": "The default authorization list."},
              no="authorization exec [{default|WORD}:list]")
typed_setting("config-line", TerminalLine, "accounting exec {default|WORD}:list",
              "accounting_exec", help={"accounting": "Accounting parameters.",
                                       "exec": "For starting an exec (shell).",
                                       "default": "The default accounting list."},
              no="accounting exec [{default|WORD}:list]")


ACCOUNTING_HELP = {"accounting": "Accounting configurations parameters.",
                   "exec": "For starting an exec (shell).",
                   "commands": "For exec (shell) commands.",
                   "start-stop": "Record start and stop without waiting",
                   "stop-only": "Record stop when service terminates.",
                   "none": "No accounting."}


@command("config", "aaa accounting exec {default|WORD}:list {start-stop|stop-only|none}:rec "
         "LINE:methods", help=ACCOUNTING_HELP, no="aaa accounting exec {default|WORD}:list")
def aaa_accounting_exec(c: Ctx) -> None:
    lists = c.router.config.accounting_exec
    if c.no or c.default:
        lists.pop(c.args["list"], None)
        return
    acct = _accounting_list(c)
    if acct is not None:
        lists[c.args["list"]] = acct


@command("config", "aaa accounting commands <0-15>:level {default|WORD}:list "
         "{start-stop|stop-only|none}:rec LINE:methods", help=ACCOUNTING_HELP,
         no="aaa accounting commands <0-15>:level {default|WORD}:list")
def aaa_accounting_commands(c: Ctx) -> None:
    key, lists = (c.args["level"], c.args["list"]), c.router.config.accounting_commands
    if c.no or c.default:
        lists.pop(key, None)
        return
    acct = _accounting_list(c)
    if acct is not None:
        lists[key] = acct


def _accounting_list(c: Ctx) -> AccountingList | None:
    if not _require_new_model(c):
        return None
    methods = parse_methods(c, c.args["methods"], ())
    return None if methods is None else AccountingList(c.args["rec"], tuple(methods))


# --- TACACS+ servers ---------------------------------------------------------------------------

@command("config", "tacacs-server host A.B.C.D:host [key LINE:key]",
         help={"host": "Specify a TACACS server", "key": "per-server encryption key"},
         no="tacacs-server host A.B.C.D:host")
def tacacs_host(c: Ctx) -> None:
    host, servers = IPv4Address(c.args["host"]), c.router.config.tacacs_servers
    if c.no or c.default:
        servers.pop(host, None)
        return
    servers[host] = TacacsServer(host, c.arg("key"))


@command("config", "tacacs-server key [{0|7}:ptype] LINE:text",
         help={"key": "Set TACACS+ encryption key."}, no="tacacs-server key")
def tacacs_key(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.reset_setting("tacacs_key")
        return
    c.router.config.tacacs_key = kept_password(
        c, Password(int(c.arg("ptype") or 0), c.args["text"].strip()))


typed_setting("config", RootConfig, "tacacs-server timeout <1-1000>:seconds", "tacacs_timeout",
              help={"timeout": "Time to wait for a TACACS server to reply"})
typed_setting("config", RootConfig, "ip tacacs source-interface INTERFACE:intf",
              "tacacs_source_interface", lambda a: a["intf"],
              help={"source-interface": "Specify interface for source address in TACACS "
                                        "packets"})

# --- RADIUS servers ----------------------------------------------------------------------------

RADIUS_HELP = {"radius-server": "Modify RADIUS query parameters",
               "host": "Specify a RADIUS server",
               "auth-port": "UDP port for RADIUS authentication server (default is 1645)",
               "acct-port": "UDP port for RADIUS accounting server (default is 1646)",
               "key": "per-server encryption key (overrides default)",
               "timeout": "Time to wait for a RADIUS server to reply",
               "retransmit": "Specify the number of retries to active server"}


@command("config", "radius-server host A.B.C.D:host [auth-port <0-65535>:auth] "
         "[acct-port <0-65535>:acct] [key LINE:key]", help=RADIUS_HELP,
         no="radius-server host A.B.C.D:host")
def radius_host(c: Ctx) -> None:
    host, hosts = IPv4Address(c.args["host"]), c.router.config.radius_hosts
    if c.no or c.default:
        hosts.pop(host, None)
        return
    hosts[host] = RadiusHost(host, c.arg("auth", RADIUS_AUTH_PORT),
                             c.arg("acct", RADIUS_ACCT_PORT), c.arg("key"))


@command("config", "radius-server key [{0|7}:ptype] LINE:text",
         help={"key": "encryption key shared with the radius servers"}, no="radius-server key")
def radius_key(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.reset_setting("radius_key")
        return
    c.router.config.radius_key = kept_password(
        c, Password(int(c.arg("ptype") or 0), c.args["text"].strip()))


typed_setting("config", RootConfig, "radius-server timeout <1-1000>:seconds", "radius_timeout",
              help=RADIUS_HELP)
typed_setting("config", RootConfig, "radius-server retransmit <0-100>:retries",
              "radius_retransmit", help=RADIUS_HELP)
typed_setting("config", RootConfig, "ip radius source-interface INTERFACE:intf",
              "radius_source_interface", lambda a: a["intf"],
              help={"radius": "RADIUS configuration commands",
                    "source-interface": "Specify interface for source address in RADIUS "
                                        "packets"})


@command("config", "radius server WORD:name",
         help={"radius": "Server-group configuration", "server": "Server configuration",
               "name": "Name for the radius server configuration"},
         no="radius server WORD:name")
def radius_server(c: Ctx) -> None:
    name = c.args["name"]
    if c.no or c.default:
        c.router.config.remove(RADIUS_SERVER_KIND, (name,))
        return
    c.enter(RADIUS_MODE, c.router.config.section(RADIUS_SERVER_KIND, (name,),
                                                 f"radius server {name}", RadiusServerBlock))


@command(RADIUS_MODE, "address ipv4 A.B.C.D:host [auth-port <0-65535>:auth] "
         "[acct-port <0-65535>:acct]",
         help={"address": "Specify the radius server address", "ipv4": "IPv4 address",
               **RADIUS_HELP})
def radius_server_address(c: Ctx) -> None:
    block: RadiusServerBlock = c.target
    if c.no or c.default:
        block.reset_setting("address")
        return
    block.address = RadiusHost(IPv4Address(c.args["host"]), c.arg("auth", RADIUS_AUTH_PORT),
                               c.arg("acct", RADIUS_ACCT_PORT))


@command(RADIUS_MODE, "key [{0|7}:ptype] LINE:text", help={"key": "Per-server encryption key"})
def radius_server_key(c: Ctx) -> None:
    block: RadiusServerBlock = c.target
    if c.no or c.default:
        block.reset_setting("key")
        return
    block.key = kept_password(c, Password(int(c.arg("ptype") or 0), c.args["text"].strip()))


typed_setting(RADIUS_MODE, RadiusServerBlock, "timeout <1-1000>:seconds", "timeout",
              help=RADIUS_HELP)
typed_setting(RADIUS_MODE, RadiusServerBlock, "retransmit <0-100>:retries", "retransmit",
              help=RADIUS_HELP)


# --- aaa group server -------------------------------------------------------------------------

SG_TACACS, SG_RADIUS = "config-sg-tacacs+", "config-sg-radius"
GROUP_HELP = {"group": "AAA group definitions", "server": "AAA Server group definitions",
              "tacacs+": "Tacacs+ server-group definition",
              "radius": "Radius server-group definition", "name": "Server group name",
              "addr": "IP address of the server", "source-interface":
              "Specify interface for source address in the group's packets"}


@command("config", "aaa group server {tacacs+|radius}:proto WORD:name", help=GROUP_HELP,
         no="aaa group server {tacacs+|radius}:proto WORD:name")
def aaa_group_server(c: Ctx) -> None:
    proto, name = c.args["proto"], c.args["name"]
    if c.no or c.default:
        c.router.config.remove(SERVER_GROUP_KIND, (proto, name))
        return
    if not _require_new_model(c):
        return
    c.enter(SG_TACACS if proto == "tacacs+" else SG_RADIUS, c.router.config.section(
        SERVER_GROUP_KIND, (proto, name), f"aaa group server {proto} {name}",
        ServerGroupBlock))


def _group_entry(c: Ctx, entry: str) -> None:
    block: ServerGroupBlock = c.target
    rest = [e for e in block.servers if e != entry]
    block.servers = rest if (c.no or c.default) else [*rest, entry]


@command([SG_TACACS, SG_RADIUS], "server A.B.C.D:addr", help=GROUP_HELP,
         no="server A.B.C.D:addr")
def group_server_address(c: Ctx) -> None:
    _group_entry(c, str(IPv4Address(c.args["addr"])))


@command(SG_RADIUS, "server name WORD:server", help=GROUP_HELP, no="server name WORD:server")
def group_server_name(c: Ctx) -> None:
    _group_entry(c, f"name {c.args['server']}")


typed_setting(SG_TACACS, ServerGroupBlock, "ip tacacs source-interface INTERFACE:intf",
              "tacacs_source_interface", lambda a: a["intf"], help=GROUP_HELP)
typed_setting(SG_RADIUS, ServerGroupBlock, "ip radius source-interface INTERFACE:intf",
              "radius_source_interface", lambda a: a["intf"], help=GROUP_HELP)


# --- show aaa servers, show tacacs ---------------------------------------------------------------

def _duration(seconds: float) -> str:
    """IOS's short elapsed form: `3m`, `1h39m`, `3w4d1h39m`."""
    minutes = int(seconds // 60)
    weeks, minutes = divmod(minutes, 7 * 24 * 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    out = (f"{weeks}w" if weeks else "") + (f"{days}d" if days else "") + \
        (f"{hours}h" if hours else "")
    return out + f"{minutes}m"


def show_aaa_servers_text(router) -> str:
    """`show aaa servers`, in the layout of a real capture (burningnode, IOS 15) [C]; the
    capture has RADIUS servers only: a TACACS+ server's block in the same layout is [M]."""
    now = time.time()
    blocks = []
    for index, server in enumerate(aaa.all_servers(router.config), start=1):
        k = router.aaa.counters_for(server)
        name = server.protocol.value.upper()
        priority = sum(1 for s in aaa.all_servers(router.config)[:index]
                       if s.protocol is server.protocol)
        blocks.append("\n".join([
            f"{name}: id {index}, priority {priority}, host {server.address}, "
            f"auth-port {server.auth_port}, acct-port {server.acct_port}",
            f"     State: current {'UP' if k.up else 'DEAD'}, duration {int(now - k.since)}s, "
            "previous duration 0s",
            f"     Dead: total time 0s, count {k.dead_count}",
            "     Quarantined: No",
            f"     Authen: request {k.authen_requests}, timeouts {k.authen_timeouts}, "
            f"failover 0, retransmission {k.authen_retransmissions}",
            f"             Response: accept {k.accepts}, reject {k.rejects}, challenge 0",
            f"             Response: unexpected 0, server error {k.server_errors}, "
            f"incorrect {k.incorrect}, time {k.authen_time_ms}ms",
            f"             Transaction: success {k.authen_success}, failure {k.authen_failure}",
            "             Throttled: transaction 0, timeout 0, failure 0",
            "     Author: request 0, timeouts 0, failover 0, retransmission 0",
            "             Response: accept 0, reject 0, challenge 0",
            "             Response: unexpected 0, server error 0, incorrect 0, time 0ms",
            "             Transaction: success 0, failure 0",
            "             Throttled: transaction 0, timeout 0, failure 0",
            f"     Account: request {k.acct_requests}, timeouts {k.acct_timeouts}, failover 0, "
            f"retransmission {k.acct_retransmissions}",
            f"             Request: start {k.acct_start_requests}, interim 0, "
            f"stop {k.acct_stop_requests}",
            f"             Response: start {k.acct_start_responses}, interim 0, "
            f"stop {k.acct_stop_responses}",
            "             Response: unexpected 0, server error 0, incorrect 0, "
            f"time {k.acct_time_ms}ms",
            f"             Transaction: success {k.acct_success}, failure {k.acct_failure}",
            "             Throttled: transaction 0, timeout 0, failure 0",
            f"     Elapsed time since counters last cleared: {_duration(now - k.cleared)}",
            "     Estimated Outstanding Access Transactions: 0",
            "     Estimated Outstanding Accounting Transactions: 0",
            "     Estimated Throttled Access Transactions: 0",
            "     Estimated Throttled Accounting Transactions: 0",
            "     Maximum Throttled Transactions: access 0, accounting 0",
        ]) + "\n")
    return "\n".join(blocks)


def show_tacacs_text(router) -> str:
    """`show tacacs`, as ntc-templates' capture prints it [C]."""
    blocks = []
    for server in aaa.tacacs_servers(router.config):
        k = router.aaa.counters_for(server)
        blocks.append(
            "Tacacs+ Server -  public  :\n"
            f"            Server address: {server.address}\n"
            f"               Server port: {server.auth_port}\n"
            f"              Socket opens: {k.socket_opens:>10}\n"
            f"             Socket closes: {k.socket_closes:>10}\n"
            f"             Socket aborts: {k.socket_aborts:>10}\n"
            f"             Socket errors: {k.socket_errors:>10}\n"
            f"           Socket Timeouts: {k.socket_timeouts:>10}\n"
            f"   Failed Connect Attempts: {k.failed_connects:>10}\n"
            f"        Total Packets Sent: {k.packets_sent:>10}\n"
            f"        Total Packets Recv: {k.packets_recv:>10}\n")
    return "\n\n".join(blocks)


@command("exec", "show aaa servers", help={"aaa": "Show AAA values",
                                           "servers": "Show AAA servers"})
def show_aaa_servers(c: Ctx) -> None:
    c.out(show_aaa_servers_text(c.router))


@command("exec", "show tacacs", help={"tacacs": "Shows tacacs+ server statistics"})
def show_tacacs(c: Ctx) -> None:
    c.out(show_tacacs_text(c.router))
