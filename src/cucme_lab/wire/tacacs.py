"""TACACS+ (RFC 8907) packets and the client's side of one session, sans I/O.

Only what the router and the lab's server use: the 12-byte header, body obfuscation with the
MD5 pad, authentication START/REPLY/CONTINUE (ASCII login, PAP, enable) and accounting
REQUEST/REPLY. Single-connect is never offered (one session per TCP connection).
Authorization REQUEST/RESPONSE carry `aaa authorization exec` (the `priv-lvl` a server gives).

Anything malformed raises `TacacsError`; a wrong key shows up as a body whose lengths do not
add up, which is all a TACACS+ peer can tell of it.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

HEADER = struct.Struct("!BBBBII")
HEADER_LEN = HEADER.size  # 12
MAJOR = 0xC
MINOR_DEFAULT, MINOR_ONE = 0x0, 0x1
FLAG_UNENCRYPTED, FLAG_SINGLE_CONNECT = 0x01, 0x04
MAX_BODY = 64 * 1024  # far above anything either side sends; bigger is an attack


class PacketType(IntEnum):
    AUTHEN = 1
    AUTHOR = 2
    ACCT = 3


class AuthenAction(IntEnum):
    LOGIN = 1
    CHPASS = 2
    SENDAUTH = 4


class AuthenType(IntEnum):
    ASCII = 1
    PAP = 2
    CHAP = 3


class AuthenService(IntEnum):
    NONE = 0
    LOGIN = 1
    ENABLE = 2


class AuthenStatus(IntEnum):
    PASS = 1
    FAIL = 2
    GETDATA = 3
    GETUSER = 4
    GETPASS = 5
    RESTART = 6
    ERROR = 7
    FOLLOW = 0x21


class AcctStatus(IntEnum):
    SUCCESS = 1
    ERROR = 2
    FOLLOW = 0x21


class AuthorStatus(IntEnum):
    PASS_ADD = 0x01
    PASS_REPL = 0x02
    FAIL = 0x10
    ERROR = 0x11
    FOLLOW = 0x21


ACCT_FLAG_START, ACCT_FLAG_STOP, ACCT_FLAG_WATCHDOG = 0x02, 0x04, 0x08
AUTHEN_METH_TACACSPLUS = 0x06
REPLY_FLAG_NOECHO = 0x01
CONTINUE_FLAG_ABORT = 0x01


class TacacsError(ValueError):
    """A packet that cannot be what it claims (bad header, wrong key, bad lengths)."""


@dataclass(frozen=True)
class Header:
    type: PacketType
    seq_no: int
    session_id: int
    length: int
    flags: int = 0
    minor: int = MINOR_DEFAULT

    def pack(self) -> bytes:
        return HEADER.pack((MAJOR << 4) | self.minor, self.type, self.seq_no, self.flags,
                           self.session_id, self.length)

    @classmethod
    def unpack(cls, data: bytes) -> Header:
        if len(data) < HEADER_LEN:
            raise TacacsError("short header")
        version, ptype, seq, flags, session, length = HEADER.unpack_from(data)
        if version >> 4 != MAJOR or (version & 0xF) not in (MINOR_DEFAULT, MINOR_ONE):
            raise TacacsError(f"unknown version {version:#x}")
        if ptype not in (1, 2, 3):
            raise TacacsError(f"unknown packet type {ptype}")
        if length > MAX_BODY:
            raise TacacsError(f"body of {length} bytes")
        return cls(PacketType(ptype), seq, session, length, flags, version & 0xF)


def pseudo_pad(header: Header, key: bytes, length: int) -> bytes:
    """RFC 8907 4.5: MD5(session_id, key, version, seq_no[, previous hash]) chained."""
    prefix = struct.pack("!I", header.session_id) + key + \
        bytes([(MAJOR << 4) | header.minor, header.seq_no])
    pad, last = bytearray(), b""
    while len(pad) < length:
        last = hashlib.md5(prefix + last).digest()
        pad += last
    return bytes(pad[:length])


def obfuscate(header: Header, key: bytes, body: bytes) -> bytes:
    """XOR with the pad; the same operation both ways. No key: the body travels clear."""
    if not key or header.flags & FLAG_UNENCRYPTED:
        return body
    return bytes(a ^ b for a, b in zip(body, pseudo_pad(header, key, len(body)), strict=True))


def encode(ptype: PacketType, seq_no: int, session_id: int, body: bytes, key: bytes,
           minor: int = MINOR_DEFAULT) -> bytes:
    flags = 0 if key else FLAG_UNENCRYPTED
    header = Header(ptype, seq_no, session_id, len(body), flags, minor)
    return header.pack() + obfuscate(header, key, body)


def decode(packet: bytes, key: bytes) -> tuple[Header, bytes]:
    """One whole packet -> its header and clear body."""
    header = Header.unpack(packet)
    body = packet[HEADER_LEN:HEADER_LEN + header.length]
    if len(body) != header.length:
        raise TacacsError("short body")
    return header, obfuscate(header, key, body)


def _take(body: bytes, offset: int, lengths: list[int]) -> list[bytes]:
    out = []
    for n in lengths:
        out.append(body[offset:offset + n])
        offset += n
    if offset != len(body):
        raise TacacsError("body lengths do not add up (wrong key?)")
    return out


# --- authentication bodies -------------------------------------------------------------------

@dataclass(frozen=True)
class AuthenStart:
    action: int
    priv_lvl: int
    authen_type: int
    service: int
    user: bytes = b""
    port: bytes = b""
    rem_addr: bytes = b""
    data: bytes = b""

    def pack(self) -> bytes:
        return struct.pack("!8B", self.action, self.priv_lvl, self.authen_type, self.service,
                           len(self.user), len(self.port), len(self.rem_addr), len(self.data)
                           ) + self.user + self.port + self.rem_addr + self.data

    @classmethod
    def unpack(cls, body: bytes) -> AuthenStart:
        if len(body) < 8:
            raise TacacsError("short START")
        action, priv, atype, service, *lengths = struct.unpack_from("!8B", body)
        if action not in (1, 2, 4) or priv > 15 or atype not in range(1, 7):
            raise TacacsError("START fields out of range (wrong key?)")
        return cls(action, priv, atype, service, *_take(body, 8, lengths))


@dataclass(frozen=True)
class AuthenReply:
    status: int
    flags: int = 0
    server_msg: bytes = b""
    data: bytes = b""

    def pack(self) -> bytes:
        return struct.pack("!BBHH", self.status, self.flags, len(self.server_msg),
                           len(self.data)) + self.server_msg + self.data

    @classmethod
    def unpack(cls, body: bytes) -> AuthenReply:
        if len(body) < 6:
            raise TacacsError("short REPLY")
        status, flags, msg_len, data_len = struct.unpack_from("!BBHH", body)
        if status not in {s.value for s in AuthenStatus}:
            raise TacacsError(f"REPLY status {status} (wrong key?)")
        return cls(status, flags, *_take(body, 6, [msg_len, data_len]))


@dataclass(frozen=True)
class AuthenContinue:
    user_msg: bytes = b""
    data: bytes = b""
    flags: int = 0

    def pack(self) -> bytes:
        return struct.pack("!HHB", len(self.user_msg), len(self.data), self.flags) + \
            self.user_msg + self.data

    @classmethod
    def unpack(cls, body: bytes) -> AuthenContinue:
        if len(body) < 5:
            raise TacacsError("short CONTINUE")
        msg_len, data_len, flags = struct.unpack_from("!HHB", body)
        msg, data = _take(body, 5, [msg_len, data_len])
        return cls(msg, data, flags)


# --- accounting and authorization REQUESTs ----------------------------------------------------

class _Request(Protocol):
    priv_lvl: int
    user: bytes
    port: bytes
    rem_addr: bytes
    args: tuple[bytes, ...]
    authen_method: int
    authen_type: int
    service: int


def _pack_request(r: _Request, what: str) -> bytes:
    """The body an authorization REQUEST is and an accounting REQUEST has after its flags."""
    if len(r.args) > 255 or any(len(a) > 255 for a in r.args):
        raise TacacsError(f"too many or too long {what} arguments")
    return struct.pack("!8B", r.authen_method, r.priv_lvl, r.authen_type, r.service,
                       len(r.user), len(r.port), len(r.rem_addr), len(r.args)) + \
        bytes(len(a) for a in r.args) + r.user + r.port + r.rem_addr + b"".join(r.args)


def _unpack_request(body: bytes, what: str) -> tuple:
    """`_pack_request`'s fields back, in the order the request classes take them after
    their own: priv_lvl, user, port, rem_addr, args, authen_method, authen_type, service."""
    if len(body) < 8:
        raise TacacsError(f"short {what} REQUEST")
    method, priv, atype, service, ulen, plen, rlen, count = struct.unpack_from("!8B", body)
    if priv > 15 or len(body) < 8 + count:
        raise TacacsError(f"{what} fields out of range (wrong key?)")
    user, port, rem, *args = _take(body, 8 + count,
                                   [ulen, plen, rlen, *list(body[8:8 + count])])
    return priv, user, port, rem, tuple(args), method, atype, service


# --- accounting bodies -----------------------------------------------------------------------

@dataclass(frozen=True)
class AcctRequest:
    flags: int
    priv_lvl: int
    user: bytes = b""
    port: bytes = b""
    rem_addr: bytes = b""
    args: tuple[bytes, ...] = ()
    authen_method: int = AUTHEN_METH_TACACSPLUS
    authen_type: int = AuthenType.ASCII
    service: int = AuthenService.LOGIN

    def pack(self) -> bytes:
        return bytes([self.flags]) + _pack_request(self, "accounting")

    @classmethod
    def unpack(cls, body: bytes) -> AcctRequest:
        if len(body) < 9:
            raise TacacsError("short accounting REQUEST")
        flags = body[0]
        if not flags & (ACCT_FLAG_START | ACCT_FLAG_STOP | ACCT_FLAG_WATCHDOG):
            raise TacacsError("accounting flags out of range (wrong key?)")
        return cls(flags, *_unpack_request(body[1:], "accounting"))

    def attributes(self) -> dict[str, str]:
        """`name=value` arguments as a dict (the last one wins)."""
        out = {}
        for arg in self.args:
            text = arg.decode("utf-8", "replace")
            name, sep, value = text.partition("=")
            if not sep:
                name, _, value = text.partition("*")
            out[name] = value
        return out


@dataclass(frozen=True)
class AcctReply:
    status: int
    server_msg: bytes = b""
    data: bytes = b""

    def pack(self) -> bytes:
        return struct.pack("!HHB", len(self.server_msg), len(self.data), self.status) + \
            self.server_msg + self.data

    @classmethod
    def unpack(cls, body: bytes) -> AcctReply:
        if len(body) < 5:
            raise TacacsError("short accounting REPLY")
        msg_len, data_len, status = struct.unpack_from("!HHB", body)
        if status not in {s.value for s in AcctStatus}:
            raise TacacsError(f"accounting status {status} (wrong key?)")
        msg, data = _take(body, 5, [msg_len, data_len])
        return cls(status, msg, data)


# --- authorization bodies --------------------------------------------------------------------

def _arguments(text: tuple[bytes, ...]) -> dict[str, str]:
    out = {}
    for arg in text:
        decoded = arg.decode("utf-8", "replace")
        cut = min((i for i in (decoded.find("="), decoded.find("*")) if i >= 0), default=-1)
        if cut >= 0:
            out[decoded[:cut]] = decoded[cut + 1:]
    return out


@dataclass(frozen=True)
class AuthorRequest:
    priv_lvl: int
    user: bytes = b""
    port: bytes = b""
    rem_addr: bytes = b""
    args: tuple[bytes, ...] = ()
    authen_method: int = AUTHEN_METH_TACACSPLUS
    authen_type: int = AuthenType.ASCII
    service: int = AuthenService.LOGIN

    def pack(self) -> bytes:
        return _pack_request(self, "authorization")

    @classmethod
    def unpack(cls, body: bytes) -> AuthorRequest:
        return cls(*_unpack_request(body, "authorization"))

    def attributes(self) -> dict[str, str]:
        return _arguments(self.args)


@dataclass(frozen=True)
class AuthorResponse:
    status: int
    args: tuple[bytes, ...] = ()
    server_msg: bytes = b""
    data: bytes = b""

    def pack(self) -> bytes:
        return struct.pack("!BBHH", self.status, len(self.args), len(self.server_msg),
                           len(self.data)) + bytes(len(a) for a in self.args) + \
            self.server_msg + self.data + b"".join(self.args)

    @classmethod
    def unpack(cls, body: bytes) -> AuthorResponse:
        if len(body) < 6:
            raise TacacsError("short authorization RESPONSE")
        status, count, msg_len, data_len = struct.unpack_from("!BBHH", body)
        if status not in {s.value for s in AuthorStatus} or len(body) < 6 + count:
            raise TacacsError(f"authorization status {status} (wrong key?)")
        msg, data, *args = _take(body, 6 + count, [msg_len, data_len, *list(body[6:6 + count])])
        return cls(status, tuple(args), msg, data)

    def attributes(self) -> dict[str, str]:
        return _arguments(self.args)


# --- framing ---------------------------------------------------------------------------------

@dataclass
class Framer:
    """Cuts whole packets out of a TCP byte stream."""

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        packets = []
        while len(self.buffer) >= HEADER_LEN:
            header = Header.unpack(bytes(self.buffer[:HEADER_LEN]))
            total = HEADER_LEN + header.length
            if len(self.buffer) < total:
                break
            packets.append(bytes(self.buffer[:total]))
            del self.buffer[:total]
        return packets


# --- the client's side of one session --------------------------------------------------------

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


@dataclass
class ClientSession:
    """One authentication or accounting exchange as the router runs it.

    `start_*` returns the first packet; `receive(bytes)` returns the packets to send next;
    `outcome` is set (PASS, FAIL or ERROR) once the exchange is over, with `reason` saying why
    for ERROR. A wrong key, a malformed reply or an out-of-order one is ERROR, never an
    exception.
    """

    key: bytes
    session_id: int
    outcome: str | None = None
    reason: str = ""
    server_msg: str = ""
    granted: dict[str, str] = field(default_factory=dict)  # authorization's arguments
    _kind: PacketType = PacketType.AUTHEN
    _minor: int = MINOR_DEFAULT
    _seq: int = 1
    _user: bytes = b""
    _password: bytes = b""
    _framer: Framer = field(default_factory=Framer)

    def _packet(self, body: bytes) -> bytes:
        return encode(self._kind, self._seq, self.session_id, body, self.key, self._minor)

    def start_login(self, user: str, password: str, *, port: str = "", rem_addr: str = "",
                    pap: bool = False, enable: bool = False, priv_lvl: int = 1) -> bytes:
        """ASCII login (or PAP; or the enable password when `enable`)."""
        self._kind = PacketType.AUTHEN
        self._user, self._password = user.encode(), password.encode()
        self._minor = MINOR_ONE if pap else MINOR_DEFAULT
        start = AuthenStart(
            AuthenAction.LOGIN, 15 if enable else priv_lvl,
            AuthenType.PAP if pap else AuthenType.ASCII,
            AuthenService.ENABLE if enable else AuthenService.LOGIN,
            self._user, port.encode(), rem_addr.encode(), self._password if pap else b"")
        return self._packet(start.pack())

    def start_authorization(self, request: AuthorRequest) -> bytes:
        self._kind = PacketType.AUTHOR
        self._minor = MINOR_DEFAULT
        return self._packet(request.pack())

    def start_accounting(self, request: AcctRequest) -> bytes:
        self._kind = PacketType.ACCT
        self._minor = MINOR_DEFAULT
        return self._packet(request.pack())

    def _end(self, outcome: str, reason: str = "") -> list[bytes]:
        self.outcome, self.reason = outcome, reason
        return []

    def receive(self, data: bytes) -> list[bytes]:
        if self.outcome is not None:
            return []
        try:
            packets = self._framer.feed(data)
        except TacacsError as exc:
            return self._end(ERROR, str(exc))
        out: list[bytes] = []
        for packet in packets:
            out += self._one(packet)
            if self.outcome is not None:
                break
        return out

    def connection_lost(self) -> None:
        if self.outcome is None:
            self._end(ERROR, "the server closed the connection")

    def _one(self, packet: bytes) -> list[bytes]:
        try:
            header, body = decode(packet, self.key)
            if header.session_id != self.session_id or header.seq_no != self._seq + 1:
                return self._end(ERROR, "reply out of sequence")
            if header.type != self._kind:
                return self._end(ERROR, "reply of another packet type")
            if header.type is PacketType.AUTHOR:
                answer = AuthorResponse.unpack(body)
                self.server_msg = answer.server_msg.decode("utf-8", "replace")
                if answer.status in (AuthorStatus.PASS_ADD, AuthorStatus.PASS_REPL):
                    self.granted = answer.attributes()
                    return self._end(PASS)
                if answer.status == AuthorStatus.FAIL:
                    return self._end(FAIL)
                return self._end(ERROR, f"authorization status {answer.status:#x}")
            if header.type is PacketType.ACCT:
                reply = AcctReply.unpack(body)
                self.server_msg = reply.server_msg.decode("utf-8", "replace")
                return self._end(PASS if reply.status == AcctStatus.SUCCESS else ERROR,
                                 "" if reply.status == AcctStatus.SUCCESS else
                                 "the server refused the accounting record")
            reply = AuthenReply.unpack(body)
        except TacacsError as exc:
            return self._end(ERROR, str(exc))
        self.server_msg = reply.server_msg.decode("utf-8", "replace")
        if reply.status == AuthenStatus.PASS:
            return self._end(PASS)
        if reply.status == AuthenStatus.FAIL:
            return self._end(FAIL)
        answer = {AuthenStatus.GETUSER: self._user, AuthenStatus.GETPASS: self._password,
                  AuthenStatus.GETDATA: self._password}.get(AuthenStatus(reply.status))
        if answer is None or self._seq >= 253:
            return self._end(ERROR, f"server answered {AuthenStatus(reply.status).name}")
        self._seq += 2
        return [self._packet(AuthenContinue(answer).pack())]
