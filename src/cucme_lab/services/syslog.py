"""Syslog to the hosts `logging HOST` names: one UDP sender per host.

The event log fills a bounded outbox per host (`router/eventlog.py`); this service drains it
into datagrams (`wire/syslog.py`) from the source address `logging source-interface` gives, to
the loopback address and port the lab maps the host's address and port 514 to. UDP does not
wait for a listener: a host where nothing listens costs nothing but the datagrams (the ICMP
errors it answers with make later sends fail: those lines count as dropped), and a full outbox
drops lines and counts them. Sends never block the event loop (a trio socket); a send
that fails is counted as dropped and logged once.
"""

from __future__ import annotations

import logging
import socket
import threading
from ipaddress import IPv4Address

import trio

from cucme_lab.router.config.logging import FACILITIES
from cucme_lab.router.source_address import source_for
from cucme_lab.services.host import ServiceHost
from cucme_lab.services.manager import Binding
from cucme_lab.wire import syslog as wire_syslog

log = logging.getLogger(__name__)

SYSLOG_PORT = 514
BATCH = 256  # datagrams sent before letting other tasks run


class SyslogService:
    name = "syslog"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        config = lab.router.config
        bindings = []
        for host in config.logging_hosts:
            source = source_for(config, host, config.logging_source_interface)
            bindings.append(Binding(self.name, str(host), SYSLOG_PORT, "udp",
                                    (("source", str(source) if source else None),)))
        return bindings

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        router, plan = lab.router, lab.addresses
        host = IPv4Address(binding.configured_address)
        local, destination = binding.client_ends(plan)
        outbox = router.log.outbox(host)
        wake = trio.Event()
        token = trio.lowlevel.current_trio_token()
        loop_thread = threading.get_ident()

        def poke() -> None:
            # a line logged from a worker thread (trio.to_thread) wakes the service safely
            if threading.get_ident() == loop_thread:
                wake.set()
            else:
                token.run_sync_soon(lambda: wake.set())

        # A plain non-blocking socket: a datagram is sent without a schedule point of its
        # own (a trio socket's sendto yields at every call), BATCH at a time.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.bind((local, 0))
            sock.connect(destination)  # (a connected send skips the route lookup of each)
            outbox.wake = poke
            if outbox.queue:  # lines logged before the service started
                wake.set()
            task_status.started(sock.getsockname()[:2])
            failing = False
            try:
                while True:
                    await wake.wait()
                    wake = trio.Event()
                    sent = 0
                    while outbox.queue:
                        record = outbox.queue.popleft()
                        facility = FACILITIES[router.config.facility]
                        datagram = wire_syslog.encode(facility, record.severity, record.sequence,
                                                      record.stamp, record.message,
                                                      record.service_sequence)
                        try:
                            sock.send(datagram)
                            outbox.sent += 1
                            failing = False
                        except BlockingIOError:  # the socket's buffer is full: wait for room
                            outbox.queue.appendleft(record)
                            await trio.lowlevel.wait_writable(sock)
                            continue
                        except OSError as exc:  # ICMP port unreachable comes back as ECONNREFUSED
                            outbox.dropped += 1
                            if not failing:
                                log.warning("syslog to %s: %s", host, exc)
                            failing = True
                        sent += 1
                        if sent % BATCH == 0:
                            await trio.sleep(0)
            finally:
                if outbox.wake is poke:
                    outbox.wake = None
