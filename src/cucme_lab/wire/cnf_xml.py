"""`SEP<MAC>.cnf.xml`: the security and registration elements of spec §5.

A dataclass in, bytes out; bytes in, dataclass out. Only the elements the lab acts on are
modelled; unknown elements are ignored on parse (unknown simple `vendorConfig` items are kept).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = [
    "CAPF_PORT",
    "SCCP_PORT",
    "SCCP_TLS_PORT",
    "SIP_PORT",
    "SIP_TLS_PORT",
    "TVS_PORT",
    "CallManager",
    "CapfAuthMode",
    "CapfServer",
    "CnfFormatError",
    "DeviceConfig",
    "DeviceSecurityMode",
    "TransportLayerProtocol",
    "TvsServer",
    "VendorConfig",
    "build_cnf_xml",
    "cnf_filename",
    "parse_cnf_xml",
]

SCCP_PORT = 2000
# §5 note: a secure SCCP phone opens TLS on 2443 while the file keeps ethernetPhonePort 2000;
# there is no XML element for it (unconfirmed, §6.12), so it is a constant here.
SCCP_TLS_PORT = 2443
SIP_PORT = 5060
SIP_TLS_PORT = 5061
CAPF_PORT = 3804
TVS_PORT = 2445

# vendorConfig wire values. Several are inverted (0 = enabled). Where the NSA guide differs
# from DOC-CNF, the guide wins (§5 notes).
WEB_ACCESS_ENABLED, WEB_ACCESS_DISABLED, WEB_ACCESS_READ_ONLY = 0, 1, 2  # 2: 7921G only
# 2 is not in the spec's table but the fixture uses it; read as "restricted" (our choice).
SETTINGS_ACCESS_DISABLED, SETTINGS_ACCESS_ENABLED, SETTINGS_ACCESS_RESTRICTED = 0, 1, 2
PC_PORT_ENABLED, PC_PORT_DISABLED = 0, 1
SPAN_TO_PC_PORT_ENABLED, SPAN_TO_PC_PORT_DISABLED = 0, 1
VOICE_VLAN_ACCESS_ENABLED, VOICE_VLAN_ACCESS_DISABLED = 0, 1  # per the NSA guide
GARP_ENABLED, GARP_DISABLED = 0, 1  # per the NSA guide; polarity unverified (§6.11)


# Digits of a number: every value of the file fits in 32 bits. Checked before int(), which
# raised ValueError (not CnfFormatError) past 4,300 digits.
MAX_DIGITS = 10
_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_UNSIGNED = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


class CnfFormatError(ValueError):
    """The bytes are not a usable `<device>` configuration."""


class DeviceSecurityMode(IntEnum):
    """`deviceSecurityMode`: 2 and 3 need a CTL/ITL holding the CCM certificate."""

    NON_SECURE = 1
    AUTHENTICATED = 2
    ENCRYPTED = 3


class CapfAuthMode(IntEnum):
    """`capfAuthMode`: how the phone authenticates to CAPF."""

    # 0 is not in the spec's table; public configs use it for "no operation" (our choice).
    NONE = 0
    AUTH_STRING = 1
    NULL_STRING = 2
    LSC = 3
    MIC = 4


class TransportLayerProtocol(IntEnum):
    """`transportLayerProtocol`."""

    TCP = 1
    UDP = 2
    TLS = 3


@dataclass
class CallManager:
    """One `devicePool/callManagerGroup/members/member`."""

    process_node_name: str | None
    priority: int = 0
    ethernet_phone_port: int | None = SCCP_PORT
    sip_port: int | None = None
    secured_sip_port: int | None = None


@dataclass
class CapfServer:
    """One `capfList/capf` entry."""

    process_node_name: str | None
    phone_port: int | None = CAPF_PORT


@dataclass
class TvsServer:
    """One `TVS/members/member` entry."""

    address: str | None
    port: int | None = TVS_PORT
    priority: int = 0


# (XML element, attribute, kind) for the simple children of <vendorConfig>, in output order.
_VENDOR_ITEMS: tuple[tuple[str, str, type], ...] = (
    ("disableSpeaker", "disable_speaker", bool),
    ("disableSpeakerAndHeadset", "disable_speaker_and_headset", bool),
    ("forwardingDelay", "forwarding_delay", int),  # semantics unverified (§6.11)
    ("garp", "garp", int),
    ("pcPort", "pc_port", int),
    ("spanToPCPort", "span_to_pc_port", int),
    ("voiceVlanAccess", "voice_vlan_access", int),
    ("webAccess", "web_access", int),
    ("webProtocol", "web_protocol", int),
    ("settingsAccess", "settings_access", int),
    ("sshAccess", "ssh_access", int),
    ("enableCdpSwPort", "enable_cdp_sw_port", int),
    ("enableCdpPcPort", "enable_cdp_pc_port", int),
    ("enableLldpSwPort", "enable_lldp_sw_port", int),
    ("enableLldpPcPort", "enable_lldp_pc_port", int),
    ("disableTLSCiphers", "disable_tls_ciphers", str),
    ("tls12Only", "tls12_only", int),
)


@dataclass
class VendorConfig:
    """`<vendorConfig>` values as written on the wire (see the constants above)."""

    disable_speaker: bool | None = None
    disable_speaker_and_headset: bool | None = None
    forwarding_delay: int | None = None
    garp: int | None = None
    pc_port: int | None = None
    span_to_pc_port: int | None = None
    voice_vlan_access: int | None = None
    web_access: int | None = None
    web_protocol: int | None = None
    settings_access: int | None = None
    ssh_access: int | None = None
    enable_cdp_sw_port: int | None = None
    enable_cdp_pc_port: int | None = None
    enable_lldp_sw_port: int | None = None
    enable_lldp_pc_port: int | None = None
    disable_tls_ciphers: str | None = None
    tls12_only: int | None = None
    #: other simple children, element name -> text, kept in order
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class DeviceConfig:
    """The modelled part of `<device>`; `None` / empty means the element is left out."""

    device_protocol: str | None = "SCCP"
    full_config: bool | None = None
    ssh_user_id: str | None = None
    ssh_password: str | None = None
    ip_address_mode: int | None = None
    call_managers: list[CallManager] = field(default_factory=list)
    tvs_servers: list[TvsServer] = field(default_factory=list)
    phone_password: str | None = None
    load_information: str | None = None
    inactive_load_information: str | None = None
    authentication_url: str | None = None
    secure_authentication_url: str | None = None
    version_stamp: str | None = None
    transport_layer_protocol: int | None = None
    tls_resumption_timer: int | None = None
    device_security_mode: int | None = None
    capf_auth_mode: int | None = None
    capf_servers: list[CapfServer] = field(default_factory=list)
    cert_hash: str | None = None
    encr_config: bool | None = None
    vendor_config: VendorConfig | None = None

    @property
    def secure(self) -> bool:
        """True for authenticated or encrypted mode (TLS to the call server)."""
        return self.device_security_mode in (
            DeviceSecurityMode.AUTHENTICATED,
            DeviceSecurityMode.ENCRYPTED,
        )

    @property
    def capf_operation_pending(self) -> bool:
        """The file asks the phone to contact CAPF: an auth mode 1-4 and a CAPF server.

        The operation itself (install/fetch/delete, IOS `cert-oper`) is not in the file: the
        CAPF server tells the phone in-session (§4.6).
        """
        return bool(self.capf_servers) and self.capf_auth_mode in (1, 2, 3, 4)

    def registration_port(self, member: CallManager) -> int | None:
        """The call-server port this phone connects to, given protocol and security mode."""
        if (self.device_protocol or "").upper() == "SIP":
            if self.transport_layer_protocol == TransportLayerProtocol.TLS:
                return member.secured_sip_port
            return member.sip_port
        return SCCP_TLS_PORT if self.secure else member.ethernet_phone_port


# Simple children of <device>, in output order; complex ones are named by a marker kind.
_TOP: tuple[tuple[str, str, Any], ...] = (
    ("fullConfig", "full_config", bool),
    ("deviceProtocol", "device_protocol", str),
    ("sshUserId", "ssh_user_id", str),
    ("sshPassword", "ssh_password", str),
    ("ipAddressMode", "ip_address_mode", int),
    ("devicePool", "call_managers", "devicePool"),
    ("TVS", "tvs_servers", "TVS"),
    ("commonProfile", "phone_password", "commonProfile"),
    ("loadInformation", "load_information", str),
    ("inactiveLoadInformation", "inactive_load_information", str),
    ("authenticationURL", "authentication_url", str),
    ("secureAuthenticationURL", "secure_authentication_url", str),
    ("versionStamp", "version_stamp", str),
    ("transportLayerProtocol", "transport_layer_protocol", TransportLayerProtocol),
    ("TLSResumptionTimer", "tls_resumption_timer", int),
    ("deviceSecurityMode", "device_security_mode", DeviceSecurityMode),
    ("capfAuthMode", "capf_auth_mode", CapfAuthMode),
    ("capfList", "capf_servers", "capfList"),
    ("certHash", "cert_hash", str),
    ("encrConfig", "encr_config", bool),
    ("vendorConfig", "vendor_config", "vendorConfig"),
)

_MAC = re.compile(r"[0-9A-F]{12}")


def cnf_filename(mac: str, *, signed: bool = False) -> str:
    """`SEP<12 upper-case hex>.cnf.xml` (plus `.sgn` when signed) for any common MAC style."""
    digits = re.sub(r"[.:\-]", "", mac).upper()
    if not _MAC.fullmatch(digits):
        raise ValueError(f"not a MAC address: {mac!r}")
    return f"SEP{digits}.cnf.xml" + (".sgn" if signed else "")


# ---------------------------------------------------------------- building


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(int(value)) if isinstance(value, int) else str(value)


def _child(parent: ET.Element, tag: str, value: object = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = "" if value is None else _text(value)
    return element


def build_cnf_xml(config: DeviceConfig) -> bytes:
    """Serialise `config` as UTF-8 XML with a declaration and two-space indentation."""
    root = ET.Element("device")
    for tag, attr, kind in _TOP:
        value = getattr(config, attr)
        if value is None or value == []:
            continue
        if kind == "devicePool":
            _build_device_pool(root, value)
        elif kind == "TVS":
            members = ET.SubElement(ET.SubElement(root, "TVS"), "members")
            for tvs in value:
                member = ET.SubElement(members, "member", priority=str(tvs.priority))
                _optional(member, "port", tvs.port)
                _optional(member, "address", tvs.address)
        elif kind == "commonProfile":
            _child(ET.SubElement(root, "commonProfile"), "phonePassword", value)
        elif kind == "capfList":
            if len(value) > 5:
                raise ValueError("a cnf.xml lists at most 5 CAPF servers")
            capf_list = ET.SubElement(root, "capfList")
            for capf in value:
                entry = ET.SubElement(capf_list, "capf")
                _optional(entry, "phonePort", capf.phone_port)
                _optional(entry, "processNodeName", capf.process_node_name)
        elif kind == "vendorConfig":
            _build_vendor_config(root, value)
        else:
            _child(root, tag, value)
    ET.indent(root, "  ")
    text = ET.tostring(root, encoding="unicode", short_empty_elements=False)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def _optional(parent: ET.Element, tag: str, value: object) -> None:
    if value is not None:
        _child(parent, tag, value)


def _build_device_pool(root: ET.Element, managers: list[CallManager]) -> None:
    members = ET.SubElement(
        ET.SubElement(ET.SubElement(root, "devicePool"), "callManagerGroup"), "members"
    )
    for manager in managers:
        if not 0 <= manager.priority <= 4:
            raise ValueError("callManager member priority is 0-4")
        call_manager = ET.SubElement(
            ET.SubElement(members, "member", priority=str(manager.priority)), "callManager"
        )
        ports = ET.SubElement(call_manager, "ports")
        _optional(ports, "ethernetPhonePort", manager.ethernet_phone_port)
        _optional(ports, "sipPort", manager.sip_port)
        _optional(ports, "securedSipPort", manager.secured_sip_port)
        _optional(call_manager, "processNodeName", manager.process_node_name)


def _build_vendor_config(root: ET.Element, vendor: VendorConfig) -> None:
    element = ET.SubElement(root, "vendorConfig")
    for tag, attr, _kind in _VENDOR_ITEMS:
        _optional(element, tag, getattr(vendor, attr))
    for tag, text in vendor.extra.items():
        _child(element, tag, text)


# ---------------------------------------------------------------- parsing


def parse_cnf_xml(data: bytes) -> DeviceConfig:
    """Read a `<device>` document; raises CnfFormatError and nothing else on bad input."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CnfFormatError("a cnf.xml is bytes")
    data = bytes(data)
    # Phones' files never carry a DTD; refusing one also rules out entity-expansion tricks.
    if b"<!doctype" in data.lower():
        raise CnfFormatError("DOCTYPE is not allowed in a cnf.xml")
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise CnfFormatError(f"not well-formed XML: {exc}") from None
    if root.tag != "device":
        raise CnfFormatError(f"root element is <{root.tag}>, not <device>")
    values: dict[str, Any] = {}
    for tag, attr, kind in _TOP:
        element = root.find(tag)
        if element is None:
            continue
        if kind == "devicePool":
            values[attr] = [
                _parse_call_manager(m) for m in element.iterfind("callManagerGroup/members/member")
            ]
        elif kind == "TVS":
            values[attr] = [
                TvsServer(
                    address=_opt(m, "address", str),
                    port=_opt(m, "port", int),
                    priority=_priority(m),
                )
                for m in element.iterfind("members/member")
            ]
        elif kind == "commonProfile":
            values[attr] = _opt(element, "phonePassword", str)
        elif kind == "capfList":
            values[attr] = [
                CapfServer(
                    process_node_name=_opt(c, "processNodeName", str),
                    phone_port=_opt(c, "phonePort", int),
                )
                for c in element.iterfind("capf")
            ]
        elif kind == "vendorConfig":
            values[attr] = _parse_vendor_config(element)
        else:
            values[attr] = _convert(element, kind)
    # An absent deviceProtocol stays None rather than taking the builder's "SCCP" default.
    return DeviceConfig(**{"device_protocol": None, **values})


