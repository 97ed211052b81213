"""Checks waiting for a typed attribute: NOT in the active registry (`registry.CHECKS`).

The configuration these recommendations are about (SNMP communities, CDP, voice dial-peers and
their COR lists, logging, call history, interface ACLs) is still kept as plain settings on main;
code outside the shell may not read a setting by its key string. Other branches are making
them typed. Each check below reads the attribute it needs with `getattr` (None until it exists,
so it finds nothing) and names it in a TODO; once the attribute is merged, adjust the read to
the attribute's real type and move the check into `cisco.py`'s or `nsa.py`'s CHECKS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cucme_lab.lab.audit.findings import CISCO, NSA, Check, Finding
from cucme_lab.lab.audit.view import AuditView

WELL_KNOWN_COMMUNITIES = {"public", "private", "read", "write", "cisco", "secret"}


def _typed(v: AuditView, attribute: str) -> Any:
    return getattr(v.config, attribute, None)


def _missing(v: AuditView, attribute: str) -> bool:
    """The attribute is not in the model yet: the check cannot judge, so it finds nothing."""
    return not hasattr(v.config, attribute)


def _snmp_acl(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(snmp): needs RootConfig.snmp_communities: dict[str, community with .access, .acl]
    for name, community in (_typed(v, "snmp_communities") or {}).items():
        if getattr(community, "acl", None) is None:
            yield check.finding(["access-list 10 permit ADMIN-SUBNET WILDCARD",
                                 f"snmp-server community {name} "
                                 f"{getattr(community, 'access', 'RO')} 10"], what=name)


def _snmp_well_known(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(snmp): needs RootConfig.snmp_communities (as above)
    for name in _typed(v, "snmp_communities") or {}:
        if name.lower() in WELL_KNOWN_COMMUNITIES:
            yield check.finding([f"no snmp-server community {name}",
                                 "snmp-server community NEW-STRING RO 10"], what=name)


def _cdp(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(cdp): needs RootConfig.cdp_run: bool (IOS's default: True)
    if _typed(v, "cdp_run"):
        yield check.finding(["no cdp run"])


def _pots_peers(v: AuditView) -> list[Any]:
    # TODO(dial-peers): needs RootConfig.dial_peers: list of dial-peer blocks with .kind
    # ("pots"/"voip"), .tag, .destination_pattern and .corlist_outgoing
    return [p for p in _typed(v, "dial_peers") or [] if getattr(p, "kind", "") == "pots"]


def _dial_peer_cor(check: Check, v: AuditView) -> Iterator[Finding]:
    for peer in _pots_peers(v):
        if getattr(peer, "corlist_outgoing", None) is None:
            yield check.finding([f"dial-peer voice {peer.tag} pots",
                                 " corlist outgoing LIST"], what=str(peer.tag))


def _after_hours(check: Check, v: AuditView) -> Iterator[Finding]:
    ts = v.telephony
    if _pots_peers(v) and ts is not None and not ts.after_hours_patterns:
        yield check.finding(["telephony-service", " after-hours block pattern 1 9011",
                             " after-hours day Sun 19:00 07:00"])


def _logging(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(logging): needs RootConfig.logging_hosts and .logging_buffered
    if _missing(v, "logging_hosts"):
        return
    if not _typed(v, "logging_hosts") and not _typed(v, "logging_buffered"):
        yield check.finding(["logging buffered", "logging A.B.C.D"])


def _call_history(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(call history): needs RootConfig.gw_accounting_syslog and .dial_control_mib
    if _missing(v, "gw_accounting_syslog"):
        return
    if not _typed(v, "gw_accounting_syslog"):
        yield check.finding(["dial-control-mib retain-timer 10080",
                             "dial-control-mib max-size 500", "gw-accounting syslog"])


def _aaa_accounting(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(aaa): needs RootConfig.aaa_accounting (command and exec accounting lists)
    if _missing(v, "aaa_accounting"):
        return
    if v.config.aaa_new_model and not _typed(v, "aaa_accounting"):
        yield check.finding(["aaa accounting exec start-stop group tacacs+",
                             "aaa accounting commands 15 start-stop group tacacs+"])


def _listener_acls(check: Check, v: AuditView) -> Iterator[Finding]:
    # TODO(interfaces): needs Interface.access_group_in (`ip access-group N in`), typed
    if v.capf is None:
        return
    if not any(getattr(i, "access_group_in", None) for i in _typed(v, "interfaces") or []):
        yield check.finding(["access-list 101 deny tcp any any eq 2000",
                             "access-list 101 deny tcp any any eq 3804",
                             "access-list 101 permit ip any any",
                             "interface WAN", " ip access-group 101 in"])


PENDING: list[Check] = [
    Check("snmp-community-no-acl", "high", CISCO, "Using ACLs for SNMP Access",
          "an SNMP community without an access list",
          "Any host that guesses the community can read (or, with RW, change) the router.",
          _snmp_acl),
    Check("snmp-community-well-known", "high", CISCO, "Using ACLs for SNMP Access",
          "an SNMP community with a well-known string",
          "`public`, `private`, `read` and `write` are the first strings an attacker tries.",
          _snmp_well_known),
    Check("cdp-enabled", "low", CISCO, "Disabling Cisco Discovery Protocol",
          "CDP runs", "CDP advertises the router, its software and addresses to every "
          "neighbour, in an untrusted domain too.", _cdp),
    Check("pstn-dial-peer-no-cor", "high", CISCO, "Configuring COR for Incoming and Outgoing "
          "Calls", "a PSTN dial-peer without an outgoing COR list",
          "Any phone can then call international, 900 and 1900 numbers: toll fraud.",
          _dial_peer_cor),
    Check("pstn-no-after-hours-block", "medium", CISCO, "Restricting Outgoing Calling "
          "Patterns", "PSTN access without after-hours blocking",
          "After-hours block patterns stop calls to fraudulent area codes at all times or "
          "out of hours.", _after_hours),
    Check("logging-off", "low", CISCO, "Monitoring IP Phone Registration",
          "registration events are not logged",
          "Without buffered or remote syslog nobody sees phones registering or failing to.",
          _logging),
    Check("call-history-off", "low", CISCO, "Call Activity Monitoring and Call History Logging",
          "no call history logging", "Call records are what toll fraud is traced with.",
          _call_history),
    Check("aaa-no-accounting", "low", CISCO, "Configuring Accounting and Auditing on AAA",
          "no command accounting", "Accounting records who typed which command.",
          _aaa_accounting),
    Check("listeners-no-acl", "medium", NSA, "3.3",
          "CAPF and SCCP listen on every interface without an ACL",
          "CAPF \"will still listen for connections on all interfaces\"; the guide (and the "
          "chapter's IP Phone Registration Control) block ports 3804 and 2000 from the WAN.",
          _listener_acls),
]
