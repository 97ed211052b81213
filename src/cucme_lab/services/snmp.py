"""The SNMP agent's socket: UDP 161 on each address of the router, a thin adapter.

Wanted while a `snmp-server community` is configured, on every interface address that is up
(as IOS answers on all of them), at 161 or 20161 when the lab may not bind ports below 1024.
Each datagram passes the interface ACL gate (`services.ingress`), then the sans-I/O agent
(`router.snmp.agent.handle`) decides the answer; the adapter only receives and sends. A fault
while handling one datagram drops that datagram, logged, and the socket goes on serving.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import trio

from cucme_lab.router.snmp.agent import SNMP_PORT, handle
from cucme_lab.services import ingress
from cucme_lab.services.guard import describe
from cucme_lab.services.manager import Binding
from cucme_lab.services.vty_listener import bindings

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65535  # read whole datagrams; the agent drops those over its own limit


class SnmpService:
    name = "snmp"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        if not lab.router.config.snmp_enabled:
            return []
        return [Binding(b.service, b.configured_address, b.configured_port, "udp")
                for b in bindings(lab, self.name, SNMP_PORT)]

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        host = lab.addresses.to_loopback(binding.configured_address)
        port = lab.addresses.port(binding.configured_port)
        sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with sock:
            await sock.bind((host, port))
            task_status.started((host, port))
            local = sock.getsockname()
            while True:
                data, peer = await sock.recvfrom(MAX_DATAGRAM)
                answer = self.answer(lab, binding, data, peer, local)
                if answer is not None:
                    try:
                        await sock.sendto(answer, peer)
                    except OSError as exc:  # the manager's port is gone: its loss only
                        log.info("SNMP answer to %s not sent: %s", peer, exc)

    @staticmethod
    def answer(lab: ServiceHost, binding: Binding, data: bytes, peer: tuple,
               local: tuple) -> bytes | None:
        router = lab.router
        try:
            if not ingress.admitted_datagram(lab, peer, local, binding.configured_port):
                return None
            return handle(router, router.snmp, data, lab.addresses.to_configured(peer[0]),
                          binding.configured_address)
        except Exception as exc:  # one bad datagram must not stop the agent
            log.error("SNMP datagram from %s dropped after an internal error", peer[0],
                      exc_info=exc)
            router.snmp.counters.general_errors += 1
            # [U] lab wording: IOS's agent would answer genErr
            router.log.log(f"%SNMP-3-INTERNAL: datagram from {peer[0]} dropped: "
                           f"{describe(exc)}")
            return None
