"""The CME configuration as typed blocks: `telephony-service`, `ephone`, `ephone-dn`, templates.

Each block is a `ConfigBlock` (see `cucme_lab.router.config.model`): the command handlers assign
its typed attributes, and each attribute renders its own running-config line. The services, the
registration policy and the phones' files read the attributes; nobody parses running-config.
The lookups below (`telephony_service`, `ephones`, `ephone_by_mac`, ...) find blocks in the
configuration tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

DEFAULT_SCCP_PORT = 2000
DEFAULT_KEEPALIVE = 30
WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")

# Ephone tags, and the phones that may register when `max-ephones` is not set, come from this
# one number. IOS sizes both by platform and licence; since CME 4.3 up to 1,000 SCCP phones may
# be configured whatever the platform, and this lab does not model per-platform registration
# limits (docs/architecture.md), so a fleet of 1,000 secure phones can be rolled out.
MAX_EPHONES = 1000
MAX_DN = 1500
MAX_TEMPLATES = 20

# Section kinds, as the configuration tree files the blocks.
TELEPHONY = "telephony-service"
EPHONE = "ephone"
EPHONE_DN = "ephone-dn"
EPHONE_TEMPLATE = "ephone-template"


class SecurityMode(StrEnum):
    """`device-security-mode`: what a phone must prove to register (NSA guide section 4)."""

    NONE = "none"
    AUTHENTICATED = "authenticated"
    ENCRYPTED = "encrypted"


@dataclass(frozen=True)
class Button:
    """One `button` entry: `1:1` is index 1, separator `:`, directory numbers (1,)."""

    index: int
    separator: str
    dns: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.index}{self.separator}{','.join(map(str, self.dns))}"


class SourceAddress(NamedTuple):
    """`ip source-address A.B.C.D port N [strict-match]`: where phones register."""

    addr: IPv4Address
    port: int = DEFAULT_SCCP_PORT
    strict_match: bool = False


class AutoAssign(NamedTuple):
    first: int
    last: int


class DialplanPattern(NamedTuple):
    pattern: str
    length: int


class AfterHoursPattern(NamedTuple):
    pattern: str
    all_week: bool  # `7-24`


class AfterHoursDay(NamedTuple):
    start: str  # HH:MM
    end: str


class AfterHoursDate(NamedTuple):
    """`after-hours date Jan 1 00:00 23:59`."""

    month: str  # Jan..Dec
    day: int
    start: str
    end: str


class CallForward(NamedTuple):
    """`call-forward busy|noan|all NUMBER [timeout N]` on an ephone-dn."""

    number: str
    timeout: int | None = None  # noan only: seconds of ringing


class LoadCfgFile(NamedTuple):
    file: str
    alias: str
    sign: bool


class CertOper(NamedTuple):
    """`cert-oper upgrade auth-mode auth-string`: a CAPF operation waiting for the phone."""

    operation: str
    auth_mode: str


class Codec(NamedTuple):
    name: str
    dspfarm_assist: bool = False


class DnNumber(NamedTuple):
    primary: str
    secondary: str | None = None


def _source_line(s: SourceAddress) -> str:
    # IOS always prints the SCCP port, 2000 when it was not typed.
    return f"ip source-address {s.addr} port {s.port}" + (" strict-match" if s.strict_match
                                                            else "")


def _mode_line(mode: SecurityMode) -> str | None:
    """`none` is the system default, so telephony-service prints nothing for it."""
    return None if mode == SecurityMode.NONE else f"device-security-mode {mode}"


def _service_phone_lines(params: dict[str, str]) -> list[str]:
    return [f"service phone {name} {value}" for name, value in params.items()]


@dataclass(eq=False)
class TelephonyService(ConfigBlock):
    """The `telephony-service` block."""

    source: SourceAddress | None = line("ip source-address", _source_line)
    max_ephones: int | None = line("max-ephones")
    max_dn: int | None = line("max-dn")
    keepalive: int | None = line("keepalive")
    auto_reg_ephone: bool = line("auto-reg-ephone",
                                 lambda on: None if on else "no auto-reg-ephone", default=True)
    auto_assign: AutoAssign | None = line(
        "auto assign", lambda a: f"auto assign {a.first} to {a.last}")
    dialplan_patterns: dict[int, DialplanPattern] = line(
        "dialplan-pattern", lambda patterns: [
            f"dialplan-pattern {tag} {p.pattern} extension-length {p.length}"
            for tag, p in sorted(patterns.items())], default_factory=dict)
    secure_signaling_trustpoint: str | None = line(
        "secure-signaling", lambda tp: f"secure-signaling trustpoint {tp}")
    tftp_server_trustpoint: str | None = line(
        "tftp-server-credentials", lambda tp: f"tftp-server-credentials trustpoint {tp}")
    cnf_file: str | None = line("cnf-file")  # perphone, perphonetype
    cnf_file_location: str | None = line("cnf-file location")
    server_security_mode: str | None = line("server-security-mode")
    device_security_mode: SecurityMode = line("device-security-mode", _mode_line,
                                              default=SecurityMode.NONE)
    service_phone: dict[str, str] = line("service phone", _service_phone_lines,
                                         default_factory=dict)
    load_cfg_files: list[LoadCfgFile] = line(
        "load-cfg-file", lambda files: [
            f"load-cfg-file {f.file} alias {f.alias}" + (" sign" if f.sign else "")
            for f in files], default_factory=list)
    after_hours_patterns: dict[int, AfterHoursPattern] = line(
        "after-hours block pattern", lambda patterns: [
            f"after-hours block pattern {tag} {p.pattern}" + (" 7-24" if p.all_week else "")
            for tag, p in sorted(patterns.items())], default_factory=dict)
    after_hours_days: dict[str, AfterHoursDay] = line(
        "after-hours day", lambda days: [
            f"after-hours day {day} {days[day].start} {days[day].end}"
            for day in WEEKDAYS if day in days], default_factory=dict)
    after_hours_dates: dict[tuple[str, int], AfterHoursDate] = line(
        "after-hours date", lambda dates: [
            f"after-hours date {d.month} {d.day} {d.start} {d.end}" for d in dates.values()],
        default_factory=dict)
    after_hours_override: str | None = line("after-hours override-code")
    version_stamp: str | None = line("create cnf-files",
                                     lambda stamp: f"create cnf-files version-stamp {stamp}")

    @property
    def source_address(self) -> str | None:
        return None if self.source is None else str(self.source.addr)

    @property
    def port(self) -> int:
        return DEFAULT_SCCP_PORT if self.source is None else self.source.port

    @property
    def strict_match(self) -> bool:
        return self.source is not None and self.source.strict_match

    @property
    def keepalive_interval(self) -> int:
        """Seconds between a phone's keepalives: `keepalive`, 30 when not configured."""
        return self.keepalive or DEFAULT_KEEPALIVE


