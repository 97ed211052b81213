"""A small TFTP client on trio sockets (epoll, so it works in a process holding >1024 fds).

The router uses it for `copy tftp://... flash:` and `copy flash:... tftp://...`; tests and the
benchmark use it to talk to the router's TFTP server. Errors raise `TftpError` with the RFC 1350
code (None for a timeout) so callers can print IOS-like texts.
"""

from __future__ import annotations

import socket

import trio

from cucme_lab.netio.lockstep import LockstepTimeout, run_lockstep
from cucme_lab.wire.tftp import (
    Ack,
    Data,
    ErrorCode,
    ErrorPacket,
    Opcode,
    Request,
    TftpFormatError,
    decode,
)
from cucme_lab.wire.tftp_read import DEFAULT_BLKSIZE, ReadTransfer, TransferError


class TftpError(Exception):
    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def _exchange(sock: trio.socket.SocketType, packet: bytes, peer: tuple[str, int] | None,
                    server: tuple[str, int], timeout: float, retries: int
                    ) -> tuple[object, tuple[str, int]]:
    """Send `packet` (to `peer`, or the server's main port first) until an answer comes."""
    for _ in range(retries):
        await sock.sendto(packet, peer or server)
        with trio.move_on_after(timeout):
            while True:
                data, addr = await sock.recvfrom(65536)
                if peer is not None and addr != peer:
                    # A stray packet from another TID (RFC 1350 says: answer error 5).
                    await sock.sendto(ErrorPacket(ErrorCode.UNKNOWN_TID, "Unknown TID")
                                      .encode(), addr)
                    continue
                if peer is None and addr[0] != server[0]:
                    continue
                try:
                    return decode(data), addr
                except TftpFormatError:
                    continue
    raise TftpError(None, "Timed out")


async def download(host: str, port: int, filename: str, *, blksize: int = DEFAULT_BLKSIZE,
                   timeout: float = 1.0, retries: int = 5, bind_host: str | None = None
                   ) -> bytes:
    """RRQ `filename` in octet mode; returns the file's bytes."""
    try:
        return await run_lockstep(ReadTransfer(filename, blksize), (host, port),
                                  bind_host=bind_host or "", timeout=timeout, retries=retries)
    except TransferError as exc:
        raise TftpError(exc.code, exc.message) from None
    except LockstepTimeout:
        raise TftpError(None, "Timed out") from None


async def upload(host: str, port: int, filename: str, data: bytes, *, timeout: float = 1.0,
                 retries: int = 5, bind_host: str | None = None) -> None:
    """WRQ `filename` in octet mode with 512-byte blocks."""
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        await sock.bind((bind_host or "0.0.0.0", 0))
        packet, peer = await _exchange(sock, Request(Opcode.WRQ, filename).encode(), None,
                                       (host, port), timeout, retries)
        block = 0
        while True:
            if isinstance(packet, ErrorPacket):
                raise TftpError(packet.code, packet.message)
            if not isinstance(packet, Ack):
                raise TftpError(ErrorCode.ILLEGAL_OPERATION, "unexpected packet")
            if packet.block == block & 0xFFFF:
                if block * DEFAULT_BLKSIZE > len(data):
                    return
                block += 1
            chunk = data[(block - 1) * DEFAULT_BLKSIZE: block * DEFAULT_BLKSIZE]
            packet, _ = await _exchange(sock, Data(block, chunk).encode(), peer,
                                        (host, port), timeout, retries)
