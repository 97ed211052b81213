"""The `outside-server` step and the `collector` expectation: real servers beside the lab.

A configuration names hosts outside the router (`logging 192.168.153.129`, `ntp server
171.68.10.80`); this step starts Debian's own server on the loopback address the lab maps such
a host to, and keeps it running until the scenario ends:

```yaml
- outside-server: {syslog: 192.168.153.129}             # rsyslog, collecting to a file
- outside-server: {ntp: 171.68.10.80, time: "2027-03-01 12:00:00", keys: {1: secret}}
- expect: {collector: {contains: "%SYS-5-CONFIG_I"}}    # what the syslog collector received
```

`ntp` runs chronyd (`local stratum 8`, `-x`: it never touches the host's clock), its clock
starting at `time` (libfaketime) when given. The servers' files are in the lab folder under
`outside/`.
"""

from __future__ import annotations

import ipaddress
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import trio

from cucme_lab.lab.outside_servers import (
    Collector,
    ServerUnavailable,
    chrony,
    parse_fake_time,
    rsyslog,
)
from cucme_lab.lab.yamlnodes import Node
from cucme_lab.scenarios.outcomes import StepError

ROLES = ("syslog", "ntp")
PORTS = {"syslog": 514, "ntp": 123}


def parse_outside(node: Node) -> dict:
    f = node.mapping({"syslog", "ntp", "time", "keys"})
    roles = [r for r in ROLES if r in f]
    if len(roles) != 1:
        raise node.error("`outside-server:` names one host: `syslog: A.B.C.D` or `ntp: A.B.C.D`")
    role = roles[0]
    address = f[role].text()
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise f[role].error("an IPv4 address, as the configuration names the host") from None
    if role == "syslog" and ({"time", "keys"} & set(f)):
        raise node.error("`time:` and `keys:` are for an NTP server")
    if "time" in f:
        try:
            parse_fake_time(f["time"].text())
        except ValueError:
            raise f["time"].error("a time as YYYY-MM-DD HH:MM[:SS], the server's clock at "
                                  "its start") from None
    keys: dict[int, str] = {}
    if "keys" in f:
        for key_node, value in f["keys"].mapping(None).items():
            if not str(key_node).isdigit():
                raise value.error("key numbers are 1 to 65535")
            keys[int(key_node)] = value.text()
    return {"role": role, "address": address,
            "time": f["time"].text() if "time" in f else None, "keys": keys}


def describe_outside(a: dict) -> str:
    what = "syslog collector (rsyslog)" if a["role"] == "syslog" else "NTP server (chrony)"
    return f"start a {what} at {a['address']}" + (f" serving {a['time']}" if a["time"] else "")


async def run_outside(ctx: Any, a: dict) -> str:
    """Start the server; the scenario's nursery holds it until the scenario ends."""
    if ctx.nursery is None:
        raise RuntimeError("no nursery to run an outside server in")
    plan = ctx.router.addresses
    address, port = plan.to_loopback(a["address"]), plan.port(PORTS[a["role"]])
    workdir = Path(ctx.router.storage.root) / "outside" / f"{a['role']}-{a['address']}"
    server: AbstractAsyncContextManager[Any]
    if a["role"] == "syslog":
        server = rsyslog(workdir, address, port)
    else:
        server = chrony(workdir, address, port, fake_time=a["time"], keys=a["keys"])
    try:
        running = await ctx.nursery.start(_hold, server)
    except ServerUnavailable as exc:
        raise StepError(str(exc)) from None
    ctx.outside[a["role"]] = running
    return f"{describe_outside(a)}: listening on {address}:{port}"


async def _hold(server: AbstractAsyncContextManager[Any],
                task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED) -> None:
    async with server as running:
        task_status.started(running)
        await trio.sleep_forever()


def collector_text(ctx: Any) -> str:
    """Every datagram the syslog collector received, one a line (sender address first)."""
    collector = ctx.outside.get("syslog")
    if not isinstance(collector, Collector):
        raise StepError("no syslog collector: start one with `outside-server: {syslog: ...}`")
    return "\n".join(collector.lines())
