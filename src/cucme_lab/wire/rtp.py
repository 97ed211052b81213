"""RTP (RFC 3550) packets, G.711 mu-law (ITU-T G.711) and the lab's test signal, sans I/O.

The phones send one 20 ms G.711 mu-law frame per packet (160 samples at 8 kHz, payload type
0), as StartMediaTransmission asks (specs/sccp.md 3.3). What they send is a known signal, a
1 kHz tone: 160 samples are exactly 20 of its periods, so every frame is the same 160 bytes
and the receiver can tell whether what it decoded is the signal and not noise, silence or
another call's audio. SRTP (RFC 3711) protects these packets in the phones; this module
knows nothing of keys.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

RTP_VERSION = 2
PCMU = 0  # the static RTP payload type of G.711 mu-law (RFC 3551)
SAMPLE_RATE = 8000
PACKET_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * PACKET_MS // 1000  # 160 samples, 160 bytes of mu-law
TONE_HZ = 1000
TONE_AMPLITUDE = 8000  # of 32767: about -12 dBFS, clear of clipping
HEADER = struct.Struct("!BBHII")  # V/P/X/CC, M/PT, sequence, timestamp, SSRC
HEADER_SIZE = HEADER.size


class RtpFormatError(ValueError):
    """Bytes that are not an RTP packet this lab understands."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet; CSRCs and a header extension are kept as read, not interpreted."""

    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    payload_type: int = PCMU
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: bytes | None = None  # the extension's profile word, length word and data
    padding: int = 0  # padding bytes at the end (their count is the last byte)

    def encode(self) -> bytes:
        """The packet on the wire (network byte order)."""
        if not 0 <= self.payload_type < 128:
            raise ValueError(f"payload type {self.payload_type} does not fit 7 bits")
        if len(self.csrcs) > 15:
            raise ValueError("at most 15 CSRCs")
        first = (RTP_VERSION << 6) | (0x20 if self.padding else 0) | \
            (0x10 if self.extension is not None else 0) | len(self.csrcs)
        head = HEADER.pack(first, (0x80 if self.marker else 0) | self.payload_type,
                           self.sequence & 0xFFFF, self.timestamp & 0xFFFFFFFF,
                           self.ssrc & 0xFFFFFFFF)
        csrcs = b"".join(struct.pack("!I", c) for c in self.csrcs)
        pad = b""
        if self.padding:
            if not 0 < self.padding < 256:
                raise ValueError("padding is 1..255 bytes")
            pad = bytes(self.padding - 1) + bytes([self.padding])
        return head + csrcs + (self.extension or b"") + self.payload + pad

    @classmethod
    def decode(cls, data: bytes) -> RtpPacket:
        """Read one packet; anything malformed is an RtpFormatError, nothing else."""
        if len(data) < HEADER_SIZE:
            raise RtpFormatError(f"{len(data)} bytes is shorter than the RTP header")
        first, second, seq, ts, ssrc = HEADER.unpack_from(data)
        if first >> 6 != RTP_VERSION:
            raise RtpFormatError(f"RTP version {first >> 6}, not 2")
        offset = HEADER_SIZE
        count = first & 0x0F
        if len(data) < offset + 4 * count:
            raise RtpFormatError("packet ends inside its CSRC list")
        csrcs = struct.unpack_from(f"!{count}I", data, offset) if count else ()
        offset += 4 * count
        extension = None
        if first & 0x10:
            if len(data) < offset + 4:
                raise RtpFormatError("packet ends inside its header extension")
            (words,) = struct.unpack_from("!H", data, offset + 2)
            end = offset + 4 + 4 * words
            if len(data) < end:
                raise RtpFormatError("packet ends inside its header extension")
            extension = bytes(data[offset:end])
            offset = end
        end = len(data)
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or end - padding < offset:
                raise RtpFormatError(f"bad padding count {padding}")
            end -= padding
        return cls(seq, ts, ssrc, bytes(data[offset:end]), second & 0x7F, bool(second & 0x80),
                   tuple(csrcs), extension, padding)


