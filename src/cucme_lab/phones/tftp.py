"""The phone's TFTP client: tftpy in a worker thread, a bounded number at once.

tftpy is blocking, so each download runs through `trio.to_thread.run_sync` under one capacity
limiter for the whole process (DESIGN.md section 4); the socket is bound to the phone's own
loopback address, so the router sees the phone's address.
"""

from __future__ import annotations

import io
import logging

import tftpy
import trio

LIMITER = trio.CapacityLimiter(32)
BLKSIZE = 1468  # 1.4 to 2.5 times faster than 512 on loopback (DESIGN.md section 10)

logging.getLogger("tftpy").setLevel(logging.CRITICAL)  # the phone reports failures itself


class TftpFailure(Exception):
    """A download failed; `status` is how the phone's screen words it."""

    def __init__(self, status: str, detail: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.detail = detail


def _download(host: str, port: int, name: str, local_address: str, timeout: float) -> bytes:
    out = io.BytesIO()
    client = tftpy.TftpClient(host, port, options={"blksize": BLKSIZE}, localip=local_address)
    try:
        client.download(name, out, timeout=timeout, retries=2)
    except tftpy.TftpFileNotFoundError:
        raise TftpFailure("TFTP file not found", name) from None
    except tftpy.TftpTimeout:
        raise TftpFailure("TFTP timeout", name) from None
    except tftpy.TftpException as exc:
        text = str(exc)
        if "not found" in text.lower():
            raise TftpFailure("TFTP file not found", name) from None
        raise TftpFailure("TFTP access error", text) from None
    except OSError as exc:
        raise TftpFailure("TFTP timeout", str(exc)) from None
    return out.getvalue()


async def download(host: str, port: int, name: str, *, local_address: str = "",
                   timeout: float = 2.0) -> bytes:
    return await trio.to_thread.run_sync(_download, host, port, name, local_address, timeout,
                                         limiter=LIMITER)
