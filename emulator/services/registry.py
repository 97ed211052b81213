"""The router's network services, in the order they start."""

from __future__ import annotations

from typing import Any


def all_services() -> list[Any]:
    from emulator.services.capf import CapfService

    services: list[Any] = [
        CapfService(),
    ]
    return services
