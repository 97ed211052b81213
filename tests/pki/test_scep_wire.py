"""SCEP messages and the HTTP connection, with bytes alone: round trips, tampering, and
property tests that malformed input gives an error, never an exception escaping."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.services.http import HttpConnection
from cucme_lab.wire import der, scep


@cache
def key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@cache
def cert(name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key(name).public_key()).serial_number(7)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key(name), hashes.SHA256()))


def test_der_round_trip():
    for n in (0, 1, 127, 128, 255, 256, 2**64 + 3):
        assert der.decode_int(der.decode(der.integer(n)).value) == n
    for o in ("1.2.840.113549.1.7.2", "2.16.840.1.113733.1.9.7", "2.5.4.3"):
        assert der.decode_oid(der.decode(der.oid(o)).value) == o
    long = der.octets(b"x" * 70000)
    assert der.decode(long).value == b"x" * 70000
    with pytest.raises(der.DerError):
        der.decode(long[:-1])


@pytest.mark.parametrize("cipher", sorted(scep.CIPHERS))
def test_envelope_round_trip(cipher):
    data = scep.envelope(b"secret payload", cert("CA"), cipher)
    assert scep.decrypt(data, key("CA")) == (b"secret payload", cipher)
    with pytest.raises(scep.ScepError):
        scep.decrypt(data, key("other"))


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_signed_message_round_trip_and_tampering(digest):
    content = scep.envelope(b"csr", cert("CA"), "aes128")
    attrs = scep.Attributes(scep.PKCS_REQ, "ABC123", b"n" * 16)
    msg = scep.sign(attrs, content, cert("client"), key("client"), digest)
    parsed = scep.parse(msg)
    assert parsed.message_type == scep.PKCS_REQ and parsed.transaction_id == "ABC123"
    assert parsed.attributes.sender_nonce == b"n" * 16 and parsed.digest == digest
    assert parsed.signer == cert("client") and parsed.content == content
    i = msg.index(b"ABC123")
    with pytest.raises(scep.ScepError) as err:
        scep.parse(msg[:i] + b"ABC124" + msg[i + 6:])
    assert err.value.fail_info == scep.BAD_MESSAGE_CHECK


def test_degenerate_and_reply():
    certs_only = scep.degenerate([cert("client"), cert("CA")])
    assert scep.read_degenerate(certs_only)[0] == [cert("client"), cert("CA")]
    reply = scep.sign(scep.Attributes(scep.CERT_REP, "T", b"1" * 16, b"2" * 16, scep.SUCCESS),
                      scep.envelope(certs_only, cert("client"), "des3"), cert("CA"), key("CA"))
    parsed = scep.parse(reply)
    assert parsed.attributes.pki_status == scep.SUCCESS
    assert parsed.attributes.recipient_nonce == b"2" * 16
    inner, _ = scep.decrypt(parsed.content, key("client"))
    assert scep.read_degenerate(inner)[0][0] == cert("client")


def test_openssl_reads_our_signed_data(tmp_path):
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    msg = scep.sign(scep.Attributes(scep.PKCS_REQ, "T1", b"n" * 16), b"hello", cert("client"),
                    key("client"))
    (tmp_path / "m.der").write_bytes(msg)
    (tmp_path / "c.pem").write_bytes(cert("client").public_bytes(Encoding.PEM))
    done = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in",
                           str(tmp_path / "m.der"), "-CAfile", str(tmp_path / "c.pem"),
                           "-purpose", "any"], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"hello"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_parse_garbage_is_an_error_not_a_crash(data):
    for reader in (scep.parse, scep.read_degenerate, scep.read_issuer_and_subject,
                   lambda d: scep.decrypt(d, key("CA"))):
        try:
            reader(data)
        except scep.ScepError:
            pass


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2000), st.binary(min_size=1, max_size=8))
def test_mutated_messages_are_errors(position, junk):
    msg = scep.sign(scep.Attributes(scep.PKCS_REQ, "TX", b"n" * 16),
                    scep.envelope(b"csr", cert("CA")), cert("client"), key("client"))
    pos = position % len(msg)
    try:
        parsed = scep.parse(msg[:pos] + junk + msg[pos + len(junk):])
        scep.decrypt(parsed.content or b"", key("CA"))
    except scep.ScepError:
        pass


@pytest.fixture(scope="module")
def quiet_router(tmp_path_factory):
    return Router.open(tmp_path_factory.mktemp("http") / "lab", addresses=AddressPlan())


REQUEST = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda m, t, h, b: m + b" " + t + b" HTTP/1.1\r\n" + h + b"\r\n" + b,
              st.sampled_from([b"GET", b"POST", b"PUT", b"G\x00T", b""]),
              st.sampled_from([b"/", b"/cgi-bin/pkiclient.exe?operation=PKIOperation",
                               b"/cgi-bin/pkiclient.exe?operation=GetCACert&message=%ZZ",
                               b"/cgi-bin/pkiclient.exe?operation=PKIOperation&message=@@",
                               b"/x?" + b"a=b&" * 20, b"*"]),
              st.sampled_from([b"Host: x\r\n", b"", b"Content-Length: 5\r\n",
                               b"Host: x\r\nContent-Length: -1\r\n",
                               b"Host: x\r\nTransfer-Encoding: chunked\r\n"]),
              st.binary(max_size=100)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(REQUEST, st.integers(1, 50))
def test_http_connection_never_raises(quiet_router, data, split):
    conn = HttpConnection(quiet_router, "10.0.0.9")
    out = b""
    for i in range(0, len(data), split):
        out += conn.receive_data(data[i:i + split])
    out += conn.receive_data(b"")
    if out:
        assert out.startswith(b"HTTP/1.1 ")
        status = int(out[9:12])
        assert status in (200, 400, 401, 404, 405, 413, 503)