@dataclass(eq=False)
class Ephone(ConfigBlock):
    """An `ephone  N` block."""

    capf_ip_in_cnf: bool = line("capf-ip-in-cnf", lambda on: "capf-ip-in-cnf" if on else None,
                                default=False)
    # Its own mode; None follows telephony-service.
    device_security_mode: SecurityMode | None = line("device-security-mode")
    capf_auth_str: str | None = line("capf-auth-str")
    cert_oper: CertOper | None = line(
        "cert-oper", lambda op: f"cert-oper {op.operation} auth-mode {op.auth_mode}")
    mac: str | None = line("mac-address")  # "CAFE.CAFE.1234"
    template: int | None = line("ephone-template")
    codec_setting: Codec | None = line(
        "codec", lambda c: f"codec {c.name}" + (" dspfarm-assist" if c.dspfarm_assist else ""))
    type: str | None = line("type")
    mtp: bool = line("mtp", lambda on: "mtp" if on else None, default=False)
    after_hour_exempt: bool = line("after-hour exempt",
                                   lambda on: "after-hour exempt" if on else None, default=False)
    buttons: list[Button] = line(
        "button", lambda bs: "button  " + " ".join(map(str, bs)) if bs else None,
        default_factory=list)

    @property
    def tag(self) -> int:
        return self.ident[0]

    @property
    def device_name(self) -> str | None:
        """`SEPCAFECAFE1234`: the name phones use for their files and in registration."""
        return None if self.mac is None else "SEP" + self.mac.replace(".", "")

    @property
    def codec(self) -> str | None:
        return None if self.codec_setting is None else self.codec_setting.name

    @property
    def dspfarm_assist(self) -> bool:
        return self.codec_setting is not None and self.codec_setting.dspfarm_assist


