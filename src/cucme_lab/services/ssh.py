"""The SSH server on the router's addresses (port 22, or the lab's offset), with asyncssh.

asyncssh needs asyncio, and the router's state lives in the trio thread, so (DESIGN section 4)
asyncssh runs in a thread of its own with its own event loop, and nothing crosses between the
two threads except through non-blocking hand-offs:

* trio accepts the TCP connection and judges it (vty line, `transport input`, `access-class`)
  before any SSH byte is spoken; the admitted socket is then handed to the asyncio thread;
* asyncio -> trio: `TrioToken.run_sync_soon` (received data, window sizes, hang-ups) and, for
  password checks, a coroutine started in the connection's trio nursery whose answer comes
  back through a `concurrent.futures.Future`;
* trio -> asyncio: `loop.call_soon_threadsafe` (what the shell writes, closing).

Neither side ever waits on the other, so one session's dialogue never blocks another's. The
host key is the router's RSA key (`ip ssh rsa keypair-name`, else `hostname.domain`), from the
key store that `write memory` saves in NVRAM private-config, so it survives a reload. Without
such a key SSH is disabled and nothing listens.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncssh
import trio
from cryptography.hazmat.primitives import serialization

from cucme_lab.router import access as ra
from cucme_lab.services import vty_listener
from cucme_lab.services.manager import Binding
from cucme_lab.services.vty_listener import bindings, listen, reset

if TYPE_CHECKING:
    from cucme_lab.services.host import ServiceHost

log = logging.getLogger(__name__)
SERVER_VERSION = "Cisco-1.25"  # IOS says SSH-1.99-Cisco-1.25 unless `ip ssh version 2`;
# asyncssh always announces protocol 2.0, which is what `ip ssh version 2` shows
# What IOS 15 offers, less what today's clients refuse (its KEX and host-key algorithms
# are SHA-1 based, which OpenSSH no longer accepts by default): asyncssh's KEX defaults stay.
CIPHERS = ["aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes256-cbc"]
MACS = ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"]
SHELL_GRACE = 5.0  # seconds a shell may take to finish after its connection dropped
STOP_TIMEOUT = 5.0


class AsyncioHost:
    """An asyncio event loop in a thread of its own, for asyncssh."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.thread = threading.Thread(target=self._run, name="ssh-asyncio", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(
                    asyncio.wait(pending, timeout=STOP_TIMEOUT))
        finally:
            self.loop.close()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` in the asyncio thread, soon; never blocks, never raises."""
        try:
            self.loop.call_soon_threadsafe(_quietly, fn, *args)
        except RuntimeError:  # the loop is closed: the connection is gone anyway
            pass

    def submit(self, coro_fn: Callable[[], Awaitable[Any]]) -> None:
        def start() -> None:
            self.loop.create_task(coro_fn())

        self.call(start)

    def _abort_all(self) -> None:
        for conn in list(self.connections):
            conn.abort()
        self.loop.stop()

    async def stop(self) -> None:
        """Drop every connection and end the thread (called from trio, even when cancelled)."""
        self.call(self._abort_all)
        with trio.CancelScope(shield=True), trio.move_on_after(STOP_TIMEOUT):
            await trio.to_thread.run_sync(self.thread.join)


def _quietly(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # a callback about a connection that just went away
        log.debug("ssh: callback %r failed", fn, exc_info=True)


class _QuietLostWrites(logging.Filter):
    """asyncio warns when asyncssh writes to a socket its client has just reset (netmiko
    closes without waiting for the channel close); on a router that is routine, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (threading.current_thread().name == "ssh-asyncio"
                    and record.getMessage() == "socket.send() raised exception.")


logging.getLogger("asyncio").addFilter(_QuietLostWrites())

_key_cache: dict[int, tuple[Any, asyncssh.SSHKey]] = {}


def asyncssh_key(key: Any) -> asyncssh.SSHKey:
    """The router's RSA key pair in asyncssh's form (cached per key object)."""
    cached = _key_cache.get(id(key))
    if cached is not None and cached[0] is key:
        return cached[1]
    pem = key.private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    imported = asyncssh.import_private_key(pem)
    if len(_key_cache) > 16:
        _key_cache.clear()
    _key_cache[id(key)] = (key, imported)
    return imported


class SshService:
    name = "ssh"

    def wanted(self, lab: ServiceHost) -> list[Binding]:
        if ra.ssh_host_key(lab.router) is None:
            return []
        return bindings(lab, "ssh", 22)

    async def serve(self, lab: ServiceHost, binding: Binding,
                    task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        host = AsyncioHost()
        token = trio.lowlevel.current_trio_token()

        async def handler(stream: trio.SocketStream, conn: ra.VtyConnection) -> None:
            await serve_ssh(lab, host, token, stream, conn)

        try:
            await listen(lab, binding, "ssh", handler, task_status)
        finally:
            await host.stop()


INPUT_HIGH = vty_listener.INPUT_CHUNKS  # chunks untaken by the shell: pause the channel
INPUT_LOW = 16  # and read again once the shell is down to this


class _PacedInput:
    """The shell's input channel: each chunk taken may let a paused SSH channel read again."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def receive(self) -> Any:
        item = await self.bridge.input_receive.receive()
        self.bridge.taken()
        return item


class SshLink:
    """The shell's `Link` to one SSH channel: writes and close go to the asyncio thread."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.input = _PacedInput(bridge)
        self.closed = False

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.bridge.host.call(self.bridge.write, data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bridge.host.call(self.bridge.finish)


class Bridge:
    """One SSH connection, seen from both threads. Attributes are touched by one side each:
    `chan`, `ssh_conn` by asyncio; `nursery`, `input_send`, `conn` by trio."""

    def __init__(self, lab: ServiceHost, host: AsyncioHost, token: trio.lowlevel.TrioToken,
                 conn: ra.VtyConnection, methods: list[str]) -> None:
        self.lab, self.host, self.token, self.conn = lab, host, token, conn
        self.methods = methods
        self.retries = ra.ssh_retries(lab.router.config)
        self.failures = 0
        self.input_send, self.input_receive = trio.open_memory_channel[Any](math.inf)
        self.untaken = 0  # chunks fed and not yet taken by the shell (trio side)
        self.paused = False  # the channel's reading is paused for that (trio side)
        self.done = trio.Event()
        self.shell_done = trio.Event()
        self.shell_started = False
        self.nursery: trio.Nursery | None = None
        self.chan: Any = None
        self.ssh_conn: asyncssh.SSHServerConnection | None = None

    # --- asyncio -> trio -----------------------------------------------------------------
    def to_trio(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self.token.run_sync_soon(_quietly, fn, *args)
        except trio.RunFinishedError:
            pass

    def call_trio(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> asyncio.Future:
        """Start `afn(*args)` in this connection's trio nursery; await its answer in asyncio."""
        result: concurrent.futures.Future = concurrent.futures.Future()

        async def runner() -> None:
            try:
                value = await afn(*args)
            except trio.Cancelled:
                if not result.done():
                    result.set_exception(ConnectionError("router stopping"))
                raise
            except Exception as exc:
                if not result.done():
                    result.set_exception(exc)
            else:
                if not result.done():
                    result.set_result(value)

        def start() -> None:
            if self.nursery is None:
                result.set_exception(ConnectionError("connection gone"))
                return
            try:
                self.nursery.start_soon(runner)
            except RuntimeError as exc:  # the nursery is closing
                result.set_exception(ConnectionError(str(exc)))

        self.to_trio(start)
        return asyncio.wrap_future(result)

    def feed(self, item: Any) -> None:
        """A chunk from the client; past INPUT_HIGH untaken the channel stops reading, so
        SSH's window and TCP hold a fast client back instead of memory here."""
        try:
            self.input_send.send_nowait(item)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            return
        self.untaken += 1
        if self.untaken >= INPUT_HIGH and not self.paused:
            self.paused = True
            self.host.call(self._pause_reading, True)

    def taken(self) -> None:
        self.untaken -= 1
        if self.paused and self.untaken <= INPUT_LOW:
            self.paused = False
            self.host.call(self._pause_reading, False)

    # --- trio side ------------------------------------------------------------------------
    async def check_password(self, user: str, password: str) -> bool:
        verdict = await self.lab.vty_frontend.authenticate(self.lab.router, self.conn, user,
                                                             password)
        if verdict.ok:
            self.conn.user, self.conn.priv = user, verdict.priv
            return True
        self.failures += 1
        if self.failures >= max(self.retries, 1):
            self.host.call(self.disconnect)
        return False

    def start_shell(self, command: str | None, ssh_info: dict[str, str]) -> None:
        if self.nursery is None or self.shell_started:
            return
        self.shell_started = True
        self.conn.ssh = ssh_info
        link = SshLink(self)

        async def shell() -> None:
            try:
                await self.lab.vty_frontend.serve(self.lab.router, self.conn, link,
                                                 command=command)
            finally:
                self.shell_done.set()

        self.nursery.start_soon(shell)

    # --- asyncio side ---------------------------------------------------------------------
    def _pause_reading(self, pause: bool) -> None:
        if self.chan is not None and not self.chan.is_closing():
            (self.chan.pause_reading if pause else self.chan.resume_reading)()

    def write(self, data: bytes) -> None:
        if self.chan is not None and not self.chan.is_closing() and \
                self.ssh_conn is not None and not self.ssh_conn.is_closed():
            if self.chan.get_write_buffer_size() > vty_listener.OUTPUT_LIMIT:  # not reading
                self.to_trio(vty_listener.output_overflow, self.lab.router, "SSH",
                             self.conn.peer)
                self.chan = None
                self.ssh_conn.abort()
                return
            self.chan.write(data)

    def finish(self) -> None:
        """The shell ended (`exit`, `clear line`, timeout): close the channel, then the
        connection once the channel is done (so queued output still goes out)."""
        if self.chan is not None:
            self.chan.exit(0)
        elif self.ssh_conn is not None:
            self.ssh_conn.close()

    def disconnect(self) -> None:
        if self.ssh_conn is not None:
            self.ssh_conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                     "Too many authentication failures")


class _Server(asyncssh.SSHServer):
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.bridge.ssh_conn = conn
        self.bridge.host.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        bridge = self.bridge
        if bridge.ssh_conn is not None:
            bridge.host.connections.discard(bridge.ssh_conn)
        bridge.to_trio(bridge.input_send.close)
        bridge.to_trio(bridge.done.set)

    def begin_auth(self, username: str) -> bool:
        return bool(self.bridge.methods)

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        try:
            return bool(await self.bridge.call_trio(self.bridge.check_password, username,
                                                    password))
        except ConnectionError:
            return False

    def session_requested(self) -> Any:
        bridge = self.bridge
        if bridge.chan is not None or bridge.ssh_conn is None:
            return False  # one shell per SSH connection, as on IOS
        chan = bridge.ssh_conn.create_server_channel(encoding=None)
        return chan, _Session(bridge)


class _Session(asyncssh.SSHServerSession):
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.command: str | None = None

    def connection_made(self, chan: Any) -> None:
        self.bridge.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Any) -> bool:
        width, height = term_size[0], term_size[1]
        self.bridge.to_trio(self.bridge.feed, ("window", width, height))
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str | bytes) -> bool:
        if isinstance(command, bytes):
            command = command.decode("utf-8", "replace")
        self.command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        bridge = self.bridge
        info = {}
        if bridge.ssh_conn is not None:
            for name in ("send_cipher", "recv_cipher", "send_mac", "recv_mac"):
                info[name] = str(bridge.ssh_conn.get_extra_info(name) or "")
        bridge.to_trio(bridge.start_shell, self.command, info)

    def data_received(self, data: bytes, datatype: Any) -> None:
        self.bridge.to_trio(self.bridge.feed, bytes(data))

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        self.bridge.to_trio(self.bridge.feed, ("window", width, height))

    def eof_received(self) -> bool:
        self.bridge.to_trio(self.bridge.input_send.close)
        return True  # keep writing until the shell has finished

    def break_received(self, msec: int) -> bool:
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        bridge = self.bridge
        bridge.chan = None
        bridge.to_trio(bridge.input_send.close)
        if bridge.ssh_conn is not None:
            bridge.ssh_conn.close()


async def serve_ssh(lab: ServiceHost, host: AsyncioHost, token: trio.lowlevel.TrioToken,
                    stream: trio.SocketStream, conn: ra.VtyConnection) -> None:
    router = lab.router
    key = ra.ssh_host_key(router)
    if key is None:
        reset(stream.socket)
        return
    host_key = asyncssh_key(key)
    sec = ra.vty_section(router.config, conn.line)
    methods = ra.login_methods(router.config, sec)
    if not methods:
        conn.priv = ra.line_privilege(sec)
    bridge = Bridge(lab, host, token, conn, methods)
    sock = socket.socket(fileno=stream.socket.detach())
    options = dict(server_host_keys=[host_key], server_version=SERVER_VERSION,
                   login_timeout=ra.ssh_timeout(router.config), keepalive_interval=0,
                   allow_scp=False, agent_forwarding=False, x11_forwarding=False,
                   encryption_algs=CIPHERS, mac_algs=MACS)

    async def start_asyncio() -> None:
        try:
            await asyncssh.run_server(sock, server_factory=lambda: _Server(bridge), **options)
        except Exception as exc:  # handshake failed, timed out, or the client went away
            log.debug("ssh: connection from %s ended: %s", conn.peer, exc)
            sock.close()
            bridge.to_trio(bridge.input_send.close)
            bridge.to_trio(bridge.done.set)

    try:
        async with trio.open_nursery() as nursery:
            bridge.nursery = nursery
            host.submit(start_asyncio)
            await bridge.done.wait()
            bridge.input_send.close()
            if bridge.shell_started:
                with trio.move_on_after(SHELL_GRACE):
                    await bridge.shell_done.wait()
            nursery.cancel_scope.cancel()
    finally:
        bridge.nursery = None
        if not bridge.done.is_set():
            host.call(_abort, bridge)


def _abort(bridge: Bridge) -> None:
    if bridge.ssh_conn is not None:
        bridge.ssh_conn.abort()
