"""Secure calls after the NSA guide's procedures, end to end on real sockets.

After Appendix B every phone is encrypted: a call shows the lock on both phones and its media
is SRTP. The calls' UDP is captured on the loopback interface by dumpcap; each call's packets
are taken from the capture and checked with an SRTP written for the tests from RFC 3711
(srtp_reference.py, `cryptography` only, not the libsrtp the phones use), under the keys that
call's OpenReceiveChannel and StartMediaTransmission carried to the phones inside TLS: they
decrypt to the test signal, and another call's keys do not decrypt them.
"""

from __future__ import annotations

import base64

import trio
from capture import capturing, needs_dumpcap, udp_datagrams
from phone_steps import (
    connect,
    control,
    key_in_strings_until_secure,
    media_flowing,
    registered,
    streams,
    type_lines,
    until,
)
from procedures import appendix_b, appendix_c
from srtp_reference import SrtpAuthError, SrtpReceiver

from cucme_lab.wire import rtp, sccp


async def secure_lab(runtime, procedure, modes: list[str]) -> None:
    for phone in runtime.phones:
        await until(phone, registered)
    out = await type_lines(runtime.router, procedure())
    assert "% Invalid" not in out and "% Incomplete" not in out, out
    await key_in_strings_until_secure(runtime, modes)


def decrypts_to_signal(packets: list[bytes], key: sccp.MediaEncryptionKeyInfo) -> bool:
    receiver = SrtpReceiver(key.key, key.salt, tag_length=4)  # AES_CM_128_HMAC_SHA1_32
    return all(rtp.signal_matches(rtp.RtpPacket.decode(receiver.unprotect(p)).payload)
               for p in packets)


def lab_udp(runtime) -> str:
    """A capture filter for the UDP of this lab's loopback range (127.B.0.0/16)."""
    return f"udp and net 127.{runtime.lab.addresses.base}.0.0/16"


def sent_by(datagrams, stream) -> list[bytes]:
    """The payloads a phone's media stream put on the wire: from its own address and port."""
    return [d.payload for d in datagrams if d.src == (stream.bind_address, stream.port)]


