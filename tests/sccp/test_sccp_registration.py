"""SCCP registration end to end on real loopback sockets: plain and TLS, and every refusal."""

from __future__ import annotations

import datetime

import pytest
import trio
from sccp_support import (
    MAC1,
    MAC2,
    MAC3,
    Pki,
    configure,
    phone,
    register_raw,
    reset_connection,
    start_phone,
    wait_log,
)

from cucme_lab.wire import sccp


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


async def test_plain_registration_sequence_and_show_ephone(lab, shell, pki):
    plain, _ = await configure(lab, shell, pki)
    await shell.type("debug ephone register")
    ph = phone(lab, pki, MAC1)
    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, plain)
        assert ph.status == "Registered"
        assert ph.version == 17 and ph.keepalive_interval == 10
        assert ph.line_stats[1].dir_number == "1001"
        assert ph.line_stats[1].fully_qualified_display_name == "Alice"
        assert [b.instance_number for b in ph.buttons] == [1]
        now = lab.router.clock.now_utc().timestamp()
        assert abs(ph.time_date.system_time - now) < 5
        line = await wait_log(lab.router, "%IPPHONE-6-REGISTER:")
        assert line.endswith("%IPPHONE-6-REGISTER: ephone-1:SEP001122334455 IP:10.1.1.21 "
                             "Socket:1 DeviceType:Phone has registered.")
        assert lab.router.log.contains("StationRegisterMessage (1/1/20) from 10.1.1.21")
        out = await shell.type("show ephone registered")
        assert ("ephone-1[0] Mac:0011.2233.4455 TCP socket:[1] activeLine:0 whisperLine:0 "
                "REGISTERED in SCCP ver 20/17 max_streams=5\n") in out
        assert "IP:10.1.1.21 * " in out and " 7965  keepalive " in out
        assert "  dn 1  number 1001 CH1   IDLE\n" in out
        assert "ephone-2" not in out
        out = await shell.type("show ephone unregistered")
        assert "ephone-2[1] Mac:0011.2233.44AA TCP socket:[-1]" in out and "ephone-1" not in out
        out = await shell.type("show ephone summary")
        assert "Max 10, Registered 1, Unregistered 1, Deceased 0, Sockets 1" in out
        # keepalives flow (10 s configured = 0.2 s here)
        await ph.wait_for(lambda p: p.keepalives_acked >= 2, timeout=5)
        assert lab.router.phones.registrations[1].keepalives >= 2
        await ph.unregister()
    await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_NORMAL: ephone-1:SEP001122334455 "
                   "IP:10.1.1.21 Socket:1 DeviceType:Phone has unregistered normally.")
    assert lab.router.phones.registrations == {}


async def test_auto_registration_new_phone_and_auto_assign(lab, shell, pki):
    plain, _ = await configure(lab, shell, pki, "telephony-service\n auto assign 3 to 3\n")
    ph = phone(lab, pki, MAC3, ip="10.1.1.23")
    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, plain)
        line = await wait_log(lab.router, "%IPPHONE-6-REGISTER_NEW:")
        assert "ephone-3:SEP00AABBCCDDEE IP:10.1.1.23 Socket:1 DeviceType:Phone has " \
               "registered." in line
        assert ph.line_stats[1].dir_number == "1003"  # auto assign gave it ephone-dn 3
        run = lab.router.running_config()
        assert "ephone  3\n mac-address 00AA.BBCC.DDEE\n button  1:3\n" in run
        await ph.unregister()


async def test_an_auto_registered_phone_is_reachable_at_once(lab, shell, pki):
    """Calls are routed by a dial plan the router derives from the configuration and keeps;
    the ephone auto-registration adds (with its auto-assigned line) must be in it, even when
    a call to another phone built the plan moments before (a fleet's first pairs calling
    while its last phones registered were sent to reorder)."""
    plain, _ = await configure(lab, shell, pki, "telephony-service\n auto assign 3 to 3\n")
    router = lab.router
    first, late = phone(lab, pki, MAC1), phone(lab, pki, MAC3, ip="10.1.1.23")
    async with trio.open_nursery() as n:
        assert await start_phone(n, first, plain)
        owner = router.phones.line_owner(router, 1)  # the plan is made, and kept
        assert owner is not None and owner[0].device_name == "SEP001122334455"
        assert await start_phone(n, late, plain)
        assert late.line_stats[1].dir_number == "1003"
        owner = router.phones.line_owner(router, 3)
        assert owner is not None and owner[0].device_name == "SEP00AABBCCDDEE"
        await late.unregister()
        await first.unregister()


