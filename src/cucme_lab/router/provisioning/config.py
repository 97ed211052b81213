"""The `ctl-client` and `credentials` blocks as typed settings.

`ctl-client` lists what goes in the CTL file (`router/provisioning/ctl.py` builds it from these
attributes); `credentials` is the CTL provider a remote CTL client logs in to. Both are
`ConfigBlock`s (see `cucme_lab.router.config.model`): the command handlers assign the attributes
and each renders its own running-config line.

Passwords are kept twice: the clear text the lab would use, and the type-1 text running-config
prints, kept as first shown because its seed is random.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

CTL_KIND = "ctl-client"
CREDENTIALS_KIND = "credentials"
CREDENTIALS_PORT = 2444


class CtlFunction(StrEnum):
    """`server FUNCTION ...`: the role a server's certificate has in the CTL."""

    APPLICATION = "application"
    CAPF = "capf"
    CME = "cme"
    CME_TFTP = "cme-tftp"
    TFTP = "tftp"


class CtlServer(NamedTuple):
    """`server FUNCTION A.B.C.D trustpoint TP`: a local server and the trustpoint it presents."""

    function: CtlFunction
    addr: IPv4Address
    trustpoint: str

    @property
    def key(self) -> tuple[str, IPv4Address]:
        return (self.function.value, self.addr)

    def __str__(self) -> str:
        return f"server {self.function} {self.addr} trustpoint {self.trustpoint}"


class RemoteCme(NamedTuple):
    """`server cme A.B.C.D username U password 1 X`: a remote CME, reached by its provider."""

    addr: IPv4Address
    user: str
    password: str  # clear text
    shown: str  # type 1, as running-config prints it

    @property
    def key(self) -> tuple[str, IPv4Address]:
        return ("cme username", self.addr)

    def __str__(self) -> str:
        return f"server cme {self.addr} username {self.user} password 1 {self.shown}"


class ImportedCertificate(NamedTuple):
    """`import certificate TAG DESC FILE`: a certificate from flash put in the CTL."""

    tag: int
    description: str
    file: str


class CtlServiceAdmin(NamedTuple):
    """`ctl-service admin USER secret 1 X`: the CTL client's login to this provider."""

    user: str
    password: str  # clear text
    shown: str  # type 1


class CredentialsSource(NamedTuple):
    """`ip source-address A.B.C.D port N`: where the CTL provider listens."""

    addr: IPv4Address
    port: int = CREDENTIALS_PORT


@dataclass(eq=False)
class CtlClientBlock(ConfigBlock):
    """The `ctl-client` block.

    `servers` is keyed by what a `no server ...` names (`CtlServer.key`, `RemoteCme.key`) and
    keeps the order lines were first typed, as IOS lists them; so does `imports`.
    """

    servers: dict[tuple[str, IPv4Address], CtlServer | RemoteCme] = line(
        "server", lambda servers: [str(s) for s in servers.values()], default_factory=dict)
    sast1: str | None = line("sast1", lambda tp: f"sast1 trustpoint {tp}")
    sast2: str | None = line("sast2", lambda tp: f"sast2 trustpoint {tp}")
    imports: dict[int, ImportedCertificate] = line(
        "import certificate", lambda imports: [
            f"import certificate {i.tag} {i.description} {i.file}" for i in imports.values()],
        default_factory=dict)

    def local_servers(self) -> list[CtlServer]:
        """The servers whose certificates this router holds (not the remote CMEs)."""
        return [s for s in self.servers.values() if isinstance(s, CtlServer)]


@dataclass(eq=False)
class CredentialsBlock(ConfigBlock):
    """The `credentials` block (the CTL provider)."""

    source: CredentialsSource | None = line(
        "ip source-address", lambda s: f"ip source-address {s.addr} port {s.port}")
    trustpoint: str | None = line("trustpoint")
    ctl_service_admin: CtlServiceAdmin | None = line(
        "ctl-service", lambda a: f"ctl-service admin {a.user} secret 1 {a.shown}")


def ctl_client(config: Section) -> CtlClientBlock | None:
    """The `ctl-client` block, or None when no CTL client is configured."""
    sec = config.find(CTL_KIND, ())
    return sec if isinstance(sec, CtlClientBlock) else None


def credentials_block(config: Section) -> CredentialsBlock | None:
    sec = config.find(CREDENTIALS_KIND, ())
    return sec if isinstance(sec, CredentialsBlock) else None
