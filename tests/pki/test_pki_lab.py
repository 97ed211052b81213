"""The IOS PKI end to end on a running lab: the guides' procedures, enrolment over the router's
own HTTP server, and each failure mode of the issue through the real path (real sockets)."""

from __future__ import annotations

import re

import pytest
import trio
from conftest import Shell
from cryptography import x509
from pki_support import NSA_3_1, PREAMBLE, nsa_3_2, rejected, wait_for_log

from cucme_lab.router.pki import credentials
from cucme_lab.router.pki.ca import CertificateServer
from cucme_lab.router.pki.validation import validate_chain
from cucme_lab.shell.boot import reload_router

TP1, TP2 = "CUCME_CAPF_TFTP_SAST1", "SAST2"


async def nsa_lab(lab) -> tuple[Shell, str]:
    shell = Shell(lab.router)
    out = await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), *nsa_3_2(TP1).splitlines(),
                           *nsa_3_2(TP2).splitlines(), "end")
    return shell, out


async def test_nsa_3_1_and_3_2_as_written(lab):
    with trio.fail_after(30):
        shell, out = await nsa_lab(lab)
    assert rejected(out) == []
    assert "%PKI-6-CS_GRANT_AUTO: All enrollment requests will be automatically granted." in out
    assert "\n% Certificate Server enabled.\n" in out
    assert out.count("Trustpoint CA certificate accepted.\n") == 2
    assert out.count("%PKI-6-CERTRET: Certificate received from Certificate Authority") == 2
    assert ("% Do you accept this certificate? [yes/no]: yes\n"
            "Trustpoint CA certificate accepted.\n") in out
    assert ("Request certificate from CA? [yes/no]: yes\n"
            "% Certificate request sent to Certificate Authority\n"
            f"% The 'show crypto pki certificate verbose {TP1}' commandwill show the "
            "fingerprint.\n") in out
    running = lab.router.running_config()
    assert """\
crypto pki server CAserver
 database level complete
 grant auto
 database url flash:
!
crypto pki trustpoint CAserver
 enrollment url http://3.3.3.1:80
 revocation-check crl
 rsakeypair CAserver
!
crypto pki trustpoint CUCME_CAPF_TFTP_SAST1
 enrollment url http://3.3.3.1:80
 revocation-check crl
 rsakeypair CUCME_CAPF_TFTP_SAST1 1024 1024
!
crypto pki trustpoint SAST2
 enrollment url http://3.3.3.1:80
 revocation-check crl
 rsakeypair SAST2 1024 1024
!
!
crypto pki certificate chain CAserver
 certificate ca 01
""" in running
    assert re.search(r"crypto pki certificate chain CUCME_CAPF_TFTP_SAST1\n certificate 02\n"
                     r"(  [0-9A-F ]+\n)+  \tquit\n certificate ca 01\n", running)
    assert re.search(r"crypto pki certificate chain SAST2\n certificate 03\n", running)
    out = await shell.type("show crypto pki server", "show crypto pki server CAserver "
                           "certificates", "show crypto pki trustpoints")
    assert "    Status: enabled\n    State: enabled\n" in out
    assert "    Last certificate issued serial number (hex): 3\n" in out
    assert "    Database Level: Complete - all issued certs written as <serialnum>.cer\n" in out
    assert re.search(r"\n2      \d\d:\d\d:\d\d UTC .*hostname=CME1\.lab\.local\n", out)
    # the database is real files on flash; the two certificates differ in key and serial
    flash = lab.router.storage.flash
    assert {p.name for p in flash.iterdir()} >= {"CAserver.ser", "CAserver.crl", "1.cer",
                                                  "2.cer", "3.cer"}
    c1, c2 = credentials.credentials(lab.router, TP1), credentials.credentials(lab.router, TP2)
    assert c1.certificate.serial_number == 2 and c2.certificate.serial_number == 3
    assert c1.certificate.public_key() != c2.certificate.public_key()
    assert c1.ca_certificates == c2.ca_certificates
    # `rsakeypair TP 1024 1024` made usage keys: a signature and an encryption pair
    keys = await shell.type(f"show crypto key mypubkey rsa {TP1}")
    assert re.findall(r"^ Usage: (.*)$", keys, re.M) == ["Signature Key", "Encryption Key"]
    assert keys.count(f"Key name: {TP1}\n") == 2
    certs = await shell.type(f"show crypto pki certificates {TP1}")
    assert certs.split("CA Certificate")[0].count("  Certificate Usage: Signature\n") == 1
    signing = lab.router.keystore.signing(TP1)
    assert signing is not None and signing.usage == "signature"
    assert c1.certificate.public_key().public_numbers() == \
        signing.private_key.public_key().public_numbers()
    # validation with revocation-check crl: the CRL comes over HTTP from the CDP
    result = await validate_chain(lab.router, [c2.certificate], TP1, lab.crl_source)
    assert result.ok, result.reason


