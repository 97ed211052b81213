"""CAPF's runtime memory on the router, a field of the Router (`router.capf`).

Apart from `model.py` so that `router.py` can own it without importing CAPF's rules, which
import the Router.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class CapfState:
    """CAPF's runtime memory: sessions in progress and operations done under a global oper."""

    sessions: dict[str, str] = field(default_factory=dict)  # device -> state name
    done: dict[str, str] = field(default_factory=dict)  # device -> global operation completed
    certificates: dict[str, bytes] = field(default_factory=dict)  # device -> last LSC (DER)
    by_device: dict[str, Any] = field(default_factory=dict)  # SEP<MAC> -> ephone (an index)
    # When a person typed the global `cert-oper` (None: it came with the startup-config): an
    # LSC the CA issued since then completes the operation for its phone.
    oper_since: datetime | None = None
    issued: dict[str, Any] | None = None  # device -> newest LSC in the CA database (per boot)
    told: set[str] = field(default_factory=set)  # devices whose renewed operation was logged
