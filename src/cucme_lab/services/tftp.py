"""The router's TFTP service: a thin adapter from the published table to the server process.

Wanted while telephony-service has an `ip source-address`: CME's TFTP server answers on that
address, UDP 69 (20069 when the lab may not bind ports below 1024; the manifest records the
real port, as DHCP option 150 would tell phones). The server itself runs in a process of its
own (`cucme_lab.services.tftp_worker`, the wire's serving machine on plain sockets), away from
the router's thousands of descriptors and its event loop. This side starts that process,
sends it each new table snapshot (whole, then as deltas), turns its reports into syslog
lines, and stops it when the service is cancelled.

Interface ACLs (`ip access-group N in`) are judged in the server process, per request, with a
`router.ingress.Gate` compiled here: again on every configuration change, and when the lab's
address map has grown (checked every GATE_REFRESH seconds: a new loopback subnet stands for
configured addresses the previous gate could not name). The process reports which line
decided; the hit is counted here, where `show access-lists` reads it, and logged when the
line says `log`. A server
process that ends on its own is a failure of the service: the service manager logs it and
starts the service, hence a new process, again.

What it remembers of refusals is bounded: a count of them all and the last REFUSALS_KEPT
reports (a flood of bad requests once grew the router by 77 MB in 150,000 requests). The
process's own limits (transfer deadline, transfers at once) are set here and passed on.
"""

from __future__ import annotations

import json
import logging
import pickle
import struct
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import trio

from cucme_lab.router.ingress import Gate, GateVerdict, compile_gate, count_gate_hit
from cucme_lab.router.provisioning.tftp_table import TftpTable, encode_delta, published
from cucme_lab.router.telephony import settings as tm
from cucme_lab.services.manager import Binding

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

log = logging.getLogger(__name__)

TFTP_PORT = 69
START_TIMEOUT = 10.0
GATE_REFRESH = 0.5  # seconds between checks that the address map has not grown
REFUSALS_KEPT = 100  # the last refusal reports a link keeps (all are counted)
TRANSFER_DEADLINE = 300.0  # seconds from a read request to its last block
MAX_TRANSFERS = 512  # at once in the server process (its select() stops at descriptor 1024)
MAX_TRANSFERS_PER_PEER = 64  # at once for one client address


class TftpServerEnded(RuntimeError):
    """The server process ended while the service ran (killed, or crashed)."""


@dataclass
class WorkerLink:
    """What the router knows about one running server process."""

    pid: int
    host: str
    port: int
    acked_version: int = -1
    sent: TftpTable | None = None
    refused: deque[dict] = field(default_factory=lambda: deque(maxlen=REFUSALS_KEPT))
    refusals: int = 0  # every refusal, malformed packet and busy or overdue transfer
    gate: Gate | None = None  # the interface ACLs last sent
    gate_version: int = 0
    acked_gate: int = -1


