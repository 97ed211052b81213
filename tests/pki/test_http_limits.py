"""The HTTP server's bounds, IOS's: `ip http max-connections` and `ip http timeout-policy`.

A slow client cannot hold a connection past its idle time or its life by sending a byte now and
then, and no more than max-connections are open at once.
"""

from __future__ import annotations

import trio
from conftest import Shell

from cucme_lab.services.http import HttpService

SETUP = """\
interface Vlan10
 ip address 1.2.3.4 255.255.255.0
ip http server
"""
PARTIAL = b"GET / HTTP/1.1\r\nHost: 1.2.3.4\r\nX-Slow: " + b"a" * 200
# A request under way: its head has come, its body never ends.
UPLOADING = (b"POST /cgi-bin/pkiclient.exe?operation=PKIOperation HTTP/1.1\r\n"
             b"Host: 1.2.3.4\r\nContent-Length: 1000\r\n\r\n" + b"a" * 10)
GET_CA_CAPS = (b"GET /cgi-bin/pkiclient.exe?operation=GetCACaps HTTP/1.1\r\n"
               b"Host: 1.2.3.4\r\n\r\n")


async def http_lab(lab, extra: str = "") -> tuple[Shell, tuple[str, int]]:
    shell = Shell(lab.router)
    out = await shell.paste_config(SETUP + extra)
    assert "%" not in out, out
    entry = await lab.service("http")
    return shell, (entry.bound_address, entry.bound_port)


async def read_until_closed(stream: trio.SocketStream) -> bytes:
    got = b""
    try:
        while data := await stream.receive_some(4096):
            got += data
    except trio.BrokenResourceError:
        pass
    return got


async def dribble_until_closed(address: tuple[str, int], every: float = 0.1) -> float:
    """Send PARTIAL a byte at a time; the seconds until the server closes the connection."""
    stream = await trio.open_tcp_stream(*address)
    began = trio.current_time()
    async with trio.open_nursery() as nursery:
        async def dribble() -> None:
            for byte in PARTIAL:
                try:
                    await stream.send_all(bytes([byte]))
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    return
                await trio.sleep(every)

        nursery.start_soon(dribble)
        await read_until_closed(stream)
        nursery.cancel_scope.cancel()
    await stream.aclose()
    return trio.current_time() - began


async def test_a_dribbling_client_is_closed_at_the_end_of_its_life(lab):
    _, address = await http_lab(lab, "ip http timeout-policy idle 600 life 2 requests 1\n")
    with trio.fail_after(8):
        elapsed = await dribble_until_closed(address)
    assert 1.8 < elapsed < 4, elapsed


async def test_partial_data_does_not_reset_the_idle_time(lab):
    _, address = await http_lab(lab, "ip http timeout-policy idle 1 life 600 requests 10\n")
    with trio.fail_after(8):
        elapsed = await dribble_until_closed(address)
    assert 0.8 < elapsed < 3, elapsed


async def test_the_sixth_connection_is_refused_while_five_serve_requests(lab):
    shell, address = await http_lab(lab)
    service = next(s for s in lab.services.services if isinstance(s, HttpService))
    held = []
    for _ in range(5):
        stream = await trio.open_tcp_stream(*address)
        await stream.send_all(UPLOADING)  # a request under way holds its connection
        held.append(stream)
    with trio.fail_after(5):
        while service.active < 5 or any(c.waiting for c in service.open):
            await trio.sleep(0.01)
        sixth = await trio.open_tcp_stream(*address)
        assert await read_until_closed(sixth) == b""
    await sixth.aclose()
    assert service.refused == 1
    assert lab.router.log.contains("%HTTP-4-SERVER_BUSY: 5 HTTP connections open (ip http "
                                   "max-connections); new connections are refused")
    # one held connection goes: the next client is served, and closed after its one request
    await held.pop().aclose()
    with trio.fail_after(5):
        while service.active > 4:
            await trio.sleep(0.01)
        client = await trio.open_tcp_stream(*address)
        await client.send_all(GET_CA_CAPS)
        reply = await read_until_closed(client)  # requests 1: the server closes after it
    assert reply.startswith(b"HTTP/1.1 ") and b"\r\nConnection: close\r\n" in reply
    await client.aclose()
    # `ip http max-connections 6` lets a sixth in
    await shell.paste_config("ip http max-connections 6")
    with trio.fail_after(5):
        for _ in range(2):
            stream = await trio.open_tcp_stream(*address)
            await stream.send_all(UPLOADING)
            held.append(stream)
        while service.active < 6:
            await trio.sleep(0.01)
    assert service.refused == 1
    for stream in held:
        await stream.aclose()


async def test_requests_per_connection(lab):
    _, address = await http_lab(lab, "ip http timeout-policy idle 30 life 60 requests 3\n")
    request = b"GET /cgi-bin/pkiclient.exe?operation=GetCACaps HTTP/1.1\r\nHost: 1.2.3.4\r\n\r\n"
    with trio.fail_after(10):
        stream = await trio.open_tcp_stream(*address)
        await stream.send_all(request * 4)
        replies = await read_until_closed(stream)
    await stream.aclose()
    assert replies.count(b"HTTP/1.1 ") == 3
    assert replies.count(b"\r\nConnection: close\r\n") == 1


async def test_concurrent_crl_checks_share_one_fetch(lab, monkeypatch):
    """A fleet validated at once fetches a CRL once, not once per phone: the CA's HTTP server
    would refuse all but `ip http max-connections` of them."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from lab_pki import LabCA, name, rsa_key

    from cucme_lab.services import pki_client

    ca = LabCA("CRLCA")
    now = datetime.datetime.now(datetime.UTC)
    url = "http://1.2.3.4:80/ca.crl"
    leaf = (x509.CertificateBuilder().subject_name(name("SEP000000000001"))
            .issuer_name(ca.cert.subject).public_key(rsa_key("leaf").public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(1))
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(url)], None, None, None)]), False)
            .sign(ca.key, hashes.SHA256()))
    fetched = []

    async def fetch_crl(router, crl_url):
        fetched.append(crl_url)
        await trio.sleep(0.2)
        return ca.crl()

    monkeypatch.setattr(pki_client, "fetch_crl", fetch_crl)
    got = []

    async def check() -> None:
        got.append(await pki_client.network_crl_source(lab.router, leaf, ca.cert))

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(check)
    assert fetched == [url] and len(got) == 20 and all(c is got[0] for c in got)


async def test_silent_connections_make_room_for_a_client_with_a_request(lab):
    """Five sockets that never send a request (or a head that never ends) do not lock clients
    out until their idle time runs out: at max-connections the oldest waiting one is closed."""
    _, address = await http_lab(lab)
    service = next(s for s in lab.services.services if isinstance(s, HttpService))
    silent = [await trio.open_tcp_stream(*address) for _ in range(3)]
    for _ in range(2):
        stream = await trio.open_tcp_stream(*address)
        await stream.send_all(PARTIAL)
        silent.append(stream)
    with trio.fail_after(5):
        while service.active < 5:
            await trio.sleep(0.01)
        client = await trio.open_tcp_stream(*address)
        await client.send_all(GET_CA_CAPS)
        reply = await read_until_closed(client)
        assert await read_until_closed(silent[0]) == b""  # the oldest waiting one went
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert (service.evicted, service.refused) == (1, 0)
    for stream in [client, *silent]:
        await stream.aclose()
