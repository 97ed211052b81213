"""The AAA servers and accounting lists as typed attributes of the root block.

`RootConfig` mixes `AaaSettings` in; `cucme_lab.router.aaa` reads them to find which servers a
method list's group names, how long to wait for each, and which events to account for. The
older `tacacs-server host`/`key` lines and the login/enable lists stay in `access.py`.

Named RADIUS servers (`radius server NAME`, IOS 15) are child blocks, `RadiusServerBlock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.access_config import Password
from cucme_lab.router.config.model import ConfigBlock, line

RADIUS_SERVER_KIND = "radius server"
SERVER_GROUP_KIND = "aaa group server"
DEFAULT_TIMEOUT = 5  # seconds: IOS's `tacacs-server timeout` and `radius-server timeout`
DEFAULT_RETRANSMIT = 3  # `radius-server retransmit`
RADIUS_AUTH_PORT, RADIUS_ACCT_PORT = 1645, 1646  # IOS's defaults for `radius-server host`


class RadiusHost(NamedTuple):
    """`radius-server host A.B.C.D [auth-port N] [acct-port N] [key K]`."""

    host: IPv4Address
    auth_port: int = RADIUS_AUTH_PORT
    acct_port: int = RADIUS_ACCT_PORT
    key: str | None = None

    def __str__(self) -> str:
        return (f"radius-server host {self.host} auth-port {self.auth_port} "
                f"acct-port {self.acct_port}" + (f" key {self.key}" if self.key else ""))


class AccountingList(NamedTuple):
    """`aaa accounting exec|commands N NAME start-stop|stop-only|none METHODS`."""

    record: str  # start-stop, stop-only, none
    methods: tuple[str, ...]


def _accounting_lines(prefix: str):
    def render(lists: dict[str, AccountingList]) -> list[str]:
        return [f"{prefix} {name} {acct.record}" + (f" {' '.join(acct.methods)}"
                                                   if acct.methods else "")
                for name, acct in lists.items()]
    return render


def _command_accounting_lines(lists: dict[tuple[int, str], AccountingList]) -> list[str]:
    return [f"aaa accounting commands {level} {name} {acct.record}" +
            (f" {' '.join(acct.methods)}" if acct.methods else "")
            for (level, name), acct in lists.items()]


@dataclass(eq=False)
class AaaSettings(ConfigBlock):
    """Accounting lists, RADIUS servers, timeouts and source interfaces."""

    accounting_exec: dict[str, AccountingList] = line(
        "aaa accounting exec", _accounting_lines("aaa accounting exec"), default_factory=dict)
    accounting_commands: dict[tuple[int, str], AccountingList] = line(
        "aaa accounting commands", _command_accounting_lines, default_factory=dict)
    authorization_exec: dict[str, tuple[str, ...]] = line(
        "aaa authorization exec", lambda lists: [
            f"aaa authorization exec {name} {' '.join(methods)}"
            for name, methods in lists.items()], default_factory=dict)
    tacacs_source_interface: str | None = line("ip tacacs source-interface")
    radius_source_interface: str | None = line("ip radius source-interface")
    tacacs_timeout: int | None = line("tacacs-server timeout")
    radius_hosts: dict[IPv4Address, RadiusHost] = line(
        "radius-server host", lambda hosts: [str(h) for h in hosts.values()],
        default_factory=dict)
    radius_key: Password | None = line("radius-server key", lambda p: f"radius-server key {p}")
    radius_timeout: int | None = line("radius-server timeout")
    radius_retransmit: int | None = line("radius-server retransmit")

    def encrypt_aaa_keys(self) -> None:
        """`service password-encryption`: the RADIUS keys become type 7, as the TACACS+ one."""
        if self.radius_key is not None:
            self.radius_key = self.radius_key.encrypted()
        for block in self.children.values():
            if isinstance(block, RadiusServerBlock) and block.key is not None:
                block.key = block.key.encrypted()


@dataclass(eq=False)
class RadiusServerBlock(ConfigBlock):
    """`radius server NAME`: `address ipv4 A.B.C.D auth-port N acct-port N`, `key K`."""

    address: RadiusHost | None = line(
        "address ipv4", lambda a: f"address ipv4 {a.host} auth-port {a.auth_port} "
                                  f"acct-port {a.acct_port}")
    key: Password | None = line("key", lambda p: f"key {p}")
    timeout: int | None = line("timeout", lambda t: f"timeout {t}")
    retransmit: int | None = line("retransmit", lambda n: f"retransmit {n}")

    @property
    def name(self) -> str:
        return str(self.ident[0])


@dataclass(eq=False)
class ServerGroupBlock(ConfigBlock):
    """`aaa group server tacacs+|radius NAME`: `server A.B.C.D` and (RADIUS) `server name X`
    entries in order, and the group's own source interface."""

    servers: list[str] = line("server", lambda entries: [
        f"server name {e[5:]}" if e.startswith("name ") else f"server {e}" for e in entries],
        default_factory=list)
    tacacs_source_interface: str | None = line("ip tacacs source-interface")
    radius_source_interface: str | None = line("ip radius source-interface")

    @property
    def protocol(self) -> str:
        return str(self.ident[0])

    @property
    def name(self) -> str:
        return str(self.ident[1])

    @property
    def source_interface(self) -> str | None:
        return self.tacacs_source_interface or self.radius_source_interface
