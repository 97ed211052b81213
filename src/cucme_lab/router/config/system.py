"""Top-level system settings as typed attributes of the running configuration's root block.

`RootConfig` (see `root.py`) mixes this in; the router, the services and the shell read these
attributes, and each renders its own line (see `model.py`). A setting IOS prints only when it
was typed (`ip http port`, `ip ssh time-out`) is None until then, and a property gives the value
the router acts on, IOS's default when the line is absent, as `TelephonyService` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line

DEFAULT_HOSTNAME = "Router"
DEFAULT_HTTP_PORT = 80
DEFAULT_HTTPS_PORT = 443
DEFAULT_SSH_TIMEOUT = 120  # seconds to log in
DEFAULT_SSH_RETRIES = 3
DEFAULT_HTTP_MAX_CONNECTIONS = 5  # `ip http max-connections`


class HttpAuthentication(StrEnum):
    """`ip http authentication`: whose credentials open the web admin pages."""

    AAA = "aaa"
    ENABLE = "enable"  # IOS's default: the enable password
    LOCAL = "local"
    TACACS = "tacacs"


class HttpTimeoutPolicy(NamedTuple):
    """`ip http timeout-policy idle S life S requests N`: how long an HTTP connection lasts.

    `idle`: seconds a connection may stay open without a complete request; `life`: seconds it
    may stay open at all, from when it was accepted; `requests`: how many requests it may carry
    before the server closes it. IOS's defaults: 180, 180 and 1.
    """

    idle: int = 180
    life: int = 180
    requests: int = 1


DEFAULT_HTTP_TIMEOUT_POLICY = HttpTimeoutPolicy()


class Timezone(NamedTuple):
    """`clock timezone PST -8 [30]`: the zone's name and its offset from UTC."""

    zone: str
    hours: int
    minutes: int = 0

    @property
    def offset_minutes(self) -> int:
        """West of UTC the minutes count west too: `-3 30` is 3 h 30 min behind."""
        return self.hours * 60 + (self.minutes if self.hours >= 0 else -self.minutes)


class NtpServer(NamedTuple):
    """`ntp server A.B.C.D [key N] [prefer]`: configured NTP makes the clock's `.` marker (see
    `router/clock.py`) until it is synchronised; `key`: the authentication key it must use."""

    address: IPv4Address
    prefer: bool = False
    key: int | None = None
    version: int | None = None  # the NTP version of its requests; IOS 12.4's default is 3


def _ntp_lines(servers: tuple[NtpServer, ...]) -> list[str]:
    return [f"ntp server {s.address}" + (f" version {s.version}" if s.version else "")
            + (f" key {s.key}" if s.key is not None else "")
            + (" prefer" if s.prefer else "") for s in servers]


def _switch(on_line: str, off_line: str | None = None) -> Callable[[bool], str | None]:
    """A line IOS prints as `X` when on and `no X` (or nothing) when off."""
    return lambda on: on_line if on else off_line


def _http_max_connections_line(n: int) -> str | None:
    """IOS prints `ip http max-connections` only when it is not the default."""
    return None if n == DEFAULT_HTTP_MAX_CONNECTIONS else f"ip http max-connections {n}"


def _http_timeout_policy_line(p: HttpTimeoutPolicy) -> str | None:
    """IOS prints `ip http timeout-policy` only when it is not the default."""
    if p == DEFAULT_HTTP_TIMEOUT_POLICY:
        return None
    return f"ip http timeout-policy idle {p.idle} life {p.life} requests {p.requests}"


def _timezone_line(tz: Timezone) -> str:
    return f"clock timezone {tz.zone} {tz.hours}" + (f" {tz.minutes}" if tz.minutes else "")


@dataclass(eq=False)
class SystemSettings(ConfigBlock):
    """hostname, the HTTP and SSH servers, and the other system lines the router acts on."""

    # Defaults IOS prints: an empty configuration says `hostname Router`, `no ip http server`.
    hostname: str = line("hostname", default=DEFAULT_HOSTNAME)
    password_encryption: bool = line(
        "service password-encryption",
        _switch("service password-encryption", "no service password-encryption"),
        default=False)
    clock_timezone: Timezone | None = line("clock timezone", _timezone_line)
    ntp_servers: tuple[NtpServer, ...] = line("ntp server", _ntp_lines, default=())
    # The RSA key SSH and `crypto key generate rsa` name after `hostname.domain`.
    domain_name: str | None = line("ip domain name")
    ssh_version: int | None = line("ip ssh version")  # None: 1.99, both versions
    ssh_timeout: int | None = line("ip ssh time-out")
    ssh_retries: int | None = line("ip ssh authentication-retries")
    ssh_keypair: str | None = line("ip ssh rsa keypair-name")
    http_server: bool = line("ip http server", _switch("ip http server", "no ip http server"),
                             default=False)
    http_secure_server: bool = line(
        "ip http secure-server", _switch("ip http secure-server", "no ip http secure-server"),
        default=False)
    http_port: int | None = line("ip http port")
    http_secure_port: int | None = line("ip http secure-port")
    http_authentication: HttpAuthentication | None = line("ip http authentication")
    http_access_class: int | None = line("ip http access-class")
    http_max_connections: int | None = line("ip http max-connections",
                                            _http_max_connections_line)
    http_timeout_policy: HttpTimeoutPolicy | None = line("ip http timeout-policy",
                                                         _http_timeout_policy_line)

    @property
    def ssh_login_timeout(self) -> int:
        """Seconds an SSH client has to authenticate: `ip ssh time-out`, else 120."""
        return self.ssh_timeout if self.ssh_timeout is not None else DEFAULT_SSH_TIMEOUT

    @property
    def ssh_login_retries(self) -> int:
        """Failed attempts before SSH disconnects: `ip ssh authentication-retries`, else 3."""
        return self.ssh_retries if self.ssh_retries is not None else DEFAULT_SSH_RETRIES

    @property
    def http_listen_port(self) -> int:
        return self.http_port if self.http_port is not None else DEFAULT_HTTP_PORT

    @property
    def https_listen_port(self) -> int:
        return self.http_secure_port if self.http_secure_port is not None else \
            DEFAULT_HTTPS_PORT

    @property
    def http_connection_limit(self) -> int:
        """HTTP and HTTPS connections open at once: `ip http max-connections`, else 5."""
        n = self.http_max_connections
        return DEFAULT_HTTP_MAX_CONNECTIONS if n is None else n

    @property
    def http_policy(self) -> HttpTimeoutPolicy:
        """`ip http timeout-policy`, else IOS's idle 180 life 180 requests 1."""
        return self.http_timeout_policy or DEFAULT_HTTP_TIMEOUT_POLICY

    @property
    def http_auth_method(self) -> HttpAuthentication:
        """Who may open the admin pages: `ip http authentication`, else the enable password."""
        return self.http_authentication or HttpAuthentication.ENABLE
