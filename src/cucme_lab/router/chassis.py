"""Interface names and the chassis that says which interfaces exist.

IOS accepts any unique prefix of an interface type (`fa0/0`, `Vl 10`), and refuses an interface
the hardware lacks; both rules live here so the parser and the router agree.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

INTERFACE_TYPES: tuple[str, ...] = (
    "FastEthernet", "GigabitEthernet", "Serial", "Vlan", "Loopback", "Tunnel", "Virtual-Template",
)
# Types a router creates on demand (`interface Loopback5`); the others must be in the chassis.
VIRTUAL_TYPES = frozenset({"Vlan", "Loopback", "Tunnel", "Virtual-Template"})
VIRTUAL_RANGES = {"Vlan": (1, 4094), "Loopback": (0, 2147483647), "Tunnel": (0, 2147483647),
                  "Virtual-Template": (1, 200)}


def interface_type_names() -> tuple[str, ...]:
    return INTERFACE_TYPES


def split_interface(text: str) -> tuple[str, str] | None:
    """Split `fa0/3/4` or `Vlan10` into (canonical type, number), or None."""
    m = re.fullmatch(r"([A-Za-z][A-Za-z-]*?)\s*(\d+(?:/\d+)*(?:\.\d+)?)", text.strip())
    if not m:
        return None
    prefix, number = m.group(1).lower(), m.group(2)
    matches = [t for t in INTERFACE_TYPES if t.lower().startswith(prefix)]
    if len(matches) != 1:
        return None
    return matches[0], number


def canonical_interface_name(text: str) -> str | None:
    parts = split_interface(text)
    return None if parts is None else parts[0] + parts[1]


@functools.lru_cache(maxsize=4096)
def interface_sort_key(name: str) -> tuple:
    """The order IOS lists interfaces in: physical by type then slot, then virtual ones.
    Cached: every connection the router accepts looks its arrival interface up in order."""
    parts = split_interface(name)
    if parts is None:
        return (99, name)
    kind, number = parts
    nums = tuple(int(n) for n in re.split(r"[/.]", number))
    order = {"Loopback": 0, "Tunnel": 1, "FastEthernet": 2, "GigabitEthernet": 2, "Serial": 3,
             "Virtual-Template": 4, "Vlan": 5}
    return (order.get(kind, 9), nums, kind)


@dataclass
class Chassis:
    """The hardware: model name and the physical interfaces it carries."""

    model: str = "2811"
    physical: list[str] = field(default_factory=lambda: default_physical_interfaces())

    def has(self, name: str) -> bool:
        parts = split_interface(name)
        if parts is None:
            return False
        kind, number = parts
        if kind in VIRTUAL_TYPES:
            if not re.fullmatch(r"\d+", number):
                return False
            lo, hi = VIRTUAL_RANGES[kind]
            return lo <= int(number) <= hi
        base = number.split(".")[0]
        return f"{kind}{base}" in self.physical

    @classmethod
    def from_dict(cls, data: dict) -> Chassis:
        model = str(data.get("model", "2811"))
        physical = [canonical_interface_name(n) or n for n in data.get("interfaces", [])]
        return cls(model=model, physical=physical or default_physical_interfaces())


def default_physical_interfaces() -> list[str]:
    """A 2811 with its two onboard ports and a 9-port EtherSwitch HWIC in slot 3."""
    return ["FastEthernet0/0", "FastEthernet0/1"] + [f"FastEthernet0/3/{n}" for n in range(9)]
