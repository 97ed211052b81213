"""What the agent answers: the system group, IF-MIB's ifTable and CISCO-CCME-MIB's ephones.

A `MibView` is a sorted snapshot of (OID, value) pairs built from the router's state;
`get` and `next` are binary searches in it. Building one for 450 phones takes milliseconds, so
the agent keeps one for SNAPSHOT_SECONDS and builds it again after (or after a SET): a walk
sees a consistent table, and a phone's registration shows within that time. sysUpTime is read
when asked, never from the snapshot.

OIDs and layouts:
* system (1.3.6.1.2.1.1): sysDescr as IOS words it (the first lines of `show version`, joined
  by CR LF), sysObjectID cisco2811 (1.3.6.1.4.1.9.1.576), sysUpTime, sysContact, sysName
  (the hostname), sysLocation, sysServices 78 (IOS's value for a router).
* ifNumber and ifTable (1.3.6.1.2.1.2): one row per configured interface in IOS's order,
  ifIndex from 1; columns ifIndex to ifLastChange (1-9) and the octet and packet counters as
  zeros (the lab does not count interface traffic).
* CISCO-CCME-MIB (1.3.6.1.4.1.9.9.439): ccmeEphoneConfTable (...1.1.43.1: IP address type and
  address, MAC, model, keepalive) and ccmeEphoneActTable (...1.2.6.1: device name,
  registration state 1 registered / 2 unregistered, keepalives), indexed by ephone tag;
  ccmeEphoneTot and ccmeEphoneTotRegistered (...1.2.2, ...1.2.3). Layout from the MIB as
  pysnmp-mibs compiles it; the columns the lab has no value for are left out.
"""

from __future__ import annotations

import bisect
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.config.interfaces import Interface, interfaces
from cucme_lab.router.telephony.settings import ephones, telephony_service
from cucme_lab.wire.snmp import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    Counter32,
    Gauge32,
    ObjectId,
    Oid,
    TimeTicks,
    Value,
)

SNAPSHOT_SECONDS = 1.0

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME = SYSTEM + (1, 0), SYSTEM + (2, 0), SYSTEM + (3, 0)
SYS_CONTACT, SYS_NAME, SYS_LOCATION = SYSTEM + (4, 0), SYSTEM + (5, 0), SYSTEM + (6, 0)
SYS_SERVICES = SYSTEM + (7, 0)
WRITABLE = (SYS_CONTACT, SYS_NAME, SYS_LOCATION)
CISCO_2811 = (1, 3, 6, 1, 4, 1, 9, 1, 576)  # ciscoProducts.cisco2811
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
CCME = (1, 3, 6, 1, 4, 1, 9, 9, 439)
EPHONE_CONF_ENTRY = CCME + (1, 1, 43, 1)
EPHONE_TOT = CCME + (1, 2, 2, 0)
EPHONE_TOT_REGISTERED = CCME + (1, 2, 3, 0)
EPHONE_ACT_ENTRY = CCME + (1, 2, 6, 1)

# ifType (IANAifType) and ifSpeed by interface kind
_IF_TYPE = {"FastEthernet": 6, "GigabitEthernet": 6, "Ethernet": 6, "Serial": 22,
            "Vlan": 53, "Loopback": 24, "Tunnel": 131}
_IF_SPEED = {"FastEthernet": 100_000_000, "GigabitEthernet": 1_000_000_000,
             "Ethernet": 10_000_000, "Serial": 1_544_000, "Vlan": 100_000_000,
             "Loopback": 4_294_967_295, "Tunnel": 9_000}
_IF_MTU = {"Loopback": 1514, "Tunnel": 1514}


def sys_descr(version: str) -> bytes:
    """sysDescr: IOS gives the first four lines of `show version`, joined by CR LF."""
    return ("Cisco IOS Software, 2800 Software (C2800NM-ADVENTERPRISEK9-M), Version "
            f"{version}, RELEASE SOFTWARE (fc1)\r\n"
            "Technical Support: http://www.cisco.com/techsupport\r\n"
            "Copyright (c) 1986-2012 by Cisco Systems, Inc.\r\n"
            "Compiled Mon 10-Sep-12 07:08 by prod_rel_team").encode()


def uptime_ticks(boot_time: float) -> TimeTicks:
    return TimeTicks(int((time.time() - boot_time) * 100))


