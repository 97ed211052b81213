"""The router's PKI client on the network: SCEP to a CA and CRL retrieval, over real sockets.

A URL names configured addresses (`http://1.2.3.4:80`); the connection goes where the lab maps
them (the router's address map: 1.2.3.4 -> its loopback address, port 80 as is when root, else
20080), from the router's own interface address, exactly as any client reaches the CA. If
nothing listens (`no ip http server`), the connection is refused and the caller says so.

`EnrolmentPoller` is the background part of `crypto pki enroll` for requests left pending:
it polls the CA (CertPoll) every retry period, and at once when this router's own CA changes
a request's state, and installs the certificate when it comes (`%PKI-6-CERTRET`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import h11
import trio
from cryptography import x509

from cucme_lab.router.config.interfaces import interfaces
from cucme_lab.router.pki import enrolment as enrol_core
from cucme_lab.router.pki import validation
from cucme_lab.router.pki.ca import interface_addresses
from cucme_lab.router.router import Router
from cucme_lab.services.manager import Binding

TIMEOUT = 10.0
RETRY_PERIOD = 60.0  # IOS's `enrollment retry period` default: 1 minute
RETRY_COUNT = 1000
MAX_REPLY = 256 * 1024


class CaUnreachable(Exception):
    """No HTTP answer (refused, timed out, broken): IOS's `%PKI-3-SOCKETSEND` case."""


class HttpError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Url:
    scheme: str
    host: str
    port: int
    path: str  # without the query

    @classmethod
    def parse(cls, url: str) -> Url:
        m = re.fullmatch(r"(?i)(https?)://([^/:?#]+)(?::(\d{1,5}))?([^?#]*)(?:\?.*)?", url.strip())
        if m is None:
            raise CaUnreachable(f"bad URL {url!r}")
        scheme = m.group(1).lower()
        port = int(m.group(3)) if m.group(3) else (443 if scheme == "https" else 80)
        return cls(scheme, m.group(2), port, m.group(4).rstrip("/"))


def _source_address(router: Router, host: str) -> str | None:
    """The router's own address for a connection to `host`: one on the same subnet, else the
    first configured one (loopback form), else none (the kernel chooses)."""
    mine = interface_addresses(router)
    if not mine:
        return None
    for sec in interfaces(router.config):
        addr = sec.address
        if addr is not None and str(addr.ip) in mine and ipaddress.IPv4Address(host) in \
                addr.network:
            return router.addresses.to_loopback(str(addr.ip))
    return router.addresses.to_loopback(mine[0])


async def settle() -> None:
    """Let the service manager act on configuration typed just before (`ip http server` in
    the same paste as `crypto pki authenticate`), as IOS applies a command before the next."""
    import trio.testing

    with trio.move_on_after(0.5):
        await trio.testing.wait_all_tasks_blocked(cushion=0.002)


async def http_request(router: Router, url: Url, method: str, target: str,
                       body: bytes = b"", content_type: str = "application/octet-stream",
                       timeout: float = TIMEOUT) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 exchange with the server `url` names, through the lab's address plan."""
    try:
        ipaddress.IPv4Address(url.host)
    except ValueError:
        raise CaUnreachable(f"cannot resolve {url.host}") from None
    await settle()
    host = router.addresses.to_loopback(url.host)
    port = router.addresses.port(url.port)
    source = _source_address(router, url.host)
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_tcp_stream(host, port, local_address=source)
            try:
                if url.scheme == "https":
                    import ssl

                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE  # IOS's enrolment over https trusts later
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=1")
                    stream = trio.SSLStream(stream, ctx, server_hostname=url.host)
                return await _exchange(stream, url, method, target, body, content_type)
            finally:
                with trio.move_on_after(1):
                    await stream.aclose()
    except (OSError, trio.TooSlowError, trio.BrokenResourceError, h11.ProtocolError) as exc:
        raise CaUnreachable(f"{url.host}:{url.port}: {exc or type(exc).__name__}") from None


