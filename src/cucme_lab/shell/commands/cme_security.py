"""CME security blocks: the CTL client, the CAPF server and the CTL provider (`credentials`).

Trustpoints named here are not checked when typed: CME resolves them when it builds the CTL
file (`regenerate`) or starts CAPF, which is why configurations pasted in any order (the NSA
guide puts `ctl-client` before the trustpoints) load. Passwords of type 0 are shown as type 1,
the type-7-like encoding CME uses.
"""

from __future__ import annotations

import secrets
from typing import Any

from cucme_lab.router.config.section import Section
from cucme_lab.router.passwords import is_valid_encrypted, type7_decode, type7_encode
from cucme_lab.router.router import Router
from cucme_lab.router.telephony.settings import MAX_EPHONES, ephones
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.parser import ParseError
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting = DECLARED.command, DECLARED.setting

CTL = "config-ctl-client"
CAPF = "config-capf-server"
CRED = "config-credentials"

CAPF_DEFAULTS = {"port": 3804, "phone-key-size": 1024, "keygen-retry": 3, "keygen-timeout": 30}
CREDENTIALS_PORT = 2444
AUTH_MODE_TEXT = {"auth-string": "Auth-String", "LSC": "LSC", "MIC": "MIC", "none": "None",
                  "null-string": "Null-String"}


def block(router: Router, kind: str, create: bool = False) -> Section | None:
    """The single top-level block `ctl-client`, `capf-server` or `credentials`."""
    sec = router.config.find(kind, ())
    if sec is None and create:
        sec = router.config.section(kind, (), kind)
    return sec


def stored_password(c: Ctx, ptype: str, text: str) -> tuple[str, str] | None:
    """(type-1 string to show, clear text) for `password {0|1} X`; None after an error."""
    if ptype == "0":
        return type7_encode(text), text
    if not is_valid_encrypted(7, text):
        c.out("% Invalid encrypted password")
        return None
    return text.upper(), type7_decode(text)


def _enter_block(kind: str, mode: str):
    def handler(c: Ctx) -> None:
        if c.no or c.default:
            c.router.config.remove(kind, ())
            return
        c.enter(mode, block(c.router, kind, create=True))

    handler.__name__ = "enter_" + kind.replace("-", "_")
    handler.__doc__ = f"Enter `{kind}` configuration (`no {kind}` removes the block)."
    return handler


command("config", "ctl-client", help={"ctl-client": "Configure CTL Client"})(
    _enter_block("ctl-client", CTL))
command("config", "capf-server", help={"capf-server": "Configure CAPF server"})(
    _enter_block("capf-server", CAPF))
command("config", "credentials", help={"credentials": "Configure Credentials Service"})(
    _enter_block("credentials", CRED))


# --------------------------------------------------------------------------------------------
# ctl-client

CTL_HELP = {
    "server": "Configure a server in the CTL",
    "application": "Application server",
    "capf": "CAPF server",
    "cme": "CME server",
    "cme-tftp": "CME and TFTP server on the same address",
    "tftp": "TFTP server",
    "addr": "IP address of the server",
    "trustpoint": "Trustpoint of the server certificate",
    "tp": "Trustpoint name",
    "username": "Username on the remote CME",
    "password": "Password on the remote CME",
    "0": "Unencrypted password follows",
    "1": "Encrypted password follows",
    "sast1": "Configure SAST 1 parameters",
    "sast2": "Configure SAST 2 parameters",
    "regenerate": "Regenerate the CTL file",
    "import": "Import a certificate into the CTL",
    "certificate": "Certificate to import",
    "tag": "Certificate tag",
    "desc": "Certificate description",
    "file": "Certificate file on flash",
}

setting(CTL, "server {application|capf|cme|cme-tftp|tftp}:function A.B.C.D:addr "
        "trustpoint WORD:tp", key="server {function} {addr}", help=CTL_HELP)
setting(CTL, "sast1 trustpoint WORD:tp", help=CTL_HELP)
setting(CTL, "sast2 trustpoint WORD:tp", help=CTL_HELP)
setting(CTL, "import certificate <1-50>:tag WORD:desc FLASHFILE:file",
        key="import certificate {tag}", help=CTL_HELP)


