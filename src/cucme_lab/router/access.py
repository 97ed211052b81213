"""Who may reach the router's vty lines, and how they prove who they are.

The rules of the Cisco chapter, as the router applies them to real connections:

* which vty line a new connection gets (`line vty 0 N`, the lowest free line whose
  `transport input` accepts the protocol; none free means refused),
* `access-class N in` on that line, judged by the client's configured address (numbered
  standard and extended ACLs, with the hit counters `show access-lists` prints),
* the login method list of the line: `no login`, `login` (line password), `login local`, or
  with `aaa new-model` the AAA list (`group tacacs+`, `local`, `enable`, `line`, `none`),
* the enable method (`enable secret` over `enable password`, levels, the AAA enable list),
* per-command privilege levels from `privilege exec level N COMMAND`.

This module is sans-I/O: it reads the configuration tree and answers. Trying a TACACS+ server
is network I/O, so the caller does it and tells `walk_methods` what happened. The shell's vty
front end, which the network services hand connections to, is given to them by the lab
(`cucme_lab.services.host.Frontend`).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.access_config import (
    DEFAULT_LOGIN_RESPONSE,
    ENABLE_LEVEL,
    AclEntry,
    AclLine,
    ExtendedEntry,
    LoginMode,
    PortMatch,
    Remark,
    TerminalLine,
    Transport,
    VtyLines,
    is_standard,
    vty_blocks,
)
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.section import Section

PROTOCOL_PORTS = {"ssh": 22, "telnet": 23}
CONSOLE_LINE = 0
AUX_LINE = 1
FIRST_VTY = 2  # absolute line numbers as a 2800 without async modules numbers them [M]


# --- lines -----------------------------------------------------------------------------------

def vty_sections(config: Section) -> list[VtyLines]:
    return vty_blocks(config)


def vty_count(config: Section) -> int:
    """How many vty lines exist: `line vty 0 4` makes five, `line vty 5 15` eleven more."""
    return max((sec.last for sec in vty_blocks(config)), default=-1) + 1


def vty_section(config: Section, number: int) -> VtyLines | None:
    for sec in vty_blocks(config):
        if sec.first <= number <= sec.last:
            return sec
    return None


def transports(sec: TerminalLine | None) -> list[str]:
    """What `transport input` lets in. IOS 12.4 lets in every protocol by default [M]; the
    chapter's "by default the vty's transport is Telnet" predates SSH on the router."""
    if sec is None:
        return []
    protos = sec.transport_input
    if protos is None or protos == (Transport.ALL,):
        return [Transport.SSH, Transport.TELNET]
    if protos == (Transport.NONE,):
        return []
    return list(protos)


def exec_timeout(sec: TerminalLine | None) -> float | None:
    """Seconds of idle input before the line is dropped; None when `exec-timeout 0 0`."""
    if sec is None or sec.exec_timeout is None:
        return 600.0
    seconds = sec.exec_timeout.total
    return float(seconds) if seconds > 0 else None


def login_response_timeout(sec: TerminalLine | None) -> float | None:
    """Seconds to answer each login prompt (`timeout login response`, else 30); None for 0.

    The whole answer must come in that time: keys typed meanwhile do not restart it.
    """
    if sec is None or sec.login_response is None:
        return float(DEFAULT_LOGIN_RESPONSE)
    return float(sec.login_response) if sec.login_response > 0 else None


def line_privilege(sec: TerminalLine | None) -> int:
    if sec is None or sec.privilege is None:
        return 1
    return sec.privilege


# --- access lists ----------------------------------------------------------------------------

@dataclass
class Packet:
    """What an ACL sees of a new TCP connection."""

    src: str
    dst: str
    dport: int
    sport: int = 0
    proto: str = "tcp"


def _acl_number(acl: int | str) -> int | None:
    """The number an access-class names; None for a name (no named lists are configurable)."""
    try:
        return int(acl)
    except ValueError:
        return None


def acl_entries(config: RootConfig, acl: int | str) -> list[AclLine]:
    """The lines of numbered ACL `acl` in order, remarks included."""
    number = _acl_number(acl)
    return [] if number is None else list(config.access_lists.get(number, []))


def acl_defined(config: RootConfig, acl: int | str) -> bool:
    return any(not isinstance(e, Remark) for e in acl_entries(config, acl))


def _net_match(net: ipaddress.IPv4Network | None, addr: str) -> bool:
    if net is None:
        return True
    try:
        return ipaddress.IPv4Address(addr) in net
    except ValueError:
        return False


def _proto_match(proto: str, packet: Packet) -> bool:
    if proto == "ip":
        return True
    numbers = {"tcp": "6", "udp": "17", "icmp": "1"}
    return proto == packet.proto or proto == numbers.get(packet.proto)


