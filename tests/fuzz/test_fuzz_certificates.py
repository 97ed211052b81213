"""A certificate whose version field is not v1 or v3, at every reader a client or user feeds.

Found by the campaign: cryptography refuses such a certificate at load with InvalidVersion,
which is not a ValueError, so it passed every `except ValueError` around a load: out of
scep.parse (an HTTP 500), and, by the same route, out of the CTL reader (the phone firmware),
both CAPF sessions, the CTL client's imported certificates and two CLI pastes (`certificate`
in a chain, `crypto pki authenticate` by the terminal), ending the user's line.
"""

from __future__ import annotations

import base64
import functools
import textwrap
from pathlib import Path

import pytest
import trio
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from test_fuzz_capf import LSC, NAME, SESSION_ID, _client_at, _server_at

from cucme_lab.wire import capf, scep
from cucme_lab.wire.ctl import parse_ctl, verify_ctl
from cucme_lab.wire.signed_header import VerificationError

DATA = Path(__file__).resolve().parents[1] / "data" / "phone-security"
V3 = b"\xa0\x03\x02\x01\x02"  # [0] EXPLICIT INTEGER 2: X.509 v3


def version_10(der: bytes) -> bytes:
    """`der` with its version field saying 10: still DER, refused by cryptography at load."""
    at = der.index(V3)
    return der[:at] + b"\xa0\x03\x02\x01\x0a" + der[at + len(V3):]


def test_the_certificate_is_refused_with_an_error_that_is_not_a_value_error() -> None:
    with pytest.raises(x509.InvalidVersion):
        x509.load_der_x509_certificate(version_10(LSC.certificate_der))
    assert not issubclass(x509.InvalidVersion, ValueError)


def test_scep_parse_and_read_degenerate() -> None:
    from test_fuzz_files import CLIENT_CERT, CLIENT_KEY

    good = CLIENT_CERT.public_bytes(Encoding.DER)
    message = scep.sign(scep.Attributes(scep.PKCS_REQ, "T", b"n" * 16), None, CLIENT_CERT,
                        CLIENT_KEY)
    with pytest.raises(scep.ScepError):
        scep.parse(message.replace(good, version_10(good)))
    with pytest.raises(scep.ScepError):
        scep.read_degenerate(scep.degenerate([CLIENT_CERT]).replace(good, version_10(good)))


def test_a_trust_list_whose_sast_certificate_has_it() -> None:
    data = (DATA / "CTLFile-cme-tftp.tlv").read_bytes()
    sast = parse_ctl(data).records[0].certificate
    assert sast is not None
    ctl = parse_ctl(data.replace(sast, version_10(sast)))
    with pytest.raises(VerificationError):
        verify_ctl(ctl)


def test_capf_server_given_it_to_authenticate() -> None:
    server = _server_at("install-lsc", "auth")
    phone = capf.CapfClientSession(NAME, lsc=capf.CertificateCredential(
        version_10(LSC.certificate_der), LSC.private_key), auth_mode=capf.AuthType.LSC)
    request = capf.encode(capf.Message.build(capf.Command.AUTH_REQUEST, SESSION_ID, version=3,
                                             auth_type=0))
    step = server.receive_data(phone.receive_data(request).data)
    assert server.closed
    assert any(isinstance(e, capf.SessionEnded) for e in step.events)


def test_capf_client_given_it_as_its_lsc() -> None:
    phone = _client_at("key", with_key=True)
    store = capf.encode(capf.Message.build(
        capf.Command.STORE_CERTIFICATE_REQUEST, SESSION_ID, certificate_type=1,
        certificate=capf.NestedCertificate(version_10(LSC.certificate_der))))
    step = phone.receive_data(store)
    received = [e for e in step.events if isinstance(e, capf.CertificateReceived)]
    assert received and not received[0].accepted
    assert phone.lsc is LSC  # it keeps the LSC it had


def _typed(shell, *lines: str) -> str:
    return trio.run(functools.partial(shell.type, *lines))


def test_pasted_into_a_certificate_chain(shell) -> None:
    hex_lines = textwrap.wrap(version_10(LSC.certificate_der).hex(), 64)
    out = _typed(shell, "configure terminal", "crypto pki certificate chain TP",
                 "certificate ca 01", *hex_lines, "quit")
    assert "% Certificate data is not a valid certificate; certificate 01 not stored." in out


def test_pasted_to_authenticate_a_trustpoint(shell) -> None:
    b64 = base64.b64encode(version_10(LSC.certificate_der)).decode()
    out = _typed(shell, "configure terminal", "crypto pki trustpoint TP",
                 "enrollment terminal", "exit", "crypto pki authenticate TP",
                 *textwrap.wrap(b64, 64), "")
    assert "% Error in receiving Certificate Authority certificate" in out
