"""Calls between the default lab's phones, end to end on real sockets, driven by the lab
controls a trainee types (`:dial`, `:answer`, `:hangup`, `:wait`, `:calls`)."""

from __future__ import annotations

import json

import trio
from phone_steps import all_registered, connect, control, media_flowing, streams, type_lines, until

from cucme_lab.lab.controls import run_control
from cucme_lab.wire import sccp


async def test_a_non_secure_call_carries_the_signal_both_ways_and_ends_for_both(runtime):
    await all_registered(runtime)
    p1, p2 = runtime.phones[:2]
    await control(runtime, "dial 1 7002")
    await control(runtime, "wait 2 ringin 5")
    ringing = p2.calls[0]
    assert (ringing.other_number, ringing.ringing, ringing.prompt) == ("7001", True,
                                                                        "From 7001")
    assert p1.calls[0].state == "ringout" and p1.calls[0].tone == sccp.Tone.ALERTING
    await control(runtime, "answer 2")
    await control(runtime, "wait 1 connected 5")
    for phone in (p1, p2):
        await until(phone, media_flowing(25), timeout=10)
    for phone, other in ((p1, "7002"), (p2, "7001")):
        call = phone.calls[0]
        m = call.media.counters
        assert (call.other_number, call.security, call.icon) == (other, "non-secure", "")
        assert m.sent >= 25 and m.signal_ok and not m.srtp and m.auth_failures == 0
        assert m.lost <= 1  # loopback: nothing should go missing
        # the phone's own UDP socket, on its own loopback address
        assert call.media._sock.getsockname()[0] == phone.network.local_address
        assert call.rx_key == call.tx_key == sccp.MediaEncryptionKeyInfo()
    # the console and lab.json show the call
    table = await control(runtime, "calls")
    assert "connected" in table and "signal ok" in table
    assert "Calls:" in await control(runtime, "phone 1")
    runtime.lab.write_manifest()
    manifest = json.loads((runtime.lab.lab_dir / "lab.json").read_text())
    listed = manifest["phones"][0]["calls"]
    assert [(c["line"], c["state"], c["other"], c["security"]) for c in listed] == \
        [(1, "connected", "7002", "non-secure")]
    assert listed[0]["media"]["received"] > 0 and listed[0]["media"]["srtp"] is False
    assert set(listed[0]["media"]) >= {"sent", "received", "lost", "auth_failures", "srtp"}
    out = await type_lines(runtime.router, ["enable", "show ephone 1", "show ephone-dn"])
    assert "CONNECTED" in out and "7002" in out
    assert "Active Call on DN 1 chan 1 :7001 " in out and "SRTP" not in out
    assert "G711Ulaw64k 160 bytes no vad\nTx Pkts 0 bytes 0 Rx Pkts 0 bytes 0 Lost 0\n" in out
    assert "50/0/1 CH1 CONNECTED " in out and "50/0/3 CH1 IDLE " in out
    assert " Station name None, Station number 7001\n" in out
    assert "called 7002, calling 7001" in out and " Call security: non-secure\n" in out
    # one hangs up: both phones are idle, every media socket is closed
    await control(runtime, "hangup 1")
    await control(runtime, "wait all idle 5")
    for phone in (p1, p2):
        assert streams(phone) and all(s.closed and s._sock is None for s in streams(phone))
    assert not runtime.router.phones.calls.calls
    assert (await control(runtime, "calls")) == "No calls\n"


async def test_busy_line_and_unknown_number(runtime):
    await all_registered(runtime)
    p3, p4 = runtime.phones[2:]
    await connect(runtime, 1, 2, "7002")
    await control(runtime, "dial 3 7001")
    await control(runtime, "wait 3 busy 5")
    assert p3.calls[0].prompt == "Busy" and p3.calls[0].tone == sccp.Tone.LINE_BUSY
    await control(runtime, "dial 4 7999")
    await control(runtime, "wait 4 reorder 5")
    assert p4.calls[0].prompt == "Unknown Number" and p4.calls[0].tone == sccp.Tone.REORDER
    await control(runtime, "hangup 3")
    await control(runtime, "hangup 4")
    await control(runtime, "wait 3 idle 5")
    await control(runtime, "wait 4 idle 5")
    assert [c.state for p in runtime.phones[:2] for c in p.calls] == ["connected"] * 2
    # nothing to answer or hang up is said so, not a crash
    assert (await run_control(runtime, "answer 3")).startswith("% no call is ringing")
    assert (await run_control(runtime, "hangup 3")).startswith("% no call to end")


async def test_a_phone_vanishing_mid_call_puts_the_other_on_hook(runtime):
    await all_registered(runtime)
    p1, p2 = runtime.phones[:2]
    await connect(runtime, 1, 2, "7002")
    await until(p1, media_flowing(5), timeout=10)
    runtime.fleet.power_off(p2)  # the phone goes away: its TCP connection closes
    await control(runtime, "wait 1 idle 5")
    with trio.fail_after(5):
        while p2.state != "off":
            await trio.sleep(0.01)
    for phone in (p1, p2):
        assert all(s.closed and s._sock is None for s in streams(phone))
    assert not runtime.router.phones.calls.calls


async def test_the_interdigit_timeout_runs_in_the_transport(runtime):
    """`700` could still become 7001..7004: the router's timer for that connection runs out
    (10 s, a tenth of it here) and the phone gets reorder; the connection lives on."""
    await all_registered(runtime)
    runtime.router.phones.time_scale = 0.1  # the router's timers as fast as the phones'
    p1 = runtime.phones[0]
    started = trio.current_time()
    await control(runtime, "dial 1 700")
    await control(runtime, "wait 1 reorder 5")
    assert trio.current_time() - started >= 10 * 0.1 * 0.9
    await control(runtime, "hangup 1")
    await control(runtime, "wait 1 idle 5")
    await connect(runtime, 1, 2, "7002")  # and calls go on as before
    assert p1.registration.registered
