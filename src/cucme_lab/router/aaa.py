"""AAA decisions: which servers a method list names, what each answer means, what to account.

IOS walks a method list in order and moves to the next method only on an ERROR (no server
answered, a wrong key, a malformed reply): a server that answers FAIL ends the walk, and the
user is refused even when `local` follows. This module decides; it does no I/O. The lab gives
the router a `ServerTransport` (`services/aaa_client.py`) that asks one server one question
within that server's deadline; its counters (`show aaa servers`, `show tacacs`) live here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any, Protocol

from cucme_lab.router import access as ra
from cucme_lab.router.config.aaa import (
    DEFAULT_RETRANSMIT,
    DEFAULT_TIMEOUT,
    RADIUS_ACCT_PORT,
    RADIUS_AUTH_PORT,
    RADIUS_SERVER_KIND,
    SERVER_GROUP_KIND,
    RadiusServerBlock,
    ServerGroupBlock,
)

if TYPE_CHECKING:
    from cucme_lab.router.config.root import RootConfig

TACACS_PORT = 49
PASS, FAIL, ERROR = ra.PASS, ra.FAIL, ra.ERROR


class Protocol_(StrEnum):
    TACACS = "tacacs+"
    RADIUS = "radius"


@dataclass(frozen=True)
class AaaServer:
    """One server as the configuration describes it (configured addresses, clear key)."""

    protocol: Protocol_
    address: str
    auth_port: int
    acct_port: int
    key: str
    timeout: float
    retransmit: int = 0
    source_interface: str | None = None
    name: str | None = None

    @property
    def counter_key(self) -> tuple[str, str, int]:
        return (self.protocol.value, self.address, self.auth_port)


@dataclass(frozen=True)
class LoginRequest:
    user: str
    password: str
    port: str = ""  # `tty0`, `tty2` (vty 0)... as IOS names the line to servers
    rem_addr: str = ""  # the client's configured address
    enable: bool = False


@dataclass(frozen=True)
class Answer:
    outcome: str  # PASS, FAIL or ERROR
    reason: str = ""
    priv: int | None = None  # a privilege the server granted (RADIUS `shell:priv-lvl`)


@dataclass(frozen=True)
class AccountingRecord:
    kind: str  # exec or command
    start: bool
    user: str
    port: str
    rem_addr: str
    task_id: int
    priv: int = 1
    command: str = ""
    elapsed: int = 0  # seconds, for a stop record
    stamp: float = field(default_factory=time.time)


class ServerTransport(Protocol):
    """How the router reaches its AAA servers (built by the lab, in the services layer)."""

    async def authenticate(self, server: AaaServer, request: LoginRequest) -> Answer: ...

    async def authorize(self, server: AaaServer, request: LoginRequest) -> Answer:
        """Exec authorization: PASS with the level the server gives, FAIL, or ERROR."""
        ...

    def account(self, servers: list[AaaServer], record: AccountingRecord) -> None:
        """Queue a record for the first of `servers` that answers; never waits."""
        ...


@dataclass
class ServerCounters:
    """What `show tacacs` and `show aaa servers` count for one server."""

    socket_opens: int = 0
    socket_closes: int = 0
    socket_aborts: int = 0
    socket_errors: int = 0
    socket_timeouts: int = 0
    failed_connects: int = 0
    packets_sent: int = 0
    packets_recv: int = 0
    authen_requests: int = 0
    authen_timeouts: int = 0
    authen_retransmissions: int = 0
    accepts: int = 0
    rejects: int = 0
    server_errors: int = 0
    incorrect: int = 0
    authen_success: int = 0
    authen_failure: int = 0
    authen_time_ms: int = 0
    acct_requests: int = 0
    acct_timeouts: int = 0
    acct_retransmissions: int = 0
    acct_start_requests: int = 0
    acct_stop_requests: int = 0
    acct_start_responses: int = 0
    acct_stop_responses: int = 0
    acct_success: int = 0
    acct_failure: int = 0
    acct_time_ms: int = 0
    dead_count: int = 0
    up: bool = True
    since: float = field(default_factory=time.time)
    cleared: float = field(default_factory=time.time)

    def mark(self, up: bool) -> None:
        if up != self.up:
            self.up, self.since = up, time.time()
            if not up:
                self.dead_count += 1


@dataclass
class AaaRuntime:
    """The router's AAA memory: the transport the lab gave it and the counters."""

    transport: ServerTransport | None = None
    counters: dict[tuple[str, str, int], ServerCounters] = field(default_factory=dict)
    next_task_id: int = 1
    accounted: int = 0  # records handed to the transport

    def counters_for(self, server: AaaServer) -> ServerCounters:
        return self.counters.setdefault(server.counter_key, ServerCounters())

    def task_id(self) -> int:
        self.next_task_id += 1
        return self.next_task_id - 1


