"""Remote management: what the vty lines, SSH and the access lists show and accept.

`show line`, `show ssh`, `show ip ssh`, `clear line`, `show access-lists`,
`clear access-list counters`, `show login failures`, and the configuration lines the login
path reads (`login authentication`, `ip ssh rsa keypair-name`, `login on-failure log`).
The decisions themselves live in `router.access`; the shell on a vty in `shell.vty`, whose
front end the lab gives to the SSH and telnet services.
"""

from __future__ import annotations

from cucme_lab.router import access as ra
from cucme_lab.router.access_config import LoginLog, TerminalLine
from cucme_lab.router.config.root import RootConfig
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, typed_setting = DECLARED.command, DECLARED.setting, DECLARED.typed_setting

USER = 1

HELP = {
    "line": "TTY line information",
    "ssh": "Status of SSH server connections",
    "access-lists": "List access lists",
    "failures": "Display information about login failures",
    "counters": "Clear access list counters",
    "authentication": "Authentication parameters.",
    "keypair-name": "Key pair name",
    "rsa": "Configure RSA key pair name",
    "on-failure": "Set options for failed login attempt",
    "on-success": "Set options for successful login attempt",
    "log": "Generate syslogs on login attempt",
    "vty": "Virtual terminal",
}


# --- show line -------------------------------------------------------------------------------

@command("exec", "show line", priv=USER, help=HELP)
def show_line(c: Ctx) -> None:
    """`show line`: one row per line, `*` on lines in use, columns as a real IOS router aligns
    them (genieparser's golden `show line` output and a router capture:
    `      0 CTY              -    -      -    -    -      0       2     0/0       -`)."""
    config = c.router.config
    state = c.router.vty
    active = {s.line_number for s in c.router.sessions}
    c.out("   Tty Typ     Tx/Rx    A Modem  Roty AccO AccI   Uses   Noise  Overruns   Int")
    rows = [(ra.CONSOLE_LINE, "CTY", "", None, 0), (ra.AUX_LINE, "AUX", "9600/9600", None, 0)]
    for n in range(ra.vty_count(config)):
        sec = ra.vty_section(config, n)
        rows.append((ra.FIRST_VTY + n, "VTY", "", ra.access_class(sec), state.uses.get(n, 0)))
    for number, kind, speed, acl, uses in rows:
        mark = "*" if number in active else " "
        acc_in = acl if acl is not None else "-"
        c.out(f"{mark}{number:>6} {kind:<3} {speed:>11}  -    -      -    - {acc_in!s:>4}"
              f"{uses:>7}{0:>8}{'0/0':>8}{'-':>8}")
    last = ra.FIRST_VTY + ra.vty_count(config)
    c.out("")
    c.out("Line(s) not in async mode -or- with no hardware support: ")
    c.out(f"{last}-{last + 10}")
    c.out("")


# --- SSH -------------------------------------------------------------------------------------

@command("exec", "show ssh", priv=USER, help=HELP)
def show_ssh(c: Ctx) -> None:
    """`show ssh` [M]: an IN and an OUT row per SSH connection, then the SSHv1 line."""
    conns = [conn for conn in c.router.vty.connections.values()
             if conn.protocol == "ssh" and conn.session is not None]
    if not conns:
        c.out("%No SSHv2 server connections running.")  # [M]
    else:
        c.out("Connection Version Mode Encryption  Hmac         State                 Username")
        for conn in sorted(conns, key=lambda x: x.line):
            rows = (("IN", conn.ssh.get("send_cipher", ""), conn.ssh.get("send_mac", "")),
                    ("OUT", conn.ssh.get("recv_cipher", ""), conn.ssh.get("recv_mac", "")))
            for mode, cipher, mac in rows:
                c.out(f"{conn.line:<10} {'2.0':<7} {mode:<4} {cipher:<11} {mac:<12} "
                      f"{'Session started':<21} {conn.user or ''}".rstrip())
    c.out("%No SSHv1 server connections running.")  # [M]


