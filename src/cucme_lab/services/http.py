"""The router's HTTP server (`ip http server`) and HTTPS server (`ip http secure-server`).

It exists only while configured: `wanted` asks for a socket on every up interface address at
`ip http port` (80) and, with `ip http secure-server`, at `ip http secure-port` (443) with the
router's certificate. `ip http access-class N` is applied to every connection by the client's
configured address (a denied client is disconnected without an answer, as IOS drops it);
`ip http authentication enable|local|aaa|tacacs` guards the admin pages.

Paths: `/cgi-bin/pkiclient.exe` is the CA's SCEP endpoint and CRL distribution point
(`cucme_lab.router.pki.scep_server`); `/`, `/level/...`, `/exec/...` are the admin pages.

Bounds, IOS's (docs/robustness.md): `ip http max-connections` (5) connections at once over HTTP
and HTTPS together, a new one beyond them reset; `ip http timeout-policy idle I life L requests
R` (180, 180, 1): a connection is closed I seconds after it was accepted or its last request was
answered, whatever partial request is still arriving, L seconds after it was accepted whatever
it is doing, and after answering R requests.

`HttpConnection` is the protocol part (h11, bytes in, bytes out, no sockets), so it can be fed
arbitrary bytes in tests; the trio part only moves bytes.
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
from dataclasses import dataclass
from typing import Any

import h11
import trio

from cucme_lab.router import access as remote_access
from cucme_lab.router.config.system import HttpAuthentication
from cucme_lab.router.pki import scep_server
from cucme_lab.router.pki.ca import interface_addresses
from cucme_lab.router.pki.credentials import MissingCredentials, credentials
from cucme_lab.router.router import Router
from cucme_lab.services import ingress
from cucme_lab.services.manager import Binding
from cucme_lab.services.vty_listener import reset

log = logging.getLogger(__name__)

MAX_BODY = 128 * 1024
HANDSHAKE_TIMEOUT = 10.0  # within the connection's life (`ip http timeout-policy`)
SERVER_HEADER = b"cisco-IOS"
ADMIN_PREFIXES = ("/level/", "/exec/", "/configure/")


@dataclass
class Response:
    status: int
    content_type: str = "text/html"
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()


REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 403: b"Forbidden",
           404: b"Not Found", 405: b"Method Not Allowed", 413: b"Request Entity Too Large",
           500: b"Internal Server Error", 503: b"Service Unavailable"}


def _bad(router: Router, peer: str, status: int, why: str) -> Response:
    # [U] no IOS text is known for refused HTTP requests; this one says what happened.
    router.log.log(f"%HTTP-4-BAD_REQUEST: HTTP request from {peer} refused: {why}")
    return Response(status, "text/plain", why.encode() + b"\n")


def basic_credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """(user, password) of a Basic Authorization header, or None."""
    value = next((v for k, v in headers if k.lower() == b"authorization"), b"")
    if not value.lower().startswith(b"basic "):
        return None
    try:
        user, _, password = base64.b64decode(value[6:].strip(), validate=True).decode(
            "latin-1").partition(":")
    except (binascii.Error, ValueError):
        return None
    return user, password


def uses_aaa(router: Router) -> bool:
    """`ip http authentication aaa|tacacs`: the AAA login list decides (servers asked)."""
    return router.config.http_auth_method in (HttpAuthentication.AAA, HttpAuthentication.TACACS)


def authorized(router: Router, headers: list[tuple[bytes, bytes]],
               aaa_verdict: bool | None = None) -> bool:
    """Basic credentials checked by `ip http authentication` (enable is IOS's default).

    With `aaa` or `tacacs` the verdict of the AAA login list comes from the caller, who asked
    the servers (`HttpConnection.pending_aaa`).
    """
    method = router.config.http_auth_method
    creds = basic_credentials(headers)
    if creds is None:
        return False
    user, password = creds
    cfg = router.config
    if method is HttpAuthentication.LOCAL:
        return (remote_access.check_local(cfg, user, password) or 0) >= 15
    if method is HttpAuthentication.ENABLE:
        return remote_access.check_enable(cfg, password)
    return bool(aaa_verdict)


def dispatch(router: Router, method: str, target: str, headers: list[tuple[bytes, bytes]],
             body: bytes, peer: str, aaa_verdict: bool | None = None) -> Response:
    """One complete request -> one response. Never raises for anything a client can send."""
    path, _, query = target.partition("?")
    if path == scep_server.SCEP_PATH:
        reply = scep_server.handle(router, method, query, body, peer)
        return Response(reply.status, reply.content_type, reply.body)
    if path == "/" or path.startswith(ADMIN_PREFIXES):
        if method not in ("GET", "HEAD"):
            return _bad(router, peer, 405, f"method {method} not allowed on {path[:60]}")
        if not authorized(router, headers, aaa_verdict):
            return Response(401, "text/html", b"<html><body>Authorization required</body>"
                            b"</html>\n", ((b"WWW-Authenticate",
                                            b'Basic realm="level_15_access"'),))
        name = html.escape(router.hostname)
        return Response(200, "text/html", (
            f"<html><head><title>{name} Home Page</title></head><body>"
            f"<h1>Cisco Systems</h1><p>Accessing Cisco {name} router</p></body></html>\n"
        ).encode())
    return _bad(router, peer, 404, f"no page {path[:80]!r}")


@dataclass(eq=False)
class _OpenConnection:
    """One connection the HTTP service holds: its scope, and whether it only waits."""

    scope: trio.CancelScope
    waiting: bool = True  # no request under way (handshake, head arriving, idle)


class HttpConnection:
    """One HTTP/1.1 server connection, sans I/O: `receive_data` returns bytes to send.

    After `max_requests` answers the connection closes (`Connection: close` on the last one),
    as `ip http timeout-policy ... requests N` says; `answered` counts them.
    """

    def __init__(self, router: Router, peer: str, max_requests: int | None = None) -> None:
        self.router = router
        self.peer = peer
        self.max_requests = max_requests
        self.answered = 0
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        self.closed = False
        self._request: h11.Request | None = None
        self._body = bytearray()
        self.pending_aaa: tuple[str, str] | None = None  # credentials the service must check
        self._aaa_verdict: bool | None = None

    @property
    def in_request(self) -> bool:
        """A request's head has come and its answer has not gone yet."""
        return self._request is not None

    def receive_data(self, data: bytes) -> bytes:
        """Feed bytes from the client (b"" at end of stream); returns what to send back."""
        if self.closed:
            return b""
        self.conn.receive_data(data)
        return self._drain()

    def resume_aaa(self, ok: bool) -> bytes:
        """The AAA login list's verdict on `pending_aaa`: answer the request, go on."""
        self.pending_aaa, self._aaa_verdict = None, ok
        out = self._respond()
        self._aaa_verdict = None
        return out + self._drain()

    def _drain(self) -> bytes:
        out = bytearray()
        while not self.closed and self.pending_aaa is None:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                out += self._fail(exc.error_status_hint, f"malformed HTTP: {exc}")
                break
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                if event is h11.PAUSED and self.conn.our_state is h11.DONE and \
                        self.conn.their_state is h11.DONE:
                    self.conn.start_next_cycle()
                    continue
                self.closed = True
                break
            if isinstance(event, h11.Request):
                self._request = event
                self._body = bytearray()
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > MAX_BODY:
                    out += self._fail(413, "request body too large")
                    break
            elif isinstance(event, h11.EndOfMessage) and self._request is not None:
                out += self._respond()
        return bytes(out)

    def _respond(self) -> bytes:
        req = self._request
        assert req is not None
        method = req.method.decode("latin-1")
        target = req.target.decode("latin-1")
        creds = basic_credentials(list(req.headers))
        if self._aaa_verdict is None and creds is not None and uses_aaa(self.router):
            self.pending_aaa = creds  # the service asks the AAA servers, then resume_aaa
            return b""
        self._request = None
        try:
            resp = dispatch(self.router, method, target, list(req.headers), bytes(self._body),
                            self.peer, self._aaa_verdict)
        except Exception as exc:  # a bug must cost one request, not the server
            log.exception("HTTP request %s %s failed", method, target)
            resp = _bad(self.router, self.peer, 500, f"internal error: {type(exc).__name__}")
        return self._send(resp, head=method == "HEAD")

    def _send(self, resp: Response, head: bool = False) -> bytes:
        self.answered += 1
        headers = [(b"Server", SERVER_HEADER), (b"Content-Type", resp.content_type.encode()),
                   (b"Content-Length", str(len(resp.body)).encode()), *resp.headers]
        if self.max_requests is not None and self.answered >= self.max_requests:
            headers.append((b"Connection", b"close"))  # the last request this one may carry
        try:
            out = self.conn.send(h11.Response(status_code=resp.status, headers=headers,
                                              reason=REASONS.get(resp.status, b"")))
            if not head:
                out += self.conn.send(h11.Data(data=resp.body))
            out += self.conn.send(h11.EndOfMessage())
        except h11.LocalProtocolError:
            self.closed = True
            return b""
        if self.conn.our_state is h11.MUST_CLOSE:
            self.closed = True
        return out

    def _fail(self, status: int, why: str) -> bytes:
        resp = _bad(self.router, self.peer, status if status >= 400 else 400, why)
        self.closed = True
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return b""
        try:
            return (self.conn.send(h11.Response(
                status_code=resp.status,
                headers=[(b"Server", SERVER_HEADER), (b"Content-Type", b"text/plain"),
                         (b"Content-Length", str(len(resp.body)).encode()),
                         (b"Connection", b"close")],
                reason=REASONS.get(resp.status, b""))) + self.conn.send(h11.Data(data=resp.body))
                + self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:
            return b""


class HttpService:
    """`ip http server` / `ip http secure-server` as sockets on the router's addresses."""

    name = "http"

    def __init__(self) -> None:
        self.open: list[_OpenConnection] = []  # HTTP and HTTPS together, oldest first
        self.refused = 0  # connections reset because `ip http max-connections` were busy
        self.evicted = 0  # connections waiting for a request, closed to make room
        self._full_logged = False  # the limit's log line is written once per episode

    @property
    def active(self) -> int:
        """Connections open now, HTTP and HTTPS together."""
        return len(self.open)

    def _make_room(self, limit: int) -> bool:
        """At `ip http max-connections`, close the oldest connection that is only waiting (no
        request under way: a TLS handshake, a request head still arriving, or idle between
        requests) to let a new one in; False when every open connection is serving a request.

        Lab departure (docs/robustness.md): IOS keeps such a connection until its idle time
        runs out, so a few silent sockets lock every client out for minutes.
        """
        if len(self.open) < limit:
            return True
        victim = next((c for c in self.open if c.waiting), None)
        if victim is None:
            return False
        self.open.remove(victim)
        victim.scope.cancel()
        self.evicted += 1
        return True

    def wanted(self, lab) -> list[Binding]:
        config = lab.router.config
        bindings = []
        addresses = interface_addresses(lab.router)
        if config.http_server:
            bindings += [Binding("http", a, config.http_listen_port) for a in addresses]
        if config.http_secure_server:
            tp = _secure_trustpoint(lab.router)
            bindings += [Binding("https", a, config.https_listen_port,
                                 options=(("tls", True), ("trustpoint", tp)))
                         for a in addresses]
        return bindings

    async def serve(self, lab, binding: Binding, task_status) -> None:
        context = None
        if binding.option("tls"):
            context = _tls_context(lab.router, binding.option("trustpoint"))
        host = lab.addresses.to_loopback(binding.configured_address)
        port = lab.addresses.port(binding.configured_port)
        listeners = await trio.open_tcp_listeners(port, host=host)
        task_status.started((host, port))
        await trio.serve_listeners(
            ingress.filtered(lab, binding, lambda stream: self.connection(lab, stream, context)),
            listeners)

    async def connection(self, lab, tcp: trio.SocketStream, context) -> None:
        router = lab.router
        try:
            peer_ip, peer_port = tcp.socket.getpeername()[:2]
            local_ip, local_port = tcp.socket.getsockname()[:2]
        except OSError:
            await tcp.aclose()
            return
        peer = lab.addresses.to_configured(peer_ip)
        acl = router.config.http_access_class
        if acl is not None and not remote_access.acl_permits(
                router, acl, remote_access.Packet(
                    peer, lab.addresses.to_configured(local_ip), local_port, peer_port)):
            await tcp.aclose()  # IOS drops a client its access-class denies
            return
        limit = router.config.http_connection_limit
        if not self._make_room(limit):
            self.refused += 1
            if not self._full_logged:
                self._full_logged = True
                router.log.log(f"%HTTP-4-SERVER_BUSY: {limit} HTTP connections open (ip http "
                               f"max-connections); new connections are refused")  # [U] text
            reset(tcp.socket)
            return
        mine = _OpenConnection(trio.CancelScope())
        self.open.append(mine)
        try:
            with mine.scope:
                await self._serve(router, tcp, peer, context, mine)
        finally:
            if mine in self.open:
                self.open.remove(mine)
            if self.active < router.config.http_connection_limit:
                self._full_logged = False

    async def _serve(self, router: Router, tcp: trio.SocketStream, peer: str, context,
                     mine: _OpenConnection) -> None:
        """One connection under `ip http timeout-policy`: its life from now, its idle time from
        now and from each answer; bytes of a request still arriving extend neither."""
        policy = router.config.http_policy
        now = trio.current_time()
        life_ends = now + policy.life
        stream: Any = tcp
        try:
            with trio.CancelScope(deadline=life_ends):
                if context is not None:
                    stream = trio.SSLStream(tcp, context, server_side=True)
                    with trio.fail_after(HANDSHAKE_TIMEOUT):
                        await stream.do_handshake()
                http = HttpConnection(router, peer, max_requests=policy.requests)
                idle_ends = trio.current_time() + policy.idle
                while not http.closed:
                    with trio.CancelScope(deadline=idle_ends) as idle:
                        data = await stream.receive_some(16384)
                        answered = http.answered
                        out = http.receive_data(data)
                        while http.pending_aaa is not None:
                            out += http.resume_aaa(await http_login(router, peer,
                                                                    *http.pending_aaa))
                        mine.waiting = not http.in_request
                        if out:
                            await stream.send_all(out)
                    if idle.cancelled_caught or not data:
                        break
                    if http.answered != answered:  # a complete request was answered
                        idle_ends = min(trio.current_time() + policy.idle, life_ends)
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError,
                OSError):
            pass
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(1):
                await stream.aclose()


async def http_login(router: Router, peer: str, user: str, password: str) -> bool:
    """`ip http authentication aaa`: the default login list, servers asked for real; the
    admin pages need level 15 (a server's PASS at a lower level is not enough)."""
    from cucme_lab.router import aaa

    config = router.config
    methods = remote_access.login_methods(config, None) if config.aaa_new_model else ["local"]
    if router.config.http_auth_method is HttpAuthentication.TACACS:
        methods = ["group tacacs+"]
    verdict = await aaa.walk(router, None, methods, aaa.LoginRequest(
        user, password, port="http", rem_addr=peer))
    if not verdict.ok:
        return False
    # [U] a server's PASS opens the pages (IOS would take the level from authorization, which
    # the lab does not model); the local database needs a level 15 user
    return verdict.method.startswith("group ") or verdict.priv >= 15


def _secure_trustpoint(router: Router) -> str | None:
    """The trustpoint HTTPS presents: the first one whose certificate and key are usable."""
    from cucme_lab.router.pki.config import trustpoints
    from cucme_lab.router.pki.credentials import chain

    for tp in trustpoints(router.config):
        if chain(router, tp.name) is None:
            continue
        try:
            credentials(router, tp.name)
            return tp.name
        except MissingCredentials:
            continue
    return None


def _tls_context(router: Router, tp: str | None):
    """HTTPS identity: the trustpoint's certificate and chain, or (as IOS does without one) a
    self-signed certificate made for the occasion (kept in memory only here)."""
    from cucme_lab.services.https_tls import _load_identity, server_context

    if tp is not None:
        try:
            creds = credentials(router, tp)
        except MissingCredentials:
            pass
        else:
            ctx = server_context(creds.certificate, creds.private_key)
            if creds.ca_certificates:
                _load_identity(ctx, creds.certificate, creds.private_key, creds.ca_certificates)
            return ctx
    cert, key = _self_signed(router)
    return server_context(cert, key)


def _self_signed(router: Router):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from cucme_lab.router.pki.keystore import generate_private_key

    key = generate_private_key(1024)
    serial = x509.random_serial_number()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"IOS-Self-Signed-Certificate-{serial % 10**10}")])
    now = router.clock.now_utc()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(serial)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return cert, key