@needs_dumpcap
async def test_encrypted_call_after_appendix_b_is_srtp_only_its_keys_open(runtime, tmp_path):
    await secure_lab(runtime, appendix_b, ["encrypted"] * 4)
    p1, p2, p3, p4 = runtime.phones
    async with capturing(tmp_path / "media.pcap", lab_udp(runtime)) as pcap:
        await connect(runtime, 1, 2, "7002")
        await connect(runtime, 3, 4, "7004")  # a second call, with keys of its own
        for phone in runtime.phones:
            await until(phone, media_flowing(25), timeout=10)
    datagrams = udp_datagrams(pcap)
    calls = [p.calls[0] for p in runtime.phones]
    for call in calls:
        m = call.media.counters
        assert (call.security, call.icon) == ("encrypted", "lock")
        assert m.srtp and m.signal_ok and m.auth_failures == 0 and m.lost <= 1
        for key in (call.rx_key, call.tx_key):
            assert key.algorithm_id == sccp.EncryptionAlgorithm.AES_CM_128_HMAC_SHA1_32
            assert (len(key.key), len(key.salt)) == (16, 14)
    c1, c2, c3, c4 = calls
    # a phone encrypts with the key the other decrypts with: one key per stream
    assert c1.tx_key == c2.rx_key and c2.tx_key == c1.rx_key and c1.tx_key != c2.tx_key
    assert {c1.tx_key.key, c2.tx_key.key}.isdisjoint({c3.tx_key.key, c4.tx_key.key})
    for call, peer, other_call in ((c1, c2, c3), (c2, c1, c4), (c3, c4, c1), (c4, c3, c2)):
        sent = sent_by(datagrams, call.media)
        assert len(sent) >= 25
        assert {d.dst for d in datagrams if d.payload in sent} == \
            {(peer.media.bind_address, peer.media.port)}
        # on the wire: no RTP payload in clear, a 4-byte tag after the 160 bytes
        assert all(rtp.SIGNAL_FRAME not in p and len(p) == 12 + 160 + 4 for p in sent)
        # the independent RFC 3711 implementation opens it with this call's keys only
        assert decrypts_to_signal(sent, call.tx_key)  # StartMediaTransmission's
        assert decrypts_to_signal(sent, peer.rx_key)  # the receiver's OpenReceiveChannel's
        try:
            decrypts_to_signal(sent[:1], other_call.tx_key)
        except SrtpAuthError:
            pass
        else:
            raise AssertionError("another call's keys authenticated this call's media")
        wrong = SrtpReceiver(other_call.tx_key.key, other_call.tx_key.salt)
        garbled = rtp.RtpPacket.decode(wrong.unprotect(sent[0], verify=False)).payload
        assert not rtp.signal_matches(garbled)
    # the router says so too
    out = await type_lines(runtime.router, ["enable", "show ephone 1", "show ephone-dn 2"])
    assert "+ Authentication + Encryption" in out
    assert "Active Secure Call on DN 1 chan 1 :7001 " in out
    # CME 12.6 prints both keys: this phone's (it decrypts with) and the other's
    keys = [base64.b64encode(k.key + k.salt).decode() for k in (c1.rx_key, c2.rx_key)]
    assert (f"SRTP cipher: AES_CM_128_HMAC_SHA1_32\n  local key: {keys[0]}\n"
            f"  remote key: {keys[1]}\nTx Pkts 0 bytes 0 Rx Pkts 0 bytes 0 Lost 0\n") in out
    assert "50/0/2 CH1 CONNECTED " in out
    assert " Call Ref " in out and "called 7002, calling 7001" in out
    assert " Call security: encrypted (SRTP AES_CM_128_HMAC_SHA1_32)" in out
    # packets with a wrong key, or replayed, are dropped and counted by the phone
    target = c2.media
    before = target.counters.received
    wrong = SrtpReceiver(c3.tx_key.key, c3.tx_key.salt)
    sock = trio.socket.socket(type=trio.socket.SOCK_DGRAM)
    with sock:
        await sock.bind((p1.network.local_address, 0))
        forged = wrong.protect(rtp.pack_rtp(1, 160, 0x1234, rtp.SIGNAL_FRAME))
        for _ in range(3):
            await sock.sendto(forged, (target.bind_address, target.port))
        replayed = sent_by(datagrams, c1.media)[0]  # as captured: already received once
        await sock.sendto(replayed, (target.bind_address, target.port))
        with trio.fail_after(5):
            while target.counters.auth_failures < 4 or target.counters.replayed < 1:
                await trio.sleep(0.01)
    assert target.counters.received >= before  # the genuine stream goes on
    assert target.counters.signal_ok
    await control(runtime, "hangup 1")
    await control(runtime, "hangup 4")
    await control(runtime, "wait all idle 5")
    for phone in runtime.phones:
        assert all(s.closed and s._sock is None for s in streams(phone))


@needs_dumpcap
async def test_encrypted_calling_authenticated_gets_no_keys_and_no_lock(runtime, tmp_path):
    """Appendix C: phone 2 is authenticated only (NULL-SHA): plain RTP, the shield at most."""
    await secure_lab(runtime, appendix_c,
                     ["encrypted", "authenticated", "encrypted", "encrypted"])
    p1, p2 = runtime.phones[:2]
    async with capturing(tmp_path / "media.pcap", lab_udp(runtime)) as pcap:
        await connect(runtime, 1, 2, "7002")
        for phone in (p1, p2):
            await until(phone, media_flowing(10), timeout=10)
    datagrams = udp_datagrams(pcap)
    for phone in (p1, p2):
        call = phone.calls[0]
        m = call.media.counters
        assert (call.security, call.icon) == ("authenticated", "shield")
        assert not m.srtp and m.signal_ok
        assert call.rx_key == call.tx_key == sccp.MediaEncryptionKeyInfo()
        sent = sent_by(datagrams, call.media)
        assert sent and all(rtp.SIGNAL_FRAME in p for p in sent)  # RTP in clear
    await control(runtime, "hangup 2")
    await control(runtime, "wait all idle 5")
