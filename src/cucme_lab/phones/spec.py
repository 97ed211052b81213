"""What a fleet is given of each phone, alone in a light module: `cucme-phones` splits a fleet
into specs in a process that runs no phone, and need not import the firmware to do so."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhoneSpec:
    mac: str  # any MAC notation: CAFE.CAFE.1234, cafecafe1234
    model: str = "7970"
    address: str = ""  # the phone's configured IP address
