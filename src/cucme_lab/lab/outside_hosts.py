"""The outside hosts a configuration names, for `lab.json`: where real tools can stand.

Each entry gives the host's role, its configured address and the loopback address (and port)
the lab maps it to, so a test or a person can start a real server there (FreeRADIUS on the
RADIUS server's address, say). This module lists the AAA servers; other areas add theirs.
"""

from __future__ import annotations

from typing import Any

from cucme_lab.router import aaa
from cucme_lab.router.aaa import Protocol_


def aaa_hosts(router: Any, addresses: Any) -> list[dict[str, Any]]:
    """Every TACACS+ and RADIUS server of the configuration."""
    out = []
    for server in aaa.all_servers(router.config):
        entry: dict[str, Any] = {
            "role": f"{server.protocol.value} server",
            "configured_address": server.address,
            "loopback_address": addresses.to_loopback(server.address),
        }
        if server.protocol is Protocol_.TACACS:
            entry["port"] = addresses.port(server.auth_port)
        else:
            entry["auth_port"] = addresses.port(server.auth_port)
            entry["acct_port"] = addresses.port(server.acct_port)
        source = aaa.source_address(router, server.source_interface)
        if source:
            entry["router_source_address"] = addresses.to_loopback(source)
        out.append(entry)
    return out