# --- which servers a group names -------------------------------------------------------------

def tacacs_servers(config: RootConfig) -> list[AaaServer]:
    key = config.tacacs_key.clear if config.tacacs_key is not None else ""
    timeout = config.tacacs_timeout or DEFAULT_TIMEOUT
    return [AaaServer(Protocol_.TACACS, str(host), TACACS_PORT, TACACS_PORT,
                      s.key if s.key else key, timeout,
                      source_interface=config.tacacs_source_interface)
            for host, s in config.tacacs_servers.items()]


def radius_servers(config: RootConfig) -> list[AaaServer]:
    key = config.radius_key.clear if config.radius_key is not None else ""
    timeout = config.radius_timeout or DEFAULT_TIMEOUT
    retransmit = DEFAULT_RETRANSMIT if config.radius_retransmit is None \
        else config.radius_retransmit
    out = [AaaServer(Protocol_.RADIUS, str(h.host), h.auth_port, h.acct_port,
                     h.key if h.key else key, timeout, retransmit,
                     config.radius_source_interface)
           for h in config.radius_hosts.values()]
    for block in config.sections(RADIUS_SERVER_KIND):
        if isinstance(block, RadiusServerBlock) and block.address is not None:
            a = block.address
            out.append(AaaServer(
                Protocol_.RADIUS, str(a.host), a.auth_port, a.acct_port,
                block.key.clear if block.key is not None else key,
                block.timeout or timeout,
                retransmit if block.retransmit is None else block.retransmit,
                config.radius_source_interface, block.name))
    return out


def group_servers(config: RootConfig, group: str) -> list[AaaServer]:
    """`group tacacs+` and `group radius`: every server of that protocol, in order; `group
    NAME`: the servers of `aaa group server tacacs+|radius NAME`, in the group's order."""
    if group == Protocol_.TACACS:
        return tacacs_servers(config)
    if group == Protocol_.RADIUS:
        return radius_servers(config)
    block = next((b for b in config.sections(SERVER_GROUP_KIND)
                  if isinstance(b, ServerGroupBlock) and b.name == group), None)
    return [] if block is None else named_group_servers(config, block)


def named_group_servers(config: RootConfig, block: ServerGroupBlock) -> list[AaaServer]:
    """A server group's entries: a `server A.B.C.D` not configured on its own gets the global
    key and ports, as on IOS; `server name X` names a `radius server X` block."""
    tacacs = block.protocol == Protocol_.TACACS
    known = tacacs_servers(config) if tacacs else radius_servers(config)
    out = []
    for entry in block.servers:
        if entry.startswith("name "):
            found = next((s for s in known if s.name == entry[5:]), None)
        else:
            found = next((s for s in known if s.address == entry and s.name is None), None)
            if found is None and tacacs:
                key = config.tacacs_key.clear if config.tacacs_key is not None else ""
                found = AaaServer(Protocol_.TACACS, entry, TACACS_PORT, TACACS_PORT, key,
                                  config.tacacs_timeout or DEFAULT_TIMEOUT,
                                  source_interface=config.tacacs_source_interface)
            elif found is None:
                key = config.radius_key.clear if config.radius_key is not None else ""
                found = AaaServer(Protocol_.RADIUS, entry, RADIUS_AUTH_PORT, RADIUS_ACCT_PORT,
                                  key, config.radius_timeout or DEFAULT_TIMEOUT,
                                  DEFAULT_RETRANSMIT if config.radius_retransmit is None
                                  else config.radius_retransmit,
                                  config.radius_source_interface)
        if found is not None:
            if block.source_interface:
                found = replace(found, source_interface=block.source_interface)
            out.append(found)
    return out


