"""Typed, read-only views of the CME configuration (telephony-service, ephones, ephone-dns).

The CLI stores each line as a setting of a `Section` (see `emulator.config.section`); services
such as the TFTP/cnf.xml builder, CAPF and SCCP registration need the values, not the lines.
These helpers read `router.config` and return small dataclasses, so that code never parses
running-config text. They never write: configuration changes go through the CLI.

This module must not import `cli_shell`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.config.section import Section

DEFAULT_SCCP_PORT = 2000
WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")

# Section kinds and idents used by the CLI declarations (cli_shell/commands/telephony.py).
TELEPHONY = "telephony-service"
EPHONE = "ephone"
EPHONE_DN = "ephone-dn"
EPHONE_TEMPLATE = "ephone-template"


@dataclass(frozen=True)
class Button:
    """One `button` entry: `1:1` is index 1, separator `:`, directory numbers (1,)."""

    index: int
    separator: str
    dns: tuple[int, ...]


@dataclass
class TelephonyService:
    """The `telephony-service` settings that matter to phones and services."""

    source_address: str | None = None
    port: int = DEFAULT_SCCP_PORT
    strict_match: bool = False
    max_ephones: int | None = None
    max_dn: int | None = None
    auto_reg_ephone: bool = True
    auto_assign: tuple[int, int] | None = None
    secure_signaling_trustpoint: str | None = None
    tftp_server_trustpoint: str | None = None
    cnf_file: str | None = None  # "perphone", ...
    cnf_file_location: str | None = None
    server_security_mode: str | None = None
    device_security_mode: str = "none"
    load_cfg_files: list[tuple[str, str, bool]] = field(default_factory=list)  # file, alias, sign
    service_phone: dict[str, str] = field(default_factory=dict)
    dialplan_patterns: dict[int, tuple[str, int]] = field(default_factory=dict)
    after_hours_patterns: dict[int, tuple[str, bool]] = field(default_factory=dict)  # 7-24
    after_hours_days: dict[str, tuple[str, str]] = field(default_factory=dict)
    version_stamp: str | None = None


@dataclass
class Ephone:
    tag: int
    mac: str | None = None  # "CAFE.CAFE.1234"
    type: str | None = None
    device_security_mode: str | None = None  # own setting; None = follow telephony-service
    buttons: list[Button] = field(default_factory=list)
    template: int | None = None
    capf_auth_str: str | None = None
    cert_oper: tuple[str, str] | None = None  # (operation, auth-mode) while pending
    codec: str | None = None
    dspfarm_assist: bool = False
    mtp: bool = False
    capf_ip_in_cnf: bool = False

    @property
    def device_name(self) -> str | None:
        """`SEPCAFECAFE1234`: the name phones use for their files and in registration."""
        return None if self.mac is None else "SEP" + self.mac.replace(".", "")


@dataclass
class EphoneDn:
    tag: int
    number: str | None = None
    secondary: str | None = None
    name: str | None = None
    dual_line: bool = False
    cor_incoming: str | None = None
    cor_outgoing: str | None = None


# ---------------------------------------------------------------------------------------------


def _v(sec: Section, key: str, name: str, default: Any = None) -> Any:
    return sec.value(key, name, default)


def telephony_section(config: Section) -> Section | None:
    return config.find(TELEPHONY, ())


def telephony_service(config: Section) -> TelephonyService | None:
    """The `telephony-service` block, or None when CME is not configured."""
    sec = telephony_section(config)
    if sec is None:
        return None
    ts = TelephonyService()
    if sec.has("ip source-address"):
        ts.source_address = _v(sec, "ip source-address", "addr")
        ts.port = _v(sec, "ip source-address", "port") or DEFAULT_SCCP_PORT
        ts.strict_match = bool(_v(sec, "ip source-address", "strict-match", False))
    ts.max_ephones = _v(sec, "max-ephones", "n")
    ts.max_dn = _v(sec, "max-dn", "n")
    ts.auto_reg_ephone = _v(sec, "auto-reg-ephone", "enabled", True)
    if sec.has("auto assign"):
        ts.auto_assign = (_v(sec, "auto assign", "first"), _v(sec, "auto assign", "last"))
    ts.secure_signaling_trustpoint = _v(sec, "secure-signaling", "trustpoint")
    ts.tftp_server_trustpoint = _v(sec, "tftp-server-credentials", "trustpoint")
    ts.cnf_file = _v(sec, "cnf-file", "per")
    ts.cnf_file_location = _v(sec, "cnf-file location", "location")
    ts.server_security_mode = _v(sec, "server-security-mode", "mode")
    ts.device_security_mode = _v(sec, "device-security-mode", "mode", "none")
    for s in sec.with_prefix("load-cfg-file"):
        ts.load_cfg_files.append((s.values["file"], s.values["alias"],
                                  bool(s.values.get("sign"))))
    ts.service_phone = service_phone_params(sec)
    for s in sec.with_prefix("dialplan-pattern"):
        ts.dialplan_patterns[s.values["tag"]] = (s.values["pattern"], s.values["length"])
    for s in sec.with_prefix("after-hours block pattern"):
        ts.after_hours_patterns[s.values["tag"]] = (s.values["pattern"],
                                                    bool(s.values.get("7-24")))
    for s in sec.with_prefix("after-hours day"):
        ts.after_hours_days[s.values["day"]] = (s.values["start"], s.values["end"])
    ts.version_stamp = _v(sec, "create cnf-files", "stamp")
    return ts


def service_phone_params(sec: Section) -> dict[str, str]:
    """`service phone NAME VALUE` lines of a telephony-service or ephone-template block."""
    return {s.values["name"]: s.values["value"] for s in sec.with_prefix("service phone")}


def _ephone(sec: Section) -> Ephone:
    ep = Ephone(tag=sec.ident[0])
    ep.mac = _v(sec, "mac-address", "mac")
    ep.type = _v(sec, "type", "type")
    ep.device_security_mode = _v(sec, "device-security-mode", "mode")
    ep.buttons = list(_v(sec, "button", "parsed", []))
    ep.template = _v(sec, "ephone-template", "template")
    ep.capf_auth_str = _v(sec, "capf-auth-str", "digits")
    if sec.has("cert-oper"):
        ep.cert_oper = (_v(sec, "cert-oper", "op"), _v(sec, "cert-oper", "authmode"))
    ep.codec = _v(sec, "codec", "codec")
    ep.dspfarm_assist = bool(_v(sec, "codec", "dspfarm-assist", False))
    ep.mtp = sec.has("mtp")
    ep.capf_ip_in_cnf = sec.has("capf-ip-in-cnf")
    return ep


def ephones(config: Section) -> list[Ephone]:
    """Every configured ephone, by tag."""
    return [_ephone(sec) for sec in config.sections(EPHONE)]


def ephone(config: Section, tag: int) -> Ephone | None:
    sec = config.find(EPHONE, (tag,))
    return None if sec is None else _ephone(sec)


def ephone_by_mac(config: Section, mac: str) -> Ephone | None:
    """The ephone whose `mac-address` is `mac` (any case, `H.H.H` or 12 hex digits)."""
    wanted = mac.replace(".", "").upper()
    for ep in ephones(config):
        if ep.mac is not None and ep.mac.replace(".", "") == wanted:
            return ep
    return None


def effective_security_mode(config: Section, ep: Ephone,
                            ts: TelephonyService | None = None) -> str:
    """The ephone's own device-security-mode, else the telephony-service one, else none.

    `ts`: the telephony-service, when the caller has read it already (registration does).
    """
    if ep.device_security_mode is not None:
        return ep.device_security_mode
    ts = ts if ts is not None else telephony_service(config)
    return ts.device_security_mode if ts is not None else "none"


def ephone_templates(config: Section) -> dict[int, dict[str, str]]:
    """`service phone` parameters of each ephone-template, by template tag."""
    return {sec.ident[0]: service_phone_params(sec) for sec in config.sections(EPHONE_TEMPLATE)}


def effective_service_phone(config: Section, ep: Ephone) -> dict[str, str]:
    """The vendor parameters a phone gets: telephony-service ones, overridden by its template."""
    ts = telephony_service(config)
    params = dict(ts.service_phone) if ts is not None else {}
    if ep.template is not None:
        params.update(ephone_templates(config).get(ep.template, {}))
    return params


def _dn(sec: Section) -> EphoneDn:
    dn = EphoneDn(tag=sec.ident[0], dual_line=sec.header.endswith("dual-line"))
    dn.number = _v(sec, "number", "num")
    dn.secondary = _v(sec, "number", "secnum")
    dn.name = _v(sec, "name", "text")
    dn.cor_incoming = _v(sec, "cor incoming", "list")
    dn.cor_outgoing = _v(sec, "cor outgoing", "list")
    return dn


def ephone_dns(config: Section) -> list[EphoneDn]:
    """Every configured ephone-dn, by tag."""
    return [_dn(sec) for sec in config.sections(EPHONE_DN)]


def ephone_dn(config: Section, tag: int) -> EphoneDn | None:
    sec = config.find(EPHONE_DN, (tag,))
    return None if sec is None else _dn(sec)
