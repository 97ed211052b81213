"""CDP neighbours as far as a lab on sockets can have them: the registered phones.

A real phone announces itself in CDP frames on its switch port every 60 seconds (device name,
platform, its port, the voice VLAN it asked for); the lab has no layer 2 to carry them. What
such a frame says, the phone already tells the router in its SCCP registration: its device
name (`SEP` + MAC) and device type (the model). So a registered phone is the router's CDP
neighbour on the interface its address arrives on (`router.ingress.arrival_interface`), its
voice VLAN that interface's VLAN (`Vlan10` -> 10). Holdtime counts down from 180 and is renewed
every 60 seconds, as by the phone's announcements. `no cdp run` (globally) and `no cdp enable`
(on the interface) make the router ignore them: `show cdp neighbors` no longer lists them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from cucme_lab.router.ingress import arrival_interface

HOLDTIME = 180  # seconds a neighbour is kept without a new announcement (IOS's default)
ANNOUNCE_EVERY = 60  # seconds between a phone's announcements (CDP's default timer)


@dataclass(frozen=True)
class Neighbor:
    device_id: str  # SEP001122334455
    address: str  # its configured IP address
    model: str  # 7970
    interface: str  # the router's interface it is heard on
    port_id: str = "Port 1"  # a phone's switch-facing port, as phones announce it
    holdtime: int = HOLDTIME
    voice_vlan: int | None = None
    version: str = ""  # the phone's firmware load, as its announcements carry it

    @property
    def platform(self) -> str:
        return f"Cisco IP Phone {self.model}"


def neighbors(router: Any) -> list[Neighbor]:
    """The phones heard on interfaces with CDP enabled; none while `no cdp run`."""
    if not router.config.cdp_run:
        return []
    now = time.time()
    found = []
    for reg in sorted(router.phones.registrations.values(), key=lambda r: r.device_name):
        intf = arrival_interface(router, reg.ip)
        if intf is None or not intf.cdp_enable:
            continue
        vlan = re.fullmatch(r"Vlan(\d+)", intf.name)
        age = int(now - reg.registered_at) % ANNOUNCE_EVERY
        found.append(Neighbor(reg.device_name, reg.ip, reg.model, intf.name,
                              holdtime=HOLDTIME - age,
                              voice_vlan=int(vlan.group(1)) if vlan else None,
                              version=reg.load))
    return found


def short_interface(name: str) -> str:
    """`FastEthernet0/1` -> `Fas 0/1`, as the Local Intrfce column abbreviates names."""
    match = re.match(r"([A-Za-z-]+)(.*)", name)
    if not match:
        return name
    return f"{match.group(1)[:3]} {match.group(2)}"


HEADER = ("Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge\n"
          "                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone\n"
          "\n"
          "Device ID        Local Intrfce     Holdtme    Capability  Platform  Port ID\n")


def show_neighbors(router: Any) -> str:
    """`show cdp neighbors`: one row per phone, columns as IOS pads them (a real 12.x output
    with a phone's row: `SEP84B51708B63E  Gig 1/0/11        124             H P M  IP Phone
    Port 1`; this IOS has no `M` capability)."""
    rows = [f"{n.device_id:<17}{short_interface(n.interface):<18}{n.holdtime:<3}"
            f"{'H P':>18}  {'IP Phone':<9} {n.port_id}\n" for n in neighbors(router)]
    return HEADER + "".join(rows)


def show_neighbors_detail(router: Any) -> str:
    """`show cdp neighbors detail`: [C] the layout of real captures with a phone (a 7941's:
    `Platform: Cisco IP Phone 7941,  Capabilities: Host Phone` ... `Holdtime : 124 sec`, then
    `Version :` and its load, `SCCP41.8-2-1S`, on the next line). The load is the one the phone
    named in its Register (firmwareLoadName; absent before protocol 17, and then so is the
    block). The power lines are left out: a phone's wattage is not in its registration."""
    out = []
    for n in neighbors(router):
        version = f"Version :\n{n.version}\n\n" if n.version else ""
        out.append("-------------------------\n"
                   f"Device ID: {n.device_id}\n"
                   "Entry address(es): \n"
                   f"  IP address: {n.address}\n"
                   f"Platform: {n.platform},  Capabilities: Host Phone \n"
                   f"Interface: {n.interface},  Port ID (outgoing port): {n.port_id}\n"
                   f"Holdtime : {n.holdtime} sec\n"
                   "\n"
                   + version +
                   "advertisement version: 2\n"
                   # [U] the voice VLAN line is the lab's: 12.4 prints the phone's VLAN query
                   # nowhere in this output
                   + (f"Voice VLAN: {n.voice_vlan}\n" if n.voice_vlan is not None else "")
                   + "Duplex: full\n"
                   "\n")
    return "".join(out)


def show_cdp(router: Any) -> str:
    """`show cdp`: the timers ([C] real captures: tabs, and `is  enabled` with two spaces), or
    `% CDP is not enabled`."""
    if not router.config.cdp_run:
        return "% CDP is not enabled\n"  # [M]
    return (f"Global CDP information:\n"
            f"\tSending CDP packets every {ANNOUNCE_EVERY} seconds\n"
            f"\tSending a holdtime value of {HOLDTIME} seconds\n"
            "\tSending CDPv2 advertisements is  enabled\n")
