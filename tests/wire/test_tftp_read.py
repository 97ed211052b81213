"""The TFTP read machine with datagrams alone: options, blocks, errors, strays, size cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.wire.tftp import Ack, Data, ErrorCode, ErrorPacket, OptionAck, decode
from cucme_lab.wire.tftp_read import ReadTransfer, TransferError

SERVER = ("127.0.0.9", 69)
PEER = ("127.0.0.9", 40001)


def test_a_read_with_blksize_acks_the_option_then_each_block():
    t = ReadTransfer("CTLFile.tlv", blksize=1468)
    assert decode(t.request).options == {"blksize": "1468"}
    reply = t.receive(OptionAck({"blksize": "1468"}).encode(), PEER, SERVER)
    assert (decode(reply.send), reply.to, t.peer) == (Ack(0), PEER, PEER)
    reply = t.receive(Data(1, b"a" * 1468).encode(), PEER, SERVER)
    assert decode(reply.send) == Ack(1) and t.result is None
    reply = t.receive(Data(2, b"end").encode(), PEER, SERVER)
    assert decode(reply.send) == Ack(2) and t.result == b"a" * 1468 + b"end"


def test_a_duplicate_block_is_not_appended_twice():
    t = ReadTransfer("f")
    t.request  # noqa: B018 - the request is made before any answer
    t.receive(Data(1, b"x" * 512).encode(), PEER, SERVER)
    assert t.receive(Data(1, b"x" * 512).encode(), PEER, SERVER).send is None
    t.receive(Data(2, b"").encode(), PEER, SERVER)
    assert t.result == b"x" * 512


def test_the_servers_error_ends_the_read_with_its_code():
    t = ReadTransfer("SEP0000.cnf.xml.sgn")
    with pytest.raises(TransferError) as err:
        t.receive(ErrorPacket(ErrorCode.FILE_NOT_FOUND, "File not found").encode(), PEER, SERVER)
    assert err.value.code == ErrorCode.FILE_NOT_FOUND


def test_another_tid_gets_error_5_and_the_read_goes_on():
    t = ReadTransfer("f")
    t.receive(Data(1, b"x" * 512).encode(), PEER, SERVER)
    reply = t.receive(Data(2, b"evil").encode(), ("127.0.0.9", 40002), SERVER)
    assert decode(reply.send).code == ErrorCode.UNKNOWN_TID and reply.to == ("127.0.0.9", 40002)
    t.receive(Data(2, b"ok").encode(), PEER, SERVER)
    assert t.result == b"x" * 512 + b"ok"


def test_an_answer_from_another_host_is_ignored_before_the_server_answers():
    t = ReadTransfer("f")
    assert t.receive(Data(1, b"x").encode(), ("127.0.0.66", 69), SERVER).send is None
    assert t.peer is None and t.destination(SERVER) == SERVER


def test_a_file_that_never_ends_is_refused():
    t = ReadTransfer("f", max_size=1024)
    t.receive(Data(1, b"x" * 512).encode(), PEER, SERVER)
    t.receive(Data(2, b"x" * 512).encode(), PEER, SERVER)
    with pytest.raises(TransferError):
        t.receive(Data(3, b"x" * 512).encode(), PEER, SERVER)


@given(st.lists(st.binary(max_size=80), max_size=12))
def test_any_datagrams_give_a_reply_or_a_transfer_error(datagrams):
    t = ReadTransfer("f", blksize=1468)
    for data in datagrams:
        try:
            t.receive(data, PEER, SERVER)
        except TransferError:
            return
