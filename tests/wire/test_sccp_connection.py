"""SccpConnection: framing, streaming, version negotiation (§2) and malformed input."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cucme_lab.wire import sccp
from cucme_lab.wire.sccp import Role, SccpConnection


def drain(conn: SccpConnection) -> list[sccp.SccpMessage]:
    return list(conn.events())


def register_pair(phone_max: int, server_max: int) -> tuple[SccpConnection, SccpConnection]:
    """A phone and a server that have exchanged Register and RegisterAck."""
    phone = SccpConnection(Role.PHONE, max_version=phone_max)
    server = SccpConnection(Role.SERVER, max_version=server_max)
    server.feed(phone.send(sccp.Register(device_name="SEP001122334455", protocol_ver=phone_max)))
    (register,) = drain(server)
    assert isinstance(register, sccp.Register)
    phone.feed(server.send(sccp.RegisterAck.for_version(server.agreed_version)))
    (ack,) = drain(phone)
    assert isinstance(ack, sccp.RegisterAck)
    return phone, server


# ---- framing and streaming ----------------------------------------------------------------


def test_split_and_coalesced_frames() -> None:
    server = SccpConnection(Role.SERVER)
    messages = [sccp.KeepAlive(), sccp.LineStatReq(1), sccp.OffHook(1, 0), sccp.KeypadButton(5)]
    stream = b"".join(sccp.encode_frame(m) for m in messages)
    for byte in stream:  # one byte at a time
        server.feed(bytes([byte]))
    assert drain(server) == messages
    server.feed(stream + stream[:5])  # two batches in one read, plus a partial header
    assert drain(server) == messages
    assert server.next_event() is sccp.NEED_DATA
    server.feed(stream[5:])
    assert drain(server) == messages


def test_clean_and_unclean_end_of_stream() -> None:
    conn = SccpConnection(Role.PHONE)
    conn.feed(sccp.encode_frame(sccp.KeepAliveAck()))
    conn.feed(b"")
    assert conn.next_event() == sccp.KeepAliveAck()
    assert conn.next_event() is sccp.CONNECTION_CLOSED
    with pytest.raises(sccp.SccpUsageError):
        conn.feed(b"more")

    torn = SccpConnection(Role.PHONE)
    torn.feed(sccp.encode_frame(sccp.RegisterReject("Unknown device"))[:20])
    assert torn.next_event() is sccp.NEED_DATA
    torn.feed(b"")
    with pytest.raises(sccp.SccpProtocolError):
        torn.next_event()


@pytest.mark.parametrize("length", [0, 3, sccp.MAX_LENGTH + 1, 0xFFFFFFFF])
def test_bad_length_fails_before_the_body_arrives(length: int) -> None:
    conn = SccpConnection(Role.SERVER)
    conn.feed(struct.pack("<I", length))
    with pytest.raises(sccp.SccpProtocolError, match="frame length"):
        conn.next_event()
    with pytest.raises(sccp.SccpProtocolError, match="already failed"):
        conn.next_event()  # a failed connection stays failed


def test_largest_frame_is_accepted() -> None:
    conn = SccpConnection(Role.PHONE)
    conn.feed(struct.pack("<III", sccp.MAX_LENGTH, 0, 0x7777) + bytes(sccp.MAX_LENGTH - 4))
    assert conn.next_event() == sccp.UnknownMessage(0x7777, bytes(sccp.MAX_LENGTH - 4))
    with pytest.raises(ValueError):
        sccp.encode_frame(sccp.UnknownMessage(0x7777, bytes(sccp.MAX_LENGTH - 3)))


def test_unknown_header_version_is_rejected() -> None:
    conn = SccpConnection(Role.SERVER)
    conn.feed(struct.pack("<II", 4, 23))
    with pytest.raises(sccp.SccpProtocolError, match="headerVersion"):
        conn.next_event()


def test_unknown_message_id_passes_through() -> None:
    phone, server = register_pair(20, 17)
    relay = sccp.UnknownMessage(0x014A, b"dynamic call info")
    phone.feed(server.send(relay))
    assert drain(phone) == [relay]


def test_truncated_known_message_fails_the_connection() -> None:
    conn = SccpConnection(Role.PHONE)
    conn.feed(struct.pack("<III", 16, 0, 0x111) + bytes(12))  # the old 12-byte CallState
    with pytest.raises(sccp.SccpProtocolError, match="CallState"):
        conn.next_event()


# ---- version negotiation (§2) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone_max", "server_max", "agreed"),
    [(20, 17, 17), (15, 17, 15), (22, 22, 22), (5, 17, 5), (0, 17, 0), (17, 0, 0)],
)
def test_negotiated_version(phone_max: int, server_max: int, agreed: int) -> None:
    phone, server = register_pair(phone_max, server_max)
    assert phone.version == server.version == agreed
    assert server.peer_max_version == phone_max
    assert phone.peer_max_version == agreed


def test_negotiated_version_labels_and_lays_out_both_directions() -> None:
    phone, server = register_pair(20, 17)
    # Server to phone: version-dependent messages carry V17 and use the V17 layout.
    orc = sccp.OpenReceiveChannel(1, 2, source_ip=IPv4Address("127.0.0.1"), source_port=4000)
    frame = server.send(orc)
    assert struct.unpack_from("<III", frame) == (136, 17, 0x105)
    phone.feed(frame)
    assert drain(phone) == [orc]
    # Phone to server: the same version, so the 36-byte OpenReceiveChannelAck.
    ack = sccp.OpenReceiveChannelAck(0, IPv4Address("127.0.0.2"), 20000, 2, 9)
    frame = phone.send(ack)
    assert struct.unpack_from("<III", frame) == (40, 17, 0x22)
    server.feed(frame)
    assert drain(server) == [ack]
    # The three always-basic messages.
    assert server.send(sccp.KeepAliveAck())[4:8] == bytes(4)
    assert server.send(sccp.UnregisterAck())[4:8] == bytes(4)
    assert phone.send(sccp.KeepAlive())[4:8] == struct.pack("<I", 17)


def test_register_ack_is_basic_and_next_frame_in_same_read_uses_new_version() -> None:
    phone = SccpConnection(Role.PHONE, max_version=20)
    server = SccpConnection(Role.SERVER)
    register_frame = phone.send(sccp.Register(device_name="SEP0", protocol_ver=20))
    assert register_frame[4:8] == bytes(4)
    server.feed(register_frame)
    drain(server)
    burst = server.send(sccp.RegisterAck.for_version(17)) + server.send(
        sccp.DialedNumber("1002", 1, 7)
    )
    assert burst[4:8] == bytes(4) and burst[32 + 4 : 32 + 8] == struct.pack("<I", 17)
    phone.feed(burst)
    assert drain(phone) == [sccp.RegisterAck.for_version(17), sccp.DialedNumber("1002", 1, 7)]


def test_version_below_ten_is_sent_as_basic() -> None:
    phone, server = register_pair(5, 17)
    assert server.send(sccp.StopTone(1, 2))[4:8] == bytes(4)
    assert len(server.send(sccp.StopTone(1, 2))) == 12 + 8  # no tone field below V11


def test_short_register_negotiates_basic() -> None:
    server = SccpConnection(Role.SERVER)
    server.feed(sccp.encode_frame(sccp.Register.basic("SEP0")))
    (register,) = drain(server)
    assert register.protocol_ver is None
    assert server.agreed_version == 0


def test_received_header_version_does_not_override_negotiation() -> None:
    # chan-sccp decodes by the negotiated version; a frame mislabelled V20 on a V17
    # connection is still read with the V17 layout.
    phone, server = register_pair(20, 17)
    frame = bytearray(server.send(sccp.DialedNumber("1002", 1, 7)))
    frame[4:8] = struct.pack("<I", 20)
    phone.feed(bytes(frame))
    assert drain(phone) == [sccp.DialedNumber("1002", 1, 7)]


def test_server_cannot_ack_above_agreed_version() -> None:
    server = SccpConnection(Role.SERVER, max_version=17)
    with pytest.raises(sccp.SccpUsageError):
        _ = server.agreed_version  # nothing offered yet
    server.feed(sccp.encode_frame(sccp.Register(device_name="SEP0", protocol_ver=15)))
    drain(server)
    with pytest.raises(sccp.SccpUsageError):
        server.send(sccp.RegisterAck.for_version(16))
    assert server.version == 0


def test_phone_rejects_ack_above_its_offer() -> None:
    phone = SccpConnection(Role.PHONE, max_version=20)
    phone.send(sccp.Register(device_name="SEP0", protocol_ver=15))
    phone.feed(sccp.encode_frame(sccp.RegisterAck.for_version(17)))
    with pytest.raises(sccp.SccpProtocolError, match="above offered"):
        phone.next_event()


def test_phone_cannot_offer_above_its_maximum() -> None:
    phone = SccpConnection(Role.PHONE, max_version=17)
    with pytest.raises(sccp.SccpUsageError):
        phone.send(sccp.Register(device_name="SEP0", protocol_ver=20))
    with pytest.raises(ValueError):
        SccpConnection(Role.PHONE, max_version=23)


# ---- malformed input: only SccpProtocolError, never anything else -------------------------


def _negotiated(role: Role, version: int) -> SccpConnection:
    phone, server = register_pair(version, version)
    return phone if role is Role.PHONE else server


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    role=st.sampled_from(Role),
    version=st.sampled_from([0, 11, 16, 17, 18, 21, 22]),
    chunks=st.lists(st.binary(min_size=1, max_size=64), max_size=12),
    eof=st.booleans(),
)
def test_arbitrary_bytes_only_raise_protocol_error(
    role: Role, version: int, chunks: list[bytes], eof: bool
) -> None:
    conn = _negotiated(role, version)
    try:
        for chunk in [*chunks, b""] if eof else chunks:
            conn.feed(chunk)
            while isinstance(conn.next_event(), sccp.SccpMessage):
                pass
    except sccp.SccpProtocolError:
        pass


_KNOWN_IDS = sorted(sccp.MESSAGE_TYPES)


@st.composite
def plausible_frames(draw: st.DrawFn) -> bytes:
    """Well-framed garbage: valid header, a catalogue id, random payload of any size."""
    payload = draw(st.binary(max_size=200) | st.binary(min_size=700, max_size=900))
    message_id = draw(st.sampled_from(_KNOWN_IDS) | st.integers(0, 0xFFFFFFFF))
    header_version = draw(st.sampled_from([0, 11, 17, 22]))
    return struct.pack("<III", len(payload) + 4, header_version, message_id) + payload


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    role=st.sampled_from(Role),
    version=st.sampled_from([0, 11, 15, 16, 17, 18, 21, 22]),
    frames=st.lists(plausible_frames(), min_size=1, max_size=5),
)
def test_framed_garbage_only_raises_protocol_error(
    role: Role, version: int, frames: list[bytes]
) -> None:
    conn = _negotiated(role, version)
    conn.feed(b"".join(frames))
    try:
        while isinstance(conn.next_event(), sccp.SccpMessage):
            pass
    except sccp.SccpProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    message_id=st.sampled_from(_KNOWN_IDS),
    payload=st.binary(max_size=900),
    version=st.integers(0, 22),
)
def test_decode_message_only_raises_protocol_error(
    message_id: int, payload: bytes, version: int
) -> None:
    try:
        decoded = sccp.decode_message(message_id, payload, version)
    except sccp.SccpProtocolError:
        return
    # Whatever decoded re-encodes to a prefix-compatible payload of the same layout.
    assert decoded.message_id == message_id