@dataclass
class MibView:
    """A sorted snapshot; a value may be a callable read when asked (sysUpTime)."""

    oids: list[Oid] = field(default_factory=list)
    values: list[Value | Callable[[], Value]] = field(default_factory=list)
    built_at: float = 0.0

    def _value(self, i: int) -> Value:
        v = self.values[i]
        return v() if callable(v) else v

    def get(self, oid: Oid) -> Value:
        i = bisect.bisect_left(self.oids, oid)
        if i < len(self.oids) and self.oids[i] == oid:
            return self._value(i)
        # an object (a column or scalar) exists when some instance sits below its OID's parent
        if i < len(self.oids) and self.oids[i][:len(oid) - 1] == oid[:-1] and len(oid) > 1:
            return NO_SUCH_INSTANCE
        return NO_SUCH_OBJECT

    def next(self, oid: Oid) -> tuple[Oid, Value]:
        i = bisect.bisect_right(self.oids, oid)
        if i >= len(self.oids):
            return oid, END_OF_MIB_VIEW
        return self.oids[i], self._value(i)


def build_view(router: Any) -> MibView:
    rows: dict[Oid, Value | Callable[[], Value]] = {}
    config = router.config
    rows[SYS_DESCR] = sys_descr(router_version())
    rows[SYS_OBJECT_ID] = ObjectId(CISCO_2811)
    rows[SYS_UPTIME] = lambda: uptime_ticks(router.boot_time)
    rows[SYS_CONTACT] = (config.snmp_contact or "").encode()
    rows[SYS_NAME] = config.hostname.encode()
    rows[SYS_LOCATION] = (config.snmp_location or "").encode()
    rows[SYS_SERVICES] = 78
    _interfaces(rows, interfaces(config))
    _ephones(rows, router)
    oids = sorted(rows)
    return MibView(oids, [rows[o] for o in oids], time.monotonic())


def router_version() -> str:
    from cucme_lab.router.router import IOS_VERSION

    return IOS_VERSION


def _kind(name: str) -> str:
    return name.rstrip("0123456789/.:")


def _interfaces(rows: dict, found: list[Interface]) -> None:
    rows[IF_NUMBER] = len(found)
    for index, intf in enumerate(found, start=1):
        kind = _kind(intf.name)
        status = 2 if intf.shutdown else 1  # up(1) / down(2)
        columns: dict[int, Value] = {
            1: index, 2: intf.name.encode(), 3: _IF_TYPE.get(kind, 1),
            4: _IF_MTU.get(kind, 1500), 5: Gauge32(_IF_SPEED.get(kind, 0)),
            6: b"", 7: status, 8: status, 9: TimeTicks(0)}
        for column in (10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20):
            columns[column] = Counter32(0)
        columns[21] = Gauge32(0)
        for column, value in columns.items():
            rows[IF_ENTRY + (column, index)] = value


def _ephones(rows: dict, router: Any) -> None:
    blocks = ephones(router.config)
    registered = {reg.tag: reg for reg in router.phones.registrations.values()}
    service = telephony_service(router.config)
    interval = service.keepalive_interval if service is not None else 30
    rows[EPHONE_TOT] = Counter32(len(blocks))
    rows[EPHONE_TOT_REGISTERED] = Gauge32(len(registered))
    for block in blocks:
        tag = int(block.ident[0])
        reg = registered.get(tag)
        conf: dict[int, Value] = {5: (reg.model if reg else (block.type or "")).encode(),
                                  7: interval}
        if block.mac:
            conf[4] = bytes.fromhex(block.mac.replace(".", ""))
        if reg is not None:
            conf[2] = 1  # InetAddressType ipv4
            conf[3] = ipaddress.IPv4Address(reg.ip).packed
        for column, value in conf.items():
            rows[EPHONE_CONF_ENTRY + (column, tag)] = value
        name = reg.device_name if reg else ("SEP" + block.mac.replace(".", "").upper()
                                            if block.mac else "")
        act: dict[int, Value] = {1: name.encode(), 2: 1 if reg else 2,
                                 5: Counter32(reg.keepalives if reg else 0)}
        for column, value in act.items():
            rows[EPHONE_ACT_ENTRY + (column, tag)] = value
