"""Packet captures on the loopback interface with dumpcap, and the UDP datagrams inside them.

The capture is taken by Wireshark's own dumpcap as classic libpcap (`-P`), and read back
here with the standard library: Ethernet (Linux's `lo` is link type 1), IPv4, UDP. What a test
checks is then what really crossed the interface, not what a phone says it sent.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import trio

needs_dumpcap = pytest.mark.skipif(
    shutil.which("dumpcap") is None or shutil.which("tshark") is None,
    reason="dumpcap/tshark not installed (.ci/run installs tshark)")


@dataclass(frozen=True)
class Datagram:
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes


@asynccontextmanager
async def capturing(path: Path, bpf: str, *, interface: str = "lo",
                    prefix: Sequence[str] = (), snaplen: int | None = None):
    """dumpcap on `interface` (`lo`) with the capture filter `bpf`, writing `path`, for the
    block's length; `prefix` runs it elsewhere (`ip netns exec NS`), `snaplen` cuts frames."""
    cut = ["-s", str(snaplen)] if snaplen else []
    proc = await trio.lowlevel.open_process(
        [*prefix, "dumpcap", "-q", "-i", interface, "-P", *cut, "-f", bpf, "-w", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seen = b""
        with trio.fail_after(10):
            while b"Capturing on" not in seen:
                chunk = await proc.stderr.receive_some(1024)
                if not chunk:
                    raise AssertionError(f"dumpcap did not start: {seen!r}")
                seen += chunk
        await trio.sleep(0.5)  # "Capturing on" comes a moment before packets are taken
        yield path
    finally:
        with trio.CancelScope(shield=True):
            await trio.sleep(0.3)  # let the last packets reach the capture
            proc.terminate()
            with trio.fail_after(20):
                await proc.wait()
            await proc.stderr.aclose()


def udp_datagrams(path: Path) -> list[Datagram]:
    """Every IPv4/UDP datagram in a classic little- or big-endian libpcap file of Ethernet."""
    data = path.read_bytes()
    magic = data[:4]
    endian = "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        raise ValueError(f"not a classic pcap file: {magic!r}")
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        raise ValueError("not an Ethernet capture")
    out, at = [], 24
    while at + 16 <= len(data):
        captured = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + captured]
        at += 16 + captured
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue  # not IPv4/UDP
        ihl = (frame[14] & 0x0F) * 4
        udp = frame[14 + ihl:]
        sport, dport, length = struct.unpack("!HHH", udp[:6])
        src, dst = str(IPv4Address(frame[26:30])), str(IPv4Address(frame[30:34]))
        out.append(Datagram((src, sport), (dst, dport), udp[8:length]))
    return out
