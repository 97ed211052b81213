"""Phone models: their SCCP device types and whether the factory installed a certificate (MIC).

Device types are those of specs/sccp.md 4.1. The 7940 and 7960 left the factory without a
manufacturer-installed certificate, so they can only go secure after CAPF gives them an LSC; the
later models carry a MIC.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhoneModel:
    name: str
    device_type: int
    has_mic: bool
    lines: int
    soft_keys: bool = True


MODELS: dict[str, PhoneModel] = {m.name: m for m in (
    PhoneModel("7911", 307, True, 1),
    PhoneModel("7940", 8, False, 2, soft_keys=True),
    PhoneModel("7941", 115, True, 2),
    PhoneModel("7942", 434, True, 2),
    PhoneModel("7945", 435, True, 2),
    PhoneModel("7960", 7, False, 6, soft_keys=True),
    PhoneModel("7961", 30018, True, 6),
    PhoneModel("7962", 404, True, 6),
    PhoneModel("7965", 436, True, 6),
    PhoneModel("7970", 30006, True, 8),
    PhoneModel("7971", 119, True, 8),
    PhoneModel("7975", 437, True, 8),
)}


def model(name: str) -> PhoneModel:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown phone model {name!r}; known: {', '.join(MODELS)}") from None
