"""A registration captured on loopback with dumpcap, decoded by tests/tools/validate_sccp_pcap.py.

Plain SCCP on 2000, and SCCP over TLS on 2443 decrypted with the phone's key log: every
message must decode with zero malformed packets or expert errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import trio
from capture import capturing, needs_dumpcap
from sccp_support import MAC1, MAC2, Pki, configure, phone, start_phone

VALIDATOR = Path(__file__).resolve().parents[1] / "tools" / "validate_sccp_pcap.py"

pytestmark = needs_dumpcap


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


async def _register_and_leave(lab, ph, entry) -> None:
    async with trio.open_nursery() as n:
        assert await start_phone(n, ph, entry)
        await ph.wait_for(lambda p: p.keepalives_acked >= 1)
        await ph.unregister()


def _validate(pcap, keylog=None) -> str:
    args = [sys.executable, str(VALIDATOR), str(pcap)] + ([str(keylog)] if keylog else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: no malformed packets or expert errors" in result.stderr
    return result.stdout


async def test_capture_plain_and_tls_registration(lab, shell, pki, tmp_path):
    plain, tls = await configure(lab, shell, pki, "ephone 2\n device-security-mode encrypted\n")
    assert plain.bound_port == 2000 and tls.bound_port == 2443  # the ports tshark knows
    pcap = tmp_path / "sccp.pcapng"
    keylog = tmp_path / "keys.log"
    bpf = f"host {plain.bound_address} and (tcp port 2000 or tcp port 2443)"
    async with capturing(pcap, bpf):
        await _register_and_leave(lab, phone(lab, pki, MAC1), plain)
        await _register_and_leave(lab, phone(lab, pki, MAC2, ip="10.1.1.22", mode="encrypted",
                                             keylog=str(keylog)), tls)
    decoded = await trio.to_thread.run_sync(_validate, pcap, keylog)
    for name in ("RegisterReq", "RegisterAck", "CapabilitiesReq", "CapabilitiesRes",
                 "ButtonTemplateRes", "LineStatRes", "TimeDateRes", "KeepAliveAck",
                 "UnregisterReq", "UnregisterAck"):
        assert decoded.count(name) >= 2, (name, decoded)  # once plain, once inside TLS
    assert "name=SEP0011223344AA" in decoded  # decrypted from the TLS session
    assert "->2443" in decoded