def entry_matches(entry: AclLine, packet: Packet) -> bool:
    if isinstance(entry, Remark):
        return False
    if not isinstance(entry, ExtendedEntry):  # standard ACL: the source address only
        return _net_match(entry.source, packet.src)
    if not _proto_match(entry.protocol, packet):
        return False
    if entry.established:
        return False  # a new connection's SYN has no ACK or RST set
    return (_net_match(entry.source, packet.src)
            and _net_match(entry.destination, packet.dst)
            and (entry.source_port is None or entry.source_port.matches(packet.sport))
            and (entry.destination_port is None
                 or entry.destination_port.matches(packet.dport)))


@dataclass
class AclCounters:
    """The match counts `show access-lists` prints: runtime state, not configuration.

    Counted per entry object, so an entry typed again (or a list removed and typed anew)
    starts from zero, and counts go with a reload. Each count holds its entry, so that the
    entry's id cannot be reused while it is counted.
    """

    hits: dict[int, tuple[AclEntry, int]] = field(default_factory=dict)

    def count(self, entry: AclEntry) -> None:
        self.hits[id(entry)] = (entry, self.of(entry) + 1)

    def of(self, entry: AclEntry) -> int:
        held = self.hits.get(id(entry))
        return 0 if held is None else held[1]

    def clear(self, entries: list[AclLine]) -> None:
        for entry in entries:
            self.hits.pop(id(entry), None)


def acl_counters(router: Any) -> AclCounters:
    return router.acl_counters


def acl_permits(router: Any, acl: int | str, packet: Packet) -> bool:
    """Judge a packet, counting the hit on the entry that decided.

    An access-class naming an ACL that has no entries lets everything through, as on IOS;
    the implicit `deny any` at the end of a defined list is not counted.
    """
    entries = [e for e in acl_entries(router.config, acl) if not isinstance(e, Remark)]
    if not entries:
        return True
    for entry in entries:
        if entry_matches(entry, packet):
            acl_counters(router).count(entry)
            return entry.action == "permit"
    return False


def clear_acl_counters(router: Any, acl: int | str | None = None) -> None:
    counters = acl_counters(router)
    for n, entries in router.config.access_lists.items():
        if acl is None or _acl_number(acl) == n:
            counters.clear(entries)


def _acl_numbers(config: RootConfig) -> list[int]:
    return sorted(n for n, entries in config.access_lists.items()
                  if any(not isinstance(e, Remark) for e in entries))


def _addr_text(net: ipaddress.IPv4Network | None, standard: bool) -> str:
    if net is None:
        return "any"
    if net.prefixlen == 32:
        return str(net.network_address) if standard else f"host {net.network_address}"
    if standard:
        return f"{net.network_address}, wildcard bits {net.hostmask}"
    return f"{net.network_address} {net.hostmask}"


def _port_text(rule: PortMatch | None, protocol: str) -> str:
    return "" if rule is None else " " + rule.text(protocol)


def show_access_lists(router: Any, acl: int | None = None) -> str:
    """`show access-lists`: each list with sequence numbers and hit counts.

    Layout as IOS 12.4 prints it [M]: standard entries pad `deny` to the width of `permit`,
    wildcard masks read `, wildcard bits`, and remarks are not shown.
    """
    config: RootConfig = router.config
    counters = acl_counters(router)
    out: list[str] = []
    for n in _acl_numbers(config):
        if acl is not None and n != acl:
            continue
        standard = is_standard(n)
        out.append(f"{'Standard' if standard else 'Extended'} IP access list {n}")
        seq = 0
        for e in config.access_lists[n]:
            if isinstance(e, Remark):
                continue
            seq += 10
            if isinstance(e, ExtendedEntry):
                body = (f"{e.action} {e.protocol} {_addr_text(e.source, False)}"
                        f"{_port_text(e.source_port, e.protocol)} "
                        f"{_addr_text(e.destination, False)}"
                        f"{_port_text(e.destination_port, e.protocol)}"
                        + (" established" if e.established else ""))
            else:
                body = f"{e.action:<6} {_addr_text(e.source, True)}"
            if e.log:
                body += " log"
            hits = counters.of(e)
            if hits:
                body += f" ({hits} match{'es' if hits != 1 else ''})"
            out.append(f"    {seq} {body}")
    return "".join(line + "\n" for line in out)


def access_class(sec: TerminalLine | None) -> int | str | None:
    """The ACL of `access-class N in` on a line, if any."""
    return None if sec is None else sec.access_class_in


# --- vty lines in use ------------------------------------------------------------------------

