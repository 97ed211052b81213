"""The router's network services, in the order they start."""

from __future__ import annotations

from typing import Any


def all_services() -> list[Any]:
    from emulator.services.capf import CapfService
    from emulator.services.http import HttpService
    from emulator.services.pki_client import EnrolmentPoller
    from emulator.services.sccp import SccpService, SccpTlsService
    from emulator.services.ssh import SshService
    from emulator.services.telnet import TelnetService
    from emulator.services.tftp import TftpService

    services: list[Any] = [
        TftpService(),
        HttpService(),
        EnrolmentPoller(),
        CapfService(),
        SccpService(),
        SccpTlsService(),
        SshService(),
        TelnetService(),
    ]
    return services
