"""Command declarations: CME telephony (`telephony-service`, `ephone`, `ephone-dn`, templates).

Each block is a child `Section` of `router.config`; lines are settings rendered from parsed
values (see docs/architecture.md), so `show running-config` prints IOS's canonical form
(`ephone  1`, `button  1:1`, ` port 2000`) whatever was typed. Typed read access for services is
in `emulator.telephony_model`; the action commands call the core directly: `reset`/`restart`
the phone registry (`router.phones`), `create cnf-files` and `load-cfg-file`
`emulator.provisioning.cnf`.

Error texts marked [U] below are unconfirmed guesses: no capture of them was found.
"""

from __future__ import annotations

import re
from typing import Any

from cucme_lab.router.config.section import Section
from cucme_lab.router.provisioning import cnf as cnf_files
from cucme_lab.router.telephony.settings import (
    EPHONE,
    EPHONE_DN,
    EPHONE_TEMPLATE,
    TELEPHONY,
    WEEKDAYS,
    Button,
)
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.parser import ParseError, tokenize
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, flag = DECLARED.command, DECLARED.setting, DECLARED.flag

# Tag ranges. IOS sizes them by platform and licence ("Type ? to display range"); these are the
# ranges this lab shows [U]. The configured max-ephones / max-dn narrow them further. Since CME
# 4.3 up to 1,000 SCCP phones may be configured whatever the platform (max-ephones caps how many
# register), and a fleet of 1,000 secure phones is what the rollout benchmark runs.
MAX_EPHONES = 1000
MAX_DN = 1500
MAX_TEMPLATES = 20

PHONE_TYPES = ("7902", "7905", "7906", "7910", "7911", "7912", "7914", "7915", "7916", "7920",
               "7921", "7925", "7931", "7935", "7936", "7937", "7940", "7941", "7941GE", "7942",
               "7945", "7960", "7961", "7961GE", "7962", "7965", "7970", "7971", "7975", "7985",
               "anl", "ata", "bri", "CIPC")
CODECS = ("g711alaw", "g711ulaw", "g722r64", "g729r8", "ilbc")

TS_HELP = {
    "ip": "Define IP address and port for the CME system",
    "source-address": "Define IP address and port for the CME system",
    "addr": "IP address",
    "port": "Define TCP port for skinny (SCCP) phones",
    "strict-match": "Strict IP address match for registration",
    "n": "Maximum number",
    "assign": "Define dn range for auto assignment",
    "first": "Start dn tag",
    "to": "to",
    "last": "End dn tag",
    "tag": "Tag",
    "pattern": "Pattern",
    "extension-length": "Define extension length",
    "length": "Extension length",
    "trustpoint": "Configure trustpoint",
    "perphone": "Create phone cnf files per phone",
    "perphonetype": "Create phone cnf files per phone type",
    "location": "Define location of phone cnf files",
    "erase": "Erase the CTL file",
    "non-secure": "Non-secure mode",
    "secure": "Secure mode",
    "authenticated": "Device security mode authenticated",
    "encrypted": "Device security mode encrypted",
    "none": "Device security mode none",
    "file": "File to load",
    "alias": "Alias name for the file",
    "sign": "Sign the file",
    "service": "Configure service provisioning",
    "phone": "Configure phone parameters",
    "name": "Parameter name (case sensitive)",
    "value": "Parameter value",
    "block": "Define after-hours block patterns",
    "7-24": "Block the pattern 7 days a week, 24 hours a day",
    "day": "Define after-hours day",
    "sun": "Sunday", "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday",
    "start": "Start time",
    "end": "End time",
    "cnf-files": "Create the phone configuration files",
    "version-stamp": "Version stamp of the configuration files",
    "stamp": "Version stamp text",
    "all": "All phones",
    "keepalive": "Define keepalive timeout period to unregister IP phones",
    "seconds": "Keepalive period in seconds",
}
EPHONE_HELP = {
    "mac": "MAC address",
    "buttons": "button-index:dn-tag, e.g. 1:1 2:2",
    "digits": "Authentication string, 4 to 10 digits",
    "upgrade": "Install or upgrade a certificate",
    "fetch": "Fetch the phone's certificate",
    "delete": "Delete the phone's certificate",
    "auth-mode": "Authentication mode",
    "auth-string": "Authenticate with an authentication string",
    "lsc": "Authenticate with the locally significant certificate",
    "mic": "Authenticate with the manufacturer installed certificate",
    "null-string": "No authentication",
    "template": "Template tag",
    "dspfarm-assist": "Use DSP farm to transcode when needed",
    "capf-ip-in-cnf": "Put the CAPF server address in the phone's cnf file",
    "ephone-template": "Apply an ephone template",
    "reset": "Reset this ephone",
    "restart": "Restart this ephone",
}