CISCO_CHAPTER = """\
ip http server
crypto pki server laverda-ca
  grant auto
  database url flash:
!
crypto pki trustpoint laverda-ca
  enrollment url http://192.168.1.1:80
  revocation-check crl
  rsa-keypair laverda-ca
crypto pki server laverda-ca
 no shutdown
labpass1
labpass1
"""


def cisco_step(tp: str) -> str:
    # As the chapter writes it, `crypto pki enrollment` (rejected by IOS: it is not a prefix
    # of `enroll`), then the command IOS accepts, each dialogue answered on following lines.
    return f"""\
crypto pki trustpoint {tp}
  enrollment url http://192.168.1.1:80
  revocation-check none

crypto pki authenticate {tp}
yes
crypto pki enrollment {tp}
crypto pki enroll {tp}
pw1
pw1
no
no
yes
"""


async def test_cisco_chapter_variant(lab):
    shell = Shell(lab.router)
    names = ["capf-server", "cme-server", "tftp-server", "sast1", "sast2"]
    with trio.fail_after(30):
        out = await shell.type("conf t", "interface Vlan1", "ip address 192.168.1.1 "
                               "255.255.255.0", "exit", "hostname CME1",
                               *CISCO_CHAPTER.splitlines(),
                               *[line for tp in names for line in cisco_step(tp).splitlines()],
                               "end")
    assert rejected(out) == ["CME1(ca-trustpoint)#  rsa-keypair laverda-ca"] + [
        f"CME1(config)#crypto pki enrollment {tp}" for tp in names]
    assert out.count("%PKI-6-CERTRET: Certificate received from Certificate Authority") == 5
    assert "% The subject name in the certificate will include: CME1\n" in out
    serials = [credentials.certificate(lab.router, tp).serial_number for tp in names]
    assert serials == [2, 3, 4, 5, 6]
    running = lab.router.running_config()
    for tp in names:
        assert (f"crypto pki trustpoint {tp}\n enrollment url http://192.168.1.1:80\n"
                " revocation-check none\n!\n") in running
        assert f"crypto pki certificate chain {tp}\n certificate 0" in running
    cert = credentials.certificate(lab.router, "cme-server")
    assert (await validate_chain(lab.router, [cert], "sast1")).ok  # `none`: no CRL needed


