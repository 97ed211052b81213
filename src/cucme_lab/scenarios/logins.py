"""The `login` step: a person logging in over telnet, as the line's method list decides.

```yaml
- login: {user: alice, password: wonder}      # over telnet, from a WAN-side address
- expect: {cli: {contains: "% Authentication failed"}}
```
The step's output is what the person saw (the banner, the prompts, the router's answer and
the first prompt after it), so an `expect: cli` that follows judges it, as after a `cli` step.
The client connects from `from` (a configured address; 10.1.1.50 unless given), on the lab's
loopback plan, to the router's telnet service.
"""

from __future__ import annotations

import re
from typing import Any

import trio

from cucme_lab.lab.yamlnodes import Node

IAC = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0", re.S)
ANSWERED = re.compile(r"(\S+[>#]|Username: |Password: )$")  # a prompt after the answer
DEFAULT_SOURCE = "10.1.1.50"


def parse_login(node: Node) -> dict:
    f = node.mapping({"user", "password", "from", "timeout"})
    if "password" not in f:
        raise node.error("`login:` needs a `password:`")
    return {"user": f["user"].text() if "user" in f else "",
            "password": f["password"].text(),
            "from": f["from"].text() if "from" in f else DEFAULT_SOURCE,
            "timeout": float(f["timeout"].number(1, 600)) if "timeout" in f else 30.0}


def describe_login(a: dict) -> str:
    return f"login: {a['user'] or '(no user)'} over telnet from {a['from']}"


async def telnet_login(runtime: Any, a: dict) -> str:
    """Log in over telnet; what the terminal showed (telnet negotiation left out)."""
    lab = runtime.lab
    entry = next((e for e in lab.services.entries() if e.name == "telnet"), None)
    if entry is None:
        return "(nothing answers telnet)"
    seen = ""
    sock = trio.socket.socket()
    with sock, trio.move_on_after(a["timeout"]):
        await sock.bind((lab.addresses.to_loopback(a["from"]), 0))
        await sock.connect((entry.bound_address, entry.bound_port))
        stream = trio.SocketStream(sock)
        buffer = ""

        async def until(pattern: str) -> bool:
            nonlocal buffer, seen
            while not re.search(pattern, buffer):
                data = await stream.receive_some(65536)
                if not data:
                    return False
                text = IAC.sub(b"", data).decode("utf-8", "replace")
                buffer += text
                seen += text
            buffer = ""
            return True

        if await until(r"Username: $|Password: $"):
            if seen.endswith("Username: "):
                await stream.send_all(a["user"].encode() + b"\r\n")
                await until(r"Password: $")
            await stream.send_all(a["password"].encode() + b"\r\n")
            await until(ANSWERED.pattern)
    return seen.replace("\r\n", "\n")
