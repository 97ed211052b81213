"""TACACS+ (RFC 8907) packets and sessions with bytes alone: the router's client machine
against the lab server's machine, the MD5 pad, a wrong key, and garbage."""

from __future__ import annotations

import hashlib
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire import tacacs
from cucme_lab.wire.tacacs_server import ServerConnection


class Directory:
    def check_login(self, user: str, password: str) -> bool:
        return (user, password) == ("alice", "wonder")

    def check_enable(self, user: str, password: str) -> bool:
        return password == "enab"

    def authorize(self, user: str, args: dict[str, str]) -> list[str] | None:
        return ["priv-lvl=15"] if user == "alice" and args.get("service") == "shell" else None


def converse(client: tacacs.ClientSession, server: ServerConnection, first: bytes) -> None:
    out = [first]
    while out and client.outcome is None:
        replies = b"".join(server.receive(b"".join(out)))
        if not replies:
            client.connection_lost()
            break
        out = client.receive(replies)


def test_the_pad_is_the_chained_md5_of_rfc_8907():
    header = tacacs.Header(tacacs.PacketType.AUTHEN, 1, 0x01020304, 20)
    first = hashlib.md5(b"\x01\x02\x03\x04" + b"key" + b"\xc0\x01").digest()
    second = hashlib.md5(b"\x01\x02\x03\x04" + b"key" + b"\xc0\x01" + first).digest()
    assert tacacs.pseudo_pad(header, b"key", 20) == (first + second)[:20]


def test_a_start_packet_has_the_12_byte_header_and_an_obfuscated_body():
    client = tacacs.ClientSession(b"xyz", 0xCAFE0001)
    packet = client.start_login("alice", "wonder", port="tty2", rem_addr="10.1.1.50")
    version, ptype, seq, flags, session, length = struct.unpack("!BBBBII", packet[:12])
    assert (version, ptype, seq, flags, session) == (0xC0, 1, 1, 0, 0xCAFE0001)
    assert length == len(packet) - 12 == 8 + len(b"alice" + b"tty2" + b"10.1.1.50")
    assert b"alice" not in packet  # the body is hidden by the pad
    header, body = tacacs.decode(packet, b"xyz")
    start = tacacs.AuthenStart.unpack(body)
    assert (start.user, start.port, start.rem_addr, start.authen_type) == \
        (b"alice", b"tty2", b"10.1.1.50", tacacs.AuthenType.ASCII)


def test_ascii_login_pass_and_fail_and_pap():
    for password, outcome, pap in (("wonder", "PASS", False), ("nope", "FAIL", False),
                                   ("wonder", "PASS", True), ("nope", "FAIL", True)):
        client = tacacs.ClientSession(b"xyz", 7)
        server = ServerConnection(b"xyz", Directory())
        converse(client, server, client.start_login("alice", password, pap=pap))
        assert client.outcome == outcome


def test_enable_authentication_asks_for_the_enable_password():
    for password, outcome in (("enab", "PASS"), ("wonder", "FAIL")):
        client = tacacs.ClientSession(b"xyz", 9)
        server = ServerConnection(b"xyz", Directory())
        converse(client, server, client.start_login("alice", password, enable=True))
        assert client.outcome == outcome


def test_a_wrong_key_is_an_error_never_a_pass_or_fail():
    client = tacacs.ClientSession(b"wrong", 11)
    server = ServerConnection(b"xyz", Directory())
    converse(client, server, client.start_login("alice", "wonder"))
    assert client.outcome == "ERROR" and server.closed


def test_accounting_start_and_stop_reach_the_server_with_their_arguments():
    records = []
    for flag in (tacacs.ACCT_FLAG_START, tacacs.ACCT_FLAG_STOP):
        client = tacacs.ClientSession(b"xyz", 13)
        server = ServerConnection(b"xyz", Directory(), records.append)
        request = tacacs.AcctRequest(flag, 15, b"alice", b"tty2", b"10.1.1.50",
                                     (b"task_id=5", b"service=shell", b"cmd=show version <cr>"))
        converse(client, server, client.start_accounting(request))
        assert client.outcome == "PASS"
    assert [r.flags for r in records] == [tacacs.ACCT_FLAG_START, tacacs.ACCT_FLAG_STOP]
    assert records[0].attributes()["cmd"] == "show version <cr>"


def test_exec_authorization_gives_the_level_or_fails():
    for user, outcome in (("alice", "PASS"), ("mallory", "FAIL")):
        client = tacacs.ClientSession(b"xyz", 21)
        server = ServerConnection(b"xyz", Directory())
        request = tacacs.AuthorRequest(1, user.encode(), b"tty2", b"10.1.1.50",
                                       (b"service=shell", b"cmd*"))
        converse(client, server, client.start_authorization(request))
        assert client.outcome == outcome
        assert client.granted == ({"priv-lvl": "15"} if outcome == "PASS" else {})


def test_a_reply_out_of_sequence_is_an_error():
    client = tacacs.ClientSession(b"xyz", 15)
    client.start_login("alice", "wonder")
    bad = tacacs.encode(tacacs.PacketType.AUTHEN, 4, 15,
                        tacacs.AuthenReply(tacacs.AuthenStatus.PASS).pack(), b"xyz")
    assert client.receive(bad) == [] and client.outcome == "ERROR"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_raises_from_either_machine(data):
    client = tacacs.ClientSession(b"xyz", 17)
    client.start_login("alice", "wonder")
    client.receive(data)
    assert client.outcome in (None, "ERROR", "PASS", "FAIL")
    server = ServerConnection(b"xyz", Directory())
    server.receive(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=64))
def test_a_reply_under_another_key_is_never_a_pass(key):
    if key == b"xyz":
        return
    client = tacacs.ClientSession(b"xyz", 19)
    client.start_login("alice", "wonder")
    reply = tacacs.encode(tacacs.PacketType.AUTHEN, 2, 19,
                          tacacs.AuthenReply(tacacs.AuthenStatus.PASS).pack(), key)
    client.receive(reply)
    # a PASS would need the other key's pad to turn six bytes into 01 xx 00 00 00 00 under
    # ours (odds 2**-40): the lengths stop adding up and the reply is an error
    assert client.outcome == "ERROR"
