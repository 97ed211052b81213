"""The router's network services, in the order they start."""

from __future__ import annotations

from typing import Any


def all_services() -> list[Any]:
    from cucme_lab.services.capf import CapfService
    from cucme_lab.services.http import HttpService
    from cucme_lab.services.ntp import NtpService
    from cucme_lab.services.pki_client import EnrolmentPoller
    from cucme_lab.services.sccp import SccpService, SccpTlsService
    from cucme_lab.services.snmp import SnmpService
    from cucme_lab.services.ssh import SshService
    from cucme_lab.services.syslog import SyslogService
    from cucme_lab.services.telnet import TelnetService
    from cucme_lab.services.tftp import TftpService

    services: list[Any] = [
        TftpService(),
        HttpService(),
        EnrolmentPoller(),
        CapfService(),
        SccpService(),
        SccpTlsService(),
        SshService(),
        TelnetService(),
        SyslogService(),
        NtpService(),
        SnmpService(),
    ]
    return services