async def test_no_ip_http_server_fails_from_the_network(lab):
    shell = Shell(lab.router)
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), *nsa_3_2(TP1).splitlines(), "end")
        assert credentials.certificate(lab.router, TP1) is not None
        out = await shell.type("conf t", "no ip http server", "crypto pki trustpoint T3",
                               "enrollment url http://3.3.3.1:80", "exit",
                               "crypto pki authenticate T3", "crypto pki enroll T3", "end",
                               "debug crypto pki transactions", "show crypto pki server")
    assert ("CME1(config)#crypto pki authenticate T3\n"
            "% Error in receiving Certificate Authority certificate: status = FAIL, "
            "cert length = 0\n") in out
    assert re.search(r"\n\*?\w+ +\d+ [\d:.]+: %PKI-3-SOCKETSEND: Failed to send out message "
                     r"to CA server.\n", out)
    assert ("CME1(config)#crypto pki enroll T3\n% You must authenticate the Certificate "
            "Authority before you can enroll with it.\n") in out
    assert "    Status: disabled, HTTP Server is disabled\n    State: check failed\n" in out
    # nothing listens: the HTTP port really is closed
    entries = [e for e in lab.services.entries() if e.name == "http"]
    assert entries == []
    # CRL retrieval over HTTP fails, so `revocation-check crl` cannot accept the certificate
    cert = credentials.certificate(lab.router, TP1)
    result = await validate_chain(lab.router, [cert], TP1, lab.crl_source)
    assert not result.ok
    assert result.reason == "revocation status could not be checked (CRL retrieval failed)"
    assert lab.router.log.contains(f"%PKI-3-CRL_FETCH_FAIL: CRL fetch for trustpoint {TP1} "
                                   "failed")
    assert lab.router.log.contains("CRYPTO_PKI: CRL retrieval from http://3.3.3.1:80/cgi-bin/"
                                   "pkiclient.exe?operation=GetCRL failed")


async def test_grant_manual_then_grant(lab):
    shell = Shell(lab.router)
    manual = NSA_3_1.replace("  grant auto\n", "")
    with trio.fail_after(30):
        out = await shell.type(*PREAMBLE, *manual.splitlines(), *nsa_3_2(TP1).splitlines(),
                               "end", "show crypto pki server CAserver requests")
        assert "% Certificate request sent to Certificate Authority\n" in out
        assert "CERTRET" not in out and credentials.certificate(lab.router, TP1) is None
        assert "Granting mode is: manual" in (await shell.type("show crypto pki server"))
        table = out[out.index("Router certificates requests:"):]
        assert re.search(r"\n1      pending    [0-9A-F]{32} hostname=CME1\.lab\.local\n", table)
        out = await shell.type("crypto pki server CAserver info requests",
                               "crypto pki server CAserver grant 1")
        assert "1      pending    " in out
        await wait_for_log(lab.router, "%PKI-6-CERTRET: Certificate received from "
                                       "Certificate Authority")
    assert credentials.certificate(lab.router, TP1).serial_number == 2
    out = await shell.type("show crypto pki server CAserver requests")
    assert re.search(r"\n1      granted    [0-9A-F]{32} hostname=", out)


async def test_grant_reject(lab):
    shell = Shell(lab.router)
    manual = NSA_3_1.replace("  grant auto\n", "")
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *manual.splitlines(), *nsa_3_2(TP1).splitlines(), "end",
                         "crypto pki server CAserver reject 1")
        await wait_for_log(lab.router, "%PKI-6-CERTREJECT")
    assert credentials.certificate(lab.router, TP1) is None


async def test_clock_before_not_before(lab):
    shell = Shell(lab.router)
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), *nsa_3_2(TP1).splitlines(), "end")
        cert = credentials.certificate(lab.router, TP1)
        out = await shell.type("debug crypto pki validation", "clock set 10:00:00 1 Jan 2020")
        result = await validate_chain(lab.router, [cert], TP1, lab.crl_source)
    assert "Crypto PKI Validation Path debugging is on" in out
    assert not result.ok and result.reason == "certificate is not yet valid"
    assert lab.router.log.contains("CRYPTO_PKI: Certificate validation failed for "
                                   "1.2.840.113549.1.9.2=CME1.lab.local: certificate is not "
                                   "yet valid")
    assert lab.router.log.contains("%PKI-3-CERTIFICATE_INVALID: Certificate chain validation "
                                   "has failed. Certificate is not yet valid")


