"""SCCP registration and session messages (specs/sccp.md §3.2, §3.3, §5).

Register/RegisterAck carry the protocol-version negotiation; the rest keep the session alive
(KeepAlive), end it (Unregister, Reset) or describe the phone (capabilities, alarms).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Self

from cucme_lab.wire.sccp._base import SccpMessage
from cucme_lab.wire.sccp._fields import (
    U8,
    U16,
    U32,
    Chars,
    Ipv4,
    Ipv6,
    Mac,
    Nested,
    SccpProtocolError,
    Slots,
    layout,
    pad,
    wire,
)

MAX_CAPABILITIES = 18  # CapabilitiesRes holds at most 18 entries (§3.2)


@dataclass(frozen=True, slots=True)
class KeepAlive(SccpMessage):
    MESSAGE_ID = 0x0000


@dataclass(frozen=True, slots=True)
class Register(SccpMessage):
    """P→S 0x0001. Everything after ``max_streams`` is optional on the wire (36-byte form);
    ``protocol_ver`` is the highest version the phone supports. The default is the 124-byte
    form; set a field and all later ones to None for a shorter form (see ``basic``)."""

    MESSAGE_ID = 0x0001
    device_name: str = wire(Chars(16))
    user_id: int = wire(U32)
    instance: int = wire(U32, 1)
    station_ip: IPv4Address = wire(Ipv4())
    device_type: int = wire(U32)
    max_streams: int = wire(U32, 5)
    active_streams: int | None = wire(U32, optional=True)
    protocol_ver: int | None = wire(U8, optional=True)
    unknown: int | None = wire(U8, optional=True)
    phone_features: int | None = wire(U16, optional=True)
    max_conferences: int | None = wire(U32, optional=True)
    active_conferences: int | None = wire(U32, optional=True)
    mac_address: bytes | None = wire(Mac(), optional=True)
    ipv4_address_scope: int | None = wire(U32, optional=True)
    max_number_of_lines: int | None = wire(U32, optional=True)
    station_ipv6: IPv6Address | None = wire(Ipv6(), optional=True)
    ipv6_address_scope: int | None = wire(U32, optional=True)
    firmware_load_name: str | None = wire(Chars(32), optional=True)
    config_version_stamp: str | None = wire(Chars(48), None, optional=True)

    @classmethod
    def basic(cls, device_name: str, **fields: Any) -> Register:
        """The 36-byte form of old firmware: no protocolVer, so the version stays basic."""
        tail = {n: None for n, s in layout(cls) if s.optional}
        return cls(device_name=device_name, **(tail | fields))


@dataclass(frozen=True, slots=True)
class IpPort(SccpMessage):
    MESSAGE_ID = 0x0002
    rtp_media_port: int = wire(U32)


@dataclass(frozen=True, slots=True)
class Capability:
    """One CapabilitiesRes entry. ``params`` is the G.723.1 bit rate, or for other codecs
    the four bytes codecMode, dynamicPayload, codecParam1, codecParam2 read as one u32."""

    payload_capability: int = wire(U32)
    max_frames_per_packet: int = wire(U32)
    params: int = wire(U32)
    _pad: None = pad(4)


@dataclass(frozen=True, slots=True)
class CapabilitiesRes(SccpMessage):
    """P→S 0x0010: u32 count then that many 16-byte entries (the only variable-size list)."""

    MESSAGE_ID = 0x0010
    capabilities: tuple[Capability, ...] = ()

    def encode(self, version: int = 0) -> bytes:
        if len(self.capabilities) > MAX_CAPABILITIES:
            raise ValueError(f"at most {MAX_CAPABILITIES} capabilities fit")
        entry = Nested(Capability)
        # An empty list still gets one zero slot: tshark 4.0.17 calls a bare capCount of 0
        # malformed. The slot is unused (capCount says 0), so decoding is unaffected.
        caps = self.capabilities or (Capability(),)
        body = b"".join(entry.pack(cap, version) for cap in caps)
        return U32.pack(len(self.capabilities), version) + body

    @classmethod
    def decode(cls, payload: bytes, version: int = 0) -> Self:
        if len(payload) < 4:
            raise SccpProtocolError("CapabilitiesRes: no capCount")
        count = U32.unpack(payload, 0, version)
        if count > MAX_CAPABILITIES:
            raise SccpProtocolError(f"CapabilitiesRes: capCount {count} > {MAX_CAPABILITIES}")
        entry = Nested(Capability)
        size = entry.width(version)
        if len(payload) < 4 + count * size:
            raise SccpProtocolError(f"CapabilitiesRes: {count} entries need {4 + count * size}")
        caps = tuple(entry.unpack(payload, 4 + i * size, version) for i in range(count))
        return cls(caps)


@dataclass(frozen=True, slots=True)
class ServerReq(SccpMessage):
    MESSAGE_ID = 0x0012


@dataclass(frozen=True, slots=True)
class Alarm(SccpMessage):
    """P→S 0x0020. Not laid out in the spec; taken from Wireshark's message description."""

    MESSAGE_ID = 0x0020
    severity: int = wire(U32)
    text: str = wire(Chars(80))
    param1: int = wire(U32)
    param2: int = wire(U32)