@command(CTL, "server cme A.B.C.D:addr username WORD:user password {0|1}:ptype WORD:pw",
         help=CTL_HELP)
def ctl_server_remote_cme(c: Ctx) -> None:
    """A remote CME in the CTL, reached with a username and password (shown as type 1)."""
    sec: Section = c.target
    key = f"server cme {c.args['addr']} username"
    if c.no or c.default:
        sec.unset(key)
        return
    stored = stored_password(c, c.args["ptype"], c.args["pw"])
    if stored is None:
        return
    shown, plain = stored
    sec.set(key, f"server cme {c.args['addr']} username {c.args['user']} password 1 {shown}",
            {"addr": c.args["addr"], "user": c.args["user"], "password": plain})


@command(CTL, "regenerate", no=False, help=CTL_HELP)
def ctl_regenerate(c: Ctx) -> None:
    """Build CTLFile.tlv, write it to flash and publish it on TFTP (emulator.provisioning.ctl)."""
    from cucme_lab.router.provisioning.ctl import regenerate

    error = regenerate(c.router)
    if error:
        c.out(error)


def show_ctl_client_lines(router: Router) -> list[str]:
    """`show ctl-client` (spec 6.1)."""
    sec = block(router, "ctl-client")
    lines = ["CTL Client Information", "-----------------------------"]
    sast1 = sec.value("sast1 trustpoint", "tp", "") if sec else ""
    sast2 = sec.value("sast2 trustpoint", "tp", "") if sec else ""
    lines.append(f"        SAST 1 Certificate Trustpoint: {sast1}")
    lines.append(f"        SAST 2 Certificate Trustpoint: {sast2}")
    lines.append("        List of Trusted Servers in the CTL")
    rows = []
    for s in sec.with_prefix("server") if sec else []:
        if s.key.endswith(" username"):
            rows.append(("CME", s.values["addr"], ""))
        elif s.values["function"] == "cme-tftp":  # listed as its two functions (spec 6.1)
            rows += [("CME", s.values["addr"], s.values["tp"]),
                     ("TFTP", s.values["addr"], s.values["tp"])]
        else:
            rows.append((s.values["function"].upper(), s.values["addr"], s.values["tp"]))
    for function, addr, tp in rows:
        lines.append(f"                {function:<7} {addr:<15} {tp}".rstrip())
    return lines


@command("exec", "show ctl-client", help={"ctl-client": "Show CTL Client information"})
def show_ctl_client(c: Ctx) -> None:
    for line in show_ctl_client_lines(c.router):
        c.out(line)


# --------------------------------------------------------------------------------------------
# capf-server

CAPF_HELP = {
    "port": "CAPF Server listening port",
    "auth-mode": "Authentication mode",
    "auth-string": "Authentication string",
    "LSC": "Locally significant certificate",
    "lsc": "Locally significant certificate",
    "MIC": "Manufacturer installed certificate",
    "mic": "Manufacturer installed certificate",
    "none": "No authentication",
    "null-string": "Null authentication string",
    "cert-enroll-trustpoint": "Enrollment trustpoint for the CAPF Server",
    "password": "Enrollment password",
    "0": "Unencrypted password follows",
    "1": "Encrypted password follows",
    "trustpoint-label": "TLS trustpoint for the CAPF Server",
    "source-addr": "CAPF Server source address",
    "phone-key-size": "Key size for the phone's certificate",
    "keygen-retry": "Number of key generation retries",
    "keygen-timeout": "Key generation timeout in minutes",
    "cert-oper": "Certificate operation for all phones",
    "upgrade": "Upgrade certificate", "fetch": "Fetch certificate",
    "delete": "Delete certificate",
    "all": "All ephones",
    "generate": "Generate authentication strings",
    "tp": "Trustpoint name",
}

setting(CAPF, "port <2000-9999>:port", help=CAPF_HELP)
setting(CAPF, "auth-mode {auth-string|LSC|MIC|none|null-string}:mode", key="auth-mode",
        help=CAPF_HELP)