async def test_revoked_certificate_fails_once_in_the_crl(lab):
    shell = Shell(lab.router)
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), *nsa_3_2(TP1).splitlines(),
                         *nsa_3_2(TP2).splitlines(), "end")
        cert = credentials.certificate(lab.router, TP2)
        assert (await validate_chain(lab.router, [cert], TP1, lab.crl_source)).ok
        out = await shell.type("crypto pki server CAserver revoke 0x3",
                               "crypto pki server CAserver revoke 3",
                               "crypto pki server CAserver info crl")
        assert "% serial 3 is already revoked\n" in out
        assert "    Serial number: 03\n" in out
        result = await validate_chain(lab.router, [cert], TP1, lab.crl_source)
        assert not result.ok and result.reason == "certificate is revoked"
        other = credentials.certificate(lab.router, TP1)
        assert (await validate_chain(lab.router, [other], TP1, lab.crl_source)).ok


async def _raw_http(address: tuple[str, int], data: bytes) -> bytes:
    stream = await trio.open_tcp_stream(*address)
    async with stream:
        await stream.send_all(data)
        chunks = []
        with trio.move_on_after(3):
            while chunk := await stream.receive_some(65536):
                chunks.append(chunk)
    return b"".join(chunks)


async def test_bad_http_and_scep_input(lab):
    shell = Shell(lab.router)
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), "end")
        await trio.sleep(0.1)
        [entry] = [e for e in lab.services.entries() if e.name == "http"]
        address = (entry.bound_address, entry.bound_port)
        reply = await _raw_http(address, b"\x16\x03\x01garbage\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 400 ")
        body = b"0\x82\x01\x00not-cms"
        reply = await _raw_http(address, b"POST /cgi-bin/pkiclient.exe?operation=PKIOperation "
                                b"HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
                                + body)
        assert reply.startswith(b"HTTP/1.1 400 ")
        assert b"bad pkiMessage" in reply
        reply = await _raw_http(address, b"GET /cgi-bin/pkiclient.exe?operation=Nope HTTP/1.1"
                                b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 400 ")
        reply = await _raw_http(address, b"GET /cgi-bin/pkiclient.exe?operation=GetCACaps "
                                b"HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 200 ") and b"POSTPKIOperation" in reply
    assert lab.router.log.contains("%HTTP-4-BAD_REQUEST: HTTP request from")
    assert lab.router.log.contains("%PKI-4-SCEP_REQUEST: SCEP request from 127.0.0.1 refused: "
                                   "bad pkiMessage")


async def test_access_class_and_authentication(lab):
    shell = Shell(lab.router)
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, "ip http server", "enable secret s3cret",
                         "username admin privilege 15 secret adm1n", "end")
        await trio.sleep(0.1)
        [entry] = [e for e in lab.services.entries() if e.name == "http"]
        address = (entry.bound_address, entry.bound_port)
        get = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        assert (await _raw_http(address, get + b"\r\n")).startswith(b"HTTP/1.1 401 ")
        enable = b"Authorization: Basic " + __import__("base64").b64encode(b"x:s3cret")
        assert (await _raw_http(address, get + enable + b"\r\n\r\n")).startswith(
            b"HTTP/1.1 200 ")
        await shell.type("conf t", "ip http authentication local", "end")
        assert (await _raw_http(address, get + enable + b"\r\n\r\n")).startswith(
            b"HTTP/1.1 401 ")
        local = b"Authorization: Basic " + __import__("base64").b64encode(b"admin:adm1n")
        assert (await _raw_http(address, get + local + b"\r\n\r\n")).startswith(
            b"HTTP/1.1 200 ")
        # the router enrols from its own address, 3.3.3.1: an ACL without it shuts it out
        await shell.type("conf t", "access-list 10 permit host 3.3.3.99",
                         "ip http access-class 10", "end")
        assert await _raw_http(address, get + local + b"\r\n\r\n") == b""


