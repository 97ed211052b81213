"""A call between two non-secure phones, captured on loopback and decoded by Wireshark's tshark.

The default lab's phones register in the clear on 2000. The capture holds both phones'
signalling and the call's RTP: tests/tools/validate_sccp_pcap.py decodes every SCCP message
(the call messages included) with no malformed frame or expert error anywhere in the capture,
and tshark decodes the call's UDP as RTP, G.711 mu-law, with no malformed frame either. (The
media channels the skinny dissector learns from OpenReceiveChannelAck and StartMediaTransmission
name the phones' configured addresses, which the lab maps onto loopback, so RTP is found by
tshark's RTP heuristic here.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import trio
from capture import capturing, needs_dumpcap
from phone_steps import all_registered, connect, control, media_flowing, until

VALIDATOR = Path(__file__).resolve().parents[1] / "tools" / "validate_sccp_pcap.py"
CALL_MESSAGES = {"OffHook", "KeypadButton", "CallState", "CallInfo", "StartTone", "StopTone",
                 "SetRinger", "SelectSoftKeys", "DisplayPromptStatus", "ActivateCallPlane",
                 "DialedNumber", "OpenReceiveChannel", "OpenReceiveChannelAck",
                 "StartMediaTransmission", "StopMediaTransmission", "CloseReceiveChannel",
                 "OnHook", "SoftKeyEvent"}


def validate(pcap: Path) -> str:
    result = subprocess.run([sys.executable, str(VALIDATOR), str(pcap)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: no malformed packets or expert errors" in result.stderr
    return result.stdout


def tshark_fields(pcap: Path, display_filter: str, *fields: str) -> list[list[str]]:
    """The fields of every frame matching the filter, RTP found by heuristic."""
    args = [f for name in fields for f in ("-e", name)]
    result = subprocess.run(["tshark", "-n", "-o", "rtp.heuristic_rtp:TRUE", "-r", str(pcap),
                             "-Y", display_filter, "-T", "fields", *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.split("\n")[:-1]]


@needs_dumpcap
async def test_a_non_secure_call_decodes_in_tshark_signalling_and_media(runtime, tmp_path):
    await all_registered(runtime)
    p1, p2 = runtime.phones[:2]
    flt = f"net 127.{runtime.lab.addresses.base}.0.0/16 and (udp or tcp port 2000)"
    async with capturing(tmp_path / "call.pcap", flt) as pcap:
        await connect(runtime, 1, 2, "7002")  # keyed digit by digit, answered
        for phone in (p1, p2):
            await until(phone, media_flowing(10), timeout=10)
        await control(runtime, "hold 1")  # phone 2 hears the router's music on hold
        await control(runtime, "wait 1 hold 5")
        await until(p2, lambda p: p.calls and p.calls[0].media is not None
                    and p.calls[0].media.counters.moh >= 5, timeout=10)
        await control(runtime, "resume 1")
        await control(runtime, "wait 1 connected 5")
        await control(runtime, "hangup 2")
        await control(runtime, "wait all idle 5")
    decoded = await trio.to_thread.run_sync(validate, pcap)
    names = {word for line in decoded.splitlines() for word in line.split()[2:4]}
    missing = {m for m in CALL_MESSAGES if not any(n.startswith(m) for n in names)}
    assert not missing, (missing, decoded)
    frames = await trio.to_thread.run_sync(tshark_fields, pcap, "rtp", "ip.src", "rtp.p_type")
    assert len(frames) >= 20
    router = runtime.lab.addresses.to_loopback("1.2.3.4")  # music on hold comes from it
    phones = {p.network.local_address for p in (p1, p2)}
    assert phones <= {src for src, _ in frames} <= phones | {router}
    assert {p_type for _, p_type in frames} == {"0"}  # PCMU
    bad = await trio.to_thread.run_sync(tshark_fields, pcap, "_ws.malformed || "
                                        "_ws.expert.severity == error", "frame.number")
    assert bad == []
