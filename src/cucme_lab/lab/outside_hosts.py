"""The outside hosts a configuration names, for `lab.json`: where real tools can stand.

`logging 192.168.153.129` and `ntp server 171.68.10.80` name hosts beyond the router. Each gets
its own loopback address from the lab's address plan, and its port (514, 123) is moved like the
router's own privileged ports; `lab.json`'s `outside_hosts` lists both forms so a collector or
an NTP server can be started there (`lab/outside_servers.py` does it for tests and scenarios).
The AAA servers likewise (FreeRADIUS can be started on the RADIUS server's address, say).

SNMP managers: each `permit` of the standard ACL an `snmp-server community` names, as its
configured address (or subnet) and the loopback address (or subnet) standing for it on this
lab's plan, so `snmpget` run from that loopback address is the manager the ACL allows.

Every entry has `role`, `configured_address` and `address` (where it stands on this lab's
network), and where a port applies `configured_port`, `port` and `transport`.
"""

from __future__ import annotations

from typing import Any

from cucme_lab.router import aaa
from cucme_lab.router.aaa import Protocol_
from cucme_lab.router.access_config import AclAction, Remark, StandardEntry
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


def snmp_managers(config: Any, plan: AddressMap) -> list[dict]:
    hosts: list[dict] = []
    for community in config.snmp_communities.values():
        if community.acl is None:
            continue
        for entry in config.access_lists.get(community.acl, []):
            if isinstance(entry, Remark) or not isinstance(entry, StandardEntry) or \
                    entry.action is not AclAction.PERMIT:
                continue
            hosts.append(_host(community.name, community.acl, entry, plan))
    return hosts


def _host(community: str, acl: int, entry: StandardEntry, plan: AddressMap) -> dict:
    host = {"role": "snmp-manager", "community": community, "acl": acl}
    net = entry.source
    if net is None:
        return {**host, "configured_address": "any", "address": "127.0.0.0/8"}
    try:
        loopback = plan.to_loopback(str(net.network_address))
    except ValueError:  # the plan has no loopback subnet left: the host cannot stand anywhere
        return {**host, "configured_address": str(net), "address": None}
    if net.prefixlen == 32:
        return {**host, "configured_address": str(net.network_address), "address": loopback}
    # each configured /24 sits on its own 127.B.k.0/24: a wider or narrower subnet keeps its
    # prefix on the first /24 it covers
    return {**host, "configured_address": str(net),
            "address": f"{loopback}/{max(net.prefixlen, 24)}"}


def aaa_hosts(router: Any, addresses: Any) -> list[dict[str, Any]]:
    """Every TACACS+ and RADIUS server of the configuration."""
    out = []
    for server in aaa.all_servers(router.config):
        tacacs = server.protocol is Protocol_.TACACS
        entry: dict[str, Any] = {
            "role": f"{server.protocol.value} server",
            "configured_address": server.address,
            "configured_port": server.auth_port,
            "address": addresses.to_loopback(server.address),
            "port": addresses.port(server.auth_port),
            "transport": "tcp" if tacacs else "udp",
        }
        if not tacacs:
            entry["configured_acct_port"] = server.acct_port
            entry["acct_port"] = addresses.port(server.acct_port)
        source = aaa.source_address(router, server.source_interface)
        if source:
            entry["router_source_address"] = addresses.to_loopback(source)
        out.append(entry)
    return out