async def test_https_secure_server(lab):
    import ssl

    shell = Shell(lab.router)
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), *nsa_3_2(TP1).splitlines(),
                         "conf t", "ip http secure-server", "ip http secure-port 8443", "end")
        await trio.sleep(0.2)
        [entry] = [e for e in lab.services.entries() if e.name == "https"]
        assert entry.configured_port == 8443
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.set_ciphers("DEFAULT:@SECLEVEL=1")
        ctx.load_verify_locations(cadata="".join(
            c.public_bytes(__import__("cryptography.hazmat.primitives.serialization",
                                      fromlist=["Encoding"]).Encoding.PEM).decode()
            for c in credentials.ca_certificates(lab.router, TP1)))
        tcp = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
        stream = trio.SSLStream(tcp, ctx, server_hostname="3.3.3.1")
        await stream.do_handshake()
        peer = x509.load_der_x509_certificate(stream.getpeercert(binary_form=True))
        await stream.send_all(b"GET /cgi-bin/pkiclient.exe?operation=GetCACaps HTTP/1.1\r\n"
                              b"Host: x\r\nConnection: close\r\n\r\n")
        reply = await stream.receive_some(4096)
        await stream.aclose()
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert peer.issuer.rfc4514_string().endswith("CN=CAserver")


async def test_write_memory_reload_restores_pki_and_never_reuses_serials(lab):
    shell = Shell(lab.router)
    router = lab.router
    with trio.fail_after(60):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), *nsa_3_2(TP1).splitlines(), "end")
        before = router.running_config(header=False)
        ca_cert = CertificateServer(router, "CAserver").ca_certificate()
        key1 = router.keystore.get(TP1).private_key.private_numbers()
        # a certificate issued after the last `write memory` still spends its serial
        out = await shell.type("write memory", *["conf t", *nsa_3_2(TP2).splitlines(), "end"])
        assert credentials.certificate(router, TP2).serial_number == 3
        await reload_router(router, lab.commands)
        assert router.running_config(header=False) == before
        assert router.keystore.get(TP1).private_key.private_numbers() == key1
        assert router.keystore.get(TP2) is None  # never saved
        server = CertificateServer(router, "CAserver")
        assert server.running and server.ca_certificate() == ca_cert
        assert server.last_serial() == 3
        out = await shell.type("show crypto pki server",
                               "conf t", *nsa_3_2(TP2).splitlines(), "end")
        assert "    Status: enabled\n" in out
        assert "%PKI-6-CERTRET" in out
    assert credentials.certificate(router, TP2).serial_number == 4
    assert (await validate_chain(router, [credentials.certificate(router, TP2)], TP1,
                                 lab.crl_source)).ok


async def test_the_request_database_is_bounded(lab, monkeypatch):
    """A flood of CSRs cannot grow the router's memory without end: the oldest decided
    request makes room; when every one is still pending the next is refused."""
    from cucme_lab.router.pki import ca as ca_module

    monkeypatch.setattr(ca_module, "REQUEST_DATABASE_SIZE", 3)
    shell = Shell(lab.router)
    manual = NSA_3_1.replace("  grant auto\n", "")
    with trio.fail_after(30):
        await shell.type(*PREAMBLE, *manual.splitlines(), *nsa_3_2(TP1).splitlines(), "end")
    server = CertificateServer(lab.router, "CAserver")
    first = server.requests().requests[0]  # the router's own, pending
    csr, requester = first.csr, first.requester
    server.submit(csr, "T2", requester, first.cipher, first.digest)
    server.reject(server.submit(csr, "T3", requester, first.cipher, first.digest))
    server.submit(csr, "T4", requester, first.cipher, first.digest)  # T3 (rejected) goes
    assert [r.transaction_id for r in server.requests().requests][1:] == ["T2", "T4"]
    with pytest.raises(ca_module.CaError, match="request database is full"):
        server.submit(csr, "T5", requester, first.cipher, first.digest)
    assert len(server.requests().requests) == 3
