"""The server's side of TACACS+ sessions on one connection, sans I/O (RFC 8907).

The lab's TACACS+ server feeds it bytes and writes what it returns. It asks its `Directory`
whether a user's login or enable password is right and hands it each accounting record. A
packet it cannot decode (wrong key, garbage) ends the connection, as tac_plus does: the
caller closes when `closed` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cucme_lab.wire.tacacs import (
    AcctReply,
    AcctRequest,
    AcctStatus,
    AuthenContinue,
    AuthenReply,
    AuthenService,
    AuthenStart,
    AuthenStatus,
    AuthenType,
    AuthorRequest,
    AuthorResponse,
    AuthorStatus,
    Framer,
    PacketType,
    TacacsError,
    decode,
    encode,
)


class Directory(Protocol):
    def check_login(self, user: str, password: str) -> bool: ...

    def check_enable(self, user: str, password: str) -> bool: ...

    def authorize(self, user: str, args: dict[str, str]) -> list[str] | None:
        """The arguments to give (`priv-lvl=15`), or None to refuse."""
        ...


@dataclass
class _Pending:
    sid: int
    start: AuthenStart
    user: str
    minor: int
    seq: int


@dataclass
class ServerConnection:
    key: bytes
    directory: Directory
    on_accounting: Callable[[AcctRequest], None] = lambda _r: None
    on_error: Callable[[str], None] = lambda _why: None
    closed: bool = False
    _framer: Framer = field(default_factory=Framer)
    _sessions: dict[int, _Pending] = field(default_factory=dict)

    def receive(self, data: bytes) -> list[bytes]:
        if self.closed:
            return []
        out: list[bytes] = []
        try:
            for packet in self._framer.feed(data):
                out += self._one(packet)
        except TacacsError as exc:
            self.on_error(str(exc))
            self.closed = True
        return out

    def _reply(self, session: int, seq: int, minor: int, ptype: PacketType, body: bytes
               ) -> bytes:
        return encode(ptype, seq + 1, session, body, self.key, minor)

    def _one(self, packet: bytes) -> list[bytes]:
        header, body = decode(packet, self.key)
        if header.seq_no % 2 != 1:
            raise TacacsError("a client packet with an even sequence number")
        sid, seq, minor = header.session_id, header.seq_no, header.minor
        if header.type is PacketType.ACCT:
            request = AcctRequest.unpack(body)
            self.on_accounting(request)
            return [self._reply(sid, seq, minor, header.type,
                                AcctReply(AcctStatus.SUCCESS).pack())]
        if header.type is PacketType.AUTHOR:
            request = AuthorRequest.unpack(body)
            granted = self.directory.authorize(request.user.decode("utf-8", "replace"),
                                               request.attributes())
            answer = AuthorResponse(AuthorStatus.FAIL) if granted is None else \
                AuthorResponse(AuthorStatus.PASS_ADD, tuple(a.encode() for a in granted))
            return [self._reply(sid, seq, minor, header.type, answer.pack())]
        pending = self._sessions.get(sid)
        if seq == 1:
            start = AuthenStart.unpack(body)
            pending = _Pending(sid, start, start.user.decode("utf-8", "replace"), minor, seq)
            self._sessions[sid] = pending
            if start.authen_type == AuthenType.PAP:
                return self._finish(pending, start.data.decode("utf-8", "replace"))
            if start.authen_type != AuthenType.ASCII:
                return self._status(pending, AuthenStatus.ERROR, b"unsupported type")
            if not pending.user:
                return self._status(pending, AuthenStatus.GETUSER, b"Username: ")
            return self._ask_password(pending)
        if pending is None or seq != pending.seq + 2:
            raise TacacsError("CONTINUE out of sequence")
        pending.seq = seq
        cont = AuthenContinue.unpack(body)
        if cont.flags & 0x01:
            self._sessions.pop(sid, None)
            return []
        answer = (cont.user_msg or cont.data).decode("utf-8", "replace")  # RFC 8907 5.3: user_msg
        if not pending.user:
            pending.user = answer
            return self._ask_password(pending)
        return self._finish(pending, answer)

    def _ask_password(self, pending: _Pending) -> list[bytes]:
        return self._status(pending, AuthenStatus.GETPASS, b"Password: ", flags=0x01)

    def _finish(self, pending: _Pending, password: str) -> list[bytes]:
        if pending.start.service == AuthenService.ENABLE:
            ok = self.directory.check_enable(pending.user, password)
        else:
            ok = self.directory.check_login(pending.user, password)
        status = AuthenStatus.PASS if ok else AuthenStatus.FAIL
        self._sessions.pop(pending.sid, None)
        return self._status(pending, status, b"")

    def _status(self, pending: _Pending, status: AuthenStatus, msg: bytes, flags: int = 0
                ) -> list[bytes]:
        return [self._reply(pending.sid, pending.seq, pending.minor, PacketType.AUTHEN,
                            AuthenReply(status, flags, msg).pack())]
