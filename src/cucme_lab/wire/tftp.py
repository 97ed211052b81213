"""TFTP packets (RFC 1350, with the option extension of RFC 2347/2348): bytes in, bytes out.

Only what the lab's own client needs: building RRQ/WRQ/ACK/DATA/ERROR and reading any packet.
The router's server (`services/tftp_worker.py`) serves reads with `wire/tftp_serve.py`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

__all__ = [
    "Ack",
    "Data",
    "ErrorCode",
    "ErrorPacket",
    "OptionAck",
    "Opcode",
    "Request",
    "TftpFormatError",
    "decode",
]


class Opcode(IntEnum):
    RRQ = 1
    WRQ = 2
    DATA = 3
    ACK = 4
    ERROR = 5
    OACK = 6


class ErrorCode(IntEnum):
    """RFC 1350 error codes (8 is RFC 2347's option refusal)."""

    NOT_DEFINED = 0
    FILE_NOT_FOUND = 1
    ACCESS_VIOLATION = 2
    DISK_FULL = 3
    ILLEGAL_OPERATION = 4
    UNKNOWN_TID = 5
    FILE_EXISTS = 6
    NO_SUCH_USER = 7
    OPTION_REFUSED = 8


class TftpFormatError(ValueError):
    """Bytes that are not a TFTP packet."""


@dataclass(frozen=True)
class Request:
    opcode: Opcode  # RRQ or WRQ
    filename: str
    mode: str = "octet"
    options: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        parts = [self.filename, self.mode]
        for key, value in self.options.items():
            parts += [key, value]
        return struct.pack(">H", self.opcode) + b"".join(
            p.encode("ascii", "replace") + b"\x00" for p in parts)


@dataclass(frozen=True)
class Data:
    block: int
    payload: bytes

    def encode(self) -> bytes:
        return struct.pack(">HH", Opcode.DATA, self.block & 0xFFFF) + self.payload


@dataclass(frozen=True)
class Ack:
    block: int

    def encode(self) -> bytes:
        return struct.pack(">HH", Opcode.ACK, self.block & 0xFFFF)


@dataclass(frozen=True)
class ErrorPacket:
    code: int
    message: str = ""

    def encode(self) -> bytes:
        return struct.pack(">HH", Opcode.ERROR, self.code) + self.message.encode(
            "ascii", "replace") + b"\x00"


@dataclass(frozen=True)
class OptionAck:
    options: dict[str, str]

    def encode(self) -> bytes:
        body = b"".join(k.encode() + b"\x00" + v.encode() + b"\x00"
                        for k, v in self.options.items())
        return struct.pack(">H", Opcode.OACK) + body


Packet = Request | Data | Ack | ErrorPacket | OptionAck


def _strings(body: bytes) -> list[str]:
    if not body.endswith(b"\x00"):
        raise TftpFormatError("strings must end with NUL")
    try:
        return body[:-1].decode("ascii").split("\x00")
    except UnicodeDecodeError:
        raise TftpFormatError("strings must be ASCII") from None


def decode(data: bytes) -> Packet:
    """Read one datagram; raises TftpFormatError and nothing else."""
    if len(data) < 4:
        raise TftpFormatError("a TFTP packet is at least 4 bytes")
    (opcode,) = struct.unpack_from(">H", data)
    body = data[2:]
    if opcode in (Opcode.RRQ, Opcode.WRQ):
        items = _strings(body)
        if len(items) < 2 or len(items) % 2:
            raise TftpFormatError("request needs a file name, a mode and option pairs")
        options = {items[i].lower(): items[i + 1] for i in range(2, len(items), 2)}
        return Request(Opcode(opcode), items[0], items[1].lower(), options)
    if opcode == Opcode.DATA:
        return Data(struct.unpack_from(">H", body)[0], bytes(body[2:]))
    if opcode == Opcode.ACK:
        return Ack(struct.unpack_from(">H", body)[0])
    if opcode == Opcode.ERROR:
        code = struct.unpack_from(">H", body)[0]
        text = body[2:].split(b"\x00", 1)[0].decode("ascii", "replace")
        return ErrorPacket(code, text)
    if opcode == Opcode.OACK:
        items = _strings(body) if len(body) > 2 else []
        if len(items) % 2:
            raise TftpFormatError("option acknowledgement needs name/value pairs")
        return OptionAck({items[i].lower(): items[i + 1] for i in range(0, len(items), 2)})
    raise TftpFormatError(f"unknown opcode {opcode}")
