"""The phones' media clock: every stream of a process is sent and received by one timer task.

Streams on real UDP sockets on loopback, in pairs, with SRTP keys as the router would give them:
one clock serves them all, each stream gets its 50 packets a second of the test signal, the
clock's task exists only while streams do, and a closed stream's socket is closed at once.
"""

from __future__ import annotations

import os

import trio

from cucme_lab.phones import media
from cucme_lab.wire import sccp

PAIRS = 20


def key() -> sccp.MediaEncryptionKeyInfo:
    return sccp.MediaEncryptionKeyInfo(sccp.EncryptionAlgorithm.AES_CM_128_HMAC_SHA1_32,
                                       os.urandom(16), os.urandom(14))


async def test_one_clock_sends_and_receives_every_stream():
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            pairs = []
            for _ in range(PAIRS):
                a, b = media.MediaStream("127.0.0.1"), media.MediaStream("127.0.0.1")
                a_to_b, b_to_a = key(), key()
                await a.open(nursery, b_to_a)
                await b.open(nursery, a_to_b)
                a.start("127.0.0.1", b.port, a_to_b)
                b.start("127.0.0.1", a.port, b_to_a)
                pairs.append((a, b))
            clock = media._CLOCK.get()
            assert clock is not None and len(clock.streams) == 2 * PAIRS
            streams = [s for pair in pairs for s in pair]
            ticks, sent = clock.ticks, {id(s): s.counters.sent for s in streams}
            while not all(s.counters.sent >= 40 and s.counters.received >= 40 for s in streams):
                await trio.sleep(0.05)
            # one wake-up sends a packet of every stream: the clock woke no more often than
            # each stream sent (a wake-up per stream would be 2 * PAIRS times as many)
            assert clock.ticks - ticks <= min(s.counters.sent - sent[id(s)] for s in streams) + 2
            for stream in streams:
                c = stream.counters
                assert c.srtp and c.signal_ok and c.auth_failures == 0 and c.lost <= 1
            a, b = pairs[0]
            a.close()
            assert a._sock is None and a not in clock.streams
            before = b.counters.received
            await trio.sleep(0.2)
            assert b.counters.received <= before + 1  # a's sender went with it
            nursery.cancel_scope.cancel()  # the phone powers off: every stream ends
        for stream in (s for pair in pairs for s in pair):
            assert stream.closed and stream._sock is None
        await trio.sleep(0.1)
        assert media._CLOCK.get() is None  # no stream, no clock task


async def test_a_stream_only_receiving_is_drained_by_the_clock():
    """Music on hold: the phone receives and does not send."""
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            listener, talker = media.MediaStream("127.0.0.1"), media.MediaStream("127.0.0.1")
            plain = sccp.MediaEncryptionKeyInfo()
            await listener.open(nursery, plain)
            await talker.open(nursery, plain)
            talker.start("127.0.0.1", listener.port, plain)
            await trio.sleep(0.5)
            assert listener.counters.received >= 15 and listener.counters.sent == 0
            assert listener.counters.signal_ok and not listener.counters.srtp
            nursery.cancel_scope.cancel()