def pack_rtp(sequence: int, timestamp: int, ssrc: int, payload: bytes,
             marker: bool = False, payload_type: int = PCMU) -> bytes:
    """A plain RTP packet without CSRCs, extension or padding: the phones' send path."""
    return HEADER.pack(0x80, (0x80 if marker else 0) | payload_type, sequence & 0xFFFF,
                       timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF) + payload


# ---- G.711 mu-law ---------------------------------------------------------------------------

_BIAS = 0x84
_CLIP = 32635


def ulaw_encode(sample: int) -> int:
    """One 16-bit linear sample to its mu-law byte (G.711, with the usual 0x84 bias)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, _CLIP) + _BIAS
    exponent = max((magnitude >> 7).bit_length() - 1, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _ulaw_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return -magnitude if byte & 0x80 else magnitude


ULAW_TO_LINEAR: tuple[int, ...] = tuple(_ulaw_decode(b) for b in range(256))


def ulaw_decode(byte: int) -> int:
    """One mu-law byte to its 16-bit linear sample."""
    return ULAW_TO_LINEAR[byte & 0xFF]


def encode_samples(samples: list[int] | tuple[int, ...]) -> bytes:
    return bytes(ulaw_encode(s) for s in samples)


def decode_samples(data: bytes) -> list[int]:
    table = ULAW_TO_LINEAR
    return [table[b] for b in data]


# ---- the test signal ------------------------------------------------------------------------

SIGNAL_SAMPLES: tuple[int, ...] = tuple(
    round(TONE_AMPLITUDE * math.sin(2 * math.pi * TONE_HZ * n / SAMPLE_RATE))
    for n in range(FRAME_SAMPLES))
SIGNAL_FRAME = encode_samples(SIGNAL_SAMPLES)  # 160 bytes, the same in every packet
# mu-law keeps a sample within 1/16 of its segment: at this amplitude, within about 3%
SIGNAL_TOLERANCE = TONE_AMPLITUDE // 16


def signal_matches(payload: bytes) -> bool:
    """Does this payload decode to the 1 kHz test tone (whatever encoder made it)?"""
    if payload == SIGNAL_FRAME:
        return True  # the phones' own encoding: no need to decode
    if len(payload) != FRAME_SAMPLES:
        return False
    table = ULAW_TO_LINEAR
    return all(abs(table[b] - s) <= SIGNAL_TOLERANCE for b, s in zip(payload, SIGNAL_SAMPLES,
                                                                      strict=True))


# ---- music on hold ----------------------------------------------------------------------------

# The router's music on hold is a known pattern too, unlike the phones' signal so a phone can
# tell which it hears: a 400 Hz tone at half the signal's level (160 samples are 8 periods, so
# every frame is the same 160 bytes). It is always plain RTP (NSA guide 2: "music on hold is
# not secure").
MOH_HZ = 400
MOH_AMPLITUDE = TONE_AMPLITUDE // 2
MOH_SAMPLES: tuple[int, ...] = tuple(
    round(MOH_AMPLITUDE * math.sin(2 * math.pi * MOH_HZ * n / SAMPLE_RATE))
    for n in range(FRAME_SAMPLES))
MOH_FRAME = encode_samples(MOH_SAMPLES)
SILENCE_FRAME = bytes([ulaw_encode(0)]) * FRAME_SAMPLES


def moh_matches(payload: bytes) -> bool:
    """Does this payload decode to the router's music-on-hold pattern?"""
    if payload == MOH_FRAME:
        return True
    if len(payload) != FRAME_SAMPLES:
        return False
    table = ULAW_TO_LINEAR
    return all(abs(table[b] - s) <= SIGNAL_TOLERANCE for b, s in zip(payload, MOH_SAMPLES,
                                                                      strict=True))