# --- shared helpers ---------------------------------------------------------------------------


def caret(c: Ctx, index: int) -> None:
    """Refuse the line the way the parser would, with the caret under token `index`."""
    tokens = tokenize(c.line)
    if not tokens:
        return
    c.session.print_error(c.line, ParseError("invalid", tokens[min(index, len(tokens) - 1)].start))


def _telephony(c: Ctx) -> Section | None:
    return c.router.config.find(TELEPHONY, ())


def _limit(c: Ctx, key: str) -> int | None:
    ts = _telephony(c)
    return None if ts is None else ts.value(key, "n")


def _values(c: Ctx) -> dict[str, Any]:
    return {k: v for k, v in c.args.items() if k != "_path"}


# --- telephony-service -----------------------------------------------------------------------


@command("config", "telephony-service")
def telephony_service(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.remove(TELEPHONY, ())
        return
    sec = c.router.config.section(TELEPHONY, (), "telephony-service")
    c.enter("config-telephony", sec)


def _source_line(a: dict[str, Any]) -> str:
    # IOS always prints the SCCP port, 2000 when it was not typed.
    line = f"ip source-address {a['addr']} port {a.get('port') or 2000}"
    return line + (" strict-match" if a.get("strict-match") else "")


setting("config-telephony", "ip source-address A.B.C.D:addr [port <2000-9999>:port] "
        "[strict-match]", key="ip source-address", render=_source_line, help=TS_HELP)


def _max_check(kind: str, key: str) -> Any:
    """Refuse a max-ephones/max-dn below a tag already configured [U: IOS text not found]."""

    def check(c: Ctx) -> bool:
        tags = [s.ident[0] for s in c.router.config.sections(kind)]
        if tags and max(tags) > c.args["n"]:
            c.out(f"% {key} {c.args['n']} is less than the highest {kind} tag "
                  f"({max(tags)}) configured.")
            return False
        return True

    return check


setting("config-telephony", f"max-ephones <1-{MAX_EPHONES}>:n", help=TS_HELP,
        check=_max_check(EPHONE, "max-ephones"))
setting("config-telephony", f"max-dn <1-{MAX_DN}>:n", help=TS_HELP,
        check=_max_check(EPHONE_DN, "max-dn"))
setting("config-telephony", "keepalive <10-65535>:seconds", key="keepalive", help=TS_HELP)
flag("config-telephony", "auto-reg-ephone", on="auto-reg-ephone", off="no auto-reg-ephone",
     default_on=True)


def _auto_assign_check(c: Ctx) -> bool:
    if c.args["first"] > c.args["last"]:
        c.out("% Invalid dn range: start tag is greater than end tag.")  # [U]
        return False
    return True


setting("config-telephony", f"auto assign <1-{MAX_DN}>:first to <1-{MAX_DN}>:last",
        key="auto assign", check=_auto_assign_check, help=TS_HELP)
setting("config-telephony", "dialplan-pattern <1-5>:tag PATTERN:pattern "
        "extension-length <1-32>:length", key="dialplan-pattern {tag}",
        sort=lambda a: (a["tag"],), help=TS_HELP)
setting("config-telephony", "secure-signaling trustpoint WORD:trustpoint", key="secure-signaling",
        help=TS_HELP)
setting("config-telephony", "tftp-server-credentials trustpoint WORD:trustpoint",
        key="tftp-server-credentials", help=TS_HELP)
setting("config-telephony", "cnf-file {perphone|perphonetype}:per", key="cnf-file", help=TS_HELP)
setting("config-telephony", "cnf-file location URL:location", key="cnf-file location",
        help=TS_HELP)
setting("config-telephony", "server-security-mode {erase|non-secure|secure}:mode",
        key="server-security-mode", help=TS_HELP)
setting(["config-telephony", "config-ephone-template"], "service phone WORD:name WORD:value",
        key="service phone {name}", help=TS_HELP)
setting("config-telephony", "after-hours block pattern <1-100>:tag PATTERN:pattern [7-24]",
        key="after-hours block pattern {tag}", sort=lambda a: (a["tag"],), help=TS_HELP)


@command("config-telephony", "after-hours day {Sun|Mon|Tue|Wed|Thu|Fri|Sat}:day HH:MM:start "
         "HH:MM:end", help=TS_HELP)
def after_hours_day(c: Ctx) -> None:
    """One line per day, Sunday first."""
    sec: Section = c.target
    day = c.args.get("day")
    if c.no or c.default:
        if day is None:
            sec.unset_prefix("after-hours day")
        else:
            sec.unset(f"after-hours day {day}")
        return
    start, end = c.args["start"], c.args["end"]
    sec.set(f"after-hours day {day}", f"after-hours day {day} {start} {end}",
            {"day": day, "start": start, "end": end}, (WEEKDAYS.index(day),))


@command("config-telephony", "device-security-mode {authenticated|encrypted|none}:mode",
         help=TS_HELP)
def ts_device_security_mode(c: Ctx) -> None:
    """`none` is the default for the whole system, so IOS prints nothing for it."""
    sec: Section = c.target
    if c.no or c.default or c.args.get("mode") == "none":
        sec.unset("device-security-mode")
        return
    sec.set("device-security-mode", f"device-security-mode {c.args['mode']}", _values(c))


@command("config-telephony", "load-cfg-file FLASHFILE:file alias WORD:alias [sign] [create]",
         help=TS_HELP)
def load_cfg_file(c: Ctx) -> None:
    """One line per alias; `create` is an action (make the signed copy), not kept in the line."""
    sec: Section = c.target
    alias = c.args.get("alias")
    if c.no or c.default:
        if alias is None:
            sec.unset_prefix("load-cfg-file")
        else:
            sec.unset(f"load-cfg-file {alias}")
        cnf_files.republish_load_cfg(c.router)
        return
    sign = bool(c.args.get("sign"))
    line = f"load-cfg-file {c.args['file']} alias {alias}" + (" sign" if sign else "")
    sec.set(f"load-cfg-file {alias}", line, {"file": c.args["file"], "alias": alias,
                                              "sign": sign})
    for text in cnf_files.load_cfg_file(c.router, c.args["file"], alias, sign,
                                        bool(c.args.get("create"))):
        c.out(text)


@command("config-telephony", "create cnf-files [version-stamp LINE:stamp]", help=TS_HELP)
def create_cnf_files(c: Ctx) -> None:
    """An action IOS also records: `create cnf-files version-stamp <stamp>` in running-config.

    Typed without a stamp, the stamp comes from the router clock (`Jan 01 2002 00:00:00`);
    a pasted configuration keeps the stamp it carries.
    """
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("create cnf-files")
        return
    stamp = c.args.get("stamp")
    if isinstance(stamp, str):
        stamp = " ".join(stamp.split())
    else:
        stamp = c.router.clock.now_local().strftime("%b %d %Y %H:%M:%S")
    sec.set("create cnf-files", f"create cnf-files version-stamp {stamp}", {"stamp": stamp})
    if c.session.origin == "startup":
        # Booting: the ephones come after telephony-service in the file, so CME builds the
        # files once the whole configuration is in.
        c.session.on_exit_config[:] = [h for h in c.session.on_exit_config
                                       if getattr(h, "__name__", "") != "create_cnf_files"]

        def create_cnf_files() -> None:
            for text in cnf_files.create_cnf_files(c.router, stamp):
                c.out(text)  # into the boot output, as IOS prints errors while booting

        c.session.on_exit_config.append(create_cnf_files)
        return
    for text in cnf_files.create_cnf_files(c.router, stamp):
        c.out(text)


@command("config-telephony", "reset all", no=False, help=TS_HELP)
def ts_reset_all(c: Ctx) -> None:
    c.router.phones.reset_phones(None, restart=False)  # registered phones only


@command("config-telephony", "restart all", no=False, help=TS_HELP)
def ts_restart_all(c: Ctx) -> None:
    c.router.phones.reset_phones(None, restart=True)


# --- ephone-dn -------------------------------------------------------------------------------

DN_HELP = {"tag": "ephone-dn tag", "dual-line": "dual-line DN (2 calls per line/button)",
           "num": "directory number", "secondary": "Define secondary number",
           "secnum": "secondary directory number", "text": "name string",
           "name": "Define a name for this ephone-dn", "incoming": "Incoming COR list",
           "outgoing": "Outgoing COR list", "list": "COR list name"}


@command("config", f"ephone-dn <1-{MAX_DN}>:tag [dual-line]",
         no=f"ephone-dn <1-{MAX_DN}>:tag [dual-line]", help=DN_HELP)
def ephone_dn(c: Ctx) -> None:
    tag = c.args["tag"]
    if c.no or c.default:
        c.router.config.remove(EPHONE_DN, (tag,))
        return
    limit = _limit(c, "max-dn")
    if limit is not None and tag > limit:
        c.out("% Ephone-dn tag exceeds max-dn.")  # [U]
        return
    header = f"ephone-dn  {tag}" + ("  dual-line" if c.args.get("dual-line") else "")
    sec = c.router.config.section(EPHONE_DN, (tag,), header)
    if c.args.get("dual-line"):
        sec.header = header
    c.enter("config-ephone-dn", sec)


_DN_NUMBER = re.compile(r"[0-9.+*#]+")


def _dn_number_check(c: Ctx) -> bool:
    if not _DN_NUMBER.fullmatch(c.args["num"]):
        caret(c, 1)
        return False
    if c.args.get("secnum") and not _DN_NUMBER.fullmatch(c.args["secnum"]):
        caret(c, 3)
        return False
    return True


setting("config-ephone-dn", "number PATTERN:num [secondary PATTERN:secnum]", key="number",
        check=_dn_number_check, help=DN_HELP)
setting("config-ephone-dn", "name LINE:text", key="name", help=DN_HELP)
setting("config-ephone-dn", "cor {incoming|outgoing}:dir WORD:list", key="cor {dir}",
        help=DN_HELP)


# --- ephone-template -------------------------------------------------------------------------


@command("config", f"ephone-template <1-{MAX_TEMPLATES}>:tag",
         no=f"ephone-template <1-{MAX_TEMPLATES}>:tag", help={"tag": "template tag"})
def ephone_template(c: Ctx) -> None:
    tag = c.args["tag"]
    if c.no or c.default:
        c.router.config.remove(EPHONE_TEMPLATE, (tag,))
        return
    # Header spacing as CME prints ephone and ephone-dn tags (two spaces) [M].
    sec = c.router.config.section(EPHONE_TEMPLATE, (tag,), f"ephone-template  {tag}")
    c.enter("config-ephone-template", sec)


# --- ephone ----------------------------------------------------------------------------------


@command("config", f"ephone <1-{MAX_EPHONES}>:tag", no=f"ephone <1-{MAX_EPHONES}>:tag",
         help={"tag": "ephone tag"})
def ephone(c: Ctx) -> None:
    _enter_ephone(c, c.args["tag"])


def _enter_ephone(c: Ctx, tag: int) -> None:
    if c.no or c.default:
        c.router.config.remove(EPHONE, (tag,))
        return
    limit = _limit(c, "max-ephones")
    if limit is not None and tag > limit:
        c.out("% Ephone tag exceeds max-ephones.")  # [U]
        return
    sec = c.router.config.section(EPHONE, (tag,), f"ephone  {tag}")
    c.enter("config-ephone", sec)


@command("config-ephone", "mac-address H.H.H:mac", help=EPHONE_HELP)
def ephone_mac(c: Ctx) -> None:
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("mac-address")
        return
    mac = c.args["mac"]
    for other in c.router.config.sections(EPHONE):
        if other is not sec and other.value("mac-address", "mac") == mac:
            # [U] text chosen for this lab; no capture of the real message was found.
            c.out(f"% MAC address {mac} already in use by ephone {other.ident[0]}")
            return
    sec.set("mac-address", f"mac-address {mac}", {"mac": mac})


setting("config-ephone", "type {" + "|".join(PHONE_TYPES) + "}:type", key="type",
        help=EPHONE_HELP)
setting("config-ephone", "device-security-mode {authenticated|encrypted|none}:mode",
        key="device-security-mode", help=TS_HELP)
setting("config-ephone", "capf-auth-str DIGITS(4,10):digits", key="capf-auth-str",
        help=EPHONE_HELP)
setting("config-ephone", "cert-oper {upgrade|fetch|delete}:op auth-mode "
        "{auth-string|LSC|MIC|null-string}:authmode", key="cert-oper", help=EPHONE_HELP)
setting("config-ephone", "codec {" + "|".join(CODECS) + "}:codec [dspfarm-assist]", key="codec",
        help=EPHONE_HELP)
setting("config-ephone", "mtp", key="mtp", help=EPHONE_HELP)
setting("config-ephone", "capf-ip-in-cnf", key="capf-ip-in-cnf", help=EPHONE_HELP)


_BUTTON = re.compile(r"(\d{1,2})([:sbfomwx])(\d{1,5}(?:,\d{1,5})*)")


@command("config-ephone", "button BUTTON:buttons...", help=EPHONE_HELP)
def ephone_button(c: Ctx) -> None:
    """All buttons in one line, replacing earlier ones; printed as `button  1:1 2:2`."""
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("button")
        return
    parsed: list[Button] = []
    for i, text in enumerate(c.args["buttons"], start=1):
        m = _BUTTON.fullmatch(text)
        dns = tuple(int(d) for d in m.group(3).split(",")) if m else ()
        if m is None or int(m.group(1)) == 0 or (len(dns) > 1 and m.group(2) != "o"):
            caret(c, i)
            return
        index = int(m.group(1))
        if any(b.index == index for b in parsed):
            c.out(f"% Button {index} is configured more than once.")  # [U]
            return
        for dn in dns:
            if c.router.config.find(EPHONE_DN, (dn,)) is None:
                c.out(f"% ephone-dn {dn} is not configured.")  # [U]
                return
        parsed.append(Button(index, m.group(2), dns))
    shown = " ".join(f"{b.index}{b.separator}{','.join(map(str, b.dns))}" for b in parsed)
    sec.set("button", f"button  {shown}", {"buttons": list(c.args["buttons"]),
                                           "parsed": parsed})


@command("config-ephone", f"ephone-template <1-{MAX_TEMPLATES}>:template", help=EPHONE_HELP)
def ephone_apply_template(c: Ctx) -> None:
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("ephone-template")
        return
    tag = c.args["template"]
    if c.router.config.find(EPHONE_TEMPLATE, (tag,)) is None:
        c.out(f"% ephone-template {tag} is not configured.")  # [U]
        return
    sec.set("ephone-template", f"ephone-template {tag}", {"template": tag})


@command("config-ephone", "reset", no=False, help=EPHONE_HELP)
def ephone_reset(c: Ctx) -> None:
    c.router.phones.reset_phones([c.target.ident[0]], restart=False)


@command("config-ephone", "restart", no=False, help=EPHONE_HELP)
def ephone_restart(c: Ctx) -> None:
    c.router.phones.reset_phones([c.target.ident[0]], restart=True)