@dataclass
class VtyConnection:
    """One connection holding a vty line, from admission to hang-up."""

    protocol: str
    line: int  # vty number (0-based); the absolute line is FIRST_VTY + line
    peer: str  # the client's configured address
    peer_port: int
    local: str  # the router's configured address it connected to
    local_port: int  # the IOS port (22 or 23), not the lab's offset
    started: float = field(default_factory=time.time)
    user: str | None = None
    priv: int = 1
    session: Any = None  # the shell session, once running
    ssh: dict[str, str] = field(default_factory=dict)  # SSH algorithms, for `show ssh`
    hangup: Callable[[], None] | None = None  # drops the connection (clear line)

    @property
    def origin(self) -> str:
        return f"vty{self.line} ({self.peer})"


@dataclass
class LoginFailure:
    user: str
    source: str
    port: int
    count: int
    last: str


@dataclass
class VtyState:
    """What the router knows about its vty lines besides the configuration."""

    connections: dict[int, VtyConnection] = field(default_factory=dict)
    failures: dict[tuple[str, str, int], LoginFailure] = field(default_factory=dict)
    uses: dict[int, int] = field(default_factory=dict)  # connections per line, for show line

    def free_line(self, config: Section, protocol: str) -> int | None:
        """The lowest free vty line whose `transport input` accepts `protocol`."""
        for n in range(vty_count(config)):
            if n in self.connections:
                continue
            if protocol in transports(vty_section(config, n)):
                return n
        return None

    def release(self, conn: VtyConnection) -> None:
        if self.connections.get(conn.line) is conn:
            del self.connections[conn.line]


@dataclass
class Admission:
    conn: VtyConnection | None
    reason: str = ""  # why refused: "no-line", "transport", "access-class"


def admit(router: Any, protocol: str, peer: str, peer_port: int, local: str) -> Admission:
    """Decide whether a new TCP connection gets a vty line; reserve it if so."""
    config = router.config
    state = router.vty
    if not any(protocol in transports(s) for s in vty_sections(config)):
        return Admission(None, "transport")
    line = state.free_line(config, protocol)
    if line is None:
        return Admission(None, "no-line")
    sec = vty_section(config, line)
    acl = access_class(sec)
    port = PROTOCOL_PORTS[protocol]
    if acl is not None and not acl_permits(router, acl, Packet(peer, local, port, peer_port)):
        return Admission(None, "access-class")
    conn = VtyConnection(protocol, line, peer, peer_port, local, port)
    state.connections[line] = conn
    return Admission(conn)


# --- authentication --------------------------------------------------------------------------

def aaa_enabled(config: RootConfig) -> bool:
    return config.aaa_new_model


def login_methods(config: RootConfig, sec: TerminalLine | None) -> list[str]:
    """The methods a login on this line tries, in order; [] means no login is asked.

    Without AAA: `login` is ["line"], `login local` ["local"], `no login` []. With
    `aaa new-model` the line uses its `login authentication` list (`default` unless set), and
    with no such list the local user database, as IOS does.
    """
    if config.aaa_new_model:
        name = (sec.login_authentication if sec is not None else None) or "default"
        methods = config.aaa_login_lists.get(name)
        return ["local"] if methods is None else list(methods)
    if sec is None or sec.login is None:
        return []
    return ["local"] if sec.login is LoginMode.LOCAL else ["line"]


def enable_methods(config: RootConfig) -> list[str] | None:
    """The AAA enable list, or None when `enable` checks the enable secret as usual."""
    if not config.aaa_new_model or config.aaa_enable_methods is None:
        return None
    return list(config.aaa_enable_methods)


def needs_username(methods: list[str]) -> bool:
    return any(m == "local" or m == "local-case" or m.startswith("group") for m in methods)


def check_local(config: RootConfig, user: str, password: str, case_sensitive: bool = True
                ) -> int | None:
    """The user's privilege when the name and password match a `username` line, else None."""
    entry = config.users.get(user)
    if entry is None and not case_sensitive:
        entry = next((u for name, u in config.users.items() if name.lower() == user.lower()),
                     None)
    if entry is None or not entry.credential.matches(password):
        return None
    return entry.level


def line_password_set(sec: TerminalLine | None) -> bool:
    return sec is not None and sec.password is not None


def check_line(sec: TerminalLine | None, password: str) -> bool:
    return sec is not None and sec.password is not None and sec.password.matches(password)


def enable_password_set(config: RootConfig, level: int = ENABLE_LEVEL) -> bool:
    return level in config.enable_secrets or level in config.enable_passwords


def enable_checker(config: RootConfig, level: int = ENABLE_LEVEL
                   ) -> Callable[[str], bool] | None:
    """What checks a password for `enable [level]`, or None when none is configured.

    `enable secret` wins over `enable password`, as on IOS.
    """
    secret = config.enable_secrets.get(level)
    if secret is not None:
        return secret.matches
    plain = config.enable_passwords.get(level)
    return None if plain is None else plain.matches


def check_enable(config: RootConfig, password: str, level: int = ENABLE_LEVEL) -> bool:
    check = enable_checker(config, level)
    return check is not None and check(password)