async def _exchange(stream, url: Url, method: str, target: str, body: bytes,
                    content_type: str) -> tuple[int, dict[str, str], bytes]:
    conn = h11.Connection(h11.CLIENT)
    headers = [("Host", f"{url.host}:{url.port}"), ("User-Agent", "cisco-IOS"),
               ("Connection", "close")]
    if method == "POST":
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    data = conn.send(h11.Request(method=method, target=target, headers=headers))
    if method == "POST":
        data += conn.send(h11.Data(data=body))
    data += conn.send(h11.EndOfMessage())
    await stream.send_all(data)
    status, reply_headers, reply = 0, {}, bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            chunk = await stream.receive_some(65536)
            conn.receive_data(chunk)
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            reply_headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
        elif isinstance(event, h11.Data):
            reply += event.data
            if len(reply) > MAX_REPLY:
                raise OSError("reply too large")
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    if not status:
        raise OSError("no HTTP response")
    return status, reply_headers, bytes(reply)


def _scep_target(url: Url, operation: str, message: str = "") -> str:
    path = url.path if url.path.endswith("pkiclient.exe") else url.path + "/cgi-bin/pkiclient.exe"
    target = f"{path}?operation={operation}"
    return target + (f"&message={message}" if message else "")


async def get_ca_certificates(router: Router, enrollment_url: str, ca_name: str
                              ) -> list[x509.Certificate]:
    """SCEP GetCACert: the CA (and RA) certificates the URL's CA publishes."""
    url = Url.parse(enrollment_url)
    status, headers, body = await http_request(router, url, "GET",
                                               _scep_target(url, "GetCACert", ca_name))
    if status != 200 or not body:
        raise HttpError(status, body)
    kind = headers.get("content-type", "")
    try:
        if "ca-ra-cert" in kind:
            from cucme_lab.wire import scep

            certs, _ = scep.read_degenerate(body)
            return certs
        return [x509.load_der_x509_certificate(body)]
    except (ValueError, x509.InvalidVersion) as exc:
        raise HttpError(status, str(exc).encode()) from None


async def pki_operation(router: Router, enrollment_url: str, message: bytes) -> bytes:
    url = Url.parse(enrollment_url)
    status, _, body = await http_request(router, url, "POST", _scep_target(url, "PKIOperation"),
                                         message, "application/x-pki-message")
    if status != 200:
        raise HttpError(status, body)
    return body


async def fetch_crl(router: Router, crl_url: str) -> x509.CertificateRevocationList:
    url = Url.parse(crl_url)
    target = crl_url.split(f"{url.host}", 1)[1]
    target = target[len(f":{url.port}"):] if target.startswith(f":{url.port}") else target
    status, _, body = await http_request(router, url, "GET", target or "/")
    if status != 200:
        raise HttpError(status, body)
    try:
        return x509.load_der_x509_crl(body)
    except ValueError:
        return x509.load_pem_x509_crl(body)


