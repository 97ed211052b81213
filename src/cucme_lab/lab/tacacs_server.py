"""The lab's TACACS+ server: what a site's AAA server does, standing at a configured address.

No TACACS+ daemon is packaged for Debian or PyPI, so the lab brings one (a lab service, not a
router service): users, passwords, enable passwords and privilege levels come from the lab
file's `tacacs:` section; it listens on the loopback address its configured address maps to,
port 49 (moved like the router's privileged ports), and speaks RFC 8907 through the sans-I/O
`wire.tacacs_server`. Accounting records are kept (the last `MAX_RECORDS`) and listed in
`lab.json`. A connection that sends what the key cannot decode is closed, as tac_plus does.

```yaml
lab:
  tacacs:
    address: 10.17.1.2
    key: xyz
    users:
      - {name: admin, password: adminpw, privilege: 15, enable: enablepw}
```
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import trio

from cucme_lab.wire.tacacs import AcctRequest
from cucme_lab.wire.tacacs_server import ServerConnection

log = logging.getLogger(__name__)
TACACS_PORT = 49
MAX_RECORDS = 1000
MAX_CONNECTIONS = 64
IDLE = 30.0  # seconds a connection may stay silent


@dataclass(frozen=True)
class TacacsUser:
    name: str
    password: str
    privilege: int = 1
    enable: str | None = None


@dataclass
class TacacsSpec:
    """The lab file's `tacacs:` section."""

    address: str
    key: str
    users: list[TacacsUser] = field(default_factory=list)

    def check_login(self, user: str, password: str) -> bool:
        return any(u.name == user and u.password == password for u in self.users)

    def check_enable(self, user: str, password: str) -> bool:
        return any(u.name == user and u.enable is not None and u.enable == password
                   for u in self.users) or \
            any(u.name == "$enab15$" and u.password == password for u in self.users)

    def privilege(self, user: str) -> int:
        return next((u.privilege for u in self.users if u.name == user), 1)


@dataclass
class LabTacacsServer:
    """Serves one `TacacsSpec` on (`bind`, `port`) while `run` runs."""

    spec: TacacsSpec
    bind: str
    port: int
    on_record: Callable[[], None] = lambda: None
    records: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    refused_connections: int = 0
    peers: list[str] = field(default_factory=list)  # source address of each connection
    up: bool = True
    _connections: int = 0
    _scope: trio.CancelScope | None = None
    _wake: trio.Event = field(default_factory=trio.Event)

    def manifest_entry(self) -> dict[str, Any]:
        return {"role": "tacacs+ server (lab)", "up": self.up,
                "configured_address": self.spec.address,
                "bound_address": self.bind, "bound_port": self.port,
                "users": [u.name for u in self.spec.users], "accounting": self.records[-50:]}

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve while `up`; `set_up(False)` takes the server down (nothing listens, as when
        a site's server is off) until `set_up(True)`."""
        started = False
        while True:
            self._wake = trio.Event()
            if not self.up:
                if not started:
                    task_status.started()
                    started = True
                await self._wake.wait()
                continue
            listeners = await trio.open_tcp_listeners(self.port, host=self.bind)
            with trio.CancelScope() as self._scope:
                async with trio.open_nursery() as nursery:
                    await nursery.start(partial(trio.serve_listeners, self._connection,
                                                listeners, handler_nursery=nursery))
                    if not started:
                        task_status.started()
                        started = True
                    await trio.sleep_forever()

    def set_up(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        if not up and self._scope is not None:
            self._scope.cancel()
        self._wake.set()

    def _record(self, request: AcctRequest) -> None:
        entry = {"time": time.time(), "user": request.user.decode("utf-8", "replace"),
                 "port": request.port.decode("utf-8", "replace"),
                 "rem_addr": request.rem_addr.decode("utf-8", "replace"),
                 "flags": "start" if request.flags & 0x02 else
                 "stop" if request.flags & 0x04 else "watchdog",
                 "priv_lvl": request.priv_lvl, **request.attributes()}
        self.records.append(entry)
        del self.records[:-MAX_RECORDS]
        self.on_record()

    async def _connection(self, stream: trio.SocketStream) -> None:
        if self._connections >= MAX_CONNECTIONS:
            self.refused_connections += 1
            await stream.aclose()
            return
        self._connections += 1
        try:
            self.peers.append(stream.socket.getpeername()[0])
        except OSError:
            pass
        spec = self.spec
        outer = self

        class Directory:
            def check_login(self, user: str, password: str) -> bool:
                ok = spec.check_login(user, password)
                outer.logins.append((user, ok))
                return ok

            def check_enable(self, user: str, password: str) -> bool:
                return spec.check_enable(user, password)

            def authorize(self, user: str, args: dict[str, str]) -> list[str] | None:
                """Exec authorization (`service=shell`): the user's level from the lab file."""
                if args.get("service") != "shell" or not any(u.name == user
                                                             for u in spec.users):
                    return None
                return [f"priv-lvl={spec.privilege(user)}"]

        machine = ServerConnection(spec.key.encode(), Directory(), self._record,
                                   lambda why: log.info("TACACS+ connection closed: %s", why))
        try:
            async with stream:
                while not machine.closed:
                    with trio.move_on_after(IDLE) as idle:
                        data = await stream.receive_some(4096)
                    if idle.cancelled_caught or not data:
                        return
                    for packet in machine.receive(data):
                        await stream.send_all(packet)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            log.info("TACACS+ connection lost: %s", exc)
        except Exception:  # one bad connection never ends the server
            log.exception("TACACS+ connection failed")
        finally:
            self._connections -= 1
