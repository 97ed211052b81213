"""Command declarations: CME telephony (`telephony-service`, `ephone`, `ephone-dn`, templates).

Each block is a typed `ConfigBlock` of `router.config` (`cucme_lab.router.telephony.settings`):
the handlers assign its attributes and the block renders IOS's canonical lines (`ephone  1`,
`button  1:1`, ` port 2000`) whatever was typed. The action commands call the core directly:
`reset`/`restart` the phone registry (`router.phones`), `create cnf-files` and `load-cfg-file`
`cucme_lab.router.provisioning.cnf`.

Error texts marked [U] below are unconfirmed guesses: no capture of them was found.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address
from typing import Any

from cucme_lab.router.provisioning import cnf as cnf_files
from cucme_lab.router.telephony.settings import (
    EPHONE,
    EPHONE_DN,
    EPHONE_TEMPLATE,
    MAX_DN,
    MAX_EPHONES,
    MAX_TEMPLATES,
    TELEPHONY,
    AfterHoursDay,
    AfterHoursPattern,
    AutoAssign,
    Button,
    CertOper,
    Codec,
    DialplanPattern,
    DnNumber,
    Ephone,
    EphoneDn,
    EphoneTemplate,
    LoadCfgFile,
    SecurityMode,
    SourceAddress,
    TelephonyService,
)
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.parser import ParseError, tokenize
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, typed_setting = DECLARED.command, DECLARED.typed_setting

# Tag ranges (MAX_EPHONES, MAX_DN, MAX_TEMPLATES) come from the telephony model, which also
# takes the registration limit from them; the ranges this lab shows are [U]. The configured
# max-ephones / max-dn narrow them further.

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


def _telephony(c: Ctx) -> TelephonyService | None:
    sec = c.router.config.find(TELEPHONY, ())
    return sec if isinstance(sec, TelephonyService) else None


# --- telephony-service -----------------------------------------------------------------------

TS = "config-telephony"


@command("config", "telephony-service")
def telephony_service(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.remove(TELEPHONY, ())
        return
    sec = c.router.config.section(TELEPHONY, (), "telephony-service", TelephonyService)
    c.enter(TS, sec)


typed_setting(TS, TelephonyService, "ip source-address A.B.C.D:addr [port <2000-9999>:port] "
              "[strict-match]", "source",
              lambda a: SourceAddress(IPv4Address(a["addr"]), a.get("port") or 2000,
                                      bool(a.get("strict-match"))), help=TS_HELP)


def _max_check(kind: str, key: str) -> Any:
    """Refuse a max-ephones/max-dn below a tag already configured [U: IOS text not found]."""

    def check(c: Ctx) -> bool:
        tags = [s.ident[0] for s in c.router.config.sections(kind)]
        if tags and max(tags) > c.args["n"]:
            # [U] no capture of CME's refusal was found
            c.out(f"% {key} {c.args['n']} is less than the highest {kind} tag "
                  f"({max(tags)}) configured.")
            return False
        return True

    return check


typed_setting(TS, TelephonyService, f"max-ephones <1-{MAX_EPHONES}>:n", "max_ephones",
              help=TS_HELP, check=_max_check(EPHONE, "max-ephones"))
typed_setting(TS, TelephonyService, f"max-dn <1-{MAX_DN}>:n", "max_dn", help=TS_HELP,
              check=_max_check(EPHONE_DN, "max-dn"))
typed_setting(TS, TelephonyService, "keepalive <10-65535>:seconds", "keepalive", help=TS_HELP)


@command(TS, "auto-reg-ephone", help=TS_HELP)
def auto_reg_ephone(c: Ctx) -> None:
    """On by default; IOS prints `no auto-reg-ephone` when it is off."""
    c.target.auto_reg_ephone = c.default or not c.no


def _auto_assign_check(c: Ctx) -> bool:
    if c.args["first"] > c.args["last"]:
        c.out("% Invalid dn range: start tag is greater than end tag.")  # [U]
        return False
    return True


typed_setting(TS, TelephonyService, f"auto assign <1-{MAX_DN}>:first to <1-{MAX_DN}>:last",
              "auto_assign", lambda a: AutoAssign(a["first"], a["last"]),
              check=_auto_assign_check, help=TS_HELP)


@command(TS, "dialplan-pattern <1-5>:tag PATTERN:pattern extension-length <1-32>:length",
         help=TS_HELP)
def dialplan_pattern(c: Ctx) -> None:
    patterns = c.target.dialplan_patterns
    if c.no or c.default:
        _forget(patterns, c.args.get("tag"))
        return
    patterns[c.args["tag"]] = DialplanPattern(c.args["pattern"], c.args["length"])


def _forget(entries: dict[Any, Any], key: Any) -> None:
    """`no` of a keyed line: that entry, or every entry when the key was not typed."""
    if key is None:
        entries.clear()
    else:
        entries.pop(key, None)


typed_setting(TS, TelephonyService, "secure-signaling trustpoint WORD:trustpoint",
              "secure_signaling_trustpoint", help=TS_HELP)
typed_setting(TS, TelephonyService, "tftp-server-credentials trustpoint WORD:trustpoint",
              "tftp_server_trustpoint", help=TS_HELP)
typed_setting(TS, TelephonyService, "cnf-file {perphone|perphonetype}:per", "cnf_file",
              help=TS_HELP)
typed_setting(TS, TelephonyService, "cnf-file location URL:location", "cnf_file_location",
              help=TS_HELP)
typed_setting(TS, TelephonyService, "server-security-mode {erase|non-secure|secure}:mode",
              "server_security_mode", help=TS_HELP)


@command([TS, "config-ephone-template"], "service phone WORD:name WORD:value", help=TS_HELP)
def service_phone(c: Ctx) -> None:
    """One line per parameter, in the order first typed."""
    block: TelephonyService | EphoneTemplate = c.target
    if c.no or c.default:
        _forget(block.service_phone, c.args.get("name"))
        return
    block.service_phone[c.args["name"]] = c.args["value"]


@command(TS, "after-hours block pattern <1-100>:tag PATTERN:pattern [7-24]", help=TS_HELP)
def after_hours_block(c: Ctx) -> None:
    patterns = c.target.after_hours_patterns
    if c.no or c.default:
        _forget(patterns, c.args.get("tag"))
        return
    patterns[c.args["tag"]] = AfterHoursPattern(c.args["pattern"], bool(c.args.get("7-24")))


@command(TS, "after-hours day {Sun|Mon|Tue|Wed|Thu|Fri|Sat}:day HH:MM:start HH:MM:end",
         help=TS_HELP)
def after_hours_day(c: Ctx) -> None:
    """One line per day, Sunday first."""
    days = c.target.after_hours_days
    if c.no or c.default:
        _forget(days, c.args.get("day"))
        return
    days[c.args["day"]] = AfterHoursDay(c.args["start"], c.args["end"])


typed_setting(TS, TelephonyService, "device-security-mode {authenticated|encrypted|none}:mode",
              "device_security_mode", lambda a: SecurityMode(a["mode"]), help=TS_HELP)


@command(TS, "load-cfg-file FLASHFILE:file alias WORD:alias [sign] [create]", help=TS_HELP)
def load_cfg_file(c: Ctx) -> None:
    """One line per alias; `create` is an action (make the signed copy), not kept in the line."""
    ts: TelephonyService = c.target
    alias = c.args.get("alias")
    if c.no or c.default:
        ts.load_cfg_files = [f for f in ts.load_cfg_files
                             if alias is not None and f.alias != alias]
        cnf_files.republish_load_cfg(c.router)
        return
    entry = LoadCfgFile(c.args["file"], alias, bool(c.args.get("sign")))
    aliases = [f.alias for f in ts.load_cfg_files]
    if alias in aliases:
        ts.load_cfg_files[aliases.index(alias)] = entry
    else:
        ts.load_cfg_files.append(entry)
    for text in cnf_files.load_cfg_file(c.router, entry.file, alias, entry.sign,
                                        bool(c.args.get("create"))):
        c.out(text)


@command(TS, "create cnf-files [version-stamp LINE:stamp]", help=TS_HELP)
def create_cnf_files(c: Ctx) -> None:
    """An action IOS also records: `create cnf-files version-stamp <stamp>` in running-config.

    Typed without a stamp, the stamp comes from the router clock (`Jan 01 2002 00:00:00`);
    a pasted configuration keeps the stamp it carries.
    """
    ts: TelephonyService = c.target
    if c.no or c.default:
        ts.version_stamp = None
        return
    stamp = c.args.get("stamp")
    if isinstance(stamp, str):
        stamp = " ".join(stamp.split())
    else:
        stamp = c.router.clock.now_local().strftime("%b %d %Y %H:%M:%S")
    ts.version_stamp = stamp
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


@command(TS, "reset all", no=False, help=TS_HELP)
def ts_reset_all(c: Ctx) -> None:
    c.router.phones.reset_phones(None, restart=False)  # registered phones only


@command(TS, "restart all", no=False, help=TS_HELP)
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
    ts = _telephony(c)
    if ts is not None and ts.max_dn is not None and tag > ts.max_dn:
        c.out("% Ephone-dn tag exceeds max-dn.")  # [U]
        return
    header = f"ephone-dn  {tag}" + ("  dual-line" if c.args.get("dual-line") else "")
    sec = c.router.config.section(EPHONE_DN, (tag,), header, EphoneDn)
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


typed_setting("config-ephone-dn", EphoneDn, "number PATTERN:num [secondary PATTERN:secnum]",
              "numbers", lambda a: DnNumber(a["num"], a.get("secnum")),
              check=_dn_number_check, help=DN_HELP)
typed_setting("config-ephone-dn", EphoneDn, "name LINE:text", "name", help=DN_HELP)


@command("config-ephone-dn", "cor {incoming|outgoing}:dir WORD:list", help=DN_HELP)
def ephone_dn_cor(c: Ctx) -> None:
    dn: EphoneDn = c.target
    direction = c.args.get("dir")
    cor_list = None if c.no or c.default else c.args["list"]
    if direction in (None, "incoming"):
        dn.cor_incoming = cor_list
    if direction in (None, "outgoing"):
        dn.cor_outgoing = cor_list


# --- ephone-template -------------------------------------------------------------------------


@command("config", f"ephone-template <1-{MAX_TEMPLATES}>:tag",
         no=f"ephone-template <1-{MAX_TEMPLATES}>:tag", help={"tag": "template tag"})
def ephone_template(c: Ctx) -> None:
    tag = c.args["tag"]
    if c.no or c.default:
        c.router.config.remove(EPHONE_TEMPLATE, (tag,))
        return
    # Header spacing as CME prints ephone and ephone-dn tags (two spaces) [M].
    sec = c.router.config.section(EPHONE_TEMPLATE, (tag,), f"ephone-template  {tag}",
                                  EphoneTemplate)
    c.enter("config-ephone-template", sec)


# --- ephone ----------------------------------------------------------------------------------

EP = "config-ephone"


@command("config", f"ephone <1-{MAX_EPHONES}>:tag", no=f"ephone <1-{MAX_EPHONES}>:tag",
         help={"tag": "ephone tag"})
def ephone(c: Ctx) -> None:
    _enter_ephone(c, c.args["tag"])


def _enter_ephone(c: Ctx, tag: int) -> None:
    if c.no or c.default:
        c.router.config.remove(EPHONE, (tag,))
        return
    ts = _telephony(c)
    if ts is not None and ts.max_ephones is not None and tag > ts.max_ephones:
        c.out("% Ephone tag exceeds max-ephones.")  # [U]
        return
    sec = c.router.config.section(EPHONE, (tag,), f"ephone  {tag}", Ephone)
    c.enter(EP, sec)


@command(EP, "mac-address H.H.H:mac", help=EPHONE_HELP)
def ephone_mac(c: Ctx) -> None:
    ep: Ephone = c.target
    if c.no or c.default:
        ep.mac = None
        return
    mac = c.args["mac"]
    for other in c.router.config.sections(EPHONE):
        if other is not ep and isinstance(other, Ephone) and other.mac == mac:
            # [U] text chosen for this lab; no capture of the real message was found.
            c.out(f"% MAC address {mac} already in use by ephone {other.tag}")
            return
    ep.mac = mac


typed_setting(EP, Ephone, "type {" + "|".join(PHONE_TYPES) + "}:type", "type",
              help=EPHONE_HELP)
typed_setting(EP, Ephone, "device-security-mode {authenticated|encrypted|none}:mode",
              "device_security_mode", lambda a: SecurityMode(a["mode"]), help=TS_HELP)
typed_setting(EP, Ephone, "capf-auth-str DIGITS(4,10):digits", "capf_auth_str",
              help=EPHONE_HELP)
typed_setting(EP, Ephone, "cert-oper {upgrade|fetch|delete}:op auth-mode "
              "{auth-string|LSC|MIC|null-string}:authmode", "cert_oper",
              lambda a: CertOper(a["op"], a["authmode"]), help=EPHONE_HELP)
typed_setting(EP, Ephone, "codec {" + "|".join(CODECS) + "}:codec [dspfarm-assist]",
              "codec_setting", lambda a: Codec(a["codec"], bool(a.get("dspfarm-assist"))),
              help=EPHONE_HELP)
typed_setting(EP, Ephone, "mtp", "mtp", lambda a: True, help=EPHONE_HELP)
typed_setting(EP, Ephone, "capf-ip-in-cnf", "capf_ip_in_cnf", lambda a: True,
              help=EPHONE_HELP)


_BUTTON = re.compile(r"(\d{1,2})([:sbfomwx])(\d{1,5}(?:,\d{1,5})*)")


@command(EP, "button BUTTON:buttons...", help=EPHONE_HELP)
def ephone_button(c: Ctx) -> None:
    """All buttons in one line, replacing earlier ones; printed as `button  1:1 2:2`."""
    ep: Ephone = c.target
    if c.no or c.default:
        ep.buttons = []
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
    ep.buttons = parsed


@command(EP, f"ephone-template <1-{MAX_TEMPLATES}>:template", help=EPHONE_HELP)
def ephone_apply_template(c: Ctx) -> None:
    ep: Ephone = c.target
    if c.no or c.default:
        ep.template = None
        return
    tag = c.args["template"]
    if c.router.config.find(EPHONE_TEMPLATE, (tag,)) is None:
        c.out(f"% ephone-template {tag} is not configured.")  # [U]
        return
    ep.template = tag


@command(EP, "reset", no=False, help=EPHONE_HELP)
def ephone_reset(c: Ctx) -> None:
    c.router.phones.reset_phones([c.target.tag], restart=False)


@command(EP, "restart", no=False, help=EPHONE_HELP)
def ephone_restart(c: Ctx) -> None:
    c.router.phones.reset_phones([c.target.tag], restart=True)
