"""Lab files: which phones a lab has, their models and addresses, and its start-up configuration.

```yaml
lab:
  name: my-lab
  chassis: {model: "2811", interfaces: [FastEthernet0/0, FastEthernet0/1, Serial0/3/0]}
  phones:
    - {mac: CAFE.CAFE.1234, model: "7970", address: 1.2.3.21}
  startup-config: |
    hostname CME
    ...
  guided:                      # optional: objectives, hints, a time limit (docs/scenarios.md)
    ...
```
Every field is checked, and a mistake is reported with its file, line and field.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from cucme_lab.lab.yamlnodes import Node, load
from cucme_lab.phones.fleet import PhoneSpec
from cucme_lab.phones.models import MODELS

DEFAULT_LAB = Path(__file__).parent / "labs" / "default.yaml"
MAC = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}")


@dataclass
class LabFile:
    name: str = "lab"
    phones: list[PhoneSpec] = field(default_factory=list)
    startup_config: str | None = None
    chassis: dict | None = None
    source: str = ""
    # `guided:` (title, time-limit, objectives with hints), kept as read: the objectives are
    # scenario expectations, which the scenarios layer parses and judges (scenarios/guided.py)
    guided: Node | None = None


def parse_lab(node: Node) -> LabFile:
    fields = node.mapping({"name", "phones", "startup-config", "chassis", "guided"})
    lab = LabFile(source=node.file, guided=fields.get("guided"))
    if "name" in fields:
        lab.name = fields["name"].text()
    if "startup-config" in fields:
        lab.startup_config = "\n".join(fields["startup-config"].lines()) + "\n"
    if "chassis" in fields:
        chassis = fields["chassis"].mapping({"model", "interfaces"})
        lab.chassis = {"model": chassis["model"].text() if "model" in chassis else "2811",
                       "interfaces": [n.text() for n in chassis["interfaces"].sequence()]
                       if "interfaces" in chassis else []}
    seen: set[str] = set()
    for item in fields["phones"].sequence() if "phones" in fields else []:
        spec = item.mapping({"mac", "model", "address"})
        if "mac" not in spec:
            raise item.error("a phone needs a mac")
        mac = spec["mac"].text()
        if not MAC.fullmatch(mac):
            raise spec["mac"].error("not a MAC address (H.H.H or 12 hex digits)")
        if mac.replace(".", "").upper() in seen:
            raise spec["mac"].error("the same MAC is given twice")
        seen.add(mac.replace(".", "").upper())
        model = spec["model"].choice(tuple(MODELS)) if "model" in spec else "7970"
        address = ""
        if "address" in spec:
            address = spec["address"].text()
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise spec["address"].error("not an IPv4 address") from None
        lab.phones.append(PhoneSpec(mac, model, address))
    return lab


def load_lab(path: Path | str) -> LabFile:
    root = load(path)
    top = root.mapping({"lab"})
    if "lab" not in top:
        raise root.error("the file needs a `lab:` section")
    return parse_lab(top["lab"])
