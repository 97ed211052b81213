"""The router's media as a party, sans I/O: music-on-hold frames and the three-way software
conference's G.711 mixer.

The router is a media party only for music on hold and for a software conference (NSA guide
2: both are non-secure, so nothing here has keys). The conference mixes in the linear domain
through precomputed tables: mu-law to linear (`wire.rtp.ULAW_TO_LINEAR`) and linear to mu-law
by 14-bit index (16,384 entries, built once on first use). Each party hears the *average* of
the others' latest frames, not their sum: the phones all send the same test signal, and an
average keeps it recognisable where a sum would double it (the lab's choice [U]; a real DSP
conference sums with gain control). A party that sent nothing since the last mix counts as
absent, and with nobody else speaking a party hears silence.
"""

from __future__ import annotations

import functools

from cucme_lab.wire import rtp


@functools.cache
def _to_ulaw() -> bytes:
    """mu-law byte for each 14-bit linear value (index = (sample >> 2) + 8192)."""
    return bytes(rtp.ulaw_encode(max(-32768, min(32767, (i - 8192) << 2)))
                 for i in range(16384))


def mix(frames: list[bytes]) -> bytes:
    """The average of these G.711 mu-law frames (equal lengths), as one frame."""
    if not frames:
        return rtp.SILENCE_FRAME
    if len(frames) == 1:
        return frames[0]
    dec, enc, n = rtp.ULAW_TO_LINEAR, _to_ulaw(), len(frames)
    if n == 2:
        a, b = frames
        return bytes(enc[(((dec[x] + dec[y]) // 2) >> 2) + 8192] for x, y in zip(a, b, strict=True))
    return bytes(enc[((sum(dec[s] for s in col) // n) >> 2) + 8192]
                 for col in zip(*frames, strict=True))


class MixSource:
    """What one conference party hears: built from the others' latest frames each tick."""

    __slots__ = ("latest",)

    def __init__(self) -> None:
        self.latest: bytes | None = None  # this party's last frame, taken at the next mix


def mix_for_all(parties: dict[object, MixSource]) -> dict[object, bytes]:
    """One 20 ms tick: each party's mix of the others, consuming what they sent."""
    frames = {k: p.latest for k, p in parties.items() if p.latest is not None}
    for p in parties.values():
        p.latest = None
    return {k: mix([f for j, f in frames.items() if j != k]) for k in parties}


def payload_of(packet: bytes) -> bytes | None:
    """The payload of a plain RTP packet (no CSRC, extension, padding); None if not one."""
    if len(packet) < rtp.HEADER_SIZE or packet[0] >> 6 != rtp.RTP_VERSION:
        return None
    if packet[0] & 0x3F:
        try:
            return rtp.RtpPacket.decode(packet).payload
        except rtp.RtpFormatError:
            return None
    return packet[rtp.HEADER_SIZE:]


class RtpSender:
    """Sequence, timestamp and SSRC of one router stream; `packet` makes its next packet."""

    __slots__ = ("seq", "stamp", "ssrc", "marker")

    def __init__(self, ssrc: int, seq: int = 0, stamp: int = 0) -> None:
        self.ssrc, self.seq, self.stamp, self.marker = ssrc, seq, stamp, True

    def packet(self, payload: bytes) -> bytes:
        data = rtp.pack_rtp(self.seq, self.stamp, self.ssrc, payload, self.marker)
        self.marker = False
        self.seq = (self.seq + 1) & 0xFFFF
        self.stamp = (self.stamp + rtp.FRAME_SAMPLES) & 0xFFFFFFFF
        return data
