"""HTTP and SCEP from a client: any bytes get an HTTP answer or a closed connection.

`services.http.HttpConnection` is the server's protocol half (h11, bytes in, bytes out); its
`dispatch` promises never to raise for anything a client sends, so a 500 here is a bug that the
connection caught. The router runs the guide's certificate server (grant auto), so SCEP
requests reach `scep_server.handle` and `scep.parse` instead of stopping at "no CA".
"""

from __future__ import annotations

import base64
import datetime
import functools
import urllib.parse
from pathlib import Path

import pytest
import trio
from conftest import Shell
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fuzz_support import CHUNKS, FUZZ, Quiet, chunked, fewer, mutated
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.pki.ca import ca_for_request
from cucme_lab.router.router import Router
from cucme_lab.services.http import HttpConnection
from cucme_lab.wire import scep

CONFIG = """\
hostname CME1
ip domain name lab.local
username admin privilege 15 secret adminpw
enable secret enablepw
interface Vlan1
 ip address 3.3.3.1 255.255.255.0
ip http server
crypto pki server CAserver
 database level complete
 database url flash:
 grant auto
crypto pki server CAserver
 no shutdown
labpass1
labpass1
"""
STATUSES = {200, 400, 401, 404, 405, 413, 503, 431, 501, 505}  # the last: h11's hints


@pytest.fixture(scope="module")
def ca_router(tmp_path_factory: pytest.TempPathFactory) -> Quiet:
    router = Router.open(Path(tmp_path_factory.mktemp("http")) / "lab",
                         addresses=AddressPlan())
    out = trio.run(functools.partial(Shell(router).paste_config, CONFIG))
    assert "Certificate server now enabled" in out, out
    return Quiet(router)


def _client() -> tuple[x509.Certificate, rsa.RSAPrivateKey, x509.CertificateSigningRequest]:
    key = rsa.generate_private_key(65537, 1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "phone.lab.local")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(9).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return cert, key, csr


CLIENT_CERT, CLIENT_KEY, CSR = _client()


def _pki_messages(router: Router) -> list[bytes]:
    """A PKCSReq, a CertPoll, a GetCert and a GetCRL a client would send this CA."""
    from cryptography.hazmat.primitives.serialization import Encoding

    ca_cert = ca_for_request(router).ca_certificate()
    assert ca_cert is not None

    def signed(kind: int, content: bytes, txid: str) -> bytes:
        return scep.sign(scep.Attributes(kind, txid, b"n" * 16),
                         scep.envelope(content, ca_cert), CLIENT_CERT, CLIENT_KEY)

    return [
        signed(scep.PKCS_REQ, CSR.public_bytes(Encoding.DER), "TX-1"),
        signed(scep.CERT_POLL, scep.issuer_and_subject(ca_cert.subject, CSR.subject), "TX-1"),
        signed(scep.GET_CERT, scep.issuer_and_serial(ca_cert.subject, 1), "TX-2"),
        signed(scep.GET_CRL, scep.issuer_and_serial(ca_cert.subject, 1), "TX-3"),
    ]


def _exchange(router: Router, data: bytes, sizes: list[int]) -> bytes:
    conn = HttpConnection(router, "10.0.0.9")
    out = b""
    for piece in [*chunked(data, sizes), b""]:
        out += conn.receive_data(piece)
    return out


def _check(out: bytes) -> None:
    """Every answer is HTTP/1.1 with a status the server documents; never a 500."""
    for head in out.split(b"HTTP/1.1 ")[1:]:
        assert int(head[:3]) in STATUSES, out[:300]


# --- requests ------------------------------------------------------------------------------------

PATHS = st.sampled_from(["/", "/level/15/exec/-/show/version", "/exec/show", "/configure/x",
                         "/cgi-bin/pkiclient.exe", "/cgi-bin/pkiclient.exe/", "*", "//", "/%00",
                         "/cgi-bin/../level/15", "http://x/", ""])
QUERY_KEYS = st.sampled_from(["operation", "message", "OPERATION", "op", "", "operation[]"])
QUERY_VALUES = st.one_of(
    st.sampled_from(["GetCACaps", "GetCACert", "GetCRL", "PKIOperation", "GetNextCACert",
                     "CAserver", "caserver", "%ZZ", "%", "", "a+b", "=", "&"]),
    st.text(max_size=20))


@st.composite
def queries(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=10))
    raw = draw(st.booleans())
    if raw:  # not percent-encoded: what a careless client sends
        return "&".join(f"{k}={v}" for k, v in pairs)
    return urllib.parse.urlencode(pairs)


