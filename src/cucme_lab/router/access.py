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

from cucme_lab.router import passwords
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.section import Section

PROTOCOL_PORTS = {"ssh": 22, "telnet": 23}
CONSOLE_LINE = 0
AUX_LINE = 1
FIRST_VTY = 2  # absolute line numbers as a 2800 without async modules numbers them [M]


# --- lines -----------------------------------------------------------------------------------

def vty_sections(config: Section) -> list[Section]:
    return config.sections("line vty")


def vty_count(config: Section) -> int:
    """How many vty lines exist: `line vty 0 4` makes five, `line vty 5 15` eleven more."""
    top = -1
    for sec in vty_sections(config):
        top = max(top, int(sec.ident[-1]))
    return top + 1


def vty_section(config: Section, number: int) -> Section | None:
    for sec in vty_sections(config):
        if int(sec.ident[0]) <= number <= int(sec.ident[-1]):
            return sec
    return None


def transports(sec: Section | None) -> list[str]:
    """What `transport input` lets in. IOS 12.4 lets in every protocol by default [M]; the
    chapter's "by default the vty's transport is Telnet" predates SSH on the router."""
    if sec is None:
        return []
    values = sec.get("transport input")
    if values is None:
        return ["ssh", "telnet"]
    protos = list(values.get("protocols", []))
    if protos == ["all"]:
        return ["ssh", "telnet"]
    if protos == ["none"]:
        return []
    return protos


def exec_timeout(sec: Section | None) -> float | None:
    """Seconds of idle input before the line is dropped; None when `exec-timeout 0 0`."""
    if sec is None:
        return 600.0
    values = sec.get("exec-timeout")
    if values is None:
        return 600.0
    seconds = int(values.get("minutes", 10)) * 60 + int(values.get("seconds", 0) or 0)
    return float(seconds) if seconds > 0 else None


def line_privilege(sec: Section | None) -> int:
    if sec is None:
        return 1
    return int(sec.value("privilege level", "level", 1))


# --- access lists ----------------------------------------------------------------------------

@dataclass
class Packet:
    """What an ACL sees of a new TCP connection."""

    src: str
    dst: str
    dport: int
    sport: int = 0
    proto: str = "tcp"


def acl_entries(config: Section, acl: int | str) -> list[Any]:
    """The entries of numbered ACL `acl` in order (remarks included), as settings."""
    return config.with_prefix(f"access-list {acl}")


def acl_defined(config: Section, acl: int | str) -> bool:
    return any("action" in s.values for s in acl_entries(config, acl))


def _net_match(net: str | None, addr: str) -> bool:
    if net is None:
        return True
    try:
        return ipaddress.IPv4Address(addr) in ipaddress.IPv4Network(net)
    except ValueError:
        return False


def _port_match(rule: tuple[str, int] | list | None, port: int) -> bool:
    if not rule:
        return True
    op, value = rule[0], int(rule[1])
    return {"eq": port == value, "neq": port != value, "lt": port < value,
            "gt": port > value}.get(op, False)


def _proto_match(proto: str, packet: Packet) -> bool:
    if proto == "ip":
        return True
    numbers = {"tcp": "6", "udp": "17", "icmp": "1"}
    return proto == packet.proto or proto == numbers.get(packet.proto)


def entry_matches(values: dict[str, Any], packet: Packet) -> bool:
    if "action" not in values:
        return False
    if "proto" not in values:  # standard ACL: the source address only
        return _net_match(values.get("src"), packet.src)
    if not _proto_match(str(values["proto"]), packet):
        return False
    if values.get("established"):
        return False  # a new connection's SYN has no ACK or RST set
    return (_net_match(values.get("src"), packet.src)
            and _net_match(values.get("dst"), packet.dst)
            and _port_match(values.get("sport"), packet.sport)
            and _port_match(values.get("dport"), packet.dport))


def acl_permits(config: Section, acl: int | str, packet: Packet) -> bool:
    """Judge a packet, counting the hit on the entry that decided.

    An access-class naming an ACL that has no entries lets everything through, as on IOS;
    the implicit `deny any` at the end of a defined list is not counted.
    """
    entries = [s for s in acl_entries(config, acl) if "action" in s.values]
    if not entries:
        return True
    for s in entries:
        if entry_matches(s.values, packet):
            s.values["matches"] = int(s.values.get("matches", 0)) + 1
            return s.values["action"] == "permit"
    return False


