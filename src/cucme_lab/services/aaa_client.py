"""The router's AAA client: one question to one TACACS+ or RADIUS server, within its deadline.

A thin trio adapter around the sans-I/O codecs (`wire.tacacs`, `wire.radius`): it opens the
TCP connection or UDP socket from the `ip tacacs|radius source-interface` address (on the
lab's loopback plan), sends, waits at most the server's timeout (RADIUS: once more per
`retransmit`), and turns whatever happens into PASS, FAIL or ERROR with a reason. Nothing a
server sends can raise out of here. Accounting records are queued and sent by one task, so a
dead server never slows a login or a command; when the queue is full a record is dropped and
logged, as IOS drops records it cannot send.
"""

from __future__ import annotations

import logging
import secrets
import socket
import struct
import time
from typing import Any

import trio

from cucme_lab.router import aaa
from cucme_lab.router.aaa import AaaServer, AccountingRecord, Answer, LoginRequest, Protocol_
from cucme_lab.wire import radius, tacacs

log = logging.getLogger(__name__)
QUEUE = 256  # accounting records waiting at most
RECV = 4096


class AaaClient:
    """The `ServerTransport` the lab gives the router (`router.aaa.transport`)."""

    def __init__(self, router: Any) -> None:
        self.router = router
        self._send, self._receive = trio.open_memory_channel[
            tuple[list[AaaServer], AccountingRecord]](QUEUE)
        self._radius_id = secrets.randbelow(256)
        self.dropped = 0

    # --- the lab runs this in its nursery ----------------------------------------------------
    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for servers, record in self._receive:
            try:
                await self._account(servers, record)
            except Exception:  # a bug costs one record, never the queue
                log.exception("accounting record failed")

    def account(self, servers: list[AaaServer], record: AccountingRecord) -> None:
        try:
            self._send.send_nowait((servers, record))
        except trio.WouldBlock:
            self.dropped += 1
            self.router.log.log("%AAA-3-DROPACCTFAIL: Accounting record dropped, send to server "
                                "failed: queue full")  # [M] IOS's tag; the reason is ours

    async def authenticate(self, server: AaaServer, request: LoginRequest) -> Answer:
        counters = self.router.aaa.counters_for(server)
        counters.authen_requests += 1
        began = time.monotonic()
        try:
            if server.protocol is Protocol_.TACACS:
                answer = await self._tacacs_login(server, request)
            else:
                answer = await self._radius_login(server, request)
        except Exception as exc:  # never let a server's answer take the login down
            log.exception("AAA request to %s failed", server.address)
            answer = Answer(aaa.ERROR, f"internal error {type(exc).__name__}")
        counters.authen_time_ms = int((time.monotonic() - began) * 1000)
        if answer.outcome == aaa.PASS:
            counters.accepts += 1
            counters.authen_success += 1
        elif answer.outcome == aaa.FAIL:
            counters.rejects += 1
            counters.authen_success += 1  # a transaction answered, as IOS counts it
        else:
            counters.authen_failure += 1
        self._mark(server, counters, answer.outcome != aaa.ERROR)
        return answer

    def _mark(self, server: AaaServer, counters: Any, up: bool) -> None:
        """A server's state; a RADIUS server's changes are logged as IOS logs them [C]."""
        was = counters.up
        counters.mark(up)
        if server.protocol is not Protocol_.RADIUS or was == up:
            return
        where = f"{server.address}:{server.auth_port},{server.acct_port}"
        self.router.log.log(f"%RADIUS-4-RADIUS_DEAD: RADIUS server {where} is not responding."
                            if not up else
                            f"%RADIUS-4-RADIUS_ALIVE: RADIUS server {where} is being marked "
                            "alive.")

    async def authorize(self, server: AaaServer, request: LoginRequest) -> Answer:
        if server.protocol is not Protocol_.TACACS:
            return Answer(aaa.ERROR, "RADIUS authorizes in its Access-Accept")
        session = tacacs.ClientSession(server.key.encode(), secrets.randbits(32))
        first = session.start_authorization(tacacs.AuthorRequest(
            1, request.user.encode()[:255], request.port.encode()[:255],
            request.rem_addr.encode()[:255], (b"service=shell", b"cmd*")))
        try:
            reason = await self._tacacs_exchange(server, session, first)
        except Exception as exc:  # never let a server's answer take the login down
            log.exception("TACACS+ authorization with %s failed", server.address)
            return Answer(aaa.ERROR, f"internal error {type(exc).__name__}")
        if session.outcome != aaa.PASS:
            return Answer(session.outcome or aaa.ERROR, reason)
        level = session.granted.get("priv-lvl", "")
        return Answer(aaa.PASS, priv=int(level) if level.isdigit() and int(level) <= 15
                      else None)

    # --- addresses ---------------------------------------------------------------------------
    def _endpoints(self, server: AaaServer, port: int) -> tuple[str | None, tuple[str, int]]:
        addresses = self.router.addresses
        source = aaa.source_address(self.router, server.source_interface)
        bind = addresses.to_loopback(source) if source else None
        return bind, (addresses.to_loopback(server.address), addresses.port(port))

    def _nas_ip(self, server: AaaServer) -> str:
        return aaa.source_address(self.router, server.source_interface) or "0.0.0.0"

    # --- TACACS+ -----------------------------------------------------------------------------
    async def _tacacs_exchange(self, server: AaaServer, session: tacacs.ClientSession,
                               first: bytes) -> str:
        """Run one session on its own connection; the reason when it ends in ERROR."""
        counters = self.router.aaa.counters_for(server)
        bind, target = self._endpoints(server, server.auth_port)
        sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with sock, trio.move_on_after(server.timeout) as scope:
            if bind:
                await sock.bind((bind, 0))
            try:
                await sock.connect(target)
            except OSError as exc:
                counters.failed_connects += 1
                session.outcome = aaa.ERROR
                return f"connection failed: {exc.strerror or exc}"
            counters.socket_opens += 1
            stream = trio.SocketStream(sock)
            out = [first]
            while session.outcome is None:
                for packet in out:
                    await stream.send_all(packet)
                    counters.packets_sent += 1
                try:
                    data = await stream.receive_some(RECV)
                except (trio.BrokenResourceError, OSError) as exc:
                    counters.socket_errors += 1
                    session.outcome = aaa.ERROR
                    return f"connection error: {exc}"
                if not data:
                    session.connection_lost()
                    break
                counters.packets_recv += 1
                out = session.receive(data)
            counters.socket_closes += 1
        if scope.cancelled_caught:
            counters.socket_timeouts += 1
            session.outcome = aaa.ERROR
            return f"no answer within {server.timeout:g} s"
        return session.reason

    async def _tacacs_login(self, server: AaaServer, request: LoginRequest) -> Answer:
        session = tacacs.ClientSession(server.key.encode(), secrets.randbits(32))
        first = session.start_login(request.user, request.password, port=request.port,
                                    rem_addr=request.rem_addr, enable=request.enable)
        reason = await self._tacacs_exchange(server, session, first)
        if session.outcome == aaa.ERROR:
            counters = self.router.aaa.counters_for(server)
            if "wrong key" in reason or "lengths" in reason or "status" in reason:
                counters.incorrect += 1
            return Answer(aaa.ERROR, reason or "error")
        return Answer(session.outcome or aaa.ERROR, reason)

    # --- RADIUS ------------------------------------------------------------------------------
    def _identifier(self) -> int:
        self._radius_id = (self._radius_id + 1) % 256
        return self._radius_id

    async def _radius_exchange(self, server: AaaServer, port: int, packet: bytes,
                               identifier: int, request_auth: bytes, accounting: bool
                               ) -> radius.Packet | str:
        """Send, retransmit on timeout, and return the checked reply or why there is none."""
        counters = self.router.aaa.counters_for(server)
        bind, target = self._endpoints(server, port)
        secret = server.key.encode()
        with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            await sock.bind((bind or "127.0.0.1", 0))
            try:
                await sock.connect(target)
            except OSError as exc:
                return f"cannot send: {exc.strerror or exc}"
            why = "no answer"
            for attempt in range(1 + max(0, server.retransmit)):
                if attempt:
                    if accounting:
                        counters.acct_retransmissions += 1
                    else:
                        counters.authen_retransmissions += 1
                try:
                    await sock.send(packet)
                except OSError as exc:
                    return f"cannot send: {exc.strerror or exc}"
                counters.packets_sent += 1
                with trio.move_on_after(server.timeout):
                    while True:
                        try:
                            data = await sock.recv(RECV)
                        except OSError as exc:  # ICMP port unreachable: nothing listens
                            why = f"port unreachable ({exc.strerror or exc})"
                            await trio.sleep(server.timeout)  # IOS waits out its timeout
                            break
                        counters.packets_recv += 1
                        try:
                            return radius.check_reply(data, identifier, request_auth, secret)
                        except radius.RadiusError as exc:
                            counters.incorrect += 1
                            why = str(exc)  # dropped, as RFC 2865 says; keep waiting
                if accounting:
                    counters.acct_timeouts += 1
                else:
                    counters.authen_timeouts += 1
            return f"{why} after {1 + max(0, server.retransmit)} tries of " \
                   f"{server.timeout:g} s"

    async def _radius_login(self, server: AaaServer, request: LoginRequest) -> Answer:
        identifier = self._identifier()
        user = request.user if not request.enable else "$enab15$"  # [M] IOS's enable user
        extra = [(radius.Attr.NAS_PORT_TYPE, struct.pack("!I", radius.NAS_PORT_VIRTUAL))]
        if request.rem_addr:
            extra.append((radius.Attr.CALLING_STATION_ID, request.rem_addr.encode()[:253]))
        packet, auth = radius.access_request(identifier, server.key.encode(), user,
                                             request.password, self._nas_ip(server), extra)
        reply = await self._radius_exchange(server, server.auth_port, packet, identifier, auth,
                                            accounting=False)
        if isinstance(reply, str):
            return Answer(aaa.ERROR, reply)
        if reply.code == radius.Code.ACCESS_ACCEPT:
            level = reply.cisco_avpairs().get("shell:priv-lvl", "")
            return Answer(aaa.PASS, priv=int(level) if level.isdigit() and
                          int(level) <= 15 else None)
        if reply.code == radius.Code.ACCESS_REJECT:
            return Answer(aaa.FAIL)
        self.router.aaa.counters_for(server).server_errors += 1
        return Answer(aaa.ERROR, f"unexpected reply code {reply.code}")

    # --- accounting --------------------------------------------------------------------------
    async def _account(self, servers: list[AaaServer], record: AccountingRecord) -> None:
        reasons = []
        for server in servers:
            counters = self.router.aaa.counters_for(server)
            counters.acct_requests += 1
            if record.start:
                counters.acct_start_requests += 1
            else:
                counters.acct_stop_requests += 1
            began = time.monotonic()
            if server.protocol is Protocol_.TACACS:
                reason = await self._tacacs_account(server, record)
            else:
                reason = await self._radius_account(server, record)
            counters.acct_time_ms = int((time.monotonic() - began) * 1000)
            if reason is None:
                counters.acct_success += 1
                if record.start:
                    counters.acct_start_responses += 1
                else:
                    counters.acct_stop_responses += 1
                return
            counters.acct_failure += 1
            reasons.append(f"{server.address}: {reason}")
        kind = f"{record.kind}-{'start' if record.start else 'stop'}"
        self.router.log.log(f"%AAA-3-DROPACCTFAIL: Accounting record dropped, send to server "
                            f"failed: {kind}")  # [M]
        log.info("accounting record dropped: %s", "; ".join(reasons))

    async def _tacacs_account(self, server: AaaServer, record: AccountingRecord) -> str | None:
        args = [f"task_id={record.task_id}", "timezone=UTC", "service=shell"]
        if record.start:
            args.append(f"start_time={int(record.stamp)}")
        else:
            args += [f"stop_time={int(record.stamp)}", f"elapsed_time={record.elapsed}"]
        if record.kind == "command":
            args += [f"priv-lvl={record.priv}", f"cmd={record.command}"]
        request = tacacs.AcctRequest(
            tacacs.ACCT_FLAG_START if record.start else tacacs.ACCT_FLAG_STOP, record.priv,
            record.user.encode()[:255], record.port.encode()[:255],
            record.rem_addr.encode()[:255], tuple(a.encode()[:255] for a in args))
        session = tacacs.ClientSession(server.key.encode(), secrets.randbits(32))
        reason = await self._tacacs_exchange(server, session, session.start_accounting(request))
        return None if session.outcome == aaa.PASS else (reason or "error")

    async def _radius_account(self, server: AaaServer, record: AccountingRecord) -> str | None:
        identifier = self._identifier()
        extra: list[tuple[int, bytes]] = [
            (radius.Attr.NAS_PORT_TYPE, struct.pack("!I", radius.NAS_PORT_VIRTUAL))]
        if record.rem_addr:
            extra.append((radius.Attr.CALLING_STATION_ID, record.rem_addr.encode()[:253]))
        if not record.start:
            extra.append((radius.Attr.ACCT_SESSION_TIME, struct.pack("!I", record.elapsed)))
        if record.kind == "command":
            avpair = f"shell:cmd={record.command}".encode()[:247]
            extra.append((radius.Attr.VENDOR_SPECIFIC, struct.pack(
                "!IBB", radius.CISCO_VENDOR, radius.CISCO_AVPAIR, len(avpair) + 2) + avpair))
        packet, auth = radius.accounting_request(
            identifier, server.key.encode(),
            radius.ACCT_START if record.start else radius.ACCT_STOP,
            f"{record.task_id:08X}", record.user, self._nas_ip(server), extra)
        reply = await self._radius_exchange(server, server.acct_port, packet, identifier, auth,
                                            accounting=True)
        if isinstance(reply, str):
            return reply
        return None if reply.code == radius.Code.ACCOUNTING_RESPONSE else \
            f"unexpected reply code {reply.code}"
