"""A TFTP read served (RRQ answered, RFC 1350 with RFC 2347-2349 options) as a machine.

The router's TFTP server process owns the sockets and the clock: it makes a `ServeTransfer`
for a request it accepts, sends `start()`, hands each datagram from the client's transfer ID
to `receive`, resends `last` when the client stays silent, and ends the transfer once `done`.
The client side is `wire/tftp_read.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cucme_lab.wire.tftp import (
    Ack,
    Data,
    ErrorPacket,
    OptionAck,
    Request,
    TftpFormatError,
    decode,
)

DEFAULT_BLKSIZE = 512
MIN_BLKSIZE, MAX_BLKSIZE = 8, 65464  # RFC 2348
MIN_TIMEOUT, MAX_TIMEOUT = 1, 255  # RFC 2349, seconds


@dataclass(frozen=True)
class Negotiated:
    """What the server grants of a request's options: the block size, the client's
    retransmission timeout (None: the server's own), and the options to acknowledge."""

    blksize: int = DEFAULT_BLKSIZE
    timeout: int | None = None
    acknowledged: dict[str, str] = field(default_factory=dict)


def negotiate(request: Request, size: int) -> Negotiated:
    """RFC 2347: options the server does not know or cannot take are left out of the OACK
    (the client then uses the defaults); `tsize` is answered with the file's size."""
    blksize, timeout, ack = DEFAULT_BLKSIZE, None, {}
    for name, value in request.options.items():
        key = name.lower()
        number = int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else None
        if key == "blksize" and number is not None and number >= MIN_BLKSIZE:
            blksize = min(number, MAX_BLKSIZE)
            ack[key] = str(blksize)
        elif key == "tsize":
            ack[key] = str(size)
        elif key == "timeout" and number is not None and MIN_TIMEOUT <= number <= MAX_TIMEOUT:
            timeout = number
            ack[key] = str(number)
    return Negotiated(blksize, timeout, ack)


@dataclass
class ServeTransfer:
    data: bytes
    blksize: int = DEFAULT_BLKSIZE
    acknowledged: dict[str, str] = field(default_factory=dict)  # options for the OACK
    last: bytes = b""  # what to resend when the client stays silent
    done: bool = False
    _block: int = 0  # the block sent last (0: the OACK)
    _final: bool = False  # that block was shorter than blksize: its ACK ends the transfer

    def start(self) -> bytes:
        self.last = OptionAck(self.acknowledged).encode() if self.acknowledged \
            else self._data(1)
        return self.last

    def _data(self, block: int) -> bytes:
        self._block = block
        chunk = self.data[(block - 1) * self.blksize:block * self.blksize]
        self._final = len(chunk) < self.blksize
        return Data(block % 65536, chunk).encode()

    def receive(self, datagram: bytes) -> bytes | None:
        """The next datagram to send, or None (a duplicate or old ACK is ignored, which
        keeps a late retransmission from doubling every block: the Sorcerer's Apprentice).
        Raises TftpFormatError for what a reading client never sends."""
        packet = decode(datagram)
        if isinstance(packet, ErrorPacket):  # the client gives up (or refuses our OACK)
            self.done = True
            return None
        if not isinstance(packet, Ack):
            raise TftpFormatError(f"{type(packet).__name__} during a read")
        if packet.block != self._block % 65536:
            return None
        if self._block and self._final:
            self.done = True
            return None
        self.last = self._data(self._block + 1)
        return self.last
