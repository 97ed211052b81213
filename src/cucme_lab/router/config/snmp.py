"""SNMP and CDP settings of the root block: communities, location, contact, `cdp run`.

`RootConfig` (see `root.py`) mixes this in. The SNMP agent (`cucme_lab.router.snmp`) reads
these attributes to decide who is answered and what the system group says; an RW community's
set of sysContact or sysLocation assigns them here, so running-config follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line


class SnmpAccess(StrEnum):
    RO = "RO"
    RW = "RW"


class SnmpCommunity(NamedTuple):
    """`snmp-server community NAME [view V] [RO|RW] [ACL]`: a v1/v2c password and its rights.

    Without RO or RW IOS makes the community read-only; `acl` names the standard ACL a manager's
    address must pass.
    """

    name: str
    access: SnmpAccess = SnmpAccess.RO
    acl: int | None = None
    view: str | None = None

    def __str__(self) -> str:
        words = ["snmp-server community", self.name]
        if self.view:
            words += ["view", self.view]
        words.append(str(self.access))
        if self.acl is not None:
            words.append(str(self.acl))
        return " ".join(words)


def _community_lines(communities: dict[str, SnmpCommunity]) -> list[str]:
    return [str(c) for c in communities.values()]


@dataclass(eq=False)
class SnmpSettings(ConfigBlock):
    """The SNMP agent's and CDP's top-level lines."""

    snmp_communities: dict[str, SnmpCommunity] = line(
        "snmp-server community", _community_lines, default_factory=dict)
    snmp_location: str | None = line("snmp-server location")
    snmp_contact: str | None = line("snmp-server contact")
    # IOS runs CDP unless told `no cdp run`, and prints only that.
    cdp_run: bool = line("cdp run", lambda on: None if on else "no cdp run", default=True)

    @property
    def snmp_enabled(self) -> bool:
        """The agent runs once a community is configured (IOS starts it with the first
        `snmp-server` command that gives it something to answer)."""
        return bool(self.snmp_communities)
