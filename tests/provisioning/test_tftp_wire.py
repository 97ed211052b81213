"""TFTP packets and the server's name guard, with bytes alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.router.provisioning.tftp_table import (
    TftpEntry,
    TftpTable,
    apply_delta,
    decode_files,
    encode_delta,
)
from cucme_lab.services.tftp_worker import bad_name
from cucme_lab.wire.tftp import (
    Ack,
    Data,
    ErrorCode,
    ErrorPacket,
    Opcode,
    OptionAck,
    Request,
    TftpFormatError,
    decode,
)


def test_packets_round_trip():
    rrq = Request(Opcode.RRQ, "CTLFile.tlv", "octet", {"blksize": "1468"})
    assert rrq.encode() == b"\x00\x01CTLFile.tlv\x00octet\x00blksize\x001468\x00"
    assert decode(rrq.encode()) == rrq
    assert decode(Data(7, b"abc").encode()) == Data(7, b"abc")
    assert decode(Ack(65535).encode()) == Ack(65535)
    assert ErrorPacket(ErrorCode.ACCESS_VIOLATION, "no").encode() == b"\x00\x05\x00\x02no\x00"
    assert decode(OptionAck({"blksize": "1468"}).encode()) == OptionAck({"blksize": "1468"})


@given(st.binary(max_size=64))
def test_decode_raises_only_its_own_error(data):
    try:
        decode(data)
    except TftpFormatError:
        pass


@pytest.mark.parametrize("name,refused", [
    ("CTLFile.tlv", False), ("Desktops/320x196x4/List.xml.sgn", False),
    ("../x", True), ("a/../../x", True), ("/etc/passwd", True), ("C:\\x", True),
    ("c:x", True), ("bad\x00name", True), ("..", True), ("a..b", False),
])
def test_server_name_guard(name, refused):
    assert (bad_name(name) is not None) == refused


def test_table_snapshots_are_immutable_and_encode_whole():
    table = TftpTable().with_group("cnf", [TftpEntry("a", b"1", "system:/its/a")])
    newer = table.with_group("ctl", [TftpEntry("a", b"2", "flash:a"),
                                     TftpEntry("CTLFile.tlv", b"c", "flash:CTLFile.tlv")])
    assert table.get("a") == b"1" and table.get("CTLFile.tlv") is None
    assert newer.get("a") == b"2"  # the CTL group is listed (and wins) first
    assert newer.version == table.version + 1
    with pytest.raises(TypeError):
        newer.files["x"] = newer.files["a"]  # type: ignore[index]
    assert decode_files(newer.encode()) == (newer.version, {"a": b"2", "CTLFile.tlv": b"c"})


def _entry(name: str, data: bytes) -> TftpEntry:
    return TftpEntry(name, data, "system:/its/" + name)


def test_replacing_files_keeps_their_places_and_the_shadowing_rule():
    table = TftpTable().with_group("cnf", [_entry("a", b"1"), _entry("b", b"1"),
                                           _entry("c", b"1")])
    table = table.with_group("ctl", [TftpEntry("c", b"ctl", "flash:c")])
    newer = table.with_replaced("cnf", [_entry("b", b"2"), _entry("c", b"2"), _entry("z", b"2")])
    assert [e.name for e in newer.groups["cnf"]] == ["a", "b", "c"]  # no `z`: not in the group
    assert newer.get("b") == b"2" and newer.get("a") == b"1"
    assert newer.get("c") == b"ctl"  # the CTL group's file still wins
    assert newer.find("cnf", "c").data == b"2" and newer.find("cnf", "z") is None
    assert table.get("b") == b"1" and newer.version == table.version + 1  # the old one stands
    again = newer.with_replaced("cnf", [_entry("a", b"3")])
    assert [e.data for e in again.groups["cnf"]] == [b"3", b"2", b"2"]


def test_a_delta_turns_the_servers_copy_into_the_new_table():
    first = TftpTable().with_group("cnf", [_entry("a", b"1"), _entry("b", b"1")])
    served = decode_files(first.encode())[1]
    second = first.with_replaced("cnf", [_entry("b", b"2")]).with_group(
        "bindings", [_entry("x", b"x")])
    third = second.with_group("cnf", [_entry("b", b"2")])  # `a` gone
    for old, new in ((first, second), (second, third)):
        version, served = apply_delta(served, encode_delta(old, new))
        assert (version, served) == decode_files(new.encode())
    # only what changed travels
    assert len(encode_delta(first, first.with_replaced("cnf", [_entry("b", b"2")]))) < 40


def _serve_to(reader, data: bytes, options: dict[str, str]) -> bytes:
    """The client's and the server's machines talking in memory, no socket."""
    from cucme_lab.wire.tftp_serve import ServeTransfer, negotiate

    request = decode(reader.request)
    granted = negotiate(request, len(data))
    assert granted.acknowledged == options
    server = ServeTransfer(data, granted.blksize, granted.acknowledged)
    datagram = server.start()
    while reader.result is None:
        reply = reader.receive(datagram, ("127.0.0.1", 6969), ("127.0.0.1", 69))
        datagram = server.receive(reply.send) if reply.send else None
        assert datagram is not None or server.done or reader.result is not None
    return reader.result


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 1468, 1469, 3 * 1468])
@pytest.mark.parametrize("blksize", [512, 1468])
def test_the_server_machine_serves_the_client_machine(size, blksize):
    from cucme_lab.wire.tftp_read import ReadTransfer

    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    options = {} if blksize == 512 else {"blksize": str(blksize)}
    assert _serve_to(ReadTransfer("f", blksize), data, options) == data


def test_the_server_machine_ignores_duplicates_and_stops_on_an_error():
    from cucme_lab.wire.tftp_serve import ServeTransfer, negotiate

    granted = negotiate(Request(Opcode.RRQ, "f", "octet", {"blksize": "99999", "tsize": "0",
                                                          "timeout": "0", "x": "1"}), 1000)
    assert granted.acknowledged == {"blksize": "65464", "tsize": "1000"}  # timeout 0: left out
    machine = ServeTransfer(b"a" * 1000, 512)
    assert decode(machine.start()) == Data(1, b"a" * 512)
    assert machine.receive(Ack(0).encode()) is None  # an old ACK: no second DATA 1
    assert decode(machine.receive(Ack(1).encode())) == Data(2, b"a" * 488)
    assert machine.receive(Ack(1).encode()) is None  # the Sorcerer's Apprentice stays away
    assert machine.receive(Ack(2).encode()) is None and machine.done
    other = ServeTransfer(b"b", 512)
    other.start()
    assert other.receive(ErrorPacket(0, "bye").encode()) is None and other.done
    with pytest.raises(TftpFormatError):
        ServeTransfer(b"c", 512).receive(Data(1, b"x").encode())
