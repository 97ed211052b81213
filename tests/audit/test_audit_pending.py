"""The checks waiting for typed attributes (lab/audit/pending.py) judge correctly once the
attributes exist: here they are given the shapes their TODOs name, on stand-in objects, so
wiring them after the merge is only a move into the registry."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from cucme_lab.lab.audit.pending import PENDING

CHECKS = {c.id: c for c in PENDING}


def view(telephony=None, capf=None, **config):
    return NS(config=NS(aaa_new_model=config.pop("aaa_new_model", False), **config),
              telephony=telephony, capf=capf)


def found(check_id: str, v) -> set[str]:
    check = CHECKS[check_id]
    return {f.id for f in check.run(check, v)}


@pytest.mark.parametrize("check_id, bad, good, expected", [
    ("snmp-community-no-acl",
     view(snmp_communities={"changeme-ro": NS(access="RO", acl=None)}),
     view(snmp_communities={"changeme-ro": NS(access="RO", acl=10)}),
     {"snmp-community-no-acl/changeme-ro"}),
    ("snmp-community-well-known",
     view(snmp_communities={"public": NS(access="RO", acl=10)}),
     view(snmp_communities={"changeme-ro": NS(access="RO", acl=10)}),
     {"snmp-community-well-known/public"}),
    ("cdp-enabled", view(cdp_run=True), view(cdp_run=False), {"cdp-enabled"}),
    ("pstn-dial-peer-no-cor",
     view(dial_peers=[NS(kind="pots", tag=11, corlist_outgoing=None)]),
     view(dial_peers=[NS(kind="pots", tag=11, corlist_outgoing="callint")]),
     {"pstn-dial-peer-no-cor/11"}),
    ("pstn-no-after-hours-block",
     view(NS(after_hours_patterns={}), dial_peers=[NS(kind="pots", tag=9)]),
     view(NS(after_hours_patterns={1: "9011"}), dial_peers=[NS(kind="pots", tag=9)]),
     {"pstn-no-after-hours-block"}),
    ("logging-off", view(logging_hosts=(), logging_buffered=None),
     view(logging_hosts=("192.168.153.129",), logging_buffered=None), {"logging-off"}),
    ("call-history-off", view(gw_accounting_syslog=False), view(gw_accounting_syslog=True),
     {"call-history-off"}),
    ("aaa-no-accounting", view(aaa_new_model=True, aaa_accounting={}),
     view(aaa_new_model=True, aaa_accounting={"exec": "start-stop"}), {"aaa-no-accounting"}),
    ("listeners-no-acl", view(capf=NS(), interfaces=[NS(access_group_in=None)]),
     view(capf=NS(), interfaces=[NS(access_group_in=101)]), {"listeners-no-acl"}),
])
def test_a_pending_check_once_its_attribute_exists(check_id, bad, good, expected):
    assert found(check_id, bad) == expected
    assert found(check_id, good) == set()


def test_every_pending_check_is_tested_and_finds_nothing_without_its_attribute():
    assert len(CHECKS) == len(PENDING) == 9
    for check_id in CHECKS:
        assert found(check_id, view()) == set(), check_id