class TftpService:
    name = "tftp"

    def __init__(self) -> None:
        self.links: dict[Binding, WorkerLink] = {}

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        ts = tm.telephony_service(lab.router.config)
        if ts is None or ts.source_address is None:
            return []
        return [Binding(self.name, ts.source_address, TFTP_PORT, "udp")]

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        host = lab.addresses.to_loopback(binding.configured_address)
        port = lab.addresses.port(binding.configured_port)
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "cucme_lab.services.tftp_worker", host, str(port),
             str(TRANSFER_DEADLINE), str(MAX_TRANSFERS), str(MAX_TRANSFERS_PER_PEER)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        wake = trio.Event()

        def poke() -> None:
            wake.set()

        try:
            assert process.stdout is not None and process.stdin is not None
            lines = _Lines(process.stdout)
            with trio.fail_after(START_TIMEOUT):
                first = await lines.next()
            if first is None or first.get("event") != "listening":
                info = first or {}
                raise OSError(info.get("errno") or 0, info.get("message") or
                              "TFTP server process did not start")
            link = WorkerLink(process.pid, host, int(first["port"]))
            self.links[binding] = link
            lab.router.change_listeners.append(poke)
            await self._send_gate(process, link, self._gate(lab, binding))
            await self._send(process, link, published(lab.router))
            task_status.started((host, link.port))
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._reports, lab, lines, link)
                while True:
                    with trio.move_on_after(GATE_REFRESH):
                        await wake.wait()
                    wake = trio.Event()
                    gate = self._gate(lab, binding)
                    if gate != link.gate:
                        await self._send_gate(process, link, gate)
                    table = published(lab.router)
                    if table is not link.sent:
                        await self._send(process, link, table)
        finally:
            if poke in lab.router.change_listeners:
                lab.router.change_listeners.remove(poke)
            self.links.pop(binding, None)
            with trio.CancelScope(shield=True):
                await _stop(process)

    async def _send(self, process: trio.Process, link: WorkerLink, table: TftpTable) -> None:
        """The table as a whole the first time, then what changed since the last one sent."""
        payload = (b"T" + table.encode() if link.sent is None
                   else b"D" + encode_delta(link.sent, table))
        assert process.stdin is not None
        await process.stdin.send_all(struct.pack(">I", len(payload)) + payload)
        link.sent = table

    @staticmethod
    def _gate(lab: ServiceHost, binding: Binding) -> Gate:
        describe = getattr(lab.addresses, "describe", None)  # a real map has nothing to say
        return compile_gate(lab.router, binding.configured_address, binding.configured_port,
                            "udp", describe() if describe is not None else None)

    async def _send_gate(self, process: trio.Process, link: WorkerLink, gate: Gate) -> None:
        link.gate_version += 1
        payload = b"G" + pickle.dumps((link.gate_version, gate))
        assert process.stdin is not None
        await process.stdin.send_all(struct.pack(">I", len(payload)) + payload)
        link.gate = gate

    async def _reports(self, lab: ServiceHost, lines: _Lines, link: WorkerLink) -> None:
        crash = ""
        while True:
            report = await lines.next()
            if report is None:
                lab.router.log.log("%SYS-3-TFTP_SERVER: TFTP server process ended")  # [U]
                # the manager logs it as a process fault and starts the service again
                raise TftpServerEnded(f"TFTP server process {link.pid} ended{crash}")
            event = report.get("event")
            if event == "table":
                link.acked_version = int(report["version"])
            elif event == "gate":
                link.acked_gate = int(report["version"])
            elif event == "acl" and link.gate is not None:
                index = report.get("index")
                verdict = GateVerdict(int(report["acl"]), None if index is None else int(index),
                                      report.get("verdict") == "permitted",
                                      lab.addresses.to_configured(str(report.get("peer"))))
                count_gate_hit(lab.router, link.gate, verdict, int(report.get("port") or 0))
            elif event == "crashed":
                crash = f": {report.get('reason')}"
            elif event in ("refused", "malformed"):
                link.refusals += 1
                link.refused.append(report)
                peer = lab.addresses.to_configured(str(report.get("peer")))
                # [U] no capture of IOS's own text for this was found.
                if event == "malformed":
                    what = f"malformed packet: {report.get('reason')}"
                elif report.get("file") is None:
                    what = f"request refused: {report.get('reason')}"
                else:
                    what = (f"{report.get('op')} of {report.get('file')!r} refused: "
                            f"{report.get('reason')}")
                lab.router.log.log(f"%TFTP-4-ACCESS: {what} (from {peer})")
            elif event == "not-found":
                log.debug("tftp: %s asked for unknown %r", report.get("peer"),
                          report.get("file"))

    def link(self, binding: Binding | None = None) -> WorkerLink | None:
        if binding is not None:
            return self.links.get(binding)
        return next(iter(self.links.values()), None)

    async def synced(self, lab: ServiceHost, timeout: float = 5.0) -> WorkerLink:
        """Wait until the server process serves the router's current table and judges by its
        current interface ACLs (tests, tools)."""
        with trio.fail_after(timeout):
            while True:
                binding, link = next(iter(self.links.items()), (None, None))
                table = published(lab.router)
                if binding is not None and link is not None and link.sent is table and \
                        link.acked_version == table.version and \
                        link.gate == self._gate(lab, binding) and \
                        link.acked_gate == link.gate_version:
                    return link
                await trio.sleep(0.01)


class _Lines:
    """JSON lines from the worker's stdout."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self.stream, self.buffer = stream, b""

    async def next(self) -> dict | None:
        while b"\n" not in self.buffer:
            chunk = await self.stream.receive_some(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return {"event": "garbage"}


async def _stop(process: trio.Process) -> None:
    """Close the pipe (the worker exits on EOF); kill it if it lingers."""
    try:
        if process.stdin is not None:
            await process.stdin.aclose()
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    with trio.move_on_after(2):
        await process.wait()
        return
    process.kill()
    with trio.move_on_after(2):
        await process.wait()


def tftp_service(lab: Any) -> TftpService | None:
    """The lab's TFTP service object, if it has one (`lab.services`: its ServiceManager)."""
    for service in getattr(lab.services, "services", []):
        if isinstance(service, TftpService):
            return service
    return None
