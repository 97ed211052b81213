"""SCCP message codec: round trips of every message, and the bytes specs/sccp.md gives.

Framing, version negotiation and the malformed-input fuzzing live in test_sccp_connection.py;
the Wireshark cross-check lives in test_sccp_tshark.py.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire import sccp
from cucme_lab.wire.sccp._fields import (
    Chars,
    Dirnum,
    Int,
    IpAddr,
    Ipv4,
    Ipv6,
    Mac,
    Nested,
    Pad,
    Raw,
    Slots,
    layout,
)
from cucme_lab.wire.sccp._media import KeyInfoCodec

VERSIONS = [0, 5, 10, 11, 15, 16, 17, 18, 20, 21, 22]

# ---- strategies derived from each message's declared layout ------------------------------

_LATIN1 = st.characters(min_codepoint=1, max_codepoint=255)
_INT_RANGES = {
    "<B": (0, 0xFF),
    "<H": (0, 0xFFFF),
    "<I": (0, 0xFFFFFFFF),
    "<i": (-(2**31), 2**31 - 1),
}


def _codec_strategy(codec: Any, version: int) -> st.SearchStrategy[Any]:
    match codec:
        case Int(fmt=fmt):
            return st.integers(*_INT_RANGES[fmt])
        case Chars(size=size, full_ok=full_ok):
            return st.text(_LATIN1, max_size=size if full_ok else size - 1)
        case Dirnum():
            return st.text(_LATIN1, max_size=23)  # fits both the 24- and 25-byte forms
        case Ipv4():
            return st.ip_addresses(v=4)
        case Ipv6():
            return st.ip_addresses(v=6)
        case IpAddr():
            return st.ip_addresses() if version >= 17 else st.ip_addresses(v=4)
        case Mac():
            return st.binary(min_size=6, max_size=6)
        case Raw(size=size):
            return st.binary(min_size=size, max_size=size)
        case Slots(entry=entry, count=count):
            items = st.lists(_codec_strategy(entry, version), max_size=count)
            return items.filter(lambda xs: not xs or xs[-1] != entry.zero).map(tuple)
        case Nested(cls=cls):
            return _fields_strategy(cls, version)
        case KeyInfoCodec():
            return st.builds(
                sccp.MediaEncryptionKeyInfo,
                st.integers(0, 4),
                st.binary(max_size=16),
                st.binary(max_size=16),
                st.integers(0, 1),
                st.integers(0, 0xFFFFFFFF),
            )
    raise AssertionError(f"no strategy for {codec!r}")


@st.composite
def _fields_strategy(draw: st.DrawFn, cls: type, version: int) -> Any:
    specs = [(n, s) for n, s in layout(cls) if version >= s.since and not isinstance(s.codec, Pad)]
    optional = [n for n, s in specs if s.optional]
    keep = draw(st.integers(0, len(optional)))  # optional fields form a present prefix
    absent = set(optional[keep:])
    kwargs = {n: None if n in absent else draw(_codec_strategy(s.codec, version)) for n, s in specs}
    return cls(**kwargs)


def message_strategy(cls: type, version: int) -> st.SearchStrategy[Any]:
    if cls is sccp.CapabilitiesRes:
        caps = st.lists(_fields_strategy(sccp.Capability, version), max_size=18)
        return caps.map(lambda xs: sccp.CapabilitiesRes(tuple(xs)))
    return _fields_strategy(cls, version)


# ---- round trips --------------------------------------------------------------------------


def test_catalogue_covers_spec_ids() -> None:
    # Every id of §3.1 except DynamicCallInfo (0x014A, "not used here").
    spec_ids = {
        *range(0x00, 0x11), 0x12, 0x20, 0x22, 0x25, 0x26, 0x27, 0x28, 0x2B, 0x2D,
        0x81, 0x82, 0x83, 0x85, 0x86, 0x88, 0x89, 0x8A, 0x8B, 0x8F, 0x90, 0x91, 0x92, 0x93,
        0x94, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9D, 0x9E, 0x9F, 0x100, 0x105, 0x106, 0x108,
        0x109, 0x110, 0x111, 0x112, 0x113, 0x114, 0x115, 0x116, 0x117, 0x118, 0x11D, 0x120,
        0x121,
    }  # fmt: skip
    assert set(sccp.MESSAGE_TYPES) == spec_ids
    assert len(sccp.ALL_MESSAGES) == 66


@pytest.mark.parametrize("cls", sccp.ALL_MESSAGES, ids=lambda c: c.__name__)
def test_default_message_round_trips_at_every_version(cls: type[sccp.SccpMessage]) -> None:
    for version in VERSIONS:
        message = cls()
        assert sccp.decode_message(cls.MESSAGE_ID, message.encode(version), version) == message


@pytest.mark.parametrize("cls", sccp.ALL_MESSAGES, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_message_round_trips(cls: type[sccp.SccpMessage], data: st.DataObject) -> None:
    version = data.draw(st.sampled_from(VERSIONS), label="version")
    message = data.draw(message_strategy(cls, version), label="message")
    payload = message.encode(version)
    decoded = sccp.decode_message(cls.MESSAGE_ID, payload, version)
    assert decoded == message
    assert decoded.encode(version) == payload
    frame = sccp.encode_frame(message, version)
    assert struct.unpack_from("<III", frame) == (
        len(payload) + 4,
        sccp.header_version_for(cls.MESSAGE_ID, version),
        cls.MESSAGE_ID,
    )


def test_unknown_message_keeps_its_payload() -> None:
    decoded = sccp.decode_message(0x014A, b"\x01\x02\x03", 17)  # DynamicCallInfo: not decoded
    assert decoded == sccp.UnknownMessage(0x014A, b"\x01\x02\x03")
    assert decoded.message_id == 0x014A
    assert decoded.encode(17) == b"\x01\x02\x03"
    frame = sccp.encode_frame(decoded, 17)
    assert frame == bytes.fromhex("07000000 11000000 4a010000 010203")


# ---- sizes from the spec --------------------------------------------------------------------

# (class, version) -> payload size, straight from the §3 tables.
SIZES = [
    (sccp.KeepAlive, 0, 0),
    (sccp.Register, 0, 124),
    (sccp.RegisterAck, 0, 20),
    (sccp.RegisterReject, 0, 32),
    (sccp.IpPort, 0, 4),
    (sccp.Stimulus, 0, 16),
    (sccp.SoftKeyEvent, 0, 12),
    (sccp.StartTone, 0, 16),
    (sccp.StopTone, 10, 8),
    (sccp.StopTone, 11, 12),
    (sccp.SetRinger, 0, 16),
    (sccp.SetLamp, 0, 12),
    (sccp.StopMediaTransmission, 0, 16),
    (sccp.ForwardStat, 17, 92),
    (sccp.ForwardStat, 18, 95),
    (sccp.SpeedDialStat, 0, 68),
    (sccp.LineStat, 0, 112),
    (sccp.DefineTimeDate, 0, 36),
    (sccp.ButtonTemplate, 0, 96),
    (sccp.ServerRes, 0, 280),
    (sccp.Reset, 0, 4),
    (sccp.CloseReceiveChannel, 0, 16),
    (sccp.SelectSoftKeys, 0, 16),
    (sccp.CallState, 0, 24),
    (sccp.DisplayPromptStatus, 0, 44),
    (sccp.ClearPromptStatus, 0, 8),
    (sccp.DisplayNotify, 0, 36),
    (sccp.ActivateCallPlane, 0, 4),
    (sccp.UnregisterAck, 0, 4),
    (sccp.DialedNumber, 17, 32),
    (sccp.DialedNumber, 18, 33),
    (sccp.DisplayPriNotify, 0, 40),
    (sccp.ClearPriNotify, 0, 4),
    (sccp.CallInfo, 0, 384),
    (sccp.OpenReceiveChannelAck, 16, 20),
    (sccp.OpenReceiveChannelAck, 17, 36),
    (sccp.StartMediaTransmission, 17, 132),
    (sccp.StartMediaTransmission, 21, 168),
    (sccp.OpenReceiveChannel, 17, 132),
    (sccp.OpenReceiveChannel, 21, 168),
    # Not sized by the spec; sizes from Wireshark's message description, checked with tshark.
    (sccp.ConfigStat, 0, 112),
    (sccp.SoftKeyTemplateRes, 0, 652),
    (sccp.SoftKeySetRes, 0, 780),
    (sccp.Alarm, 0, 92),
    (sccp.EnblocCall, 17, 28),
    (sccp.EnblocCall, 18, 29),
]


@pytest.mark.parametrize(("cls", "version", "size"), SIZES, ids=lambda x: str(x))
def test_payload_sizes_match_spec(cls: type[sccp.SccpMessage], version: int, size: int) -> None:
    assert len(cls().encode(version)) == size


@pytest.mark.parametrize("cls", [c for c in sccp.ALL_MESSAGES if c().encode(17) == b""])
def test_empty_messages(cls: type[sccp.SccpMessage]) -> None:
    empty = {0x00, 0x0C, 0x0D, 0x0E, 0x0F, 0x12, 0x25, 0x28, 0x9A, 0x9B, 0x100, 0x115, 0x117}
    # OffHook/OnHook/Unregister default to their short (empty) forms as well (§8.3).
    assert cls.MESSAGE_ID in empty | {0x06, 0x07, 0x27}


# ---- known bytes ------------------------------------------------------------------------------


def test_keepalive_frame_bytes() -> None:
    assert sccp.encode_frame(sccp.KeepAlive()) == bytes.fromhex("04000000 00000000 00000000")


def test_always_zero_header_versions() -> None:
    # §2: RegisterAck, KeepAliveAck and UnregisterAck carry headerVersion 0 whatever was agreed.
    assert sccp.encode_frame(sccp.KeepAliveAck(), 17) == bytes.fromhex("04000000 00000000 00010000")
    ack = sccp.encode_frame(sccp.UnregisterAck(), 17)
    assert ack == bytes.fromhex("08000000 00000000 18010000 00000000")
    assert sccp.encode_frame(sccp.RegisterAck.for_version(17), 17)[4:8] == bytes(4)
    assert sccp.encode_frame(sccp.KeepAlive(), 17)[4:8] == bytes.fromhex("11000000")
    assert sccp.encode_frame(sccp.CapabilitiesReq(), 9)[4:8] == bytes(4)  # below V10: basic


def test_register_layout() -> None:
    message = sccp.Register(
        device_name="SEP001122334455",
        station_ip=IPv4Address("127.0.0.1"),
        device_type=sccp.DeviceType.CISCO_7960,
        protocol_ver=20,
        phone_features=0x8290,
        mac_address=bytes.fromhex("001122334455"),
        firmware_load_name="SCCP41.9-4-2SR3-1S",
    )
    payload = message.encode()
    assert len(payload) == 124
    assert payload[:16] == b"SEP001122334455\0"
    assert payload[16:24] == bytes.fromhex("00000000 01000000")  # userId 0, instance 1
    assert payload[24:28] == bytes.fromhex("7f000001")  # network order
    assert payload[28:36] == bytes.fromhex("07000000 05000000")  # 7960, 5 streams
    assert payload[40] == 20 and payload[42:44] == bytes.fromhex("9082")
    assert payload[52:64] == bytes.fromhex("001122334455 000000000000")
    assert payload[92:124] == b"SCCP41.9-4-2SR3-1S".ljust(32, b"\0")


def test_register_short_forms() -> None:
    short = sccp.Register.basic("SEP0", device_type=7)
    assert short == sccp.Register(
        device_name="SEP0", device_type=7, **dict.fromkeys(_REGISTER_TAIL)
    )
    assert len(short.encode()) == 36
    assert sccp.Register.decode(short.encode()) == short
    # Only protocolVer present: 41 bytes; it is read, the rest stays absent.
    payload = short.encode() + struct.pack("<IB", 0, 19)
    decoded = sccp.Register.decode(payload)
    assert decoded.protocol_ver == 19 and decoded.phone_features is None
    # The newer 172-byte form with configVersionStamp.
    full = sccp.Register(device_name="SEP1", config_version_stamp="{1234}")
    assert len(full.encode()) == 172
    assert sccp.Register.decode(full.encode()) == full


_REGISTER_TAIL = [n for n, s in layout(sccp.Register) if s.optional]


def test_register_ack_bytes() -> None:
    ack = sccp.RegisterAck.for_version(17, keep_alive_interval=30, date_template="M/D/YA")
    payload = ack.encode()
    assert payload == bytes.fromhex("1e000000") + b"M/D/YA" + bytes.fromhex(
        "0000 1e000000 11 20 f1ff"
    )
    assert sccp.RegisterAck.for_version(10).features == 0xFE00
    assert sccp.RegisterAck.for_version(3).flags == 0 == sccp.RegisterAck.for_version(3).features


def test_chars_limits() -> None:
    with pytest.raises(ValueError):
        sccp.RegisterReject(text="x" * 32).encode()  # char[32] holds 31 plus the NUL
    assert sccp.RegisterReject(text="x" * 31).encode()[-1] == 0
    with pytest.raises(ValueError):
        sccp.RegisterAck(date_template="D/M/YAx").encode()
    label = "\x80\x18"  # "Connected" display label escape
    prompt = sccp.DisplayPromptStatus(text=label)
    assert prompt.encode()[4:6] == b"\x80\x18"
    assert sccp.DisplayPromptStatus.decode(prompt.encode()).text == label


def test_media_messages_v17_layout() -> None:
    key = sccp.MediaEncryptionKeyInfo(
        sccp.EncryptionAlgorithm.AES_CM_128_HMAC_SHA1_32, bytes(range(16)), bytes(range(14))
    )
    smt = sccp.StartMediaTransmission(
        conference_id=1,
        pass_thru_party_id=2,
        remote_ip=IPv4Address("127.0.0.1"),
        remote_port=16384,
        call_reference=9,
        key_info=key,
        party_direction=3,
    )
    payload = smt.encode(17)
    assert payload[8:28] == bytes.fromhex("00000000 7f000001") + bytes(12)
    assert payload[28:32] == struct.pack("<I", 16384)  # port: u32 little-endian
    assert payload[56:60] == struct.pack("<I", 9)  # callReference at A+28
    assert payload[60:68] == struct.pack("<IHH", 1, 16, 14)  # key info at A+32
    assert payload[68:84] == bytes(range(16)) and payload[84:100] == bytes(range(14)) + bytes(2)
    assert payload[128:132] == struct.pack("<I", 3)  # partyDirection at A+100
    assert len(smt.encode(14)) == 112 and smt.encode(14)[8:12] == bytes.fromhex("7f000001")

    orc = sccp.OpenReceiveChannel(
        source_ip=IPv4Address("127.0.0.2"), source_port=5000, audio_level_adjustment=-3
    )
    payload = orc.encode(17)
    assert payload[100:124] == struct.pack("<I", 0) + bytes.fromhex("7f000002") + bytes(12) + (
        struct.pack("<I", 5000)
    )
    assert payload[128:132] == struct.pack("<i", -3)
    assert len(orc.encode(0)) == 92 and len(orc.encode(11)) == 108 and len(orc.encode(16)) == 112

    ack = sccp.OpenReceiveChannelAck(0, IPv6Address("::1"), 20000, 7, 8)
    assert ack.encode(17)[4:24] == struct.pack("<I", 1) + IPv6Address("::1").packed
    with pytest.raises(ValueError):
        ack.encode(16)  # IPv6 needs the V17 address form


def test_open_receive_channel_ack_without_call_reference() -> None:
    short = struct.pack("<I4sII", 0, bytes.fromhex("7f000001"), 20000, 7)
    decoded = sccp.decode_message(0x22, short, 0)
    assert decoded == sccp.OpenReceiveChannelAck(0, IPv4Address("127.0.0.1"), 20000, 7, None)


def test_call_info_offsets() -> None:
    info = sccp.CallInfo(
        calling_party_name="Alice",
        calling_party="1001",
        called_party="1002",
        line_instance=1,
        call_reference=0x1234,
        call_type=sccp.CallType.OUTBOUND,
        call_security_status=sccp.CallSecurityStatus.ENCRYPTED,
        party_pi_restriction_bits=0x3,
    )
    payload = info.encode()
    assert len(payload) == 384
    assert payload[40:45] == b"1001\0" and payload[104:109] == b"1002\0"
    assert struct.unpack_from("<III", payload, 128) == (1, 0x1234, 2)
    assert struct.unpack_from("<III", payload, 372) == (1, 3, 3)


def test_optional_tails() -> None:
    assert sccp.OffHook().encode() == b""
    assert sccp.OffHook(1, 0).encode() == struct.pack("<II", 1, 0)
    assert sccp.decode_message(0x06, b"", 17) == sccp.OffHook()
    assert sccp.KeypadButton(5).encode() == struct.pack("<I", 5)
    assert sccp.KeypadButton(0x0E, 1, 7).encode() == struct.pack("<III", 14, 1, 7)
    assert sccp.decode_message(0x03, struct.pack("<I", 5), 17) == sccp.KeypadButton(5)
    assert sccp.Unregister().encode() == b"" and sccp.Unregister(1).encode() == b"\1\0\0\0"
    # A set field after a None one would be silently dropped, so it is refused.
    with pytest.raises(ValueError, match="line_instance is None but call_reference is set"):
        sccp.OnHook(None, 5).encode()
    with pytest.raises(ValueError):
        sccp.Register(device_name="SEP0", active_streams=None).encode()


def test_truncated_payload_is_a_protocol_error() -> None:
    with pytest.raises(sccp.SccpProtocolError):
        sccp.decode_message(0x111, bytes(12), 17)  # the old 12-byte CallState
    with pytest.raises(sccp.SccpProtocolError):
        sccp.decode_message(0x01, bytes(35), 0)  # Register needs 36 bytes
    with pytest.raises(sccp.SccpProtocolError):
        sccp.decode_message(0x10, struct.pack("<I", 2) + bytes(16), 0)  # 2 caps, 1 present
    with pytest.raises(sccp.SccpProtocolError):
        sccp.decode_message(0x10, struct.pack("<I", 19) + bytes(19 * 16), 0)  # > 18 caps
    bad_ip_type = struct.pack("<II", 0, 7) + bytes(16 + 12)
    with pytest.raises(sccp.SccpProtocolError):
        sccp.decode_message(0x22, bad_ip_type, 17)


def test_extra_trailing_bytes_are_ignored() -> None:
    payload = sccp.CallState(5, 1, 2).encode() + b"future"
    assert sccp.decode_message(0x111, payload, 17) == sccp.CallState(5, 1, 2)


def test_capabilities() -> None:
    caps = sccp.CapabilitiesRes(
        (sccp.Capability(sccp.MediaPayload.G711_ULAW_64K, 40), sccp.Capability(9, 40, 2))
    )
    payload = caps.encode()
    assert payload == struct.pack("<I", 2) + struct.pack("<IIII", 4, 40, 0, 0) + struct.pack(
        "<IIII", 9, 40, 2, 0
    )
    assert sccp.CapabilitiesRes.decode(payload) == caps
    # An empty list keeps one zeroed slot (tshark 4.0.17 rejects a bare capCount of 0).
    assert sccp.CapabilitiesRes().encode() == bytes(20)
    assert sccp.CapabilitiesRes.decode(bytes(4)) == sccp.CapabilitiesRes()


def test_button_template_slots() -> None:
    template = sccp.ButtonTemplate(
        0, 2, 2, (sccp.ButtonDefinition(1, sccp.ButtonType.LINE), sccp.ButtonDefinition(1, 2))
    )
    payload = template.encode()
    assert payload[:16] == struct.pack("<III", 0, 2, 2) + bytes([1, 9, 1, 2])
    assert payload[16:] == bytes(80)
    assert sccp.ButtonTemplate.decode(payload) == template


def test_define_time_date_at() -> None:
    moment = datetime(2024, 3, 10, 14, 5, 6, 789000, tzinfo=UTC)  # a Sunday
    message = sccp.DefineTimeDate.at(moment)
    assert message.encode() == struct.pack(
        "<9I", 2024, 3, 0, 10, 14, 5, 6, 789, int(moment.timestamp())
    )
