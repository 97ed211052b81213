"""The TFTP server process: the router's published table served read-only.

The server runs in a process of its own that keeps only a handful of descriptors (the router
holds a TLS connection per phone), on one thread: a `selectors` loop over the listening socket
and one socket per transfer (a transfer ID of its own, RFC 1350), each transfer a
`wire.tftp_serve.ServeTransfer` machine; stdin is read on the main thread. (tftpy served here
before: a thread per server and Python state per packet, about 0.4 ms of CPU a transfer in a
1,000-phone rollout, and a `select()` that fails above descriptor 1024.) Run as
`python -m cucme_lab.services.tftp_worker HOST PORT [DEADLINE MAX_TRANSFERS MAX_PER_PEER]`.

Protocol with the router (`cucme_lab.services.tftp`):
- stdin: frames `u32 length + kind + payload`: kind `T` carries `TftpTable.encode()` bytes,
  replacing the whole table; kind `D` an `encode_delta` of the files changed since the last
  table (applied to a copy, swapped in whole); kind `G` a pickled
  `(version, router.ingress.Gate)`, the interface ACLs to judge requests with (the router,
  our parent, is the only writer); EOF (the router closed the pipe or died) ends the process.
- stdout: JSON lines: `listening` (with the bound port) or `bind-error` first, then `table`
  and `gate` (acknowledging a version), `acl` for a request an interface ACL decided (list,
  line index, verdict: the router counts and logs it), and `refused` / `malformed` /
  `not-found` for requests it turned down.

Interface ACLs: the first datagram of every new transfer (a read or write request, or
garbage) is judged here by the gate, with no round trip to the router; one the arrival
interface's ACL denies gets no answer at all, as a router dropping the packet would give.

Requests are answered from the current snapshot only: unknown names get error 1 (file not
found), names that try to leave the table (`..`, absolute paths, `\\`, control characters) and
every write get error 2 (access violation), as RFC 1350 names them; a TFTP packet that is not
a request gets error 4 (illegal operation), and bytes that are not TFTP get no answer.
Options: `blksize`, `tsize` and `timeout` (RFC 2347-2349).

Bounds: a client silent for RESEND seconds (its `timeout` option, if it gave one) gets the last
packet again, TRIES times in all, then the transfer ends; a transfer still running DEADLINE seconds
after its request is stopped with error 0 (one that keeps acknowledging slowly would otherwise
hold it for ever); at most MAX_TRANSFERS run at once, MAX_PER_PEER for one client address, and
a request beyond that gets error 0 (server busy).
"""

from __future__ import annotations

import json
import os
import pickle
import selectors
import socket
import struct
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass

from cucme_lab.router.ingress import Gate
from cucme_lab.router.provisioning.tftp_table import apply_delta, decode_files
from cucme_lab.wire.tftp import ErrorCode, ErrorPacket, Opcode, Request, TftpFormatError, decode
from cucme_lab.wire.tftp_serve import ServeTransfer, negotiate

_out_lock = threading.Lock()
_files: dict[str, bytes] = {}  # replaced whole, never mutated: the current snapshot
_gate: Gate | None = None  # replaced whole from the router's frames; None: no ACL applies

TRANSFER_DEADLINE = 300.0  # seconds from a read request to its last block (argv overrides)
MAX_TRANSFERS = 512  # transfers at once: each holds a socket
MAX_PER_PEER = 64  # transfers at once for one client address
RESEND = 0.5  # seconds of a client's silence before the last packet goes again
TRIES = 3  # sends of a packet to a silent client (the first and two resends), then it ends
BATCH = 64  # datagrams read from one socket per wake-up, so one client cannot starve others
_limits = {"deadline": TRANSFER_DEADLINE, "total": MAX_TRANSFERS, "per_peer": MAX_PER_PEER}
_live: Counter[str] = Counter()  # transfers under way by client address (server thread only)


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


def lookup(name: str, raddress: str | None = None, rport: int | None = None) -> bytes | None:
    data = _files.get(name)
    if data is None:
        emit("not-found", peer=raddress, port=rport, file=name)
    return data


@dataclass
class Transfer:
    """One read under way: its socket (the server's transfer ID), the client's, the machine."""

    sock: socket.socket
    peer: tuple[str, int]
    name: str
    machine: ServeTransfer
    started: float
    resend_every: float
    resend_at: float
    retries: int = 0


