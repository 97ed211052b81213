"""The TFTP server process: tftpy serving the router's published table, read-only.

tftpy waits with `select()`, which fails once its process holds a descriptor above 1024; the
router holds a TLS connection per phone, so the server runs here, in a process of its own that
keeps only a handful of descriptors. Run as
`python -m cucme_lab.services.tftp_worker HOST PORT [DEADLINE MAX_TRANSFERS MAX_PER_PEER]`.

Protocol with the router (`cucme_lab.services.tftp`):
- stdin: frames `u32 length + kind + payload`: kind `T` carries `TftpTable.encode()` bytes,
  replacing the whole table; kind `D` an `encode_delta` of the files changed since the last
  table (applied to a copy, swapped in whole); kind `G` a pickled
  `(version, router.ingress.Gate)`, the interface ACLs to judge requests with (the router,
  our parent, is the only writer); EOF
  (the router closed the pipe or died) ends the process.
- stdout: JSON lines: `listening` (with the bound port) or `bind-error` first, then `table`
  and `gate` (acknowledging a version), `acl` for a request an interface ACL decided (list,
  line index, verdict: the router counts and logs it), and `refused` / `malformed` /
  `not-found` for requests it turned down.

Interface ACLs: the first datagram of every new transfer (a read or write request, or
garbage) is judged here by the gate, with no round trip to the router; one the arrival
interface's ACL denies gets no answer at all, as a router dropping the packet would give.

Requests are answered from the current snapshot only: unknown names get error 1 (file not
found), names that try to leave the table (`..`, absolute paths, `\\`, control characters) and
every write get error 2 (access violation), as RFC 1350 names them.

Bounds: a transfer still running DEADLINE seconds after its request is stopped with error 0
(tftpy's own timeout only ends a silent client, and one that keeps acknowledging slowly or
repeats an old ACK would otherwise hold its transfer for ever); at most MAX_TRANSFERS run at
once, MAX_PER_PEER for one client address, and a request beyond that gets error 0 (server
busy). Every transfer holds a socket, and tftpy's select() fails above descriptor 1024.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import pickle
import struct
import sys
import tempfile
import threading
import traceback
from collections import Counter

import tftpy
from tftpy import TftpContexts, TftpStates
from tftpy.TftpPacketTypes import TftpPacketRRQ, TftpPacketWRQ
from tftpy.TftpShared import TftpErrors, TftpException, TftpTimeout

from cucme_lab.router.ingress import Gate
from cucme_lab.router.provisioning.tftp_table import apply_delta, decode_files
from cucme_lab.wire.tftp import ErrorPacket

_out_lock = threading.Lock()
_files: dict[str, bytes] = {}  # replaced whole, never mutated: the current snapshot
_listen_host = "0.0.0.0"
_gate: Gate | None = None  # replaced whole from the router's frames; None: no ACL applies

TRANSFER_DEADLINE = 300.0  # seconds from a read request to its last block (argv overrides)
MAX_TRANSFERS = 512  # transfers at once: each holds a socket, select() stops at 1024
MAX_PER_PEER = 64  # transfers at once for one client address
_limits = {"deadline": TRANSFER_DEADLINE, "total": MAX_TRANSFERS, "per_peer": MAX_PER_PEER}
_live: Counter[str] = Counter()  # transfers under way by client address (tftpy's thread only)


def emit(event: str, **fields: object) -> None:
    line = json.dumps({"event": event, **fields}) + "\n"
    with _out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def bad_name(name: str) -> str | None:
    """Why a requested name may not even be looked up, or None."""
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if any(part == ".." for part in name.split("/")):
        return "path outside the published table"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "control character in file name"
    return None


class GuardedStart(TftpStates.TftpStateServerStart):
    """Refuses writes and escaping names before tftpy looks at its (empty) root folder."""

    def handle(self, pkt, raddress, rport):  # noqa: ANN001, ANN201 (tftpy's signature)
        if isinstance(pkt, TftpPacketWRQ):
            self._refuse(pkt.filename, raddress, rport, "write", "write request")
        if isinstance(pkt, TftpPacketRRQ):
            reason = bad_name(pkt.filename)
            if reason is not None:
                self._refuse(pkt.filename, raddress, rport, "read", reason)
        return super().handle(pkt, raddress, rport)

    def _refuse(self, name: str, host: str, port: int, op: str, reason: str) -> None:
        if not self.context.tidport:
            self.context.tidport = port
        self.sendError(TftpErrors.AccessViolation)
        emit("refused", peer=host, port=port, file=name, op=op, reason=reason)
        raise TftpException(f"{op} of {name!r} refused: {reason}")


class GuardedContext(TftpContexts.TftpContextServer):
    """A transfer that starts in GuardedStart and never lets a malformed packet escape.

    tftpy's server loop catches only TftpException; anything else (a 1-byte datagram makes
    `struct.error`) would end its thread, so it is turned into one here.
    """

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.counted = False  # in _live, until end()
        self.state = GuardedStart(self)
        self.flock = False  # in-memory files: nothing to lock (TftpServer does not pass it on)
        # tftpy leaves a transfer's socket unbound, so replies would leave from whatever
        # address the kernel picks (127.0.0.1), not the server's; clients rightly drop those.
        self.sock.bind((_listen_host, 0))

    def start(self, buffer: bytes) -> None:
        if not admitted(self.host, self.port):
            raise TftpException("dropped by an interface access list")  # no answer at all
        total = sum(_live.values())
        if total >= _limits["total"] or _live[self.host] >= _limits["per_peer"]:
            why = (f"server busy: {total} transfers under way" if total >= _limits["total"]
                   else f"server busy: {_live[self.host]} transfers for this client")
            self._send_error(why)
            emit("refused", peer=self.host, port=self.port, file=None, op="request",
                 reason=why)
            raise TftpException(why)
        _live[self.host] += 1
        self.counted = True
        try:
            super().start(buffer)
        except TftpException:
            raise
        except Exception as exc:
            emit("malformed", peer=self.host, port=self.port, reason=str(exc)[:100])
            raise TftpException(f"malformed packet: {exc}") from None

    def _send_error(self, message: str) -> None:
        """Error 0 with a message (tftpy's own packet class cannot encode code 0)."""
        try:
            self.sock.sendto(ErrorPacket(0, message).encode(),
                             (self.host, self.tidport or self.port))
        except OSError:
            pass

    def end(self) -> None:
        if self.counted:
            self.counted = False
            _live[self.host] -= 1
            if _live[self.host] <= 0:
                del _live[self.host]
        super().end()

    def checkTimeout(self, now: float) -> None:
        """tftpy's silence timeout, and the whole transfer's deadline."""
        started = self.metrics.start_time or now
        if self.counted and now - started > _limits["deadline"]:
            self._send_error("transfer deadline passed")
            emit("refused", peer=self.host, port=self.port, file=self.file_to_transfer,
                 op="read", reason=f"transfer not finished within {_limits['deadline']:g} "
                                   f"seconds")
            self.retry_count = self.retries  # the server loop ends the session on this
            raise TftpTimeout("transfer deadline passed")
        super().checkTimeout(now)

    def cycle(self) -> None:
        try:
            super().cycle()
        except TftpException:
            raise
        except Exception as exc:
            emit("malformed", peer=self.host, port=self.port, reason=str(exc)[:100])
            raise TftpException(f"malformed packet: {exc}") from None


def admitted(host: str, port: int) -> bool:
    """Whether the gate lets a new transfer's first datagram in; reports the deciding line."""
    gate = _gate
    if gate is None:
        return True
    verdict = gate.judge(host, port)
    if verdict is None:
        return True
    emit("acl", peer=host, port=port, acl=verdict.acl, index=verdict.index,
         verdict="permitted" if verdict.permitted else "denied")
    return verdict.permitted


def lookup(name: str, raddress: str | None = None, rport: int | None = None) -> io.BytesIO | None:
    data = _files.get(name)
    if data is None:
        emit("not-found", peer=raddress, port=rport, file=name)
        return None
    return io.BytesIO(data)


def refuse_upload(path: str, context: object) -> None:
    return None  # tftpy answers error 2; GuardedStart has already refused it anyway


def read_frames(server: tftpy.TftpServer) -> None:
    """Replace the snapshot (or the gate) with each frame from the router, until EOF."""
    global _files, _gate
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            break
        (length,) = struct.unpack(">I", head)
        payload = stdin.read(length)
        if len(payload) < length:
            break
        kind, body = payload[:1], payload[1:]
        if kind == b"G":
            version, gate = pickle.loads(body)  # from our parent, the router: trusted
            _gate = gate
            emit("gate", version=version)
            continue
        version, files = decode_files(body) if kind == b"T" else apply_delta(_files, body)
        _files = files
        emit("table", version=version, files=len(files))


def main(argv: list[str]) -> int:
    global _listen_host
    host, port = argv[0], int(argv[1])
    if len(argv) >= 5:
        _limits.update(deadline=float(argv[2]), total=int(argv[3]), per_peer=int(argv[4]))
    _listen_host = host
    logging.getLogger("tftpy").setLevel(logging.CRITICAL)
    # tftpy builds its per-transfer context from this module-level name; in this process
    # only, it is ours, so every transfer starts in GuardedStart.
    importlib.import_module("tftpy.TftpServer").TftpContextServer = GuardedContext
    # tftpy wants a root folder when it starts; it is removed at once, so no name can ever
    # match a file on disk and every read goes to `lookup`.
    root = tempfile.mkdtemp(prefix="cucme-tftp-")
    server = tftpy.TftpServer(root, dyn_file_func=lookup, upload_open=refuse_upload,
                              flock=False)  # files are in-memory snapshots: nothing to lock
    os.rmdir(root)
    failure: list[OSError] = []

    def run() -> None:
        try:
            server.listen(host, port, timeout=0.5)
        except OSError as exc:
            if server.is_running.is_set():
                emit("crashed", reason=str(exc)[:200])
                os._exit(1)
            failure.append(exc)
            server.is_running.set()
        except BaseException as exc:  # the router sees EOF, logs it and may start another
            where = traceback.extract_tb(exc.__traceback__)[-1:]
            at = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
            emit("crashed", reason=repr(exc)[:200] + at)
            os._exit(1)

    thread = threading.Thread(target=run, name="tftpy", daemon=True)
    thread.start()
    server.is_running.wait()
    if failure:
        exc = failure[0]
        emit("bind-error", errno=exc.errno, message=exc.strerror or str(exc))
        return 1
    emit("listening", host=host, port=server.listenport, pid=os.getpid())
    read_frames(server)
    os._exit(0)  # the router closed the pipe (or died): stop at once, nothing to flush


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