async def network_crl_source(router: Router, cert: x509.Certificate,
                             issuer: x509.Certificate) -> x509.CertificateRevocationList | None:
    """validate_chain's CRL method: the CRL of `cert`'s distribution point, over HTTP, cached
    until its nextUpdate (this router's CA empties the cache when it publishes).

    One fetch per URL at a time: the others wait for it and take what it cached, so a fleet of
    phones validated at once costs one connection, not one per phone (the CA's HTTP server
    takes `ip http max-connections`, 5 by default, and refuses the rest)."""
    try:
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        urls = [n.value for dp in cdp for n in (dp.full_name or [])
                if isinstance(n, x509.UniformResourceIdentifier)]
    except x509.ExtensionNotFound:
        # No distribution point (CAPF's LSCs carry none): IOS asks the issuing CA itself, by
        # SCEP GetCRL at the enrollment URL of a trustpoint that holds that CA's certificate.
        urls = _scep_crl_urls(router, issuer)
        if not urls:
            validation.trace(router, "CRL", "certificate has no CRL distribution point")
            return None
    runtime = router.pki_runtime
    cache, fetching = runtime.crl_cache, runtime.crl_fetching
    for crl_url in urls:
        under_way = fetching.get(crl_url)
        if isinstance(under_way, trio.Event):
            await under_way.wait()
        cached = cache.get(crl_url)
        if cached is not None and (cached.next_update_utc is None or
                                   cached.next_update_utc > router.clock.now_utc()):
            return cached
        if under_way is not None:
            continue  # the fetch just made failed: no second try from each waiter
        done = fetching[crl_url] = trio.Event()
        try:
            validation.trace(router, "transactions", f"Fetching CRL from {crl_url}")
            try:
                crl = await fetch_crl(router, crl_url)
            except (CaUnreachable, HttpError, ValueError) as exc:
                validation.trace(router, "transactions", f"CRL retrieval from {crl_url} failed: "
                                 f"{exc}")
                continue
            cache[crl_url] = crl
            return crl
        finally:
            del fetching[crl_url]
            done.set()
    return None


def _scep_crl_urls(router: Router, issuer: x509.Certificate) -> list[str]:
    from cucme_lab.router.pki.config import trustpoints
    from cucme_lab.router.pki.credentials import ca_certificates

    urls = []
    for tp in trustpoints(router.config):
        enrollment = tp.enrollment_url
        if enrollment and issuer in ca_certificates(router, tp.name):
            base = enrollment.rstrip("/").removesuffix("/cgi-bin")
            urls.append(f"{base}/cgi-bin/pkiclient.exe?operation=GetCRL")
    return urls


# --- polling pending enrolments ------------------------------------------------------------


async def poll_once(router: Router, enrol: enrol_core.Enrolment) -> str:
    """One CertPoll; installs the certificate when granted. Returns the state."""
    enrol.attempts += 1
    try:
        reply = await pki_operation(router, enrol.url, enrol.poll_message())
    except (CaUnreachable, HttpError):
        return "pending" if enrol.attempts < RETRY_COUNT else "failed"
    state, cert, why = enrol.read_reply(reply)
    if state == "granted" and cert is not None:
        enrol_core.install(router, enrol.trustpoint, cert, enrol.ca_certificate)
        router.log.log("%PKI-6-CERTRET: Certificate received from Certificate Authority")
    elif state == "failed":
        router.log.log("%PKI-6-CERTREJECT: Certificate enrollment request was rejected by "
                       "Certificate Authority")  # [M] IOS's text for a rejected request
        validation.trace(router, "transactions", why)
    return state


class EnrolmentPoller:
    """A service without a socket: polls the CA for this router's pending enrolments."""

    name = "pki-enrolment"

    def wanted(self, lab) -> list[Binding]:
        return [Binding("pki-enrolment", "0.0.0.0", 0, transport="none")]

    async def serve(self, lab, binding: Binding, task_status) -> None:
        task_status.started()  # no socket, so nothing for the manifest
        wake = trio.Event()

        def poke() -> None:
            wake.set()

        while True:
            router = lab.router
            state = router.pki_runtime
            if poke not in state.listeners:
                state.listeners.append(poke)
            with trio.move_on_after(RETRY_PERIOD):
                await wake.wait()
            wake = trio.Event()
            for tp, enrol in list(enrol_core.pending(router).items()):
                result = await poll_once(router, enrol)  # type: ignore[arg-type]
                if result != "pending":
                    enrol_core.pending(router).pop(tp, None)


def crl_source_for(router: Router) -> validation.CrlSource:
    """`router`'s CRL source for `validate_chain`: over the network, through its address map.

    The lab builds it once and hands it to the services that validate peers (ServiceHost).
    """

    async def source(cert: x509.Certificate, issuer: x509.Certificate
                     ) -> x509.CertificateRevocationList | None:
        return await network_crl_source(router, cert, issuer)

    return source
