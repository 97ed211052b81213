"""CME security blocks: the CTL client, the CAPF server and the CTL provider (`credentials`).

Trustpoints named here are not checked when typed: CME resolves them when it builds the CTL
file (`regenerate`) or starts CAPF, which is why configurations pasted in any order (the NSA
guide puts `ctl-client` before the trustpoints) load. Passwords of type 0 are shown as type 1,
the type-7-like encoding CME uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any

from cucme_lab.router.capf.config import (
    CAPF_KIND,
    CapfAuthMode,
    CapfServerBlock,
    CertOperation,
    EnrollTrustpoint,
    capf_server,
)
from cucme_lab.router.config.model import ConfigBlock
from cucme_lab.router.passwords import is_valid_encrypted, type7_decode, type7_encode
from cucme_lab.router.provisioning.config import (
    CREDENTIALS_KIND,
    CREDENTIALS_PORT,
    CTL_KIND,
    CredentialsBlock,
    CredentialsSource,
    CtlClientBlock,
    CtlFunction,
    CtlServer,
    CtlServiceAdmin,
    ImportedCertificate,
    RemoteCme,
    credentials_block,
    ctl_client,
)
from cucme_lab.router.router import Router
from cucme_lab.router.telephony.settings import MAX_EPHONES, ephones
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.parser import ParseError
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, typed_setting = DECLARED.command, DECLARED.setting, DECLARED.typed_setting

CTL = "config-ctl-client"
CAPF = "config-capf-server"
CRED = "config-credentials"

AUTH_MODE_TEXT = {CapfAuthMode.AUTH_STRING: "Auth-String", CapfAuthMode.LSC: "LSC",
                  CapfAuthMode.MIC: "MIC", CapfAuthMode.NONE: "None",
                  CapfAuthMode.NULL_STRING: "Null-String"}


def stored_password(c: Ctx, ptype: str, text: str) -> tuple[str, str] | None:
    """(type-1 string to show, clear text) for `password {0|1} X`; None after an error."""
    if ptype == "0":
        return type7_encode(text), text
    if not is_valid_encrypted(7, text):
        c.out("% Invalid encrypted password")  # [U]
        return None
    return text.upper(), type7_decode(text)


def _enter_block(kind: str, mode: str, factory: type[ConfigBlock]):
    def handler(c: Ctx) -> None:
        if c.no or c.default:
            c.router.config.remove(kind, ())
            return
        c.enter(mode, c.router.config.section(kind, (), kind, factory))

    handler.__name__ = "enter_" + kind.replace("-", "_")
    handler.__doc__ = f"Enter `{kind}` configuration (`no {kind}` removes the block)."
    return handler


command("config", "ctl-client", help={"ctl-client": "Configure CTL Client"})(
    _enter_block(CTL_KIND, CTL, CtlClientBlock))
command("config", "capf-server", help={"capf-server": "Configure CAPF server"})(
    _enter_block(CAPF_KIND, CAPF, CapfServerBlock))
command("config", "credentials", help={"credentials": "Configure Credentials Service"})(
    _enter_block(CREDENTIALS_KIND, CRED, CredentialsBlock))


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

@command(CTL, "server {application|capf|cme|cme-tftp|tftp}:function A.B.C.D:addr "
         "trustpoint WORD:tp", help=CTL_HELP)
def ctl_server(c: Ctx) -> None:
    """A server of this router in the CTL; typed again, it keeps its place in the list.

    `no server FUNCTION A.B.C.D ...` removes that server; without the address, every server
    line goes (remote CMEs too), as IOS's `no` of the whole keyword does.
    """
    servers = c.target.servers
    function = CtlFunction(c.args["function"]) if c.args.get("function") else None
    if c.no or c.default:
        if function is not None and c.args.get("addr"):
            servers.pop((function.value, IPv4Address(c.args["addr"])), None)
        else:
            servers.clear()
        return
    assert function is not None
    server = CtlServer(function, IPv4Address(c.args["addr"]), c.args["tp"])
    servers[server.key] = server


typed_setting(CTL, CtlClientBlock, "sast1 trustpoint WORD:tp", "sast1", help=CTL_HELP)
typed_setting(CTL, CtlClientBlock, "sast2 trustpoint WORD:tp", "sast2", help=CTL_HELP)


@command(CTL, "import certificate <1-50>:tag WORD:desc FLASHFILE:file", help=CTL_HELP)
def ctl_import_certificate(c: Ctx) -> None:
    """A certificate from flash in the CTL, by tag; `no import certificate` drops them all."""
    imports = c.target.imports
    tag = c.args.get("tag")
    if c.no or c.default:
        if tag is None:
            imports.clear()
        else:
            imports.pop(tag, None)
        return
    imports[tag] = ImportedCertificate(tag, c.args["desc"], c.args["file"])


@command(CTL, "server cme A.B.C.D:addr username WORD:user password {0|1}:ptype WORD:pw",
         help=CTL_HELP)
def ctl_server_remote_cme(c: Ctx) -> None:
    """A remote CME in the CTL, reached with a username and password (shown as type 1)."""
    servers = c.target.servers
    addr = IPv4Address(c.args["addr"])
    if c.no or c.default:
        servers.pop(("cme username", addr), None)
        return
    stored = stored_password(c, c.args["ptype"], c.args["pw"])
    if stored is None:
        return
    shown, plain = stored
    remote = RemoteCme(addr, c.args["user"], plain, shown)
    servers[remote.key] = remote


@command(CTL, "regenerate", no=False, help=CTL_HELP)
def ctl_regenerate(c: Ctx) -> None:
    """Build CTLFile.tlv, write it to flash and publish it on TFTP (router.provisioning.ctl)."""
    from cucme_lab.router.provisioning.ctl import regenerate

    error = regenerate(c.router)
    if error:
        c.out(error)


def show_ctl_client_lines(router: Router) -> list[str]:
    """`show ctl-client` (spec 6.1)."""
    sec = ctl_client(router.config)
    lines = ["CTL Client Information", "-----------------------------"]
    sast1 = (sec.sast1 if sec else None) or ""
    sast2 = (sec.sast2 if sec else None) or ""
    lines.append(f"        SAST 1 Certificate Trustpoint: {sast1}")
    lines.append(f"        SAST 2 Certificate Trustpoint: {sast2}")
    lines.append("        List of Trusted Servers in the CTL")
    rows: list[tuple[str, str, str]] = []
    for s in sec.servers.values() if sec else []:
        if isinstance(s, RemoteCme):
            rows.append(("CME", str(s.addr), ""))
        elif s.function is CtlFunction.CME_TFTP:  # listed as its two functions (spec 6.1)
            rows += [("CME", str(s.addr), s.trustpoint), ("TFTP", str(s.addr), s.trustpoint)]
        else:
            rows.append((s.function.upper(), str(s.addr), s.trustpoint))
    for function, addr, tp in rows:
        lines.append(f"                {function:<7} {addr:<15} {tp}".rstrip())
    return lines


# [D] specs/ios-cli.md 6.1 (Cisco's CME guide)
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

CSB = CapfServerBlock
typed_setting(CAPF, CSB, "port <2000-9999>:port", "port", help=CAPF_HELP)
typed_setting(CAPF, CSB, "auth-mode {auth-string|LSC|MIC|none|null-string}:mode", "auth_mode",
              lambda a: CapfAuthMode(a["mode"]), help=CAPF_HELP)
typed_setting(CAPF, CSB, "trustpoint-label WORD:tp", "trustpoint_label", help=CAPF_HELP)
typed_setting(CAPF, CSB, "source-addr A.B.C.D:addr", "source_addr",
              lambda a: IPv4Address(a["addr"]), help=CAPF_HELP)
typed_setting(CAPF, CSB, "phone-key-size {512|1024|2048}:size", "phone_key_size",
              lambda a: int(a["size"]), help=CAPF_HELP)
typed_setting(CAPF, CSB, "keygen-retry <0-100>:n", "keygen_retry", help=CAPF_HELP)
typed_setting(CAPF, CSB, "keygen-timeout <1-120>:n", "keygen_timeout", help=CAPF_HELP)


def _arm_cert_oper(c: Ctx) -> bool:
    """`cert-oper OP all` typed: every phone is to run it again from now on (an LSC issued
    since completes it). Read from the startup-config, what the CA issued before counts."""
    state = c.router.capf
    state.done.clear()
    state.oper_since = None if c.session.booting else \
        c.router.clock.now_utc().replace(microsecond=0)
    return True


typed_setting(CAPF, CSB, "cert-oper {upgrade|fetch|delete}:op all", "cert_oper",
              lambda a: CertOperation(a["op"]), help=CAPF_HELP, check=_arm_cert_oper)


def password_setting(mode: str, syntax: str, attr: str,
                     make: Callable[[dict[str, Any], str, str], Any], *, no: str,
                     help: dict[str, str]) -> None:
    """A line holding a password typed as type 0 or 1 and shown as type 1: `make(args, clear,
    shown)` builds the attribute's value. The type-1 text is made once (its seed is random)."""

    def handler(c: Ctx) -> None:
        if c.no or c.default:
            c.target.reset_setting(attr)
            return
        stored = stored_password(c, c.args["ptype"], c.args["pw"])
        if stored is not None:
            shown, plain = stored
            setattr(c.target, attr, make(c.args, plain, shown))

    handler.__name__ = f"set_{attr}"
    command(mode, syntax, help=help, no=no)(handler)