async def test_refusals_plain(lab, shell, pki):
    """Unknown MAC without auto-registration, strict-match, max-ephones, secure over plain."""
    plain, _ = await configure(lab, shell, pki, "telephony-service\n no auto-reg-ephone\n"
                               "ephone 2\n device-security-mode encrypted\n")
    await shell.type("debug ephone register")
    unknown = phone(lab, pki, MAC3)
    secure = phone(lab, pki, MAC2)
    async with trio.open_nursery() as n:
        assert not await start_phone(n, unknown, plain)
        assert unknown.reject_text == "Unknown device"
        assert not await start_phone(n, secure, plain)
        assert secure.reject_text == "Secure device must use TLS"
        assert lab.router.log.contains("RegisterReject sent to SEP0011223344AA: Secure device "
                                       "must use TLS (device-security-mode encrypted needs TLS")
        # strict-match: the phone's configured address is outside 10.1.1.0/24
        await shell.paste_config("telephony-service\n ip source-address 10.1.1.1 port 2000 "
                                 "strict-match\n")
        await trio.sleep(0.05)
        outside = phone(lab, pki, MAC1, ip="10.9.9.9")
        assert not await start_phone(n, outside, plain)
        assert outside.reject_text == "Not in strict-match subnet"
        inside = phone(lab, pki, MAC1, ip="10.1.1.21")
        assert await start_phone(n, inside, plain)
        # max-ephones 1: ephone 1 is registered, so nobody else may come
        await shell.paste_config("no ephone 2\ntelephony-service\n auto-reg-ephone\n"
                                 " max-ephones 1\n")
        other = phone(lab, pki, MAC2, ip="10.1.1.22")
        assert not await start_phone(n, other, plain)
        assert other.reject_text == "max-ephones reached"
        assert not lab.router.log.contains("REGISTER_NEW")
        n.cancel_scope.cancel()
    await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_ABNORMAL: ephone-1:SEP001122334455")
    assert lab.router.phones.registrations == {}


async def test_tls_registration_authenticated_and_encrypted(lab, shell, pki):
    _, tls = await configure(lab, shell, pki, "ephone 1\n device-security-mode authenticated\n"
                             "ephone 2\n device-security-mode encrypted\n")
    auth = phone(lab, pki, MAC1, mode="authenticated")
    enc = phone(lab, pki, MAC2, ip="10.1.1.22", mode="encrypted")
    async with trio.open_nursery() as n:
        assert await start_phone(n, auth, tls)
        assert await start_phone(n, enc, tls)
        assert auth.cipher == "NULL-SHA" and "NULL" not in enc.cipher
        out = await shell.type("show ephone registered")
        assert "REGISTERED in SCCP ver 20/17 max_streams=5 + Authentication\n" in out
        assert ("max_streams=5 + Authentication + Encryption with TLS connection\n") in out
        assert "Signaling:" not in out  # no such line on CME
        await auth.wait_for(lambda p: p.keepalives_acked >= 1, timeout=5)
        out = await shell.type("show telephony-service security-info")
        assert out.splitlines()[1:5] == [
            "Skinny Server Trustpoint for TLS: CUCME-TP", "TFTP Credentials Trustpoint: ",
            "Server Security Mode: Non-Secure", "Global Device Security Mode: None"]
        n.cancel_scope.cancel()


async def test_tls_certificate_refusals(lab, shell, pki):
    """Untrusted, expired, not yet valid, wrong name; encrypted mode offering NULL-SHA.

    Revoked certificates need the CRL source over HTTP (another issue): not tested here.
    """
    _, tls = await configure(lab, shell, pki, "ephone 1\n device-security-mode authenticated\n"
                             "ephone 2\n device-security-mode encrypted\n")
    await shell.type("debug ephone register")
    from lab_pki import LabCA

    now = datetime.datetime.now(datetime.UTC)
    stranger = LabCA("OTHERCA").issue(f"SEP{MAC1}")
    cases = [
        (stranger, "TLS handshake failed"),
        (pki.phone_lsc(MAC1, not_before=now - datetime.timedelta(days=10), days=2),
         "certificate has expired"),
        (pki.phone_lsc(MAC1, not_before=now + datetime.timedelta(days=2)),
         "certificate is not yet valid"),
    ]
    async with trio.open_nursery() as n:
        for lsc, expected in cases:
            ph = phone(lab, pki, MAC1, mode="authenticated", lsc=lsc)
            assert not await start_phone(n, ph, tls)
            await wait_log(lab.router, expected)
        wrong = phone(lab, pki, MAC1, mode="authenticated", lsc=pki.phone_lsc(MAC2))
        assert not await start_phone(n, wrong, tls)
        assert wrong.reject_text == "Certificate name mismatch"
        weak = phone(lab, pki, MAC2, ip="10.1.1.22", mode="authenticated")  # NULL-SHA only
        assert not await start_phone(n, weak, tls)
        assert weak.reject_text == "Encryption required"
        # the phone refuses a router whose certificate its CTL does not list
        other_ctl = Pki()
        fooled = phone(lab, other_ctl, MAC1, mode="authenticated", lsc=pki.phone_lsc(MAC1))
        assert not await start_phone(n, fooled, tls)
        assert fooled.status == "Untrusted CallManager certificate (not in CTL)"
        # and the service still serves a good phone
        good = phone(lab, pki, MAC1, mode="authenticated")
        assert await start_phone(n, good, tls)
        n.cancel_scope.cancel()
    await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_ABNORMAL: ephone-1:SEP001122334455")
    assert lab.router.phones.socket_count == 0


