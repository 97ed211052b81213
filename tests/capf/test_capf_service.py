"""CAPF end to end: the router's CAPF server over real TLS, a phone client enrolling."""

from __future__ import annotations

import subprocess

import pytest
import trio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lab_pki import LabCA, crl_source, install_ca_trustpoint, install_trustpoint

from cucme_lab.netio.tls_stream import TlsStream
from cucme_lab.phones.capf_client import run_capf
from cucme_lab.wire import capf

SERVER_TP = "CUCME_CAPF_TFTP_SAST1"
DEVICE = "SEPCAFECAFE1234"

BASE = """\
interface Vlan10
 ip address 1.2.3.4 255.255.255.0
telephony-service
 ip source-address 1.2.3.4 port 2000
capf-server
 cert-enroll-trustpoint CAServer password 0 lablablab
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 1.2.3.4
 auth-mode auth-string
 phone-key-size {bits}
ephone-dn 1
 number 7001
ephone 1
 mac-address CAFE.CAFE.1234
 capf-auth-str 1234
 cert-oper upgrade auth-mode auth-string
 button 1:1
"""


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("CAServer")


async def start(lab, shell, ca, bits=1024, extra=""):
    shell.router = lab.router
    install_ca_trustpoint(lab.router, "CAServer", ca)  # `revocation-check crl`
    lab.crl_source = crl_source(ca)  # the CA publishes its (empty) CRL: LSC auth checks it
    cert, key = ca.issue("cme.lab")
    install_trustpoint(lab.router, SERVER_TP, ca, cert, key)
    out = await shell.paste_config(BASE.format(bits=bits) + extra)
    assert "% " not in out, out
    entry = await lab.service("capf")
    return entry, cert


async def enrol(lab, entry, cert, **kw):
    with trio.fail_after(30):
        return await run_capf(entry.bound_address, entry.bound_port, device_name=DEVICE,
                              capf_certificate=cert,
                              local_address=lab.addresses.to_loopback("1.2.3.21"), **kw)


@pytest.mark.parametrize("bits", [1024, 2048])
async def test_auth_string_install_gives_an_lsc_openssl_accepts(lab, shell, ca, bits, tmp_path):
    entry, cert = await start(lab, shell, ca, bits)
    result = await enrol(lab, entry, cert, auth_string="1234")
    assert result.ok and result.reason == capf.Reason.UPDATE_CERTIFICATE
    lsc = x509.load_der_x509_certificate(result.lsc.certificate_der)
    assert lsc.subject.rfc4514_string() == f"CN={DEVICE}"
    assert lsc.public_key().key_size == bits
    assert lsc.issuer == ca.cert.subject
    (tmp_path / "ca.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "lsc.pem").write_bytes(lsc.public_bytes(serialization.Encoding.PEM))
    verdict = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"),
                              str(tmp_path / "lsc.pem")], capture_output=True, text=True)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    # the pending operation disappears from running-config once done, as the guide says
    assert "cert-oper" not in lab.router.running_config()
    assert lab.router.log.contains("%CAPF-6-CERT_INSTALLED")


