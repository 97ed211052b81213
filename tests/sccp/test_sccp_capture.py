"""A registration captured on loopback with dumpcap, decoded by tests/tools/validate_sccp_pcap.py.

Plain SCCP on 2000, and SCCP over TLS on 2443 decrypted with the phone's key log: every
message must decode with zero malformed packets or expert errors.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from sccp_support import MAC1, MAC2, Pki, configure, phone, start_phone

VALIDATOR = Path(__file__).resolve().parents[1] / "tools" / "validate_sccp_pcap.py"

pytestmark = pytest.mark.skipif(shutil.which("dumpcap") is None or shutil.which("tshark") is None,
                                reason="dumpcap/tshark not installed (.ci/run installs tshark)")


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


async def _capture_start(path, host: str, ports: list[int]):
    flt = f"host {host} and (" + " or ".join(f"tcp port {p}" for p in ports) + ")"
    proc = await trio.lowlevel.open_process(
        ["dumpcap", "-q", "-i", "lo", "-f", flt, "-w", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    with trio.fail_after(10):
        while b"Capturing on" not in seen:
            chunk = await proc.stderr.receive_some(1024)
            if not chunk:
                raise AssertionError(f"dumpcap did not start: {seen!r}")
            seen += chunk
    await trio.sleep(0.5)  # "Capturing on" comes a moment before packets are really taken
    return proc


async def _capture_stop(proc) -> None:
    await trio.sleep(0.3)  # let the last segments reach the capture
    proc.terminate()
    with trio.fail_after(10):
        await proc.wait()
    await proc.stderr.aclose()


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
    proc = await _capture_start(pcap, plain.bound_address, [2000, 2443])
    try:
        await _register_and_leave(lab, phone(lab, pki, MAC1), plain)
        await _register_and_leave(lab, phone(lab, pki, MAC2, ip="10.1.1.22", mode="encrypted",
                                             keylog=str(keylog)), tls)
    finally:
        with trio.CancelScope(shield=True):
            await _capture_stop(proc)
    decoded = await trio.to_thread.run_sync(_validate, pcap, keylog)
    for name in ("RegisterReq", "RegisterAck", "CapabilitiesReq", "CapabilitiesRes",
                 "ButtonTemplateRes", "LineStatRes", "TimeDateRes", "KeepAliveAck",
                 "UnregisterReq", "UnregisterAck"):
        assert decoded.count(name) >= 2, (name, decoded)  # once plain, once inside TLS
    assert "name=SEP0011223344AA" in decoded  # decrypted from the TLS session
    assert "->2443" in decoded