# The CA trustpoint CAPF enrols phones with, and its password.
password_setting(CAPF, "cert-enroll-trustpoint WORD:tp password {0|1}:ptype WORD:pw",
                 "cert_enroll_trustpoint",
                 lambda a, plain, shown: EnrollTrustpoint(a["tp"], plain, shown),
                 no="cert-enroll-trustpoint", help=CAPF_HELP)


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


def _shown(value: Any) -> str:
    """A setting as the show commands print it: empty when not configured."""
    return "" if value is None else str(value)


def show_capf_summary_lines(router: Router) -> list[str]:
    """`show capf-server summary` (spec 6.3)."""
    sec = capf_server(router.config) or CapfServerBlock(CAPF_KIND)  # unset: the defaults
    pad = " " * 8
    return [
        "CAPF Server Configuration Details",
        f"{pad}Trustpoint for TLS With Phone: {_shown(sec.trustpoint_label)}",
        f"{pad}Trustpoint for CA operation: {_shown(sec.ca_trustpoint)}",
        f"{pad}Source Address: {_shown(sec.source_addr)}",
        f"{pad}Listening Port: {sec.listen_port}",
        f"{pad}Phone Key Size: {sec.key_size}",
        f"{pad}Phone KeyGen Retries: {sec.keygen_retries}",
        f"{pad}Phone KeyGen Timeout: {sec.keygen_timeout_minutes} minutes",
        f"{pad}Device Authentication Mode: {AUTH_MODE_TEXT[sec.device_auth_mode]}",
    ]