setting(CAPF, "trustpoint-label WORD:tp", help=CAPF_HELP)
setting(CAPF, "source-addr A.B.C.D:addr", help=CAPF_HELP)
setting(CAPF, "phone-key-size {512|1024|2048}:size", key="phone-key-size", help=CAPF_HELP)
setting(CAPF, "keygen-retry <0-100>:n", help=CAPF_HELP)
setting(CAPF, "keygen-timeout <1-120>:n", help=CAPF_HELP)
setting(CAPF, "cert-oper {upgrade|fetch|delete}:op all", key="cert-oper", help=CAPF_HELP)


@command(CAPF, "cert-enroll-trustpoint WORD:tp password {0|1}:ptype WORD:pw", help=CAPF_HELP,
         no="cert-enroll-trustpoint")
def capf_enroll_trustpoint(c: Ctx) -> None:
    """The CA trustpoint CAPF enrols phones with, and its password (shown as type 1)."""
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("cert-enroll-trustpoint")
        return
    stored = stored_password(c, c.args["ptype"], c.args["pw"])
    if stored is None:
        return
    shown, plain = stored
    sec.set("cert-enroll-trustpoint",
            f"cert-enroll-trustpoint {c.args['tp']} password 1 {shown}",
            {"tp": c.args["tp"], "password": plain})


@command(CAPF, f"auth-string generate {{all|<1-{MAX_EPHONES}>:tag}} [DIGITS:digits]", no=False,
         help=CAPF_HELP)
@command(CAPF, f"auth-string delete {{all|<1-{MAX_EPHONES}>:tag}}", no=False, help=CAPF_HELP)
def capf_auth_string(c: Ctx) -> None:
    """Set or clear `capf-auth-str` on one ephone or all of them (an action, not a line).

    The string is 4-10 digits; `DIGITS{4,10}` cannot be written in a syntax string today
    (the grammar tokenizer splits it at the braces), so the length is checked here.
    """
    op = "generate" if c.args.get("generate") else "delete"
    tag = c.args.get("tag")
    digits = c.args.get("digits")
    if digits is not None and not 4 <= len(digits) <= 10:
        c.session.print_error(c.line, ParseError("invalid", c.line.rstrip().rfind(digits)))
        return
    for eph in ephones(c.router.config):
        if tag is not None and eph.tag != tag:
            continue
        if op == "delete":
            eph.capf_auth_str = None
            continue
        eph.capf_auth_str = digits or f"{secrets.randbelow(10 ** 4):04d}"


def capf_value(sec: Section | None, key: str, name: str, default: Any = "") -> Any:
    return sec.value(key, name, default) if sec is not None else default


def show_capf_summary_lines(router: Router) -> list[str]:
    """`show capf-server summary` (spec 6.3)."""
    sec = block(router, "capf-server")
    pad = " " * 8
    return [
        "CAPF Server Configuration Details",
        f"{pad}Trustpoint for TLS With Phone: {capf_value(sec, 'trustpoint-label', 'tp')}",
        f"{pad}Trustpoint for CA operation: {capf_value(sec, 'cert-enroll-trustpoint', 'tp')}",
        f"{pad}Source Address: {capf_value(sec, 'source-addr', 'addr')}",
        f"{pad}Listening Port: {capf_value(sec, 'port', 'port', CAPF_DEFAULTS['port'])}",
        f"{pad}Phone Key Size: "
        f"{capf_value(sec, 'phone-key-size', 'size', CAPF_DEFAULTS['phone-key-size'])}",
        f"{pad}Phone KeyGen Retries: "
        f"{capf_value(sec, 'keygen-retry', 'n', CAPF_DEFAULTS['keygen-retry'])}",
        f"{pad}Phone KeyGen Timeout: "
        f"{capf_value(sec, 'keygen-timeout', 'n', CAPF_DEFAULTS['keygen-timeout'])} minutes",
        f"{pad}Device Authentication Mode: "
        f"{AUTH_MODE_TEXT[capf_value(sec, 'auth-mode', 'mode', 'none')]}",
    ]


@command("exec", "show capf-server summary",
         help={"capf-server": "Show CAPF server information",
               "summary": "CAPF server configuration summary"})
