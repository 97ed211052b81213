"""Lab files: which phones a lab has, their models and addresses, and its start-up configuration.

```yaml
lab:
  name: my-lab
  chassis: {model: "2811", interfaces: [FastEthernet0/0, FastEthernet0/1, Serial0/3/0]}
  wan-interface: FastEthernet0/0   # where hosts outside every configured subnet arrive
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

from cucme_lab.lab.pstn import RESULTS, NumberRule, PstnPlan
from cucme_lab.lab.tacacs_server import TacacsSpec, TacacsUser
from cucme_lab.lab.yamlnodes import Node, load
from cucme_lab.phones.fleet import PhoneSpec
from cucme_lab.phones.models import MODELS
from cucme_lab.router.chassis import canonical_interface_name

DEFAULT_LAB = Path(__file__).parent / "labs" / "default.yaml"
MAC = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}")


@dataclass
class LabFile:
    name: str = "lab"
    phones: list[PhoneSpec] = field(default_factory=list)
    startup_config: str | None = None
    chassis: dict | None = None
    wan_interface: str | None = None  # the interface peers outside every subnet arrive on
    source: str = ""
    pstn: PstnPlan = field(default_factory=PstnPlan)  # the PSTN behind the voice ports
    tacacs: TacacsSpec | None = None  # the lab's TACACS+ server (lab/tacacs_server.py)
    # `guided:` (title, time-limit, objectives with hints), kept as read: the objectives are
    # scenario expectations, which the scenarios layer parses and judges (scenarios/guided.py)
    guided: Node | None = None


def parse_lab(node: Node) -> LabFile:
    fields = node.mapping({"name", "phones", "startup-config", "chassis", "pstn",
                           "wan-interface", "tacacs", "guided"})
    lab = LabFile(source=node.file, guided=fields.get("guided"))
    if "name" in fields:
        lab.name = fields["name"].text()
    if "wan-interface" in fields:
        name = canonical_interface_name(fields["wan-interface"].text())
        if name is None:
            raise fields["wan-interface"].error("not an interface name (FastEthernet0/0)")
        lab.wan_interface = name
    if "startup-config" in fields:
        lab.startup_config = "\n".join(fields["startup-config"].lines()) + "\n"
    if "chassis" in fields:
        chassis = fields["chassis"].mapping({"model", "interfaces"})
        lab.chassis = {"model": chassis["model"].text() if "model" in chassis else "2811",
                       "interfaces": [n.text() for n in chassis["interfaces"].sequence()]
                       if "interfaces" in chassis else []}
    if "pstn" in fields:
        lab.pstn = parse_pstn(fields["pstn"])
    if "tacacs" in fields:
        lab.tacacs = parse_tacacs(fields["tacacs"])
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


_NUMBER = re.compile(r"[0-9*#.]+T?|T")


def parse_pstn(node: Node) -> PstnPlan:
    """`pstn:` with `answer-delay:` (seconds) and `numbers:` rules, first match first."""
    fields = node.mapping({"answer-delay", "numbers"})
    plan = PstnPlan()
    if "answer-delay" in fields:
        plan.answer_delay = float(fields["answer-delay"].number(0, 600))
    for item in fields["numbers"].sequence() if "numbers" in fields else []:
        rule = item.mapping({"digits", "result", "delay"})
        if "digits" not in rule:
            raise item.error("a PSTN number needs `digits:`")
        digits = rule["digits"].text()
        if not _NUMBER.fullmatch(digits):
            raise rule["digits"].error("digits, `.` for any digit, a final `T` for any more")
        result = rule["result"].choice(RESULTS) if "result" in rule else "answer"
        delay = float(rule["delay"].number(0, 600)) if "delay" in rule else None
        plan.numbers.append(NumberRule(digits, result, delay))
    return plan


def parse_tacacs(node: Node) -> TacacsSpec:
    """`tacacs: {address, key, users: [{name, password, privilege, enable}]}`."""
    fields = node.mapping({"address", "key", "users"})
    for required in ("address", "key"):
        if required not in fields:
            raise node.error(f"the TACACS+ server needs a {required}")
    address = fields["address"].text()
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise fields["address"].error("not an IPv4 address") from None
    users = []
    for item in fields["users"].sequence() if "users" in fields else []:
        user = item.mapping({"name", "password", "privilege", "enable"})
        if "name" not in user or "password" not in user:
            raise item.error("a TACACS+ user needs a name and a password")
        users.append(TacacsUser(
            user["name"].text(), user["password"].text(),
            int(user["privilege"].number(0, 15)) if "privilege" in user else 1,
            user["enable"].text() if "enable" in user else None))
    return TacacsSpec(address, fields["key"].text(), users)


def load_lab(path: Path | str) -> LabFile:
    root = load(path)
    top = root.mapping({"lab"})
    if "lab" not in top:
        raise root.error("the file needs a `lab:` section")
    return parse_lab(top["lab"])