HEADERS = st.lists(st.one_of(
    st.sampled_from([b"Host: x", b"Content-Length: 5", b"Content-Length: -1",
                     b"Content-Length: 99999999999999999999", b"Transfer-Encoding: chunked",
                     b"Connection: close", b"Expect: 100-continue",
                     b"Authorization: Basic " + base64.b64encode(b"admin:adminpw"),
                     b"Authorization: Basic " + base64.b64encode(b":enablepw"),
                     b"Authorization: Basic !!!", b"Authorization: Basic",
                     b"Authorization: Basic " + base64.b64encode(b"\xff\xfe:\x00")]),
    st.builds(lambda k, v: k + b": " + v, st.sampled_from([b"Authorization", b"X-Y", b"Host"]),
              st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")))),
    max_size=5)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    method = draw(st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"get"]))
    target = draw(PATHS).encode() + (b"?" + draw(queries()).encode("utf-8")
                                     if draw(st.booleans()) else b"")
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b""]))
    headers = b"".join(h + b"\r\n" for h in draw(HEADERS))
    if version == b"HTTP/1.1" and b"Host:" not in headers:
        headers = b"Host: r\r\n" + headers
    body = draw(st.binary(max_size=60))
    if method == b"POST" and draw(st.booleans()):
        headers += b"Content-Length: %d\r\n" % len(body)
    return method + b" " + target + b" " + version + b"\r\n" + headers + b"\r\n" + body


@FUZZ
@given(st.lists(st.one_of(requests(), st.binary(max_size=80)), min_size=1, max_size=3),
       CHUNKS)
def test_any_request_stream_gets_http_answers(ca_router, stream, sizes) -> None:
    _check(_exchange(ca_router.value, b"".join(stream), sizes))


# --- SCEP PKIOperation -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def pki_messages(ca_router: Quiet) -> list[bytes]:
    return _pki_messages(ca_router.value)


def _post(message: bytes) -> bytes:
    return (b"POST /cgi-bin/pkiclient.exe?operation=PKIOperation HTTP/1.1\r\nHost: r\r\n"
            b"Content-Length: %d\r\n\r\n" % len(message)) + message


def _get(message: bytes) -> bytes:
    query = urllib.parse.urlencode({"operation": "PKIOperation",
                                    "message": base64.b64encode(message).decode()})
    return b"GET /cgi-bin/pkiclient.exe?" + query.encode() + b" HTTP/1.1\r\nHost: r\r\n\r\n"


@fewer(0.5)
@given(st.data(), st.booleans())
def test_mutated_pki_operations_get_an_answer(ca_router, pki_messages, data, by_post) -> None:
    message = data.draw(st.one_of(st.sampled_from(pki_messages), mutated(pki_messages, 4)))
    out = _exchange(ca_router.value, (_post if by_post else _get)(message), [65536])
    _check(out)
    assert out.startswith(b"HTTP/1.1 "), out[:200]


def test_a_csr_whose_subject_has_an_unknown_string_type_is_refused(ca_router) -> None:
    """Found by the campaign: KeyError(8) from the CA reading the CSR's subject to issue, an
    HTTP 500. The CSR is signed as it is, so only its subject's string type is wrong."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from test_fuzz_files import unknown_string_type

    from cucme_lab.wire import der

    router = ca_router.value
    tbs, algorithm, _ = der.decode(CSR.public_bytes(serialization.Encoding.DER)).children()
    odd_tbs = unknown_string_type(tbs.raw)
    signature = CLIENT_KEY.sign(odd_tbs, padding.PKCS1v15(), hashes.SHA256())
    csr = der.seq(odd_tbs, algorithm.raw, der.tlv(der.BIT_STRING, b"\0" + signature))
    ca_cert = ca_for_request(router).ca_certificate()
    message = scep.sign(scep.Attributes(scep.PKCS_REQ, "TX-ODD", b"n" * 16),
                        scep.envelope(csr, ca_cert), CLIENT_CERT, CLIENT_KEY)
    out = _exchange(router, _post(message), [65536])
    assert out.startswith(b"HTTP/1.1 200 "), out[:300]  # a CertRep FAILURE, not a 500
    assert router.log.contains("the request is not a PKCS#10 CSR")


def test_the_good_pki_operations_are_answered(ca_router, pki_messages) -> None:
    for message in pki_messages:
        out = _exchange(ca_router.value, _post(message), [65536])
        assert out.startswith(b"HTTP/1.1 200 "), out[:300]