def clear_acl_counters(config: Section, acl: int | str | None = None) -> None:
    for key, s in config.settings.items():
        if key.startswith("access-list ") and (acl is None or
                                               key.startswith(f"access-list {acl} ")):
            s.values.pop("matches", None)


def _acl_numbers(config: Section) -> list[int]:
    numbers = set()
    for key, s in config.settings.items():
        if key.startswith("access-list ") and "action" in s.values:
            numbers.add(int(s.values["acl"]))
    return sorted(numbers)


def _addr_text(net: str | None, standard: bool) -> str:
    if net is None:
        return "any"
    n = ipaddress.IPv4Network(net)
    if n.prefixlen == 32:
        return str(n.network_address) if standard else f"host {n.network_address}"
    if standard:
        return f"{n.network_address}, wildcard bits {n.hostmask}"
    return f"{n.network_address} {n.hostmask}"


def _port_text(rule: tuple[str, int] | list | None) -> str:
    if not rule:
        return ""
    from_names = {22: "22", 23: "telnet", 80: "www", 49: "tacacs"}  # IOS names well-known ports
    return f" {rule[0]} {from_names.get(int(rule[1]), str(rule[1]))}"


def show_access_lists(config: Section, acl: int | None = None) -> str:
    """`show access-lists`: each list with sequence numbers and hit counts.

    Layout as IOS 12.4 prints it [M]: standard entries pad `deny` to the width of `permit`,
    wildcard masks read `, wildcard bits`, and remarks are not shown.
    """
    out: list[str] = []
    for n in _acl_numbers(config):
        if acl is not None and n != acl:
            continue
        standard = n < 100 or 1300 <= n <= 1999
        out.append(f"{'Standard' if standard else 'Extended'} IP access list {n}")
        seq = 0
        for s in acl_entries(config, n):
            v = s.values
            if "action" not in v:
                continue
            seq += 10
            if standard:
                body = f"{v['action']:<6} {_addr_text(v.get('src'), True)}"
            else:
                body = (f"{v['action']} {v['proto']} {_addr_text(v.get('src'), False)}"
                        f"{_port_text(v.get('sport'))} {_addr_text(v.get('dst'), False)}"
                        f"{_port_text(v.get('dport'))}"
                        + (" established" if v.get("established") else ""))
            if v.get("log"):
                body += " log"
            hits = int(v.get("matches", 0))
            if hits:
                body += f" ({hits} match{'es' if hits != 1 else ''})"
            out.append(f"    {seq} {body}")
    return "".join(line + "\n" for line in out)


def access_class(sec: Section | None) -> str | None:
    """The ACL of `access-class N in` on a line, if any."""
    if sec is None:
        return None
    values = sec.get("access-class in")
    return None if values is None else str(values["acl"])


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
    if acl is not None and not acl_permits(config, acl, Packet(peer, local, port, peer_port)):
        return Admission(None, "access-class")
    conn = VtyConnection(protocol, line, peer, peer_port, local, port)
    state.connections[line] = conn
    return Admission(conn)


# --- authentication --------------------------------------------------------------------------

def aaa_enabled(config: Section) -> bool:
    return bool(config.value("aaa new-model", "enabled", False))


def login_methods(config: Section, sec: Section | None) -> list[str]:
    """The methods a login on this line tries, in order; [] means no login is asked.

    Without AAA: `login` is ["line"], `login local` ["local"], `no login` []. With
    `aaa new-model` the line uses its `login authentication` list (`default` unless set), and
    with no such list the local user database, as IOS does.
    """
    if aaa_enabled(config):
        name = (sec.value("login authentication", "list", "default") if sec is not None
                else "default")
        values = config.get(f"aaa authentication login {name}")
        if values is None:
            return ["local"]
        return list(values["methods"])
    if sec is None:
        return []
    mode = sec.value("login", "mode")
    if mode == "local":
        return ["local"]
    if mode == "line":
        return ["line"]
    return []


