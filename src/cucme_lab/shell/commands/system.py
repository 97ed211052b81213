"""Global configuration of the router itself: identity, secrets, logging, time, services.

AAA and its servers are declared in `aaa.py`."""

from __future__ import annotations

import re

from cucme_lab.router import passwords
from cucme_lab.router.access_config import (
    ENABLE_LEVEL,
    LocalUser,
    Password,
    Secret,
)
from cucme_lab.router.config.access import AccessSettings
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.section import Section
from cucme_lab.router.config.system import (
    HttpAuthentication,
    HttpTimeoutPolicy,
    Timezone,
)
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, flag = DECLARED.command, DECLARED.setting, DECLARED.flag
typed_setting = DECLARED.typed_setting


@command("config", "hostname WORD:name", no="hostname")
def hostname(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.reset_setting("hostname")
        return
    name = c.args["name"]
    if not re.fullmatch(r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", name):
        c.out("% Hostname contains one or more illegal characters.")  # [M]
        return
    c.router.config.hostname = name


# --- secrets and passwords --------------------------------------------------------------------
# A password stored in clear (type 0) is shown as type 7 once `service password-encryption` is
# on, and stays encrypted after it is turned off again, as on IOS.

def _encrypting(c: Ctx) -> bool:
    return c.router.config.password_encryption


def kept_password(c: Ctx, password: Password) -> Password:
    """What the router keeps of a typed password: type 7 under `service password-encryption`."""
    return password.encrypted() if _encrypting(c) else password


def typed_password(c: Ctx) -> Password | None:
    """The password of a `... password [0|7] TEXT` line as typed; None after a bad type 7."""
    ptype = int(c.arg("ptype") or 0)
    text = c.args["text"].strip()
    if ptype == 7:
        try:
            passwords.type7_decode(text)
        except ValueError:
            c.out("Invalid encrypted password: " + text)
            return None
    return Password(ptype, text)


def encrypt_all_passwords(config: Section) -> None:
    """Every clear password in the configuration becomes type 7 (they are all access lines)."""
    if isinstance(config, AccessSettings):
        config.encrypt_passwords()


@command("config", "service password-encryption",
         help={"password-encryption": "Encrypt system passwords"})
def service_password_encryption(c: Ctx) -> None:
    enabled = not (c.no or c.default)
    c.router.config.password_encryption = enabled
    if enabled:
        encrypt_all_passwords(c.router.config)



SECRET_HELP = {"secret": "Assign the privileged level secret (MAX of 25 characters)",
               "password": "Assign the privileged level password (MAX of 25 characters)",
               "level": "Set exec level password",
               "0": "Specifies an UNENCRYPTED password will follow",
               "5": "Specifies a MD5 HASHED secret will follow",
               "7": "Specifies a HIDDEN password will follow",
               "8": "Specifies a PBKDF2 HASHED secret will follow",
               "9": "Specifies a SCRYPT HASHED secret will follow",
               "LINE": "The UNENCRYPTED (cleartext) 'enable' secret"}


def _typed_secret(c: Ctx, ptype: str | None, text: str) -> Secret | None:
    """Hash a clear secret (type 5, as this IOS does) or check a hashed one."""
    if ptype in (None, "0"):
        return Secret(5, passwords.type5_hash(text))
    t = int(ptype)
    try:
        passwords.parse_encrypted(t, text.strip())
    except ValueError:
        for line in passwords.invalid_secret_lines(t):
            c.out(line)
        return None
    return Secret(t, text.strip())


@command("config", "enable secret [level <1-15>:level] [{0|5|8|9}:ptype] LINE:text",
         help=SECRET_HELP, no="enable secret [level <1-15>:level]")
def enable_secret(c: Ctx) -> None:
    config = c.router.config
    level = c.arg("level") or ENABLE_LEVEL
    if c.no or c.default:
        config.enable_secrets.pop(level, None)
        return
    secret = _typed_secret(c, c.arg("ptype"), c.args["text"])
    if secret is None:
        return
    plain = config.enable_passwords.get(level)
    if plain and c.arg("ptype") in (None, "0") and plain.matches(c.args["text"]):
        c.out("The enable secret you have chosen is the same as your enable password.")
        c.out("This is not recommended.  Re-enter the enable secret.")
        c.out("")
        return
    config.enable_secrets[level] = secret


@command("config", "enable algorithm-type {md5|sha256|scrypt}:algo secret LINE:text",
         help={"algorithm-type": "Algorithm to use for hashing the plaintext 'enable' secret"},
         no=False)
def enable_algorithm_secret(c: Ctx) -> None:
    t = {"md5": 5, "sha256": 8, "scrypt": 9}[c.args["algo"]]
    c.router.config.enable_secrets[ENABLE_LEVEL] = Secret(
        t, passwords.encrypt_secret(t, c.args["text"]))


@command("config", "enable password [level <1-15>:level] [{0|7}:ptype] LINE:text",
         help=SECRET_HELP, no="enable password [level <1-15>:level]")
def enable_password(c: Ctx) -> None:
    config = c.router.config
    level = c.arg("level") or ENABLE_LEVEL
    if c.no or c.default:
        config.enable_passwords.pop(level, None)
        return
    password = typed_password(c)
    if password is None:
        return
    secret = config.enable_secrets.get(level)
    if secret and secret.matches(password.clear):
        c.out("The enable password you have chosen is the same as your enable secret.")
        c.out("This is not recommended.  Re-enter the enable password.")
        c.out("")
        return
    config.enable_passwords[level] = kept_password(c, password)


USER_HELP = {"username": "Establish User Name Authentication", "privilege": "Set user privilege "
             "level", "password": "Specify the password for the user",
             "secret": "Specify the secret for the user"}


@command("config", "username WORD:name [privilege <0-15>:priv] password [{0|7}:ptype] "
         "LINE:text", help=USER_HELP, no="username WORD:name")
def username_password(c: Ctx) -> None:
    name, users = c.args["name"], c.router.config.users
    if c.no or c.default:
        users.pop(name, None)
        return
    password = typed_password(c)
    if password is None:
        return
    users[name] = LocalUser(name, c.arg("priv"), kept_password(c, password))


@command("config", "username WORD:name [privilege <0-15>:priv] secret [{0|5|8|9}:ptype] "
         "LINE:text", help=USER_HELP, no="username WORD:name")
def username_secret(c: Ctx) -> None:
    name, users = c.args["name"], c.router.config.users
    if c.no or c.default:
        users.pop(name, None)
        return
    secret = _typed_secret(c, c.arg("ptype"), c.args["text"])
    if secret is not None:
        users[name] = LocalUser(name, c.arg("priv"), secret)


def _error_at(position: int):
    from cucme_lab.shell.parser import ParseError

    return ParseError("invalid", position)


# --- privileges (SNMP and CDP: snmp_cdp.py; AAA: aaa.py) --------------------------------------

@command("config", "privilege exec {level|reset}:how <0-15>:level LINE:cmd",
         help={"exec": "Exec mode", "level": "Set privilege level of command"},
         no="privilege exec {level|reset}:how <0-15>:level LINE:cmd")
def privilege_exec(c: Ctx) -> None:
    command, levels = c.args["cmd"].strip(), c.router.config.command_privileges
    if c.no or c.default or c.args["how"] == "reset":
        levels.pop(command, None)
        return
    levels[command] = c.args["level"]


# --- accounting (logging: logging_cmds.py) ------------------------------------------------------

# dial-control-mib and gw-accounting: shell/commands/voice.py (typed, issue 18)

# --- time -----------------------------------------------------------------------------------------


@command("config", "clock timezone WORD:zone INT:hours [<0-59>:minutes]",
         help={"timezone": "Configure time zone"}, no="clock timezone")
def clock_timezone(c: Ctx) -> None:
    clock = c.router.clock
    if c.no or c.default:
        c.router.config.reset_setting("clock_timezone")
        clock.tz_name, clock.tz_offset_minutes = "UTC", 0
        return
    hours, minutes = c.args["hours"], c.arg("minutes", 0)
    if not -23 <= hours <= 23:
        c.session.print_error(c.line, _error_at(c.line.find(str(hours), c.line.find(
            c.args["zone"]) + len(c.args["zone"]))))
        return
    tz = Timezone(c.args["zone"], hours, minutes)
    c.router.config.clock_timezone = tz
    clock.tz_name, clock.tz_offset_minutes = tz.zone, tz.offset_minutes


setting("config", "ntp clock-period <0-4294967295>:period",
        help={"clock-period": "Length of hardware clock tick"})

# --- IP services ---------------------------------------------------------------------------


@command("config", "ip http server", help={"http": "HTTP server configuration",
                                            "server": "Enable HTTP server"})
def ip_http_server(c: Ctx) -> None:
    c.router.config.http_server = not (c.no or c.default)


@command("config", "ip http secure-server", help={"secure-server": "Enable HTTP secure server"})
def ip_http_secure_server(c: Ctx) -> None:
    c.router.config.http_secure_server = not (c.no or c.default)


typed_setting("config", RootConfig, "ip http secure-port <443-65535>:port", "http_secure_port",
              help={"secure-port": "Set the secure server port"},
              check=lambda c: c.args["port"] == 443 or c.args["port"] >= 1025 or _bad_port(c))


def _bad_port(c: Ctx) -> bool:
    c.out("% Invalid secure port number. Valid range is 443, 1025-65535")  # [M]
    return False


typed_setting("config", RootConfig, "ip http authentication {aaa|enable|local|tacacs}:method",
              "http_authentication", lambda a: HttpAuthentication(a["method"]),
              help={"authentication": "Set http server authentication method"})
typed_setting("config", RootConfig, "ip http access-class <1-99>:acl", "http_access_class",
              help={"access-class": "Restrict http server access by access-class"})
typed_setting("config", RootConfig, "ip http port <80-65535>:port", "http_port",
              help={"port": "HTTP server port"})
typed_setting("config", RootConfig, "ip http max-connections <1-16>:n", "http_max_connections",
              help={"max-connections": "Set maximum number of concurrent http server "
                                       "connections"})  # [M] help text
typed_setting("config", RootConfig, "ip http timeout-policy idle <1-600>:idle life <1-86400>:life "
              "requests <1-86400>:requests", "http_timeout_policy",
              lambda a: HttpTimeoutPolicy(a["idle"], a["life"], a["requests"]),
              help={"timeout-policy": "Set http server time-out policy parameters",
                    "idle": "Set idle time-out value",
                    "life": "Set life time-out value",
                    "requests": "Set maximum number of requests"},  # [M] help texts
              no="ip http timeout-policy")


@command("config", "ip domain-lookup", help={"domain-lookup": "Enable IP Domain Name System "
                                             "hostname translation"})
def ip_domain_lookup(c: Ctx) -> None:
    on = not c.no
    if on:
        c.router.config.unset("ip domain lookup")
    else:
        c.router.config.set("ip domain lookup", "no ip domain lookup", {"enabled": False})


@command("config", "ip domain lookup", help={"lookup": "Enable IP Domain Name System hostname "
                                             "translation"})
def ip_domain_lookup2(c: Ctx) -> None:
    ip_domain_lookup(c)


typed_setting("config", RootConfig, "ip domain name WORD:name", "domain_name",
              help={"name": "Define the default domain name"})
typed_setting("config", RootConfig, "ip domain-name WORD:name", "domain_name")  # the older form
setting("config", "ip name-server A.B.C.D:address",
        help={"name-server": "Specify address of name server to use"})
setting("config", "ip inspect name WORD:name {tftp|h323|tcp|udp|http|ftp|sip|skinny}:proto "
        "[router-traffic] [timeout <5-2147483>:timeout]", key="ip inspect name {name} {proto}",
        help={"inspect": "Context-based Access Control Engine",
              "name": "Specify an inspection rule"}, no="ip inspect name WORD:name")
setting("config", "ip route A.B.C.D:net MASK:mask {A.B.C.D|INTERFACE}:via",
        key="ip route {net} {mask}", no="ip route A.B.C.D:net MASK:mask")
typed_setting("config", RootConfig, "ip ssh version <1-2>:v", "ssh_version",
              help={"version": "Specify protocol version"})
typed_setting("config", RootConfig, "ip ssh time-out <1-120>:t", "ssh_timeout")
typed_setting("config", RootConfig, "ip ssh authentication-retries <0-5>:n", "ssh_retries")

# --- lines every running-config carries -------------------------------------------------------
# A saved configuration must be accepted back verbatim; these lines are what IOS prints by itself.


@command("config", "version WORD:v", no=False, help={"version": "Version"})
def version(c: Ctx) -> None:
    """IOS accepts the `version` line of a saved configuration and ignores it."""


@command("config", "boot-start-marker", no=False, help={"boot-start-marker": "Boot marker"})
def boot_start_marker(c: Ctx) -> None:
    """Printed by IOS around `boot system` lines; nothing to keep."""


@command("config", "boot-end-marker", no=False, help={"boot-end-marker": "Boot marker"})
def boot_end_marker(c: Ctx) -> None:
    """Printed by IOS around `boot system` lines; nothing to keep."""


@command("config", "ip cef", help={"cef": "Cisco Express Forwarding"})
def ip_cef(c: Ctx) -> None:
    on = not c.no
    c.router.config.set("ip cef", "ip cef" if on else "no ip cef", {"enabled": on})


setting("config", "ip forward-protocol nd", key="ip forward-protocol",
        help={"forward-protocol": "Controls forwarding of physical and directed IP broadcasts",
              "nd": "Sun's Network Disk protocol"})


@command("config", "control-plane", no=False,
         help={"control-plane": "Configure control plane services"})
def control_plane(c: Ctx) -> None:
    c.enter("config-cp", c.router.config.section("control-plane", (), "control-plane"))