def _convert(element: ET.Element, kind: Any) -> Any:
    text = (element.text or "").strip() if kind is not str else (element.text or "")
    if kind is str:
        return text
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise CnfFormatError(f"<{element.tag}> is not true/false: {text!r}")
        return text.lower() == "true"
    if text == "":
        return None
    if not _INTEGER.fullmatch(text):
        raise CnfFormatError(f"<{element.tag}> is not an integer: {text[:20]!r}")
    number = int(text)
    if isinstance(kind, type) and issubclass(kind, IntEnum):
        try:
            return kind(number)
        except ValueError:
            return number
    return number


def _opt(parent: ET.Element, path: str, kind: Any) -> Any:
    element = parent.find(path)
    return None if element is None else _convert(element, kind)


def _priority(member: ET.Element) -> int:
    raw = member.get("priority", "0").strip()
    if not _UNSIGNED.fullmatch(raw):
        raise CnfFormatError(f"member priority is not a number: {raw[:20]!r}")
    return int(raw)


def _parse_call_manager(member: ET.Element) -> CallManager:
    return CallManager(
        process_node_name=_opt(member, "callManager/processNodeName", str),
        priority=_priority(member),
        ethernet_phone_port=_opt(member, "callManager/ports/ethernetPhonePort", int),
        sip_port=_opt(member, "callManager/ports/sipPort", int),
        secured_sip_port=_opt(member, "callManager/ports/securedSipPort", int),
    )


def _parse_vendor_config(element: ET.Element) -> VendorConfig:
    known = {tag: (attr, kind) for tag, attr, kind in _VENDOR_ITEMS}
    values: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in known:
            attr, kind = known[child.tag]
            values[attr] = _convert(child, kind)
        elif len(child) == 0:
            extra[child.tag] = child.text or ""
    return VendorConfig(**values, extra=extra)
