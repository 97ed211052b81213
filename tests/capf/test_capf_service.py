"""CAPF end to end: the router's CAPF server over real TLS, a phone client enrolling."""

from __future__ import annotations

import subprocess

import pytest
import trio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lab_pki import LabCA, install_ca_trustpoint, install_trustpoint

from emulator.wire import capf
from phone_sim.capf_client import run_capf

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
    install_ca_trustpoint(lab.router, "CAServer", ca)
    cert, key = ca.issue("cme.lab")
    install_trustpoint(lab.router, SERVER_TP, ca, cert, key)
    out = await shell.paste_config(BASE.format(bits=bits) + extra)
    assert "% " not in out, out
    await trio.sleep(0.05)
    [entry] = [e for e in lab.services.entries() if e.name == "capf"]
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
    from phone_sim.tls import phone_context

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