@dataclass(frozen=True, slots=True)
class Unregister(SccpMessage):
    """P→S 0x0027; ``reason`` (0 unknown, 1 power-save) is optional (0 or 4 bytes)."""

    MESSAGE_ID = 0x0027
    reason: int | None = wire(U32, None, optional=True)


@dataclass(frozen=True, slots=True)
class HeadsetStatus(SccpMessage):
    MESSAGE_ID = 0x002B
    mode: int = wire(U32, 1)  # 1 on, 2 off


@dataclass(frozen=True, slots=True)
class RegisterAvailableLines(SccpMessage):
    MESSAGE_ID = 0x002D
    max_num_of_avail_lines: int = wire(U32)


@dataclass(frozen=True, slots=True)
class RegisterAck(SccpMessage):
    """S→P 0x0081, always sent with headerVersion 0; ``max_protocol_ver`` is the
    negotiated version that every later frame uses (§2)."""

    MESSAGE_ID = 0x0081
    keep_alive_interval: int = wire(U32, 30)
    date_template: str = wire(Chars(6, full_ok=True), "M/D/YA")
    _pad: None = pad(2)
    secondary_keep_alive_interval: int = wire(U32, 30)
    max_protocol_ver: int = wire(U8)
    flags: int = wire(U8)
    features: int = wire(U16)

    @classmethod
    def for_version(cls, version: int, **fields: Any) -> RegisterAck:
        """A RegisterAck whose flags/features follow chan-sccp's table for ``version``."""
        flags = 0x20 if version >= 4 else 0
        features = 0xFFF1 if version >= 11 else 0xFE00 if version >= 4 else 0
        return cls(max_protocol_ver=version, flags=flags, features=features, **fields)


@dataclass(frozen=True, slots=True)
class CapabilitiesReq(SccpMessage):
    MESSAGE_ID = 0x009B


@dataclass(frozen=True, slots=True)
class RegisterReject(SccpMessage):
    MESSAGE_ID = 0x009D
    text: str = wire(Chars(32))


@dataclass(frozen=True, slots=True)
class ServerRes(SccpMessage):
    """S→P 0x009E: five server slots as three parallel arrays (280 bytes).

    Choice: only the 4-byte-address form is produced and read; the 20-byte form that
    Wireshark expects when ``length > 292`` is not used by this lab.
    """

    MESSAGE_ID = 0x009E
    server_names: tuple[str, ...] = wire(Slots(Chars(48), 5))
    listen_ports: tuple[int, ...] = wire(Slots(U32, 5))
    addresses: tuple[IPv4Address, ...] = wire(Slots(Ipv4(), 5))


@dataclass(frozen=True, slots=True)
class Reset(SccpMessage):
    MESSAGE_ID = 0x009F
    reset_type: int = wire(U32, 1)  # 1 reset (reboot), 2 restart, 3 apply config


@dataclass(frozen=True, slots=True)
class KeepAliveAck(SccpMessage):
    MESSAGE_ID = 0x0100


@dataclass(frozen=True, slots=True)
class UnregisterAck(SccpMessage):
    MESSAGE_ID = 0x0118
    status: int = wire(U32)  # 0 ok, 1 error, 2 NAK


MESSAGES: tuple[type[SccpMessage], ...] = (
    KeepAlive,
    Register,
    IpPort,
    CapabilitiesRes,
    ServerReq,
    Alarm,
    Unregister,
    HeadsetStatus,
    RegisterAvailableLines,
    RegisterAck,
    CapabilitiesReq,
    RegisterReject,
    ServerRes,
    Reset,
    KeepAliveAck,
    UnregisterAck,
)