def all_servers(config: RootConfig) -> list[AaaServer]:
    """Every server, configured on its own or only in a server group (each once)."""
    out = radius_servers(config) + tacacs_servers(config)
    seen = {s.counter_key for s in out}
    for block in config.sections(SERVER_GROUP_KIND):
        if isinstance(block, ServerGroupBlock):
            for server in named_group_servers(config, block):
                if server.counter_key not in seen:
                    seen.add(server.counter_key)
                    out.append(server)
    return out


def source_address(router: Any, interface: str | None) -> str | None:
    """The configured address of `ip tacacs|radius source-interface`, if it has one."""
    if not interface:
        return None
    intf = router.interface(interface)
    address = intf.address if intf is not None else None
    return None if address is None else str(address.ip)


# --- method lists ----------------------------------------------------------------------------

@dataclass
class AaaVerdict(ra.Verdict):
    """A login's verdict, with what AAA added: the level a RADIUS Accept carried and whether
    exec authorization refused the session."""

    granted: int | None = None
    authorization_failed: bool = False


async def group_answer(router: Any, group: str, request: LoginRequest,
                       authorize: bool = False) -> Answer:
    """Ask the group's servers in order; the first PASS or FAIL is the answer.

    No transport, no servers, or every server in ERROR: the group's answer is ERROR, and the
    reason of each is logged, so an admin sees why the next method was used.
    """
    servers = group_servers(router.config, group)
    transport = router.aaa.transport
    if not servers or transport is None:
        return Answer(ERROR, "no servers" if not servers else "no transport")
    reasons = []
    for server in servers:
        if authorize:
            answer = await transport.authorize(server, request)
        else:
            answer = await transport.authenticate(server, request)
        if answer.outcome != ERROR:
            return answer
        reasons.append(f"{server.address}: {answer.reason}")
        # [U] the lab's own text: IOS is silent here unless `debug aaa authentication` is on
        router.log.log(f"%AAA-3-SERVER_ERROR: {server.protocol.value.upper()} server "
                       f"{server.address} gave no answer for {request.user or 'enable'}: "
                       f"{answer.reason}")
    return Answer(ERROR, "; ".join(reasons))


async def walk(router: Any, sec: Any, methods: list[str], request: LoginRequest,
               on_try: Callable[[str, str], None] | None = None) -> AaaVerdict:
    """Walk a login (or enable) method list: the verdict and each method's answer."""
    verdict = AaaVerdict(False)
    config = router.config
    for method in methods:
        priv = ra.line_privilege(sec)
        if method.startswith("group "):
            answer = await group_answer(router, method.split(" ", 1)[1], request)
            result = answer.outcome  # a level the server granted (a RADIUS Accept's
            verdict.granted = answer.priv  # priv-lvl) applies only with exec authorization
        elif request.enable and method == "enable":
            result = PASS if ra.check_enable(config, request.password) else \
                (FAIL if ra.enable_password_set(config) else ERROR)
            priv = ra.ENABLE_LEVEL
        else:
            result, priv = ra.try_method(config, sec, method, request.user, request.password,
                                         lambda _group: ERROR)
        verdict.tried.append((method, result))
        if on_try is not None:
            on_try(method, result)
        if result == PASS:
            verdict.ok, verdict.priv, verdict.method = True, priv, method
            return verdict
        if result == FAIL:
            verdict.method = method
            return verdict
    return verdict


