"""The NTP client: one UDP association per `ntp server` line, a thin adapter.

It sends the requests `router.ntp` makes (`router/ntp.py`), from the address `ntp source`
gives, to the loopback address and port the lab maps the server and port 123 to, and hands
every datagram that comes back to `router.ntp.receive`, which alone decides whether the clock
moves. The socket is connected, so only the server's datagrams are read; an ICMP error (no
server there) is a poll without an answer. Each wait is bounded; a reply flood is read at most
REPLIES_PER_POLL times a poll.
"""

from __future__ import annotations

import time
from ipaddress import IPv4Address

import trio

from cucme_lab.router.ntp import BURST_INTERVAL, DEFAULT_VERSION, NtpAuth
from cucme_lab.router.source_address import source_for
from cucme_lab.services.host import ServiceHost
from cucme_lab.services.manager import Binding

NTP_PORT = 123
REPLY_WAIT = 1.5  # seconds a request waits for its answer
REPLIES_PER_POLL = 8  # datagrams read per poll at most (a flood is not read forever)
MAX_DATAGRAM = 1024


class NtpService:
    name = "ntp"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        config = lab.router.config
        bindings = []
        for server in config.ntp_servers:
            source = source_for(config, server.address, config.ntp_source)
            bindings.append(Binding(self.name, str(server.address), NTP_PORT, "udp", (
                ("source", str(source) if source else None), ("key", server.key),
                ("prefer", server.prefer), ("version", server.version))))
        return bindings

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        router, plan = lab.router, lab.addresses
        address = IPv4Address(binding.configured_address)
        local, destination = binding.client_ends(plan)
        key_id, prefer = binding.option("key"), binding.option("prefer", False)
        with trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM) as sock:
            await sock.bind((local, 0))
            await sock.connect(destination)
            task_status.started(sock.getsockname()[:2])
            try:
                while True:
                    began = trio.current_time()
                    assoc = router.ntp.association(address)  # (a reload makes router.ntp anew)
                    await self._poll(router, sock, assoc, key_id, prefer,
                                     binding.option("version") or DEFAULT_VERSION)
                    interval = assoc.poll if assoc.answered else BURST_INTERVAL
                    await trio.sleep_until(began + interval)
            finally:
                router.ntp.remove(address, router.clock)

    async def _poll(self, router, sock, assoc, key_id: int | None, prefer: bool,
                    version: int) -> None:
        config = router.config
        auth = NtpAuth(config.ntp_authenticate,
                       {k.key_id: k.secret.encode() for k in config.ntp_keys},
                       frozenset(config.ntp_trusted_keys))
        secret = config.ntp_key(key_id)
        key = (key_id, secret) if key_id is not None and secret is not None else None
        emit = router.log.log if config.ntp_logging else None
        try:
            await sock.send(router.ntp.request(assoc, router.clock, key, emit, version))
        except OSError:
            return  # (an earlier ICMP error reported here): this poll goes unanswered
        with trio.move_on_after(REPLY_WAIT):
            for _ in range(REPLIES_PER_POLL):
                try:
                    data = await sock.recv(MAX_DATAGRAM)
                except OSError:  # connection refused: nothing listens there
                    return
                why = router.ntp.receive(assoc, data, router.clock, auth, key_id, prefer,
                                         time.monotonic(), emit, router.log.log)
                if why is None:
                    return
