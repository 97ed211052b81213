"""RADIUS packets with bytes alone: RFC 2865's own example, reply checks, wrong secrets."""

from __future__ import annotations

import hashlib
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire import radius

RFC_AUTH = bytes.fromhex("0f403f9473978057bd83d5cb98f4227a")


def test_user_password_hiding_matches_rfc_2865_section_7_1():
    hidden = radius.hide_password(b"arctangent", b"xyzzy5461", RFC_AUTH)
    assert hidden == bytes.fromhex("0dbe708d93d413ce3196e43f782a0aee")


def reply_for(request: bytes, request_auth: bytes, code: int, secret: bytes,
              attrs: bytes = b"") -> bytes:
    head = struct.pack("!BBH", code, request[1], 20 + len(attrs))
    return head + hashlib.md5(head + request_auth + attrs + secret).digest() + attrs


def test_an_accept_under_our_secret_is_checked_and_read():
    request, auth = radius.access_request(7, b"s3cret", "alice", "pw", "10.1.1.1")
    avpair = b"shell:priv-lvl=15"
    vsa = struct.pack("!IBB", 9, 1, len(avpair) + 2) + avpair
    attrs = bytes([26, len(vsa) + 2]) + vsa
    reply = radius.check_reply(reply_for(request, auth, 2, b"s3cret", attrs), 7, auth,
                               b"s3cret")
    assert reply.code == radius.Code.ACCESS_ACCEPT
    assert reply.cisco_avpairs() == {"shell:priv-lvl": "15"}


def test_a_reply_under_another_secret_or_identifier_is_refused():
    request, auth = radius.access_request(7, b"s3cret", "alice", "pw", "10.1.1.1")
    for data, ident in ((reply_for(request, auth, 2, b"other"), 7),
                        (reply_for(request, auth, 2, b"s3cret"), 8)):
        try:
            radius.check_reply(data, ident, auth, b"s3cret")
        except radius.RadiusError:
            continue
        raise AssertionError("accepted a reply it must refuse")


def test_accounting_request_authenticator_is_md5_over_zeroes_and_secret():
    packet, auth = radius.accounting_request(3, b"k", radius.ACCT_START, "00000001", "bob",
                                             "10.1.1.1")
    zeroed = packet[:4] + b"\0" * 16 + packet[20:]
    assert auth == packet[4:20] == hashlib.md5(zeroed + b"k").digest()
    parsed = radius.Packet.unpack(packet)
    assert parsed.get(radius.Attr.ACCT_STATUS_TYPE) == struct.pack("!I", 1)


def test_the_access_request_carries_a_valid_message_authenticator():
    import hmac

    request, auth = radius.access_request(1, b"k", "u", "p", "10.1.1.1")
    parsed = radius.Packet.unpack(request)
    mac = parsed.get(radius.Attr.MESSAGE_AUTHENTICATOR)
    zeroed = request.replace(mac, b"\0" * 16)
    assert hmac.new(b"k", zeroed, hashlib.md5).digest() == mac


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_replies_raise_only_radius_error(data):
    try:
        radius.check_reply(data, 1, RFC_AUTH, b"k")
    except radius.RadiusError:
        pass