async def authorize_exec(router: Any, verdict: AaaVerdict, request: LoginRequest,
                         sec: Any = None) -> None:
    """`aaa authorization exec default METHODS`: the session's level, or its refusal.

    TACACS+ is asked (`service=shell`) and its `priv-lvl` becomes the session's level; RADIUS
    authorizes with the attributes of the Accept that admitted the user; `local` gives a local
    user's level; `if-authenticated` and `none` keep the line's. A FAIL, or an ERROR from every
    method, refuses the session, as IOS does.
    """
    config = router.config
    name = getattr(sec, "authorization_exec", None) or "default"  # the line's list, if named
    methods = config.authorization_exec.get(name) if config.aaa_new_model else None
    if not methods or not verdict.ok:
        return
    for method in methods:
        priv: int | None = None
        if method.startswith("group "):
            group = method.split(" ", 1)[1]
            servers = group_servers(config, group)
            if servers and servers[0].protocol is Protocol_.RADIUS:
                result = PASS if verdict.method == method else ERROR
                priv = verdict.granted
            else:
                answer = await group_answer(router, group, request, authorize=True)
                result, priv = answer.outcome, answer.priv
        elif method == "local":
            user = config.users.get(request.user)
            result, priv = (FAIL, None) if user is None else (PASS, user.level)
        elif method in ("if-authenticated", "none"):
            result = PASS
        else:
            result = ERROR
        if result == PASS:
            if priv is not None:
                verdict.priv = priv
            return
        if result == FAIL:
            break
    verdict.ok, verdict.authorization_failed = False, True


async def login(router: Any, sec: Any, methods: list[str], request: LoginRequest
                ) -> AaaVerdict:
    """A login: the authentication list, then exec authorization when one is configured."""
    verdict = await walk(router, sec, methods, request)
    await authorize_exec(router, verdict, request, sec)
    return verdict


# --- accounting ------------------------------------------------------------------------------

def _accounting_servers(config: RootConfig, methods: tuple[str, ...]) -> list[AaaServer]:
    servers: list[AaaServer] = []
    for method in methods:
        if method.startswith("group "):
            servers += group_servers(config, method.split(" ", 1)[1])
    return servers


def _send(router: Any, methods: tuple[str, ...] | None, record: AccountingRecord) -> None:
    transport = router.aaa.transport
    if methods is None or transport is None or not router.config.aaa_new_model:
        return
    servers = _accounting_servers(router.config, methods)
    if servers:
        router.aaa.accounted += 1
        transport.account(servers, record)


@dataclass
class ExecAccounting:
    """One EXEC session's accounting: a START when it begins, a STOP when it ends."""

    router: Any
    user: str
    port: str
    rem_addr: str
    task_id: int = 0
    started: float = 0.0
    stop_only: bool = False
    methods: tuple[str, ...] | None = None

    @classmethod
    def begin(cls, router: Any, user: str, port: str, rem_addr: str, sec: Any = None
              ) -> ExecAccounting:
        """`sec`: the line, whose `accounting exec LIST` names the list (else `default`)."""
        name = getattr(sec, "accounting_exec", None) or "default"
        acct = router.config.accounting_exec.get(name)
        session = cls(router, user, port, rem_addr, router.aaa.task_id(), time.time())
        if acct is None or acct.record == "none":
            return session
        session.methods, session.stop_only = acct.methods, acct.record == "stop-only"
        if not session.stop_only:
            _send(router, acct.methods, AccountingRecord("exec", True, user, port, rem_addr,
                                                         session.task_id))
        return session

    def end(self) -> None:
        if self.methods is None:
            return
        methods, self.methods = self.methods, None
        _send(self.router, methods, AccountingRecord(
            "exec", False, self.user, self.port, self.rem_addr, self.task_id,
            elapsed=int(time.time() - self.started)))


def command_typed(router: Any, user: str, priv: int, port: str, rem_addr: str,
                  command: str) -> None:
    """`aaa accounting commands N default ...`: a record for a command run at level N."""
    acct = router.config.accounting_commands.get((priv, "default"))
    if acct is None or acct.record == "none":
        return
    task = router.aaa.task_id()
    text = f"{command.strip()} <cr>"  # [D] the chapter's record: `cmd=show version <cr>`
    if acct.record == "start-stop":
        _send(router, acct.methods, AccountingRecord("command", True, user, port, rem_addr,
                                                     task, priv, text))
    _send(router, acct.methods, AccountingRecord("command", False, user, port, rem_addr, task,
                                                 priv, text))


def server_addresses(config: RootConfig) -> list[tuple[str, IPv4Address]]:
    """(role, configured address) of every AAA server, for the lab's manifest."""
    return [(s.protocol.value, IPv4Address(s.address)) for s in all_servers(config)]
