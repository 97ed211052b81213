"""A TFTP read (RRQ, octet mode, RFC 2348 block size) as a machine: datagrams in, datagrams out.

The adapter owns the socket and the clock (`netio.lockstep.run_lockstep`): it sends `request`,
hands every datagram to `receive`, resends `last` to `destination` when nothing comes in time,
and stops when `result` is set or `receive` raises `TransferError`. Phones and the router's
`copy tftp:` both read files this way, on trio sockets, with no thread per download.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

DEFAULT_BLKSIZE = 512
Address = tuple[str, int]


class TransferError(Exception):
    """The server refused (its RFC 1350 code and message) or broke the protocol."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Reply:
    """What to send after a datagram (nothing, for a stray or a duplicate we ignore)."""

    send: bytes | None = None
    to: Address | None = None
    progressed: bool = False  # the transfer moved on: the adapter's retry count starts over


@dataclass
class ReadTransfer:
    filename: str
    blksize: int = DEFAULT_BLKSIZE
    max_size: int = 64 * 1024 * 1024  # a server that never ends a file is refused
    peer: Address | None = None  # the server's transfer address (TID) once it answered
    result: bytes | None = None
    _size: int = DEFAULT_BLKSIZE
    _expected: int = 1
    _chunks: list[bytes] = field(default_factory=list)
    _received: int = 0
    last: bytes = b""

    @property
    def request(self) -> bytes:
        options = {} if self.blksize == DEFAULT_BLKSIZE else {"blksize": str(self.blksize)}
        self.last = Request(Opcode.RRQ, self.filename, "octet", options).encode()
        return self.last

    def destination(self, server: Address) -> Address:
        """Where `last` goes again: the transfer's port, or the server's until it answered."""
        return self.peer or server

    def receive(self, data: bytes, sender: Address, server: Address) -> Reply:
        if self.peer is None:
            if sender[0] != server[0]:
                return Reply()  # not from the server we asked
            self.peer = sender
        elif sender != self.peer:
            # another TID: RFC 1350 answers it with error 5 and carries on
            return Reply(ErrorPacket(ErrorCode.UNKNOWN_TID, "Unknown transfer ID").encode(),
                         sender)
        try:
            packet = decode(data)
        except TftpFormatError:
            return Reply()
        if isinstance(packet, ErrorPacket):
            raise TransferError(packet.code, packet.message)
        if isinstance(packet, OptionAck) and self._expected == 1:
            try:
                self._size = int(packet.options.get("blksize", self._size))
            except ValueError:
                raise TransferError(ErrorCode.OPTION_REFUSED, "bad blksize") from None
            if not 8 <= self._size <= 65464:
                raise TransferError(ErrorCode.OPTION_REFUSED, "bad blksize")
            return self._ack(0)
        if not isinstance(packet, Data):
            raise TransferError(ErrorCode.ILLEGAL_OPERATION, "unexpected packet")
        if packet.block != self._expected & 0xFFFF:
            return Reply()  # a duplicate or an old block: the timer resends our last ACK
        self._received += len(packet.payload)
        if self._received > self.max_size:
            raise TransferError(ErrorCode.DISK_FULL, "file too large")
        self._chunks.append(packet.payload)
        self._expected += 1
        if len(packet.payload) < self._size:
            self.result = b"".join(self._chunks)
        return self._ack(packet.block)

    def _ack(self, block: int) -> Reply:
        self.last = Ack(block).encode()
        return Reply(self.last, self.peer, progressed=True)
