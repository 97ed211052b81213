"""Hold with music on hold, transfer and the three-way conference, end to end on real
sockets, driven by the lab controls (`:hold`, `:resume`, `:transfer`, `:conference`)."""

from __future__ import annotations

import json

from phone_steps import all_registered, connect, control, streams, until
from procedures import appendix_b
from test_secure_calls import secure_lab


def moh_heard(count: int):
    def check(p) -> bool:
        calls = p.calls
        return bool(calls) and calls[0].media is not None and \
            calls[0].media.counters.moh >= count
    return check


def received_since(start: int, count: int):
    def check(p) -> bool:
        calls = p.calls
        return bool(calls) and calls[0].media is not None and \
            calls[0].media.counters.received >= start + count
    return check


def fresh_media(count: int):
    """The call's current stream (a new one after a change) received `count` packets."""
    def check(p) -> bool:
        calls = p.calls
        return bool(calls) and calls[0].media is not None and \
            calls[0].media.counters.received >= count and calls[0].state == "connected"
    return check


def router_sockets(runtime) -> int:
    media = runtime.router.phones.calls.media
    return len(media.ports) if media is not None else 0


async def test_hold_plays_plain_moh_and_a_conference_is_non_secure_until_a_party_leaves(
        runtime):
    await secure_lab(runtime, appendix_b, ["encrypted"] * 4)
    p1, p2, p3, _ = runtime.phones
    await connect(runtime, 1, 2, "7002")
    for phone in (p1, p2):
        await until(phone, fresh_media(10), timeout=10)
        assert phone.calls[0].icon == "lock"
    # hold: phone 2 hears the router's music on hold, plain RTP, and shows non-secure
    await control(runtime, "hold 1")
    await control(runtime, "wait 1 hold 5")
    await until(p2, moh_heard(10), timeout=10)
    held = p2.calls[0]
    assert (held.state, held.security, held.icon) == ("connected", "non-secure", "")
    assert not held.media.counters.srtp and held.media.counters.auth_failures == 0
    assert held.rx_key.algorithm_id == 0
    assert p1.calls[0].state == "hold" and p1.calls[0].media is None
    runtime.lab.write_manifest()
    listed = json.loads((runtime.lab.lab_dir / "lab.json").read_text())["phones"]
    assert listed[0]["calls"][0]["state"] == "hold"
    assert listed[1]["calls"][0]["security"] == "non-secure"
    assert router_sockets(runtime) == 1
    # resume: direct SRTP again with fresh keys, the lock on both
    old_key = held.rx_key.key
    await control(runtime, "resume 1")
    await control(runtime, "wait 1 connected 5")
    for phone in (p1, p2):
        await until(phone, fresh_media(10), timeout=10)
        call = phone.calls[0]
        assert call.icon == "lock" and call.media.counters.srtp
        assert call.media.counters.moh == 0 and call.media.counters.signal_ok
    assert p2.calls[0].rx_key.key != old_key and router_sockets(runtime) == 0
    # conference: 1 adds 3; all three hear the router's mix, non-secure
    await control(runtime, "conference 1 7003")
    await control(runtime, "wait 3 ringin 5")
    await control(runtime, "answer 3")
    await until(p1, lambda p: bool(p.calls) and p.calls[0].state == "connected"
                and p.calls[0].other_number == "7003", timeout=5)
    await control(runtime, "conference 1")
    for phone in (p1, p2, p3):
        await until(phone, lambda p: bool(p.calls) and p.calls[0].other_number == "Conference"
                    and p.calls[0].media is not None
                    and p.calls[0].media.counters.received >= 15, timeout=10)
        call = phone.calls[0]
        assert (call.security, call.icon) == ("non-secure", "")
        m = call.media.counters
        assert not m.srtp and m.signal_errors == 0 and m.auth_failures == 0
    assert router_sockets(runtime) == 3
    # 3 leaves: 1 and 2 return to a direct call, encrypted again
    await control(runtime, "hangup 3")
    for phone in (p1, p2):
        await until(phone, lambda p: bool(p.calls) and p.calls[0].icon == "lock"
                    and p.calls[0].media is not None
                    and p.calls[0].media.counters.received >= 10, timeout=10)
        assert phone.calls[0].media.counters.srtp
    assert router_sockets(runtime) == 0 and not runtime.router.phones.calls.conferences
    await control(runtime, "hangup 1")
    await control(runtime, "wait all idle 5")
    for phone in (p1, p2, p3):
        assert all(s.closed and s._sock is None for s in streams(phone))


async def test_blind_and_consultative_transfer(runtime):
    await all_registered(runtime)
    p1, p2, p3, p4 = runtime.phones
    await connect(runtime, 1, 2, "7002")
    await control(runtime, "transfer 1 7003")  # blind: 2 now rings out to 3
    await control(runtime, "wait 3 ringin 5")
    await control(runtime, "wait 1 idle 5")
    await control(runtime, "wait 2 ringout 5")
    await until(p3, lambda p: bool(p.calls) and p.calls[0].other_number == "7002", timeout=5)
    await control(runtime, "answer 3")
    await control(runtime, "wait 2 connected 5")
    for phone in (p2, p3):
        await until(phone, fresh_media(10), timeout=10)
        assert phone.calls[0].media.counters.signal_ok
    # consultative: 2 consults 4, talks, then transfers 3 to 4
    await p2.transfer("7004", blind=False)
    await control(runtime, "wait 4 ringin 5")
    await control(runtime, "answer 4")
    await until(p2, lambda p: bool(p.calls) and p.calls[0].state == "connected"
                and p.calls[0].other_number == "7004", timeout=5)
    await control(runtime, "transfer 2")
    await control(runtime, "wait 2 idle 5")
    for phone in (p3, p4):
        await until(phone, fresh_media(10), timeout=10)
    assert p3.calls[0].other_number == "7004"
    assert p3.calls[0].media.counters.signal_ok
    await control(runtime, "hangup 4")
    await control(runtime, "wait all idle 5")
    assert not runtime.router.phones.calls.calls and router_sockets(runtime) == 0
