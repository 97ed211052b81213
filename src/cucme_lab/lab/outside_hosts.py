"""The outside hosts a configuration names, for `lab.json`: where real tools can stand.

`logging 192.168.153.129` and `ntp server 171.68.10.80` name hosts beyond the router. Each gets
its own loopback address from the lab's address plan, and its port (514, 123) is moved like the
router's own privileged ports; `lab.json`'s `outside_hosts` lists both forms so a collector or
an NTP server can be started there (`lab/outside_servers.py` does it for tests and scenarios).
"""

from __future__ import annotations

from typing import Any

from cucme_lab.router.addresses import AddressMap
from cucme_lab.router.config.root import RootConfig

SYSLOG_PORT, NTP_PORT = 514, 123


def outside_hosts(config: RootConfig, plan: AddressMap) -> list[dict[str, Any]]:
    """One entry per (role, host): the configured address and port, and the loopback ones."""
    wanted: list[tuple[str, str, int, str]] = []
    wanted += [("syslog", str(h), SYSLOG_PORT, "udp") for h in config.logging_hosts]
    wanted += [("ntp", str(s.address), NTP_PORT, "udp") for s in config.ntp_servers]
    return [{"role": role, "configured_address": host, "configured_port": port,
             "address": plan.to_loopback(host), "port": plan.port(port), "transport": transport}
            for role, host, port, transport in wanted]
