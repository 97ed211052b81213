"""Write a classic libpcap file holding one TCP conversation, for checking encoders with tshark.

Stdlib only. The capture has Ethernet/IPv4/TCP headers around the given payloads, a
three-way handshake first and a FIN exchange last, consistent sequence and acknowledgement
numbers, and real IPv4/TCP checksums, so Wireshark's TCP analysis has nothing to flag and
any complaint it makes is about the payload.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
MSS = 1460  # payloads longer than this are split into several segments

SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass
class _Endpoint:
    ip: IPv4Address
    port: int
    mac: bytes
    seq: int


@dataclass
class TcpCapture:
    """Builds the packets of one TCP connection from client to server."""

    client: tuple[str, int] = ("127.0.0.2", 49152)
    server: tuple[str, int] = ("127.0.0.1", 2000)
    start_time: float = 1_700_000_000.0
    step: float = 0.001
    packets: list[tuple[float, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._c = _Endpoint(
            IPv4Address(self.client[0]), self.client[1], b"\x02" + bytes(4) + b"\x02", 1000
        )
        self._s = _Endpoint(
            IPv4Address(self.server[0]), self.server[1], b"\x02" + bytes(4) + b"\x01", 5000
        )
        self._time = self.start_time
        self._ip_id = 1

    def handshake(self) -> None:
        c, s = self._c, self._s
        self._emit(c, s, SYN, b"", ack=0)
        c.seq += 1
        self._emit(s, c, SYN | ACK, b"", ack=c.seq)
        s.seq += 1
        self._emit(c, s, ACK, b"", ack=s.seq)

    def data(self, from_client: bool, payload: bytes) -> None:
        """Send ``payload`` in one segment (or several if it exceeds the MSS)."""
        src, dst = (self._c, self._s) if from_client else (self._s, self._c)
        for start in range(0, len(payload), MSS):
            chunk = payload[start : start + MSS]
            self._emit(src, dst, PSH | ACK, chunk, ack=dst.seq)
            src.seq += len(chunk)

    def close(self) -> None:
        c, s = self._c, self._s
        self._emit(c, s, FIN | ACK, b"", ack=s.seq)
        c.seq += 1
        self._emit(s, c, FIN | ACK, b"", ack=c.seq)
        s.seq += 1
        self._emit(c, s, ACK, b"", ack=s.seq)

    def _emit(self, src: _Endpoint, dst: _Endpoint, flags: int, payload: bytes, ack: int) -> None:
        tcp = struct.pack(
            "!HHIIBBHHH", src.port, dst.port, src.seq, ack, 5 << 4, flags, 65535, 0, 0
        )
        pseudo = src.ip.packed + dst.ip.packed + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp + payload)) + tcp[18:]
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, total, self._ip_id, 0x4000, 64, 6, 0,
            src.ip.packed, dst.ip.packed,
        )  # fmt: skip
        ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
        self._ip_id += 1
        frame = dst.mac + src.mac + struct.pack("!H", 0x0800) + ip + tcp + payload
        self.packets.append((self._time, frame))
        self._time += self.step

    def write(self, path: Path | str) -> None:
        """Write the packets so far as a classic (microsecond) libpcap file."""
        out = bytearray(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        for stamp, frame in self.packets:
            sec = int(stamp)
            usec = round((stamp - sec) * 1_000_000)
            out += struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
        Path(path).write_bytes(bytes(out))


def write_pcap(
    path: Path | str,
    segments: Iterable[tuple[bool, bytes]],
    *,
    client: tuple[str, int] = ("127.0.0.2", 49152),
    server: tuple[str, int] = ("127.0.0.1", 2000),
) -> None:
    """Write one TCP conversation; each ``(from_client, payload)`` becomes one segment."""
    capture = TcpCapture(client=client, server=server)
    capture.handshake()
    for from_client, payload in segments:
        capture.data(from_client, payload)
    capture.close()
    capture.write(path)