async def test_silent_tls_client_does_not_block_others(lab, shell, pki):
    plain, tls = await configure(lab, shell, pki, "ephone 1\n device-security-mode "
                                 "authenticated\n")
    await shell.type("debug ephone register")
    silent = [await trio.open_tcp_stream(tls.bound_address, tls.bound_port) for _ in range(5)]
    slow = await trio.open_tcp_stream(tls.bound_address, tls.bound_port)
    await slow.send_all(b"\x16\x03\x01\x00")  # the first bytes of a ClientHello, then nothing
    ph = phone(lab, pki, MAC1, mode="authenticated")
    async with trio.open_nursery() as n:
        with trio.fail_after(2):  # well before the 0.5 s handshake deadline frees the others
            assert await start_phone(n, ph, tls)
        await wait_log(lab.router, "TLS handshake not finished within 0.5 seconds, closing")
        with trio.fail_after(3):
            for s in silent + [slow]:
                assert await s.receive_some(10) == b""  # closed by the router
                await s.aclose()
        n.cancel_scope.cancel()


@pytest.mark.parametrize("garbage", [
    b"\xff" * 64,  # length far above 2000
    b"\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00",  # length 2 (< 4)
    b"\x08\x00\x00\x00\x99\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",  # headerVersion 0x99
    b"\x08\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00",  # Register too short
])
async def test_garbage_frames_close_only_that_connection(lab, shell, pki, garbage):
    plain, _ = await configure(lab, shell, pki)
    await shell.type("debug ephone register")
    bad = await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
    await bad.send_all(garbage)
    with trio.fail_after(3):
        assert await bad.receive_some(10) == b""
    await wait_log(lab.router, "bad SCCP frame")
    truncated = await trio.open_tcp_stream(plain.bound_address, plain.bound_port)
    frame = sccp.encode_frame(phone(lab, pki, MAC1)._register_message(), 0)
    await truncated.send_all(frame[:30])
    await truncated.aclose()  # a frame cut short by the peer closing
    ph = phone(lab, pki, MAC1)
    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, plain)
        n.cancel_scope.cancel()
    await wait_log(lab.router, "stream ended inside a frame")


@pytest.mark.parametrize("transport", ["plain", "tls"])
async def test_a_phone_resetting_its_connection_ends_only_that_connection(lab, shell, pki,
                                                                          transport):
    """A TCP reset while the router reads (inside the connection's task group) unregisters
    that phone and nothing else: the service keeps serving the next phone."""
    extra = "ephone 1\n device-security-mode authenticated\n" if transport == "tls" else ""
    plain, tls = await configure(lab, shell, pki, extra)
    entry = tls if transport == "tls" else plain
    first = phone(lab, pki, MAC1, mode="authenticated" if transport == "tls" else "none")
    sock = await register_raw(entry, first, tls=transport == "tls")
    await wait_log(lab.router, "%IPPHONE-6-REG")
    reset_connection(sock)
    await wait_log(lab.router, "%IPPHONE-6-UNREGISTER_ABNORMAL")
    second = phone(lab, pki, MAC2)
    async with trio.open_nursery() as n:
        assert await start_phone(n, second, plain)
        n.cancel_scope.cancel()
    assert {e.name for e in lab.services.entries()} >= {"sccp", "sccp-tls"}


async def test_a_certificate_forged_in_the_ca_name_is_refused_on_2443(lab, shell, pki):
    """The router judges the phone's path by names only because OpenSSL has verified its
    signatures in the handshake: a certificate naming the CA but signed by another key never
    gets that far."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from lab_pki import name, rsa_key

    _, tls = await configure(lab, shell, pki, "ephone 1\n device-security-mode authenticated\n")
    await shell.type("debug ephone register")
    key = rsa_key("forged-phone")
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    forged = (x509.CertificateBuilder().subject_name(name(f"SEP{MAC1}"))
              .issuer_name(pki.ca.cert.subject).public_key(key.public_key()).serial_number(77)
              .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=30))
              .sign(rsa_key("forger"), hashes.SHA256()))
    async with trio.open_nursery() as n:
        ph = phone(lab, pki, MAC1, mode="authenticated", lsc=(forged, key))
        assert not await start_phone(n, ph, tls)
        line = await wait_log(lab.router, "TLS handshake failed")
        assert "CERTIFICATE_VERIFY_FAILED" in line
        n.cancel_scope.cancel()
    assert not lab.router.phones.registrations