# [C] real captures: `SSH Enabled - version 1.99`, the `%Please create RSA keys` line and the
# timeout line
@command("exec", "show ip ssh", priv=USER, help={"ip": "IP information", **HELP})
def show_ip_ssh(c: Ctx) -> None:
    config = c.router.config
    version = ra.ssh_version(config)
    if ra.ssh_host_key(c.router) is not None:
        c.out(f"SSH Enabled - version {version}")
    else:
        c.out(f"SSH Disabled - version {version}")
        c.out("%Please create RSA keys to enable SSH (and of atleast 768 bits for SSH v2).")  # [C]
    c.out(f"Authentication timeout: {ra.ssh_timeout(config)} secs; Authentication retries: "
          f"{ra.ssh_retries(config)}")


typed_setting("config", RootConfig, "ip ssh rsa keypair-name WORD:name", "ssh_keypair", help=HELP)


# --- clear line ------------------------------------------------------------------------------

async def _clear(c: Ctx, vty: int | None) -> None:
    """`clear line`: `[confirm]`, then ` [OK]` [M]."""
    if not await c.confirm("[confirm]"):
        return
    if vty is not None:
        conn = c.router.vty.connections.get(vty)
        if conn is not None and conn.hangup is not None:
            conn.hangup()
    c.out(" [OK]")


@command("exec", "clear line <0-1871>:n", help={"clear": "Reset functions",
                                              "line": "Reset a terminal line"})
async def clear_line(c: Ctx) -> None:
    n = c.args["n"]
    await _clear(c, n - ra.FIRST_VTY if n >= ra.FIRST_VTY else None)


@command("exec", "clear line vty <0-1869>:n", help={"clear": "Reset functions",
                                                  "line": "Reset a terminal line", **HELP})
async def clear_line_vty(c: Ctx) -> None:
    await _clear(c, c.args["n"])


# --- access lists ----------------------------------------------------------------------------

# [C] the layout of ntc-templates' IOS `show access-list` fixtures (router/access.py)
@command("exec", "show access-lists [<1-2699>:n]", priv=USER, help=HELP)
def show_access_lists(c: Ctx) -> None:
    c.session.emit(ra.show_access_lists(c.router, c.arg("n")))


@command("exec", "clear access-list counters [<1-2699>:n]",
         help={"access-list": "Clear access list statistical information", **HELP})
def clear_access_list_counters(c: Ctx) -> None:
    ra.clear_acl_counters(c.router, c.arg("n"))


# --- login -----------------------------------------------------------------------------------

typed_setting("config-line", TerminalLine, "login authentication {default|WORD}:list",
              "login_authentication", help={**HELP, "default": "Use the default authentication "
                                            "list."},
              no="login authentication [{default|WORD}:list]")


@command("config", "login on-failure log [every <1-65535>:n]", help=HELP, no="login on-failure")
def login_on_failure(c: Ctx) -> None:
    """Log failed logins (`%SEC_LOGIN-4-LOGIN_FAILED`); `every N` is kept, not applied."""
    c.router.config.login_on_failure = None if c.no or c.default else LoginLog(c.arg("n"))


@command("config", "login on-success log [every <1-65535>:n]", help=HELP, no="login on-success")
def login_on_success(c: Ctx) -> None:
    c.router.config.login_on_success = None if c.no or c.default else LoginLog(c.arg("n"))


@command("exec", "show login failures", help={"login": "Display Secure Login Configurations "
                                               "and State", **HELP})
def show_login_failures(c: Ctx) -> None:
    """`show login failures` [U]: layout chosen after IOS 15's, newest failures last."""
    failures = list(c.router.vty.failures.values())
    if not failures:
        c.out("*** No logged failed login attempts with the device.***")
        return
    c.out("Information about last 50 login failure's with the device ")
    c.out("")
    c.out("Username         SourceIPAddr    lPort Count TimeStamp           ")
    for f in failures[-50:]:
        c.out(f"{f.user[:16]:<16} {f.source:<15} {f.port:<5} {f.count:<5} {f.last}")