def tacacs_servers(config: RootConfig) -> list[str]:
    return [str(host) for host in config.tacacs_servers]


PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


@dataclass
class Verdict:
    ok: bool
    priv: int = 1
    method: str = ""  # the method that answered
    tried: list[tuple[str, str]] = field(default_factory=list)  # (method, PASS/FAIL/ERROR)


def try_method(config: RootConfig, sec: TerminalLine | None, method: str, user: str, password: str,
               tacacs: Callable[[str], str]) -> tuple[str, int]:
    """One AAA method's answer (PASS, FAIL or ERROR) and the privilege it grants.

    `tacacs(group)` is the caller's report of the server group: ERROR when no server
    answered. IOS moves to the next method only on ERROR; FAIL ends the login. The local
    database counts as ERROR when it holds no users at all [M].
    """
    base = line_privilege(sec)
    if method.startswith("group "):
        answer = tacacs(method.split(" ", 1)[1])
        return answer, base
    if method in ("local", "local-case"):
        if not config.users:
            return ERROR, base
        priv = check_local(config, user, password, case_sensitive=(method == "local-case"))
        return (FAIL, base) if priv is None else (PASS, priv)
    if method == "line":
        if not line_password_set(sec):
            return ERROR, base
        return (PASS, base) if check_line(sec, password) else (FAIL, base)
    if method == "enable":
        if not enable_password_set(config):
            return ERROR, base
        return (PASS, base) if check_enable(config, password) else (FAIL, base)
    if method == "none":
        return PASS, base
    return ERROR, base  # krb5 and anything else this router cannot do


def walk_methods(config: RootConfig, sec: TerminalLine | None, methods: list[str], user: str,
                 password: str, tacacs: Callable[[str], str]) -> Verdict:
    verdict = Verdict(False)
    for method in methods:
        answer, priv = try_method(config, sec, method, user, password, tacacs)
        verdict.tried.append((method, answer))
        if answer == PASS:
            verdict.ok, verdict.priv, verdict.method = True, priv, method
            return verdict
        if answer == FAIL:
            verdict.method = method
            return verdict
    return verdict


def record_failure(router: Any, user: str, source: str, port: int, stamp: str) -> LoginFailure:
    state = router.vty
    key = (user, source, port)
    entry = state.failures.get(key)
    if entry is None:
        entry = state.failures[key] = LoginFailure(user, source, port, 0, stamp)
    entry.count += 1
    entry.last = stamp
    return entry


# --- per-command privilege -------------------------------------------------------------------

def command_privilege(config: RootConfig, keywords: list[str]) -> int | None:
    """The level `privilege exec level N ...` gives a command, or None if none does.

    `keywords` are the command's words as the parser resolved them (full keywords, then the
    values). An entry applies when each of its words is a prefix of the command's word at the
    same place and it names every keyword of the command (IOS applies it to that command, not
    to longer ones, unless `all` is given [C: command reference]).
    """
    best: tuple[int, int] | None = None
    for command, level in config.command_privileges.items():
        words = command.lower().split()
        if not words or len(words) != len(keywords):
            continue
        if all(k.lower().startswith(w) for w, k in zip(words, keywords, strict=True)):
            if best is None or len(words) > best[0]:
                best = (len(words), level)
    return None if best is None else best[1]


def has_privilege_overrides(config: RootConfig) -> bool:
    return bool(config.command_privileges)


# --- SSH -------------------------------------------------------------------------------------

def ssh_key_label(router: Any) -> str:
    """`ip ssh rsa keypair-name`, else the default key name `hostname.domain`."""
    named = router.config.ssh_keypair
    if named:
        return str(named)
    domain = router.config.domain_name
    return f"{router.hostname}.{domain}" if domain else router.hostname


def ssh_host_key(router: Any) -> Any | None:
    """The RSA key SSH serves with, or None when SSH is disabled (no key, or under 768 bits,
    the least SSH version 2 accepts on IOS).

    `ip ssh rsa keypair-name` names it; otherwise the `hostname.domain` key, else the first key
    pair the router holds: IOS enables SSH with whatever key pair comes first (a real ISR
    capture logs `%SSH-5-ENABLED` right after generating `TP-self-signed-...`).
    """
    store = router.keystore
    label = ssh_key_label(router)
    key = store.get(label) or store.get(label, "signature")
    if key is None and not router.config.ssh_keypair:
        key = next((k for k in store.keys if k.usage in ("general", "signature")), None)
    if key is None or key.bits < 768:
        return None
    return key


def ssh_version(config: RootConfig) -> str:
    return "2.0" if config.ssh_version == 2 else "1.99"


def ssh_retries(config: RootConfig) -> int:
    return config.ssh_login_retries


def ssh_timeout(config: RootConfig) -> int:
    return config.ssh_login_timeout