@dataclass(eq=False)
class EphoneDn(ConfigBlock):
    """An `ephone-dn  N [dual-line]` block."""

    numbers: DnNumber | None = line(
        "number", lambda n: f"number {n.primary}" + (f" secondary {n.secondary}"
                                                     if n.secondary else ""))
    name: str | None = line("name")
    forward_all: CallForward | None = line(
        "call-forward all", lambda f: f"call-forward all {f.number}")
    forward_busy: CallForward | None = line(
        "call-forward busy", lambda f: f"call-forward busy {f.number}")
    forward_noan: CallForward | None = line(
        "call-forward noan", lambda f: f"call-forward noan {f.number}"
        + (f" timeout {f.timeout}" if f.timeout else ""))
    cor_incoming: str | None = line("cor incoming")
    cor_outgoing: str | None = line("cor outgoing")

    @property
    def tag(self) -> int:
        return self.ident[0]

    @property
    def dual_line(self) -> bool:
        return self.header.endswith("dual-line")

    @property
    def number(self) -> str | None:
        return None if self.numbers is None else self.numbers.primary

    @property
    def secondary(self) -> str | None:
        return None if self.numbers is None else self.numbers.secondary


@dataclass(eq=False)
class EphoneTemplate(ConfigBlock):
    """An `ephone-template  N` block: phone parameters shared by the ephones that apply it."""

    service_phone: dict[str, str] = line("service phone", _service_phone_lines,
                                         default_factory=dict)

    @property
    def tag(self) -> int:
        return self.ident[0]


# --- lookups ------------------------------------------------------------------------------------


def telephony_service(config: Section) -> TelephonyService | None:
    """The `telephony-service` block, or None when CME is not configured."""
    sec = config.find(TELEPHONY, ())
    return sec if isinstance(sec, TelephonyService) else None


def ephones(config: Section) -> list[Ephone]:
    """Every configured ephone, by tag."""
    return [sec for sec in config.sections(EPHONE) if isinstance(sec, Ephone)]


def ephone(config: Section, tag: int) -> Ephone | None:
    sec = config.find(EPHONE, (tag,))
    return sec if isinstance(sec, Ephone) else None


def ephone_by_mac(config: Section, mac: str) -> Ephone | None:
    """The ephone whose `mac-address` is `mac` (any case, `H.H.H` or 12 hex digits)."""
    wanted = mac.replace(".", "").upper()
    for ep in ephones(config):
        if ep.mac is not None and ep.mac.replace(".", "") == wanted:
            return ep
    return None


def effective_security_mode(config: Section, ep: Ephone,
                            ts: TelephonyService | None = None) -> SecurityMode:
    """The ephone's own device-security-mode, else the telephony-service one, else none.

    `ts`: the telephony-service, when the caller has read it already (registration does).
    """
    if ep.device_security_mode is not None:
        return ep.device_security_mode
    ts = ts if ts is not None else telephony_service(config)
    return ts.device_security_mode if ts is not None else SecurityMode.NONE


def ephone_templates(config: Section) -> dict[int, EphoneTemplate]:
    """Each ephone-template, by template tag."""
    return {sec.tag: sec for sec in config.sections(EPHONE_TEMPLATE)
            if isinstance(sec, EphoneTemplate)}


def effective_service_phone(config: Section, ep: Ephone) -> dict[str, str]:
    """The vendor parameters a phone gets: telephony-service ones, overridden by its template."""
    ts = telephony_service(config)
    params = dict(ts.service_phone) if ts is not None else {}
    if ep.template is not None:
        template = ephone_templates(config).get(ep.template)
        if template is not None:
            params.update(template.service_phone)
    return params


def ephone_dns(config: Section) -> list[EphoneDn]:
    """Every configured ephone-dn, by tag."""
    return [sec for sec in config.sections(EPHONE_DN) if isinstance(sec, EphoneDn)]


def ephone_dn(config: Section, tag: int) -> EphoneDn | None:
    sec = config.find(EPHONE_DN, (tag,))
    return sec if isinstance(sec, EphoneDn) else None


BLOCK_CLASSES: dict[str, type[ConfigBlock]] = {
    TELEPHONY: TelephonyService,
    EPHONE: Ephone,
    EPHONE_DN: EphoneDn,
    EPHONE_TEMPLATE: EphoneTemplate,
}
