"""TFTP datagrams and telnet bytes from a client.

- `wire.tftp.decode` raises TftpFormatError and nothing else.
- The TFTP server process (`services.tftp_worker`) answers any first datagram without
  raising (an exception would end its one thread, the whole server), and a transfer's
  machine (`wire.tftp_serve`) raises TftpFormatError and nothing else for what a client sends.
- `wire.telnet.TelnetCodec.receive` takes any bytes; what it answers is only IAC WONT/DONT
  option refusals, and the user data is the input with the commands taken out.
"""

from __future__ import annotations

import socket

import pytest
from fuzz_support import CHUNKS, FUZZ, chunked, mutated
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.services import tftp_worker
from cucme_lab.wire import telnet, tftp, tftp_serve

REQUESTS = [
    tftp.Request(tftp.Opcode.RRQ, "SEP001122334455.cnf.xml").encode(),
    tftp.Request(tftp.Opcode.RRQ, "CTLFile.tlv", "octet", {"blksize": "1428",
                                                           "tsize": "0"}).encode(),
    tftp.Request(tftp.Opcode.RRQ, "x", "netascii", {"timeout": "1"}).encode(),
    tftp.Request(tftp.Opcode.WRQ, "up.bin").encode(),
    tftp.Ack(1).encode(), tftp.Data(1, b"abc").encode(), tftp.ErrorPacket(1, "no").encode(),
    tftp.OptionAck({"blksize": "512"}).encode(),
]
NAMES = st.sampled_from(["SEP001122334455.cnf.xml", "../etc/passwd", "/etc/passwd", "a\\b",
                         "C:x", "a\x01b", "", ".", "a/../../b", "x" * 600, "\u00e9",
                         "CTLFile.tlv"])
OPTIONS = st.dictionaries(st.sampled_from(["blksize", "tsize", "timeout", "windowsize", "x"]),
                          st.sampled_from(["0", "1", "7", "8", "512", "65464", "65465", "-1",
                                           "", "abc", "9" * 5000]), max_size=4)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    opcode = draw(st.sampled_from([tftp.Opcode.RRQ, tftp.Opcode.WRQ]))
    mode = draw(st.sampled_from(["octet", "netascii", "mail", "OCTET", ""]))
    return tftp.Request(opcode, draw(NAMES), mode, draw(OPTIONS)).encode()


DATAGRAMS = st.one_of(st.binary(max_size=80), mutated(REQUESTS), requests())


@FUZZ
@given(DATAGRAMS)
def test_decode_raises_only_format_error(data: bytes) -> None:
    try:
        tftp.decode(data)
    except tftp.TftpFormatError:
        pass


@pytest.fixture(scope="module")
def server():
    """A server on loopback whose replies go to the fuzzed peer, a socket of our own that is
    drained now and then."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    tftp_worker._files = {"SEP001122334455.cnf.xml": b"<device/>" * 100, "CTLFile.tlv": b"c"}
    instance = tftp_worker.Server("127.0.0.1", 0)
    yield instance, sink
    for transfer in list(instance.transfers.values()):
        instance._end(transfer)
    instance.sock.close()
    sink.close()


@FUZZ
@given(DATAGRAMS)
def test_a_first_datagram_never_raises(server, capsys, data: bytes) -> None:
    instance, sink = server
    host, port = sink.getsockname()
    instance.first_datagram(data, host, port)
    for transfer in list(instance.transfers.values()):
        instance._end(transfer)
    assert not tftp_worker._live
    try:
        while True:
            sink.recv(65536)
    except BlockingIOError:
        pass
    capsys.readouterr()  # the worker's JSON reports to the router


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=40), mutated(REQUESTS),
                          st.builds(lambda b: tftp.Ack(b).encode(), st.integers(0, 70000))),
                max_size=8))
def test_a_transfer_raises_only_format_error(datagrams: list[bytes]) -> None:
    machine = tftp_serve.ServeTransfer(b"x" * 1500, 512, {"blksize": "512"})
    machine.start()
    for data in datagrams:
        try:
            machine.receive(data)
        except tftp.TftpFormatError:
            pass


# --- telnet --------------------------------------------------------------------------------------

IAC = telnet.IAC
TELNET_SEEDS = [telnet.GREETING, bytes([IAC, telnet.SB, telnet.NAWS, 0, 80, 0, 24, IAC,
                                        telnet.SE]),
                bytes([IAC, telnet.WILL, telnet.TTYPE, IAC, telnet.DO, 99, IAC, IAC, 65]),
                b"show clock\r\n"]


def _strip_commands(data: bytes) -> bytes:
    """What a client meant as data: an independent reading of RFC 854's escapes."""
    out = bytearray()
    state = "data"
    for b in data:
        if state == "data":
            if b == IAC:
                state = "iac"
            else:
                out.append(b)
        elif state == "iac":
            state = {IAC: "data", telnet.SB: "sb"}.get(b, "option" if b in (
                telnet.DO, telnet.DONT, telnet.WILL, telnet.WONT) else "data")
            if b == IAC:
                out.append(IAC)
        elif state == "option":
            state = "data"
        elif state == "sb":
            state = "sb-iac" if b == IAC else "sb"
        elif state == "sb-iac":
            state = "data" if b == telnet.SE else "sb"
    return bytes(out)


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(TELNET_SEEDS)), CHUNKS)
def test_telnet_codec_takes_any_bytes(data: bytes, sizes: list[int]) -> None:
    codec = telnet.TelnetCodec()
    user, reply = bytearray(), bytearray()
    for piece in chunked(data, sizes):
        u, r = codec.receive(piece)
        user += u
        reply += r
    assert bytes(user) == _strip_commands(data)
    for i in range(0, len(reply), 3):  # only refusals: IAC WONT x / IAC DONT x
        assert reply[i] == IAC and reply[i + 1] in (telnet.WONT, telnet.DONT)
    for event in codec.events:
        assert 0 <= event.width <= 0xFFFF and 0 <= event.height <= 0xFFFF


def test_a_long_subnegotiation_is_bounded() -> None:
    codec = telnet.TelnetCodec()
    codec.receive(bytes([IAC, telnet.SB]) + b"\x01" * 100_000)
    assert len(codec._sub) <= telnet.MAX_SUBNEGOTIATION
