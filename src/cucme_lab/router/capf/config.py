"""The `capf-server` block as typed settings: how phones authenticate, which CA signs LSCs.

A `ConfigBlock` (see `cucme_lab.router.config.model`): the command handlers assign its
attributes, each renders its own running-config line, and CAPF (`router/capf/model.py`, the CAPF
service) and the phones' cnf files read them. IOS prints only the lines that were typed, so an
unset attribute is None and the properties give the value CAPF then runs with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

CAPF_KIND = "capf-server"
DEFAULT_PORT = 3804
DEFAULT_KEY_SIZE = 1024
DEFAULT_KEYGEN_RETRY = 3
DEFAULT_KEYGEN_TIMEOUT = 30  # minutes


class CapfAuthMode(StrEnum):
    """`auth-mode`: what a phone proves before CAPF acts on it (keywords as IOS prints them)."""

    AUTH_STRING = "auth-string"
    LSC = "LSC"
    MIC = "MIC"
    NONE = "none"
    NULL_STRING = "null-string"


class CertOperation(StrEnum):
    """`cert-oper OP all`: the certificate operation every phone gets."""

    UPGRADE = "upgrade"
    FETCH = "fetch"
    DELETE = "delete"


class EnrollTrustpoint(NamedTuple):
    """`cert-enroll-trustpoint TP password 1 X`: the CA CAPF enrols phones with.

    `password` is the clear text; `shown` the type-1 text running-config prints (its seed is
    random, so it is kept as first shown rather than encoded again).
    """

    trustpoint: str
    password: str
    shown: str


@dataclass(eq=False)
class CapfServerBlock(ConfigBlock):
    """The `capf-server` block."""

    port: int | None = line("port")
    auth_mode: CapfAuthMode | None = line("auth-mode")
    cert_enroll_trustpoint: EnrollTrustpoint | None = line(
        "cert-enroll-trustpoint",
        lambda e: f"cert-enroll-trustpoint {e.trustpoint} password 1 {e.shown}")
    trustpoint_label: str | None = line("trustpoint-label")  # the TLS identity CAPF presents
    source_addr: IPv4Address | None = line("source-addr")
    phone_key_size: int | None = line("phone-key-size")  # 512, 1024 or 2048
    keygen_retry: int | None = line("keygen-retry")
    keygen_timeout: int | None = line("keygen-timeout")  # minutes
    cert_oper: CertOperation | None = line("cert-oper", lambda op: f"cert-oper {op} all")

    @property
    def listen_port(self) -> int:
        return self.port or DEFAULT_PORT

    @property
    def device_auth_mode(self) -> CapfAuthMode:
        """`auth-mode`, `none` when not configured."""
        return self.auth_mode or CapfAuthMode.NONE

    @property
    def ca_trustpoint(self) -> str | None:
        """The trustpoint whose CA issues LSCs (`cert-enroll-trustpoint`)."""
        e = self.cert_enroll_trustpoint
        return None if e is None else e.trustpoint

    @property
    def source_address(self) -> str | None:
        return None if self.source_addr is None else str(self.source_addr)

    @property
    def key_size(self) -> int:
        return self.phone_key_size or DEFAULT_KEY_SIZE

    @property
    def keygen_retries(self) -> int:
        return DEFAULT_KEYGEN_RETRY if self.keygen_retry is None else self.keygen_retry

    @property
    def keygen_timeout_minutes(self) -> int:
        return self.keygen_timeout or DEFAULT_KEYGEN_TIMEOUT


def capf_server(config: Section) -> CapfServerBlock | None:
    """The `capf-server` block, or None when CAPF is not configured."""
    sec = config.find(CAPF_KIND, ())
    return sec if isinstance(sec, CapfServerBlock) else None