def enable_methods(config: Section) -> list[str] | None:
    """The AAA enable list, or None when `enable` checks the enable secret as usual."""
    if not aaa_enabled(config):
        return None
    values = config.get("aaa authentication enable default")
    return None if values is None else list(values["methods"])


def needs_username(methods: list[str]) -> bool:
    return any(m == "local" or m == "local-case" or m.startswith("group") for m in methods)


def local_users(config: Section) -> dict[str, dict[str, Any]]:
    return {s.values["user"]: s.values for key, s in config.settings.items()
            if key.startswith("username ") and "user" in s.values}


def check_local(config: Section, user: str, password: str, case_sensitive: bool = True
                ) -> int | None:
    """The user's privilege when the name and password match a `username` line, else None."""
    users = local_users(config)
    values = users.get(user)
    if values is None and not case_sensitive:
        values = next((v for name, v in users.items() if name.lower() == user.lower()), None)
    if values is None:
        return None
    stored = values.get("hash") if values.get("secret") else values.get("text")
    if stored is None or not passwords.verify_secret(int(values["type"]), stored, password):
        return None
    return int(values.get("priv", 1))


def line_password_set(sec: Section | None) -> bool:
    return sec is not None and sec.get("password") is not None


def check_line(sec: Section | None, password: str) -> bool:
    values = None if sec is None else sec.get("password")
    if values is None:
        return False
    return passwords.verify_secret(int(values["type"]), values["text"], password)


def enable_password_set(config: Section, level: int = 15) -> bool:
    suffix = "" if level == 15 else f" level {level}"
    return config.has("enable secret" + suffix) or config.has("enable password" + suffix)


def check_enable(config: Section, password: str, level: int = 15) -> bool:
    """`enable secret` wins over `enable password`, as on IOS."""
    suffix = "" if level == 15 else f" level {level}"
    secret = config.get("enable secret" + suffix)
    if secret is not None:
        return passwords.verify_secret(int(secret["type"]), secret["hash"], password)
    plain = config.get("enable password" + suffix)
    if plain is not None:
        return passwords.verify_secret(int(plain["type"]), plain["text"], password)
    return False


def tacacs_servers(config: Section) -> list[str]:
    return [s.values["host"] for key, s in config.settings.items()
            if key.startswith("tacacs-server host ")]


PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


@dataclass
class Verdict:
    ok: bool
    priv: int = 1
    method: str = ""  # the method that answered
    tried: list[tuple[str, str]] = field(default_factory=list)  # (method, PASS/FAIL/ERROR)


def try_method(config: Section, sec: Section | None, method: str, user: str, password: str,
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
        if not local_users(config):
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


def walk_methods(config: Section, sec: Section | None, methods: list[str], user: str,
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

def command_privilege(config: Section, keywords: list[str]) -> int | None:
    """The level `privilege exec level N ...` gives a command, or None if none does.

    `keywords` are the command's words as the parser resolved them (full keywords, then the
    values). An entry applies when each of its words is a prefix of the command's word at the
    same place and it names every keyword of the command (IOS applies it to that command, not
    to longer ones, unless `all` is given [C: command reference]).
    """
    best: tuple[int, int] | None = None
    for key, s in config.settings.items():
        if not key.startswith("privilege exec level "):
            continue
        words = str(s.values.get("command", "")).lower().split()
        if not words or len(words) > len(keywords):
            continue
        if all(k.lower().startswith(w) for w, k in zip(words, keywords, strict=False)) and \
                len(words) == len(keywords):
            if best is None or len(words) > best[0]:
                best = (len(words), int(s.values["level"]))
    return None if best is None else best[1]


def has_privilege_overrides(config: Section) -> bool:
    return any(k.startswith("privilege exec level ") for k in config.settings)


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
    the least SSH version 2 accepts on IOS)."""
    key = router.keystore.get(ssh_key_label(router))
    if key is None:
        key = router.keystore.get(ssh_key_label(router), "signature")
    if key is None or key.bits < 768:
        return None
    return key


def ssh_version(config: RootConfig) -> str:
    return "2.0" if config.ssh_version == 2 else "1.99"


def ssh_retries(config: RootConfig) -> int:
    return config.ssh_login_retries


def ssh_timeout(config: RootConfig) -> int:
    return config.ssh_login_timeout

