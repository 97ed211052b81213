"""The access configuration as typed values: terminal line blocks, access lists, credentials.

`line con 0`, `line aux 0` and `line vty N M` are `ConfigBlock`s (see
`cucme_lab.router.config.model`) whose attributes the `config-line` commands assign; the
top-level lines (`enable secret`, `username`, `aaa ...`, `access-list`, `tacacs-server`,
`privilege exec`) are attributes of the root block, declared in `router.config.access` with the
value types below. `cucme_lab.router.access` reads them to decide who gets a line and what they
may do; each value renders its own running-config text, so nothing parses lines back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from typing import NamedTuple

from cucme_lab.router import passwords
from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

# Section kinds, as the configuration tree files the line blocks.
LINE_CON = "line con"
LINE_AUX = "line aux"
LINE_VTY = "line vty"

# IOS's port names for extended ACL entries, TCP's and UDP's (they differ: `tftp` is UDP only,
# `www` TCP only), as IOS lists them after `permit tcp any eq ?` and `permit udp any eq ?` on a
# real router (the captures in the cisco_acl_intp project's tests). One table per protocol
# both reads a typed name and prints a number back as its name, in running-config and in
# `show access-lists`; a port with no name (22) prints as its number.
TCP_PORT_NAMES = {
    "bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53,
    "drip": 3949, "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20,
    "gopher": 70, "hostname": 101, "ident": 113, "irc": 194, "klogin": 543, "kshell": 544,
    "login": 513, "lpd": 515, "nntp": 119, "pim-auto-rp": 496, "pop2": 109, "pop3": 110,
    "smtp": 25, "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23, "time": 37,
    "uucp": 540, "whois": 43, "www": 80}
UDP_PORT_NAMES = {
    "biff": 512, "bootpc": 68, "bootps": 67, "discard": 9, "dnsix": 195, "domain": 53,
    "echo": 7, "isakmp": 500, "mobile-ip": 434, "nameserver": 42, "netbios-dgm": 138,
    "netbios-ns": 137, "netbios-ss": 139, "non500-isakmp": 4500, "ntp": 123,
    "pim-auto-rp": 496, "rip": 520, "snmp": 161, "snmptrap": 162, "sunrpc": 111,
    "syslog": 514, "tacacs": 49, "talk": 517, "tftp": 69, "time": 37, "who": 513,
    "xdmcp": 177}
_NAME_BY_PORT = {proto: {v: k for k, v in names.items()}
                 for proto, names in (("tcp", TCP_PORT_NAMES), ("udp", UDP_PORT_NAMES))}


def port_names(protocol: str) -> dict[str, int]:
    """The names IOS takes for `protocol`'s ports (none for a protocol without ports)."""
    return {"tcp": TCP_PORT_NAMES, "udp": UDP_PORT_NAMES}.get(protocol, {})


def port_text(protocol: str, port: int) -> str:
    """A port as IOS prints it: its name for the protocol, else the number."""
    return _NAME_BY_PORT.get(protocol, {}).get(port, str(port))


ENABLE_LEVEL = 15  # `enable secret` without `level N` guards level 15


# --- credentials ---------------------------------------------------------------------------------


class Password(NamedTuple):
    """A reversible password: type 0 (clear) or 7 (hidden by `service password-encryption`)."""

    type: int
    text: str

    def matches(self, typed: str) -> bool:
        return passwords.verify_secret(self.type, self.text, typed)

    @property
    def clear(self) -> str:
        return passwords.type7_decode(self.text) if self.type == 7 else self.text

    def encrypted(self) -> Password:
        """The type 7 form `service password-encryption` turns a clear password into."""
        return Password(7, passwords.type7_encode(self.text)) if self.type == 0 else self

    def __str__(self) -> str:
        # IOS prints no type for a clear password.
        return f"{self.type} {self.text}" if self.type else self.text


class Secret(NamedTuple):
    """A one-way secret: type 5 (MD5), 8 (PBKDF2) or 9 (scrypt)."""

    type: int
    hash: str

    def matches(self, typed: str) -> bool:
        return passwords.verify_secret(self.type, self.hash, typed)

    def __str__(self) -> str:
        return f"{self.type} {self.hash}"


class LocalUser(NamedTuple):
    """A `username` line: the local database `login local` and AAA `local` check."""

    name: str
    privilege: int | None  # as typed; None prints no `privilege` and means level 1
    credential: Password | Secret

    @property
    def level(self) -> int:
        return 1 if self.privilege is None else self.privilege

    def __str__(self) -> str:
        kind = "secret" if isinstance(self.credential, Secret) else "password"
        level = "" if self.privilege is None else f" privilege {self.privilege}"
        return f"username {self.name}{level} {kind} {self.credential}"


class TacacsServer(NamedTuple):
    """`tacacs-server host A.B.C.D [key TEXT]`: a server AAA's `group tacacs+` tries."""

    host: IPv4Address
    key: str | None = None

    def __str__(self) -> str:
        return f"tacacs-server host {self.host}" + (f" key {self.key}" if self.key else "")


class LoginLog(NamedTuple):
    """`login on-failure log [every N]`: which login attempts IOS logs."""

    every: int | None = None

    def text(self, event: str) -> str:
        return f"login {event} log" + ("" if self.every is None else f" every {self.every}")


# --- access lists --------------------------------------------------------------------------------


class AclAction(StrEnum):
    PERMIT = "permit"
    DENY = "deny"


class PortMatch(NamedTuple):
    """`eq 22`, `gt 1023`: a TCP or UDP port condition of an extended entry."""

    op: str  # eq, neq, lt, gt
    port: int

    def matches(self, port: int) -> bool:
        return {"eq": port == self.port, "neq": port != self.port, "lt": port < self.port,
                "gt": port > self.port}.get(self.op, False)

    def text(self, protocol: str) -> str:
        """`eq tftp` for UDP 69, `eq 69` for TCP 69: names depend on the protocol."""
        return f"{self.op} {port_text(protocol, self.port)}"


