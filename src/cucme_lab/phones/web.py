"""The phone's own web page: really listening on the phone's address while `webAccess` allows.

Hardening a phone with `service phone webAccess 1` must close this port; a test (or a trainee
with a browser) finds it closed, as on the real phone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from cucme_lab.phones.phone import Phone

HTTP_PORT = 80


class PhoneWebPage:
    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self._nursery: trio.Nursery | None = None
        self._scope: trio.CancelScope | None = None
        self.port: int | None = None

    def attach(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    @property
    def open(self) -> bool:
        return self._scope is not None

    def follow(self, web_access: str) -> None:
        """Open the page for `enabled`/`read-only`, close it for `disabled`."""
        wanted = web_access in ("enabled", "read-only")
        if wanted and self._scope is None and self._nursery is not None:
            self._scope = trio.CancelScope()
            self._nursery.start_soon(self._serve, self._scope)
        elif not wanted:
            self.close()

    def close(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
            self._scope = None
            self.port = None

    async def _serve(self, scope: trio.CancelScope) -> None:
        with scope:
            port = self.phone.network.listen_port(HTTP_PORT)
            try:
                listeners = await trio.open_tcp_listeners(
                    port, host=self.phone.network.local_address)
            except OSError:
                self.phone.status("Web server could not start")
                return
            self.port = port
            await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, stream: trio.SocketStream) -> None:
        async with stream:
            with trio.move_on_after(5):
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 8192:
                    chunk = await stream.receive_some(4096)
                    if not chunk:
                        return
                    request += chunk
                p = self.phone
                body = (f"<html><head><title>Cisco Unified IP Phone {p.model.name}</title>"
                        f"</head><body><h1>Device Information</h1><table>"
                        f"<tr><td>Host Name</td><td>{p.device_name}</td></tr>"
                        f"<tr><td>MAC Address</td><td>{p.mac}</td></tr>"
                        f"<tr><td>Model Number</td><td>CP-{p.model.name}G</td></tr>"
                        f"<tr><td>IP Address</td><td>{p.network.address}</td></tr>"
                        f"</table></body></html>").encode()
                head = (f"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
                try:
                    await stream.send_all(head + body)
                except trio.BrokenResourceError:
                    pass
