"""The outside hosts the configuration names, for `lab.json`: where real tools may stand.

SNMP managers: each `permit` of the standard ACL an `snmp-server community` names, as its
configured address (or subnet) and the loopback address (or subnet) standing for it on this
lab's plan, so `snmpget` run from that loopback address is the manager the ACL allows.
"""

from __future__ import annotations

from typing import Any

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.access_config import AclAction, Remark, StandardEntry


def snmp_managers(config: Any, plan: AddressPlan) -> list[dict]:
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


def _host(community: str, acl: int, entry: StandardEntry, plan: AddressPlan) -> dict:
    host = {"role": "snmp-manager", "community": community, "acl": acl}
    net = entry.source
    if net is None:
        return {**host, "configured": "any", "loopback": "127.0.0.0/8"}
    try:
        loopback = plan.to_loopback(str(net.network_address))
    except ValueError:  # the plan has no loopback subnet left: the host cannot stand anywhere
        return {**host, "configured": str(net), "loopback": None}
    if net.prefixlen == 32:
        return {**host, "configured": str(net.network_address), "loopback": loopback}
    # each configured /24 sits on its own 127.B.k.0/24: a wider or narrower subnet keeps its
    # prefix on the first /24 it covers
    return {**host, "configured": str(net), "loopback": f"{loopback}/{max(net.prefixlen, 24)}"}