def _address(net: IPv4Network | None, host_keyword: bool) -> str:
    """`any`, a host (`host A.B.C.D` in extended entries, the bare address in standard ones), or
    an address and wildcard."""
    if net is None:
        return "any"
    if net.prefixlen == 32:
        return f"host {net.network_address}" if host_keyword else str(net.network_address)
    return f"{net.network_address} {net.hostmask}"


class StandardEntry(NamedTuple):
    """`access-list 1-99|1300-1999 permit|deny SOURCE [log]`: judged by the source only."""

    action: AclAction
    source: IPv4Network | None  # None: any
    log: bool = False

    def __str__(self) -> str:
        return f"{self.action} {_address(self.source, False)}" + (" log" if self.log else "")


class ExtendedEntry(NamedTuple):
    """`access-list 100-199|2000-2699 permit|deny PROTO SRC [PORT] DST [PORT] ...`."""

    action: AclAction
    protocol: str  # ip, tcp, udp, icmp, or an IP protocol number
    source: IPv4Network | None
    destination: IPv4Network | None
    source_port: PortMatch | None = None
    destination_port: PortMatch | None = None
    established: bool = False
    log: bool = False

    def __str__(self) -> str:
        words = [str(self.action), self.protocol, _address(self.source, True)]
        if self.source_port is not None:
            words.append(self.source_port.text(self.protocol))
        words.append(_address(self.destination, True))
        if self.destination_port is not None:
            words.append(self.destination_port.text(self.protocol))
        if self.established:
            words.append("established")
        if self.log:
            words.append("log")
        return " ".join(words)


class Remark(NamedTuple):
    """`access-list N remark TEXT`: kept in place among the entries, matched by nothing."""

    text: str

    def __str__(self) -> str:
        return f"remark {self.text}"


AclEntry = StandardEntry | ExtendedEntry
AclLine = StandardEntry | ExtendedEntry | Remark


def is_standard(number: int) -> bool:
    return number < 100 or 1300 <= number <= 1999


def acl_lines(lists: dict[int, list[AclLine]]) -> list[str]:
    """Every `access-list` line: by list number, each list's lines in the order typed."""
    return [f"access-list {n} {entry}" for n in sorted(lists) for entry in lists[n]]


# --- terminal lines ------------------------------------------------------------------------------


class LoginMode(StrEnum):
    """`login` checks the line password, `login local` the `username` database."""

    LINE = "line"
    LOCAL = "local"


class Transport(StrEnum):
    ALL = "all"
    NONE = "none"
    SSH = "ssh"
    TELNET = "telnet"


class ExecTimeout(NamedTuple):
    """`exec-timeout MIN [SEC]`: idle time before the line is dropped; `0 0` never."""

    minutes: int
    seconds: int = 0

    @property
    def total(self) -> int:
        return self.minutes * 60 + self.seconds


DEFAULT_EXEC_TIMEOUT = ExecTimeout(10, 0)
DEFAULT_LOGIN_RESPONSE = 30  # `timeout login response`: seconds to answer a login prompt


def _login_response_line(seconds: int) -> str | None:
    """IOS prints `timeout login response` only when it is not the default."""
    return None if seconds == DEFAULT_LOGIN_RESPONSE else f"timeout login response {seconds}"


def _login_line(mode: LoginMode) -> str:
    return "login local" if mode is LoginMode.LOCAL else "login"


@dataclass(eq=False)
class TerminalLine(ConfigBlock):
    """A `line con 0`, `line aux 0` or `line vty N M` block.

    None means the line was not configured and IOS's default applies (see the readers in
    `cucme_lab.router.access`). Within a line block lines stand in the order first typed.
    """

    session_timeout: int | None = line("session-timeout")
    exec_timeout: ExecTimeout | None = line(
        "exec-timeout", lambda t: f"exec-timeout {t.minutes} {t.seconds}")
    login_response: int | None = line("timeout login response", _login_response_line)
    privilege: int | None = line("privilege level", lambda n: f"privilege level {n}")
    password: Password | None = line("password", lambda p: f"password {p}")
    logging_synchronous: bool = line(
        "logging synchronous", lambda on: "logging synchronous" if on else None, default=False)
    login: LoginMode | None = line("login", _login_line)
    login_authentication: str | None = line("login authentication")  # an AAA list name
    authorization_exec: str | None = line("authorization exec")  # AAA list names
    accounting_exec: str | None = line("accounting exec")
    transport_input: tuple[Transport, ...] | None = line(
        "transport input", lambda ps: "transport input " + " ".join(ps))
    access_class_in: int | str | None = line("access-class in",
                                             lambda acl: f"access-class {acl} in")
    access_class_out: int | str | None = line("access-class out",
                                              lambda acl: f"access-class {acl} out")

    def encrypt_passwords(self) -> None:
        if self.password is not None:
            self.password = self.password.encrypted()


@dataclass(eq=False)
class VtyLines(TerminalLine):
    """A `line vty N M` block: vty lines ask for the line password unless told otherwise."""

    login: LoginMode | None = line("login", _login_line, default=LoginMode.LINE)

    @property
    def first(self) -> int:
        return int(self.ident[0])

    @property
    def last(self) -> int:
        return int(self.ident[-1])


def vty_blocks(config: Section) -> list[VtyLines]:
    """The `line vty` blocks, lowest lines first."""
    return [sec for sec in config.sections(LINE_VTY) if isinstance(sec, VtyLines)]

