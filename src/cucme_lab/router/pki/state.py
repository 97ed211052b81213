"""The router's PKI memory: what the CAs and the router's PKI client keep between requests.

Not configuration and never saved: a reload starts with an empty one (the Router makes a new
one in `factory_reset`). Kept apart from `ca.py` so that `router.py` can own it without
importing the CA, which imports the Router.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509


@dataclass
class Request:
    """One enrolment request as the CA's request database keeps it."""

    id: int
    transaction_id: str
    csr: x509.CertificateSigningRequest
    requester: x509.Certificate  # the SCEP signer certificate: the reply is encrypted to it
    cipher: str
    digest: str
    state: str = "pending"  # pending, granted, rejected
    certificate: x509.Certificate | None = None
    received: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def fingerprint(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding

        return hashlib.md5(self.csr.public_bytes(Encoding.DER)).hexdigest().upper()


@dataclass
class CaRuntime:
    """What a CA keeps in memory: its request database."""

    requests: list[Request] = field(default_factory=list)
    next_id: int = 1
    # serials are reserved on disk a block at a time (`CertificateServer.allocate_serial`):
    # the database file they were reserved in, the next serial to give, the last one reserved
    serial_file: str | None = None
    next_serial: int = 0
    reserved_upto: int = 0
    release: Callable[[], None] | None = None  # gives back the unused rest of the block


@dataclass
class PkiRuntime:
    """The router's PKI memory: per-CA request databases, CRLs fetched, enrolments polling."""

    cas: dict[str, CaRuntime] = field(default_factory=dict)
    crl_cache: dict[str, x509.CertificateRevocationList] = field(default_factory=dict)
    crl_fetching: dict[str, object] = field(default_factory=dict)  # URL -> its fetch's Event
    enrolments: dict[str, object] = field(default_factory=dict)  # trustpoint -> poll state
    listeners: list[Callable[[], None]] = field(default_factory=list)  # a request changed

    def release_reservations(self) -> None:
        """On an orderly reload or stop: each CA records its exact last serial, so the next
        boot goes on from it as IOS does (only a crash skips the rest of a reserved block)."""
        for runtime in self.cas.values():
            if runtime.release is not None:
                try:
                    runtime.release()
                except OSError:
                    pass  # the block stays reserved: serials are skipped, never reused
