"""A small HTTP/1.1 client over trio for the dashboard's tests: requests and event streams."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11
import trio


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def _target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"


async def request(url: str, method: str = "GET", path: str = "/", body: bytes = b"",
                  timeout: float = 10.0) -> Reply:
    host, port, _ = _target(url)
    conn = h11.Connection(h11.CLIENT)
    with trio.fail_after(timeout):
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            headers = [("Host", f"{host}:{port}"), ("Connection", "close"),
                       ("Content-Length", str(len(body)))]
            await stream.send_all(conn.send(h11.Request(method=method, target=path,
                                                        headers=headers)))
            await stream.send_all(conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))
            response, chunks = None, []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await stream.receive_some(65536))
                    continue
                if isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                    break
    return Reply(response.status_code,
                 {k.decode().lower(): v.decode() for k, v in response.headers}, b"".join(chunks))


class EventStream:
    """GET /events read as server-sent events, one (kind, data) at a time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stream: trio.SocketStream | None = None
        self.buffer = b""
        self.status = 0

    async def open(self) -> EventStream:
        host, port, _ = _target(self.url)
        self.stream = await trio.open_tcp_stream(host, port)
        await self.stream.send_all(f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                                   "Accept: text/event-stream\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += await self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        return self

    async def _more(self) -> bytes:
        data = await self.stream.receive_some(65536)
        if not data:
            raise EOFError("the server closed the stream")
        return data

    async def next_event(self) -> tuple[str, dict]:
        """The next event (chunked framing is skipped by looking for event lines)."""
        while True:
            marker = self.buffer.find(b"event: ")
            end = self.buffer.find(b"\n\n", marker) if marker >= 0 else -1
            if marker >= 0 and end >= 0:
                block = self.buffer[marker:end].decode()
                self.buffer = self.buffer[end + 2:]
                kind, data = "", ""
                for line in block.split("\n"):
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data += line[6:]
                return kind, json.loads(data)
            self.buffer += await self._more()

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()