# [D] specs/ios-cli.md 6.3 (Cisco's CME guide and command reference)
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

typed_setting(CRED, CredentialsBlock, "ip source-address A.B.C.D:addr port <2000-9999>:port",
              "source", lambda a: CredentialsSource(IPv4Address(a["addr"]), a["port"]),
              help=CRED_HELP)
typed_setting(CRED, CredentialsBlock, "trustpoint WORD:tp", "trustpoint", help=CRED_HELP)


# The CTL client's login to this provider.
password_setting(CRED, "ctl-service admin WORD:user secret {0|1}:ptype WORD:pw",
                 "ctl_service_admin",
                 lambda a, plain, shown: CtlServiceAdmin(a["user"], plain, shown),
                 no="ctl-service admin", help=CRED_HELP)


DEBUG_CRED_HELP = {"debug": "Debugging functions (see also 'undebug')",
                   "undebug": "Disable debugging functions (see also 'debug')",
                   "credentials": "Credentials server debugging"}  # [U] help texts


# [D] the CME command reference's `debug credentials` example; the off text [U] by symmetry
@command("exec", "debug credentials", help=DEBUG_CRED_HELP)
def debug_credentials(c: Ctx) -> None:
    c.router.debug.enable("credentials", "Credentials server debugging is enabled")
    c.out("Credentials server debugging is enabled")


@command("exec", "no debug credentials", help=DEBUG_CRED_HELP)
@command("exec", "undebug credentials", help=DEBUG_CRED_HELP)
def no_debug_credentials(c: Ctx) -> None:
    c.router.debug.disable("credentials")
    c.out("Credentials server debugging is disabled")


def show_credentials_lines(router: Router) -> list[str]:
    """`show credentials` (spec 6.8)."""
    sec = credentials_block(router.config)
    source = sec.source if sec is not None else None
    return [
        f"Credentials IP: {_shown(source.addr if source else None)}",
        f"Credentials PORT: {source.port if source else CREDENTIALS_PORT}",
        f"Trustpoint: {_shown(sec.trustpoint if sec else None)}",
    ]


# [D] specs/ios-cli.md 6.8
@command("exec", "show credentials", help={"credentials": "Show credentials information"})
def show_credentials(c: Ctx) -> None:
    for line in show_credentials_lines(c.router):
        c.out(line)


# --------------------------------------------------------------------------------------------
# CAPF runtime: sessions, auth strings, debug

DEBUG_CAPF_HELP = {"debug": "Debugging functions (see also 'undebug')",
                   "capf-server": "CAPF server debugging", "all": "All CAPF debugging",
                   "messages": "CAPF messages", "events": "CAPF events", "error": "CAPF errors"}


# [U] the on/off lines (specs/ios-cli.md 6.5: "or similar")
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


# [D] specs/ios-cli.md 6.4; the `auth-strings` spelling is accepted [U]
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


# [D] specs/ios-cli.md 6.4
@command("exec", "show capf-server sessions",
         help={"sessions": "Active CAPF sessions"})
def show_capf_sessions(c: Ctx) -> None:
    c.out("Active CAPF Sessions")
    c.out(f"{'Phone ID':<24}State")
    for device, state in c.router.capf.sessions.items():
        c.out(f"{device:<24}{state}")
