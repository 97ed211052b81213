"""RTP packets, G.711 mu-law and the test signal (wire/rtp.py)."""

from __future__ import annotations

import struct
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.wire import rtp


def test_packet_round_trip_and_the_phones_fast_path_agree():
    packet = rtp.RtpPacket(0xFFFF, 0xFFFFFFF0, 0xDEADBEEF, rtp.SIGNAL_FRAME, marker=True)
    data = packet.encode()
    assert data[:12].hex() == "8080ffff" "fffffff0" "deadbeef"
    assert data == rtp.pack_rtp(0xFFFF, 0xFFFFFFF0, 0xDEADBEEF, rtp.SIGNAL_FRAME, marker=True)
    assert rtp.RtpPacket.decode(data) == packet


def test_csrcs_extension_and_padding_are_read():
    ext = struct.pack("!HH", 0xBEDE, 1) + b"\x10\xaa\x00\x00"
    packet = rtp.RtpPacket(7, 160, 1, b"\x01\x02", payload_type=8, csrcs=(5, 6),
                           extension=ext, padding=4)
    back = rtp.RtpPacket.decode(packet.encode())
    assert back == packet and back.payload == b"\x01\x02"


@pytest.mark.parametrize("data, why", [
    (b"\x80\x00", "shorter than the RTP header"),
    (bytes([0x40]) + bytes(11), "RTP version 1"),
    (bytes([0x82]) + bytes(11) + bytes(4), "inside its CSRC list"),
    (bytes([0x90]) + bytes(11) + b"\x00\x00\x00\x05", "inside its header extension"),
    (bytes([0xA0]) + bytes(11) + b"\x00\x00\x00\x09", "bad padding count 9"),
])
def test_malformed_packets_are_format_errors(data, why):
    with pytest.raises(rtp.RtpFormatError, match=why):
        rtp.RtpPacket.decode(data)


@given(st.binary(max_size=64))
def test_any_bytes_decode_or_raise_a_format_error(data):
    try:
        rtp.RtpPacket.decode(data)
    except rtp.RtpFormatError:
        pass


def test_mu_law_matches_the_reference_codec():
    """Python's audioop (the CCITT reference algorithm) as an independent check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    # multiples of 4: audioop quantizes a 14-bit sample (the 16-bit one shifted right by 2),
    # which for a negative sample between two of them rounds the other way
    samples = list(range(-32768, 32768, 4 * 7))
    linear = struct.pack(f"<{len(samples)}h", *samples)
    assert rtp.encode_samples(samples) == audioop.lin2ulaw(linear, 2)
    every = bytes(range(256))
    assert rtp.decode_samples(every) == list(struct.unpack("<256h",
                                                           audioop.ulaw2lin(every, 2)))
    assert rtp.ulaw_encode(0) == 0xFF and rtp.ulaw_decode(0x80) == 32124


def test_the_signal_is_a_1khz_tone_in_every_frame():
    assert len(rtp.SIGNAL_FRAME) == rtp.FRAME_SAMPLES == 160
    decoded = rtp.decode_samples(rtp.SIGNAL_FRAME)
    assert decoded[:8] == decoded[8:16]  # 8 samples per period at 8 kHz
    assert max(decoded) > 7000 and min(decoded) < -7000
    assert rtp.signal_matches(rtp.SIGNAL_FRAME)
    # another encoder's rounding still matches; silence, noise or other lengths do not
    nudged = rtp.encode_samples([s + 40 for s in rtp.SIGNAL_SAMPLES])
    assert nudged != rtp.SIGNAL_FRAME and rtp.signal_matches(nudged)
    assert not rtp.signal_matches(rtp.encode_samples([0] * 160))
    assert not rtp.signal_matches(bytes(range(160)))
    assert not rtp.signal_matches(rtp.SIGNAL_FRAME[:80])
