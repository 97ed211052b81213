"""SCCP from a client: the codec, the framing and the router's Station take any bytes.

The contract (`wire.sccp`): malformed input raises SccpProtocolError and nothing else, from
`decode_message` and from `SccpConnection.next_event`. What decodes is then fed to the
router's Station, which must answer (or ignore) every message a phone can send in any state,
with outputs the codec can frame: the service writes them with `SccpConnection.send`.
"""

from __future__ import annotations

import functools
import struct
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import trio
from conftest import Shell
from fuzz_support import CHUNKS, FUZZ, Quiet, chunked, fewer, mutated
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.router.telephony.station import Close, Station
from cucme_lab.wire import sccp
from cucme_lab.wire.sccp._fields import plan

VERSIONS = st.sampled_from([0, 5, 11, 15, 16, 17, 18, 20, 21, 22])
IDS = st.one_of(st.sampled_from(sorted(sccp.MESSAGE_TYPES)), st.integers(0, 0xFFFFFFFF))
MAC = "001122334455"


def _register(mac: str = MAC, ver: int = 20) -> sccp.Register:
    return sccp.Register(device_name=f"SEP{mac}", station_ip=IPv4Address("10.1.1.21"),
                         device_type=115, max_streams=5, active_streams=0, protocol_ver=ver,
                         unknown=0, phone_features=0x210, max_conferences=0,
                         active_conferences=0, mac_address=bytes.fromhex(mac),
                         ipv4_address_scope=0, max_number_of_lines=1)


# Seeds: every message of the catalogue framed at each layout, and a phone's Register.
SEEDS = [sccp.encode_frame(cls(), v) for cls in sccp.ALL_MESSAGES for v in (0, 17, 20)]
SEEDS += [sccp.encode_frame(_register(), 0)]
FRAMES = st.lists(st.one_of(mutated(SEEDS), st.sampled_from(SEEDS)), min_size=1, max_size=6)


def _width(cls: type[sccp.SccpMessage], version: int) -> int:
    return sum(size for _, _, size, _, _ in plan(cls, version))


@st.composite
def well_framed(draw: st.DrawFn) -> bytes:
    """A frame of a catalogue message whose payload has the layout's length (give or take a
    few bytes) and random contents: it gets past the framing to the field values."""
    cls = draw(st.sampled_from(sccp.ALL_MESSAGES))
    size = max(0, _width(cls, 0) + draw(st.sampled_from([0, 0, 0, -1, 1, 4])))
    payload = draw(st.binary(min_size=size, max_size=size))
    return struct.pack("<III", len(payload) + 4, 0, cls.MESSAGE_ID) + payload


SESSION = st.lists(st.one_of(well_framed(), well_framed(), st.sampled_from(SEEDS),
                             mutated(SEEDS)), min_size=1, max_size=10)


@FUZZ
@given(IDS, st.binary(max_size=sccp.MAX_LENGTH), VERSIONS)
def test_decode_message_raises_only_protocol_error(message_id: int, payload: bytes,
                                                   version: int) -> None:
    try:
        message = sccp.decode_message(message_id, payload, version)
    except sccp.SccpProtocolError:
        return
    assert isinstance(message, sccp.SccpMessage)


def _drain(conn: sccp.SccpConnection, pieces: list[bytes], eof: bool) -> None:
    for piece in [*pieces, b""] if eof else pieces:
        conn.feed(piece)
        while isinstance(conn.next_event(), sccp.SccpMessage):
            pass


@FUZZ
@given(st.sampled_from(sccp.Role), st.binary(max_size=3000), CHUNKS, st.booleans())
def test_connection_random_bytes_raise_only_protocol_error(role, data, sizes, eof) -> None:
    conn = sccp.SccpConnection(role)
    try:
        _drain(conn, chunked(data, sizes), eof)
    except sccp.SccpProtocolError:
        with pytest.raises(sccp.SccpProtocolError):  # and it stays failed
            conn.next_event()


@FUZZ
@given(st.sampled_from(sccp.Role), FRAMES, CHUNKS, st.booleans(), st.booleans())
def test_connection_mutated_frames_raise_only_protocol_error(role, frames, sizes, eof,
                                                             negotiate) -> None:
    conn = sccp.SccpConnection(role)
    if negotiate:  # the layouts of a negotiated version (V17 and above grow some fields)
        if role is sccp.Role.SERVER:
            conn.feed(sccp.encode_frame(_register(ver=20), 0))
            conn.next_event()
            conn.send(sccp.RegisterAck.for_version(conn.agreed_version))
        else:
            conn.send(_register(ver=17))
            conn.feed(sccp.encode_frame(sccp.RegisterAck.for_version(17), 0))
            conn.next_event()
    try:
        _drain(conn, chunked(b"".join(frames), sizes), eof)
    except sccp.SccpProtocolError:
        pass


# --- the router's side of a connection -------------------------------------------------------

CONFIG = """\
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
telephony-service
 ip source-address 10.1.1.1 port 2000
 max-ephones 8
 auto assign 1 to 2
ephone-dn 1
 number 1001
 name Alice
ephone-dn 2
 number 1002
ephone 1
 mac-address 0011.2233.4455
 type 7965
 button 1:1 2:2
do debug ephone detail
do debug ephone register
do debug ephone keepalive
"""


class _Link:
    """The service's handle as the registry sees it (Resets come back to the Station)."""

    def __init__(self) -> None:
        self.station: Station | None = None

    def send_reset(self, reset_type: int) -> None:
        assert self.station is not None
        self.station.reset(reset_type)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def cme(tmp_path_factory: pytest.TempPathFactory) -> Quiet:
    router = Router.open(Path(tmp_path_factory.mktemp("sccp")) / "lab", addresses=AddressPlan())
    out = trio.run(functools.partial(Shell(router).paste_config, CONFIG))
    assert "% " not in out, out
    return Quiet(router)


def _serve(router: Router, stream: bytes, sizes: list[int], register_first: bool) -> None:
    """What `services.sccp.PhoneConnection` does with a client's bytes, without the socket."""
    link = _Link()
    station = link.station = Station(router, link, "10.1.1.21", 40000)
    codec = sccp.SccpConnection(sccp.Role.SERVER, max_version=station.max_version)
    station.connection_made()
    pieces = chunked(stream, sizes)
    if register_first:
        pieces.insert(0, sccp.encode_frame(_register(), 0))
    try:
        for piece in [*pieces, b""]:
            codec.feed(piece)
            try:
                for event in codec.events():
                    for output in station.receive(event):
                        if isinstance(output, Close):
                            return
                        codec.send(output)  # the frame the service would write
            except sccp.SccpProtocolError as exc:
                station.bad_frame(exc.reason)
                return
        station.peer_closed()
    finally:
        station.closed()


@fewer(0.7)
@given(SESSION, CHUNKS, st.booleans())
def test_station_answers_any_message_sequence(cme: Quiet, frames, sizes, register_first):
    _serve(cme.value, b"".join(frames), sizes, register_first)
    assert not cme.value.phones.registrations  # a closed connection leaves no phone registered


@fewer(0.5)
@given(st.lists(st.tuples(st.sampled_from(sorted(sccp.MESSAGE_TYPES)),
                          st.binary(max_size=200)), max_size=8), st.booleans())
def test_station_answers_any_decodable_payload(cme: Quiet, messages, register_first) -> None:
    frames = b"".join(struct.pack("<III", len(p) + 4, 0, i) + p for i, p in messages)
    _serve(cme.value, frames, [4096], register_first)
    assert not cme.value.phones.registrations