async def test_wrong_auth_string_ends_with_reason_7_and_keeps_the_operation(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    out = await shell.type("debug capf-server all")
    result = await enrol(lab, entry, cert, auth_string="9999")
    assert not result.ok and result.reason == capf.Reason.INVALID_ELEMENT
    assert result.lsc is None
    assert " cert-oper upgrade auth-mode auth-string" in lab.router.running_config()
    assert lab.router.log.contains("ephone_capf_send_auth_req:")
    assert lab.router.log.contains("ephone_capf_send_end_session_msg: SEPCAFECAFE1234")
    assert "CAPF server debugging is on" in out


async def test_unknown_device_ends_with_reason_9(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    with trio.fail_after(30):
        result = await run_capf(entry.bound_address, entry.bound_port,
                                device_name="SEP00000000BEEF", capf_certificate=cert,
                                auth_string="1234")
    assert result.reason == capf.Reason.UNKNOWN_DEVICE


async def test_null_string_then_lsc_rekey_then_fetch_and_delete(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    await shell.paste_config("ephone 1\n cert-oper upgrade auth-mode null-string")
    first = await enrol(lab, entry, cert)
    assert first.ok and first.lsc is not None
    await shell.paste_config("ephone 1\n cert-oper upgrade auth-mode LSC")
    second = await enrol(lab, entry, cert, lsc=first.lsc, auth_mode=capf.AuthType.LSC)
    assert second.ok and second.lsc.certificate_der != first.lsc.certificate_der, second
    await shell.paste_config("ephone 1\n cert-oper fetch auth-mode LSC")
    fetched = await enrol(lab, entry, cert, lsc=second.lsc, auth_mode=capf.AuthType.LSC)
    assert fetched.ok and fetched.reason == capf.Reason.NO_ACTION
    await shell.paste_config("ephone 1\n cert-oper delete auth-mode LSC")
    deleted = await enrol(lab, entry, cert, lsc=second.lsc, auth_mode=capf.AuthType.LSC)
    assert deleted.ok and deleted.deleted and deleted.lsc is None


async def test_phone_refuses_a_capf_server_not_in_its_ctl(lab, shell, ca):
    entry, _cert = await start(lab, shell, ca)
    other, _ = LabCA("OTHER").issue("impostor")
    result = await enrol(lab, entry, other, auth_string="1234")
    assert not result.ok and "not the one in the CTL" in result.detail


async def test_garbage_from_a_client_ends_its_session_and_others_still_enrol(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    from cucme_lab.phones.tls import phone_context

    tcp = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
    stream = trio.SSLStream(tcp, phone_context(), server_hostname=None)
    await stream.do_handshake()
    await stream.receive_some(100)  # AUTH_REQUEST
    await stream.send_all(b"\x55\x02\x00\x00\x00\x01\xff\xff" + b"\x00" * 40)
    with trio.fail_after(10):
        while await stream.receive_some(100):
            pass
    await stream.aclose()
    result = await enrol(lab, entry, cert, auth_string="1234")
    assert result.ok


async def test_mic_authentication_with_the_manufacturer_root_in_a_trustpoint(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    manufacturing = LabCA("Cisco Manufacturing CA")
    install_trustpoint(lab.router, "CISCO_MIC_ROOT", manufacturing)
    mic_cert, mic_key = manufacturing.issue(DEVICE)
    mic = capf.CertificateCredential(mic_cert.public_bytes(serialization.Encoding.DER), mic_key)
    await shell.paste_config("ephone 1\n cert-oper upgrade auth-mode MIC")
    result = await enrol(lab, entry, cert, mic=mic, auth_mode=capf.AuthType.MIC)
    assert result.ok and result.lsc is not None
    # a MIC from a manufacturer whose root was never imported is refused
    await shell.paste_config("ephone 1\n cert-oper upgrade auth-mode MIC")
    rogue_cert, rogue_key = LabCA("Rogue Factory").issue(DEVICE)
    rogue = capf.CertificateCredential(rogue_cert.public_bytes(serialization.Encoding.DER),
                                       rogue_key)
    refused = await enrol(lab, entry, cert, mic=rogue, auth_mode=capf.AuthType.MIC)
    assert refused.reason == capf.Reason.INVALID_ELEMENT and refused.lsc is None


async def test_enroll_trustpoint_that_is_not_a_ca_ends_without_a_certificate(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    await shell.paste_config("capf-server\n cert-enroll-trustpoint CUCME_CAPF_TFTP_SAST1 "
                             "password 0 lablablab")
    await shell.type("debug capf-server error")
    result = await enrol(lab, entry, cert, auth_string="1234")
    assert not result.ok and result.lsc is None
    assert lab.router.log.contains("%CAPF-3-ENROLL_FAIL")
    assert lab.router.log.contains("is not a certificate authority")
    assert " cert-oper upgrade auth-mode auth-string" in lab.router.running_config()


async def test_install_session_messages_follow_the_spec_layout(lab, shell, ca, monkeypatch):
    """Each message of a live install: header 55 | cmd | session id | length, then TLVs."""
    entry, cert = await start(lab, shell, ca)
    seen: list[tuple[str, bytes]] = []
    original_send, original_receive = TlsStream.send_all, TlsStream.receive_some

    def phone_side(stream) -> bool:
        return not stream.server_side

    async def send_all(self, data):
        if phone_side(self):
            seen.append((">>", bytes(data)))
        return await original_send(self, data)

    async def receive_some(self, max_bytes=None):
        data = await original_receive(self, max_bytes)
        if phone_side(self):
            seen.append(("<<", bytes(data)))
        return data

    monkeypatch.setattr(TlsStream, "send_all", send_all)
    monkeypatch.setattr(TlsStream, "receive_some", receive_some)
    result = await enrol(lab, entry, cert, auth_string="1234")
    assert result.ok
    phone = b"".join(d for way, d in seen if way == ">>")
    server = b"".join(d for way, d in seen if way == "<<")

    def messages(blob: bytes) -> list[tuple[int, int, dict[int, bytes]]]:
        out, i = [], 0
        while i < len(blob):
            assert blob[i] == 0x55  # protocol id
            cmd, sid, length = blob[i + 1], int.from_bytes(blob[i + 2:i + 6]), \
                int.from_bytes(blob[i + 6:i + 8])
            body, j, tlv = blob[i + 8:i + 8 + length], 0, {}
            while j < len(body):
                tag, n = body[j], int.from_bytes(body[j + 1:j + 3])
                tlv[tag] = body[j + 3:j + 3 + n]
                j += 3 + n
            out.append((cmd, sid, tlv))
            i += 8 + length
        return out

    from_server, from_phone = messages(server), messages(phone)
    assert [m[0] for m in from_server] == [1, 3, 9, 15]
    assert [m[0] for m in from_phone] == [2, 17, 4, 10]
    assert len({m[1] for m in from_server + from_phone}) == 1  # one session id throughout
    auth_req, keygen_req, store_req, end = (m[2] for m in from_server)
    assert auth_req == {7: b"\x03", 8: b"\x00"}  # VERSION 3, AUTH_TYPE 0
    assert keygen_req == {10: (1024).to_bytes(2, "big"), 17: b"\x00"}  # KEY_SIZE, KEY_TYPE RSA
    # CERTIFICATE_TYPE 1 (LSC); CERTIFICATE nested: 01, u16 (DER length + 2), 00, type 1, DER
    nested = store_req[4]
    assert store_req[3] == b"\x01" and nested[0] == 1 and nested[3:5] == b"\x00\x01"
    assert int.from_bytes(nested[1:3]) == len(nested) - 3
    assert end == {1: b"\x01"}  # REASON update certificate
    auth_res, in_progress, key_res, store_res = (m[2] for m in from_phone)
    assert auth_res[11] == b"1234\x00" and auth_res[13] == DEVICE.encode() + b"\x00"
    assert in_progress == {}
    assert x509.load_der_x509_certificate(nested[5:]).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        key_res[9]
    assert store_res == {1: b"\x01"}


JUNK = st.one_of(st.binary(max_size=200),
                 st.binary(max_size=60).map(lambda b: b"\x55\x02\x00\x00" + b),
                 st.binary(max_size=60).map(lambda b: b"\x55\x02\x00\x00\x00\x01" + b))


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junks=st.lists(JUNK, min_size=8, max_size=8))
async def test_malformed_messages_end_only_their_own_session(tmp_path_factory, ca, junks):
    """Garbage and truncated messages from many clients; a real phone still enrols after each."""
    from conftest import Shell

    from cucme_lab.lab.router_lab import open_lab
    from cucme_lab.phones.tls import phone_context

    async with open_lab(tmp_path_factory.mktemp("lab")) as lab:
        shell = Shell(lab.router)
        entry, cert = await start(lab, shell, ca)
        for junk in junks:
            with trio.fail_after(20):
                tcp = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
                stream = trio.SSLStream(tcp, phone_context(), server_hostname=None)
                await stream.do_handshake()
                await stream.receive_some(100)  # AUTH_REQUEST
                if junk:
                    await stream.send_all(junk)
                await stream.aclose()  # truncated: the phone goes away mid-message
        await shell.paste_config("ephone 1\n cert-oper upgrade auth-mode auth-string")
        with trio.fail_after(20):
            result = await enrol(lab, entry, cert, auth_string="1234")
        assert result.ok