class Server:
    """The listening socket and the transfers, on one thread (`run`)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, port))
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ, None)
        self.transfers: dict[socket.socket, Transfer] = {}

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def run(self) -> None:
        while True:
            self.step(0.5)

    def step(self, wait: float) -> None:
        """Wait up to `wait` seconds for datagrams, answer them, then run the clocks."""
        now = time.monotonic()
        soonest = min((t.resend_at for t in self.transfers.values()), default=now + wait)
        for key, _ in self.selector.select(max(0.0, min(wait, soonest - now))):
            if key.data is None:
                self._requests()
            else:
                self._answers(key.data)
        self._clocks(time.monotonic())

    # --- new transfers -------------------------------------------------------------------
    def _requests(self) -> None:
        for _ in range(BATCH):
            try:
                data, (host, port) = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # an ICMP error for an earlier reply: nothing to answer
                continue
            self.first_datagram(data, host, port)

    def first_datagram(self, data: bytes, host: str, port: int) -> None:
        """A request (or anything) on the server port: judged, refused or a transfer."""
        if not admitted(host, port):
            return  # no answer at all
        try:
            packet = decode(data)
        except TftpFormatError as exc:  # not TFTP at all: logged, not answered (a reply
            emit("malformed", peer=host, port=port, reason=str(exc)[:100])  # would reflect)
            return
        if not isinstance(packet, Request):
            self._error(host, port, ErrorCode.ILLEGAL_OPERATION, "illegal TFTP operation")
            emit("malformed", peer=host, port=port,
                 reason=f"{type(packet).__name__} is not a request")
            return
        if packet.opcode == Opcode.WRQ:
            self._refuse(host, port, packet.filename, "write", "write request")
            return
        reason = bad_name(packet.filename)
        if reason is not None:
            self._refuse(host, port, packet.filename, "read", reason)
            return
        total = sum(_live.values())
        if total >= _limits["total"] or _live[host] >= _limits["per_peer"]:
            why = (f"server busy: {total} transfers under way" if total >= _limits["total"]
                   else f"server busy: {_live[host]} transfers for this client")
            self._error(host, port, 0, why)
            emit("refused", peer=host, port=port, file=None, op="request", reason=why)
            return
        content = lookup(packet.filename, host, port)
        if content is None:
            self._error(host, port, ErrorCode.FILE_NOT_FOUND, "File not found")
            return
        self._start(packet, content, host, port)

    def _start(self, request: Request, content: bytes, host: str, port: int) -> None:
        granted = negotiate(request, len(content))
        machine = ServeTransfer(content, granted.blksize, granted.acknowledged)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, 0))  # replies leave from the server's address
            sock.setblocking(False)
            sock.sendto(machine.start(), (host, port))
        except OSError:
            sock.close()
            return
        now = time.monotonic()
        every = float(granted.timeout or RESEND)
        transfer = Transfer(sock, (host, port), request.filename, machine, now, every,
                            now + every)
        self.transfers[sock] = transfer
        self.selector.register(sock, selectors.EVENT_READ, transfer)
        _live[host] += 1

    def _error(self, host: str, port: int, code: int, message: str,
               sock: socket.socket | None = None) -> None:
        try:
            (sock or self.sock).sendto(ErrorPacket(code, message).encode(), (host, port))
        except OSError:
            pass

    def _refuse(self, host: str, port: int, name: str, op: str, reason: str) -> None:
        self._error(host, port, ErrorCode.ACCESS_VIOLATION, "Access violation")
        emit("refused", peer=host, port=port, file=name, op=op, reason=reason)

    # --- transfers under way -------------------------------------------------------------
    def _answers(self, transfer: Transfer) -> None:
        for _ in range(BATCH):
            try:
                data, peer = transfer.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            if peer != transfer.peer:  # RFC 1350: another client's packet, not ours
                self._error(*peer, ErrorCode.UNKNOWN_TID, "Unknown transfer ID", transfer.sock)
                continue
            try:
                reply = transfer.machine.receive(data)
            except TftpFormatError as exc:
                emit("malformed", peer=peer[0], port=peer[1], reason=str(exc)[:100])
                self._error(*peer, ErrorCode.ILLEGAL_OPERATION, "illegal TFTP operation",
                            transfer.sock)
                self._end(transfer)
                return
            if reply is not None:
                try:
                    transfer.sock.sendto(reply, peer)
                except OSError:
                    pass
                transfer.retries = 0
                transfer.resend_at = time.monotonic() + transfer.resend_every
            if transfer.machine.done:
                self._end(transfer)
                return

    def _clocks(self, now: float) -> None:
        for transfer in list(self.transfers.values()):
            host, port = transfer.peer
            if now - transfer.started > _limits["deadline"]:
                self._error(host, port, 0, "transfer deadline passed", transfer.sock)
                emit("refused", peer=host, port=port, file=transfer.name, op="read",
                     reason=f"transfer not finished within {_limits['deadline']:g} seconds")
                self._end(transfer)
            elif now >= transfer.resend_at:
                if transfer.retries >= TRIES - 1:
                    self._end(transfer)  # the client went away
                    continue
                transfer.retries += 1
                transfer.resend_at = now + transfer.resend_every
                try:
                    transfer.sock.sendto(transfer.machine.last, transfer.peer)
                except OSError:
                    pass

    def _end(self, transfer: Transfer) -> None:
        if self.transfers.pop(transfer.sock, None) is None:
            return
        self.selector.unregister(transfer.sock)
        transfer.sock.close()
        host = transfer.peer[0]
        _live[host] -= 1
        if _live[host] <= 0:
            del _live[host]


def read_frames() -> None:
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
    host, port = argv[0], int(argv[1])
    if len(argv) >= 5:
        _limits.update(deadline=float(argv[2]), total=int(argv[3]), per_peer=int(argv[4]))
    try:
        server = Server(host, port)
    except OSError as exc:
        emit("bind-error", errno=exc.errno, message=exc.strerror or str(exc))
        return 1

    def run() -> None:
        try:
            server.run()
        except BaseException as exc:  # the router sees EOF, logs it and starts another
            where = traceback.extract_tb(exc.__traceback__)[-1:]
            at = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
            emit("crashed", reason=repr(exc)[:200] + at)
            os._exit(1)

    threading.Thread(target=run, name="tftp-server", daemon=True).start()
    emit("listening", host=host, port=server.port, pid=os.getpid())
    read_frames()
    os._exit(0)  # the router closed the pipe (or died): stop at once, nothing to flush


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
