"""The scenario expectation `snmp:`: a manager standing at a configured address asks the router.

```yaml
- expect:
    snmp: {from: 10.1.10.50, community: cisco, get: 1.3.6.1.2.1.1.5.0, answer: true,
           contains: CME}
```
A real SNMPv2c GetRequest leaves a UDP socket bound to the loopback address that stands for
`from` on the lab's plan, to the router's SNMP socket on `to` (default: the first address the
agent listens on); the check is whether an answer came within `timeout` seconds (an agent that
refuses a manager stays silent) and, with `contains`, whether the value holds the text.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import trio

from cucme_lab.lab.yamlnodes import Node
from cucme_lab.scenarios.outcomes import Check
from cucme_lab.wire import snmp as wire

FIELDS = {"snmp"}
SNMP_FIELDS = {"from", "to", "community", "get", "answer", "contains", "timeout"}


def parse(node: Node) -> dict:
    body = node.mapping(FIELDS)["snmp"]
    f = body.mapping(SNMP_FIELDS)
    for needed in ("from", "community", "get"):
        if needed not in f:
            raise body.error(f"an snmp expectation needs `{needed}:`")
    for key in ("from", "to"):
        if key in f:
            try:
                ipaddress.IPv4Address(f[key].text())
            except ValueError:
                raise f[key].error("not an IPv4 address") from None
    oid = f["get"].text()
    if not all(part.isdigit() for part in oid.strip(".").split(".")) or oid.count(".") < 1:
        raise f["get"].error("not an OID (1.3.6.1.2.1.1.5.0)")
    answer = f["answer"].text().lower() in ("true", "yes") if "answer" in f else True
    return {"subject": "snmp", "from": f["from"].text(), "to": f["to"].text() if "to" in f
            else None, "community": f["community"].text(), "get": oid, "answer": answer,
            "contains": f["contains"].text() if "contains" in f else None,
            "timeout": float(f["timeout"].number(0.1, 60)) if "timeout" in f else 2.0}


def describe(a: dict) -> str:
    verdict = "answers" if a["answer"] else "gets no answer"
    value = f" containing {a['contains']!r}" if a["contains"] else ""
    return (f"snmp get {a['get']} from {a['from']} with community {a['community']} "
            f"{verdict}{value}")


async def ask(lab: Any, a: dict) -> str | None:
    """The value's text, or None when no answer came."""
    entries = [e for e in lab.services.entries() if e.name == "snmp"
               and (a["to"] is None or e.configured_address == a["to"])]
    if not entries:
        return None
    target = (entries[0].bound_address, entries[0].bound_port)
    oid = tuple(int(part) for part in a["get"].strip(".").split("."))
    request = wire.encode_request(wire.V2C, a["community"].encode(), "get", [oid])
    with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        await sock.bind((lab.addresses.to_loopback(a["from"]), 0))
        await sock.sendto(request, target)
        with trio.move_on_after(a["timeout"]):
            data = await sock.recv(65535)
            _, status, _, varbinds = wire.decode_response(data)
            value = varbinds[0][1] if varbinds else None
            text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            return text if not status else f"error-status {status}"
    return None


async def evaluate(lab: Any, a: dict) -> list[Check]:
    got = await ask(lab, a)
    what = f"SNMP get {a['get']} from {a['from']} with community {a['community']}"
    checks = [Check(what, "an answer" if a["answer"] else "no answer",
                    "no answer" if got is None else f"answer {got!r}",
                    (got is not None) == a["answer"])]
    if a["contains"] is not None and got is not None:
        checks.append(Check(what + " value", f"contains {a['contains']!r}", repr(got),
                            a["contains"] in got))
    return checks
