"""NTP packets (RFC 5905 / RFC 1305), sans I/O: the 48-byte header and its MD5 MAC.

IOS's `ntp authentication-key N md5 KEY` is NTP's symmetric-key MAC: the packet is followed by
the key id (4 bytes) and MD5(key || packet) (16 bytes). `encode` and `decode` work on bytes
alone; `decode` raises `NtpError` on anything that is not an NTP packet of version 1 to 4.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
HEADER = struct.Struct("!BBbbII4sQQQQ")
MAC_LENGTH = 20  # key id + MD5 digest
MODE_CLIENT, MODE_SERVER = 3, 4
LEAP_UNSYNCHRONIZED = 3


class NtpError(ValueError):
    """Bytes that are not an NTP packet."""


def to_ntp(unix: float) -> int:
    """A 64-bit NTP timestamp (era 0) for a Unix time."""
    seconds = unix + NTP_EPOCH_OFFSET
    whole = int(seconds)
    return ((whole & 0xFFFFFFFF) << 32) | int((seconds - whole) * (1 << 32))


def from_ntp(stamp: int) -> float:
    """The Unix time of a 64-bit NTP timestamp (era 0, 1900 to 2036)."""
    return (stamp >> 32) - NTP_EPOCH_OFFSET + (stamp & 0xFFFFFFFF) / (1 << 32)


def short_seconds(value: int) -> float:
    """NTP's 32-bit short format (root delay, root dispersion) in seconds."""
    return value / 65536


@dataclass(frozen=True)
class NtpPacket:
    leap: int = 0
    version: int = 4
    mode: int = MODE_CLIENT
    stratum: int = 0
    poll: int = 6
    precision: int = -20
    root_delay: int = 0
    root_dispersion: int = 0
    reference_id: bytes = b"\0\0\0\0"
    reference: int = 0
    origin: int = 0
    receive: int = 0
    transmit: int = 0
    key_id: int | None = None  # set when a MAC followed the header
    digest: bytes = b""

    def header(self) -> bytes:
        return HEADER.pack((self.leap << 6) | (self.version << 3) | self.mode, self.stratum,
                           self.poll, self.precision, self.root_delay, self.root_dispersion,
                           self.reference_id, self.reference, self.origin, self.receive,
                           self.transmit)

    @property
    def reference_text(self) -> str:
        """The reference id as IOS shows it: an address above stratum 1, `.GPS.` at 1."""
        if self.stratum <= 1:
            text = self.reference_id.rstrip(b"\0").decode("ascii", "replace")
            return f".{text}."
        return ".".join(str(b) for b in self.reference_id)


def mac(key: bytes, header: bytes) -> bytes:
    return hashlib.md5(key + header).digest()  # noqa: S324 (NTP's MAC is MD5 by definition)


def encode(packet: NtpPacket, key: tuple[int, bytes] | None = None) -> bytes:
    """The packet's bytes, with the MAC of `key` (id, secret) after it when given."""
    header = packet.header()
    if key is None:
        return header
    key_id, secret = key
    return header + struct.pack("!I", key_id) + mac(secret, header)


def decode(data: bytes) -> NtpPacket:
    """An NTP packet from a datagram: a header, optionally a MAC (key id + MD5)."""
    if len(data) < HEADER.size:
        raise NtpError(f"{len(data)} bytes: shorter than an NTP header")
    trailer = data[HEADER.size:]
    if len(trailer) not in (0, 4, MAC_LENGTH):  # 4: a crypto-NAK (key id 0 alone)
        raise NtpError(f"{len(trailer)} bytes after the header: not a MAC")
    (flags, stratum, poll, precision, delay, dispersion, ref_id, reference, origin, receive,
     transmit) = HEADER.unpack_from(data)
    version = (flags >> 3) & 7
    if not 1 <= version <= 4:
        raise NtpError(f"version {version}")
    key_id, digest = None, b""
    if len(trailer) >= 4:
        key_id = struct.unpack_from("!I", trailer)[0]
        digest = trailer[4:]
    return NtpPacket(flags >> 6, version, flags & 7, stratum, poll, precision, delay,
                     dispersion, ref_id, reference, origin, receive, transmit, key_id, digest)


def verify(data: bytes, packet: NtpPacket, keys: dict[int, bytes]) -> bool:
    """Does the packet carry a valid MAC by one of `keys`?"""
    if packet.key_id is None or len(packet.digest) != 16:
        return False
    secret = keys.get(packet.key_id)
    if secret is None:
        return False
    return hmac.compare_digest(mac(secret, data[:HEADER.size]), packet.digest)