def show_capf_summary(c: Ctx) -> None:
    for line in show_capf_summary_lines(c.router):
        c.out(line)


# --------------------------------------------------------------------------------------------
# credentials (CTL provider)

CRED_HELP = {
    "ip": "IP configuration",
    "source-address": "Address and port the credentials service listens on",
    "port": "Port of the credentials service",
    "trustpoint": "Trustpoint of the credentials service",
    "ctl-service": "CTL service",
    "admin": "Administrator of the CTL service",
    "secret": "Administrator password",
    "0": "Unencrypted password follows",
    "1": "Encrypted password follows",
}

setting(CRED, "ip source-address A.B.C.D:addr port <2000-9999>:port", help=CRED_HELP)
setting(CRED, "trustpoint WORD:tp", help=CRED_HELP)


@command(CRED, "ctl-service admin WORD:user secret {0|1}:ptype WORD:pw", help=CRED_HELP,
         no="ctl-service admin")
def cred_ctl_service(c: Ctx) -> None:
    """The CTL client's login to this provider; the secret is shown as type 1."""
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("ctl-service admin")
        return
    stored = stored_password(c, c.args["ptype"], c.args["pw"])
    if stored is None:
        return
    shown, plain = stored
    sec.set("ctl-service admin", f"ctl-service admin {c.args['user']} secret 1 {shown}",
            {"user": c.args["user"], "password": plain})


def show_credentials_lines(router: Router) -> list[str]:
    """`show credentials` (spec 6.8)."""
    sec = block(router, "credentials")
    return [
        f"Credentials IP: {capf_value(sec, 'ip source-address', 'addr')}",
        f"Credentials PORT: {capf_value(sec, 'ip source-address', 'port', CREDENTIALS_PORT)}",
        f"Trustpoint: {capf_value(sec, 'trustpoint', 'tp')}",
    ]


@command("exec", "show credentials", help={"credentials": "Show credentials information"})
def show_credentials(c: Ctx) -> None:
    for line in show_credentials_lines(c.router):
        c.out(line)


# --------------------------------------------------------------------------------------------
# CAPF runtime: sessions, auth strings, debug

DEBUG_CAPF_HELP = {"debug": "Debugging functions (see also 'undebug')",
                   "capf-server": "CAPF server debugging", "all": "All CAPF debugging",
                   "messages": "CAPF messages", "events": "CAPF events", "error": "CAPF errors"}


@command("exec", "debug capf-server {all|messages|events|error}:what", help=DEBUG_CAPF_HELP)
def debug_capf(c: Ctx) -> None:
    what = c.args["what"]
    c.router.debug.enable(f"capf-server {what}", f"CAPF server {what} debugging is on")
    c.out("CAPF server debugging is on" if what == "all" else
          f"CAPF server {what} debugging is on")


@command("exec", "no debug capf-server [{all|messages|events|error}:what]",
         help=DEBUG_CAPF_HELP)
def no_debug_capf(c: Ctx) -> None:
    what = c.args.get("what")
    c.router.debug.disable("capf-server" + (f" {what}" if what and what != "all" else ""))
    c.out("CAPF server debugging is off")


@command("exec", "show capf-server {auth-string|auth-strings}:which",
         help={"auth-string": "Authentication strings for configured ephones",
               "auth-strings": "Authentication strings for configured ephones"})
def show_capf_auth_strings(c: Ctx) -> None:
    c.out("Authentication Strings for configured Ephones")
    c.out(f"{'Mac-Addr':<16}Auth-String")
    c.out(f"{'--------':<16}-----------")
    for eph in ephones(c.router.config):
        mac, digits = eph.mac, eph.capf_auth_str
        if mac and digits:
            c.out(f"{mac.replace('.', ''):<16}{digits}")


@command("exec", "show capf-server sessions",
         help={"sessions": "Active CAPF sessions"})
def show_capf_sessions(c: Ctx) -> None:
    c.out("Active CAPF Sessions")
    c.out(f"{'Phone ID':<24}State")
    for device, state in c.router.capf.sessions.items():
        c.out(f"{device:<24}{state}")
