"""RADIUS packets as the router sends and checks them (RFC 2865, 2866, 3579), sans I/O.

Access-Request with the User-Password hidden by the MD5 chain and a Message-Authenticator,
Accounting-Request (Start, Stop) with its Request Authenticator, and the checks on a reply:
its identifier, its length, its Response Authenticator and its Message-Authenticator. A reply
that fails any of them is dropped as RFC 2865 says (a wrong secret looks exactly like that).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field
from enum import IntEnum


class Code(IntEnum):
    ACCESS_REQUEST = 1
    ACCESS_ACCEPT = 2
    ACCESS_REJECT = 3
    ACCOUNTING_REQUEST = 4
    ACCOUNTING_RESPONSE = 5
    ACCESS_CHALLENGE = 11


class Attr(IntEnum):
    USER_NAME = 1
    USER_PASSWORD = 2
    NAS_IP_ADDRESS = 4
    NAS_PORT = 5
    SERVICE_TYPE = 6
    REPLY_MESSAGE = 18
    VENDOR_SPECIFIC = 26
    CALLING_STATION_ID = 31
    NAS_IDENTIFIER = 32
    ACCT_STATUS_TYPE = 40
    ACCT_SESSION_ID = 44
    ACCT_AUTHENTIC = 45
    ACCT_SESSION_TIME = 46
    NAS_PORT_TYPE = 61
    MESSAGE_AUTHENTICATOR = 80


ACCT_START, ACCT_STOP = 1, 2
SERVICE_LOGIN, SERVICE_ADMINISTRATIVE = 1, 6
NAS_PORT_VIRTUAL = 5
CISCO_VENDOR, CISCO_AVPAIR = 9, 1
MAX_PACKET = 4096


class RadiusError(ValueError):
    """A reply that is not a valid answer to our request (it is then ignored)."""


@dataclass
class Packet:
    code: int
    identifier: int
    authenticator: bytes
    attributes: list[tuple[int, bytes]] = field(default_factory=list)

    def get(self, attr: int) -> bytes | None:
        return next((v for t, v in self.attributes if t == attr), None)

    def _attr_bytes(self) -> bytes:
        out = bytearray()
        for t, v in self.attributes:
            if len(v) > 253:
                raise RadiusError(f"attribute {t} longer than 253 bytes")
            out += bytes([t, len(v) + 2]) + v
        return bytes(out)

    def pack(self) -> bytes:
        attrs = self._attr_bytes()
        return struct.pack("!BBH", self.code, self.identifier, 20 + len(attrs)) + \
            self.authenticator + attrs

    @classmethod
    def unpack(cls, data: bytes) -> Packet:
        if len(data) < 20:
            raise RadiusError("shorter than a RADIUS header")
        code, ident, length = struct.unpack_from("!BBH", data)
        if length < 20 or length > len(data) or length > MAX_PACKET:
            raise RadiusError(f"length field {length} for {len(data)} bytes")
        attrs, i = [], 20
        while i < length:
            if i + 2 > length or data[i + 1] < 2 or i + data[i + 1] > length:
                raise RadiusError("malformed attribute")
            attrs.append((data[i], data[i + 2:i + data[i + 1]]))
            i += data[i + 1]
        return cls(code, ident, data[4:20], attrs)

    def cisco_avpairs(self) -> dict[str, str]:
        """Cisco-AVPair values (`shell:priv-lvl=15`) by name."""
        out = {}
        for t, v in self.attributes:
            if t == Attr.VENDOR_SPECIFIC and len(v) > 6 and \
                    struct.unpack_from("!I", v)[0] == CISCO_VENDOR and v[4] == CISCO_AVPAIR:
                name, _, value = v[6:6 + v[5] - 2].decode("utf-8", "replace").partition("=")
                out[name] = value
        return out


def hide_password(password: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """RFC 2865 5.2: the padded password XORed with MD5(secret + previous block)."""
    padded = password + b"\0" * (-len(password) % 16 or (16 if not password else 0))
    out, last = bytearray(), authenticator
    for i in range(0, len(padded), 16):
        pad = hashlib.md5(secret + last).digest()
        block = bytes(a ^ b for a, b in zip(padded[i:i + 16], pad, strict=True))
        out += block
        last = block
    return bytes(out[:128])


def _with_message_authenticator(packet: Packet, secret: bytes) -> bytes:
    """RFC 3579 3.2: HMAC-MD5 over the packet with the attribute zeroed."""
    packet.attributes = [(t, v) for t, v in packet.attributes
                         if t != Attr.MESSAGE_AUTHENTICATOR]
    packet.attributes.append((Attr.MESSAGE_AUTHENTICATOR, b"\0" * 16))
    raw = packet.pack()
    mac = hmac.new(secret, raw, hashlib.md5).digest()
    packet.attributes[-1] = (Attr.MESSAGE_AUTHENTICATOR, mac)
    return raw[:-16] + mac


def access_request(identifier: int, secret: bytes, user: str, password: str,
                   nas_ip: str, extra: list[tuple[int, bytes]] = (),  # type: ignore[assignment]
                   authenticator: bytes | None = None) -> tuple[bytes, bytes]:
    """The Access-Request bytes and the Request Authenticator to check the reply with."""
    auth = authenticator or os.urandom(16)
    packet = Packet(Code.ACCESS_REQUEST, identifier, auth, [
        (Attr.USER_NAME, user.encode()[:253]),
        (Attr.USER_PASSWORD, hide_password(password.encode()[:128], secret, auth)),
        (Attr.SERVICE_TYPE, struct.pack("!I", SERVICE_LOGIN)),
        (Attr.NAS_IP_ADDRESS, bytes(int(o) for o in nas_ip.split("."))),
        *extra,
    ])
    return _with_message_authenticator(packet, secret), auth


def accounting_request(identifier: int, secret: bytes, status: int, session_id: str,
                       user: str, nas_ip: str, extra: list[tuple[int, bytes]] = ()  # type: ignore[assignment]
                       ) -> tuple[bytes, bytes]:
    """An Accounting-Request (RFC 2866 3) and its Request Authenticator."""
    packet = Packet(Code.ACCOUNTING_REQUEST, identifier, b"\0" * 16, [
        (Attr.ACCT_STATUS_TYPE, struct.pack("!I", status)),
        (Attr.ACCT_SESSION_ID, session_id.encode()),
        (Attr.USER_NAME, user.encode()[:253]),
        (Attr.ACCT_AUTHENTIC, struct.pack("!I", 1)),
        (Attr.NAS_IP_ADDRESS, bytes(int(o) for o in nas_ip.split("."))),
        *extra,
    ])
    raw = packet.pack()
    auth = hashlib.md5(raw + secret).digest()
    return raw[:4] + auth + raw[20:], auth


def check_reply(data: bytes, identifier: int, request_auth: bytes, secret: bytes) -> Packet:
    """The reply if it answers our request under our secret, else `RadiusError`."""
    packet = Packet.unpack(data)
    if packet.identifier != identifier:
        raise RadiusError("identifier does not match")
    length = struct.unpack_from("!H", data, 2)[0]
    expected = hashlib.md5(data[:4] + request_auth + data[20:length] + secret).digest()
    if not hmac.compare_digest(expected, packet.authenticator):
        raise RadiusError("bad Response Authenticator (wrong key?)")
    mac = packet.get(Attr.MESSAGE_AUTHENTICATOR)
    if mac is not None:
        zeroed = bytearray(data[:length])
        zeroed[4:20] = request_auth
        at = zeroed.find(bytes([Attr.MESSAGE_AUTHENTICATOR, 18]) + mac)
        zeroed[at + 2:at + 18] = b"\0" * 16
        if not hmac.compare_digest(hmac.new(secret, bytes(zeroed), hashlib.md5).digest(), mac):
            raise RadiusError("bad Message-Authenticator (wrong key?)")
    return packet
