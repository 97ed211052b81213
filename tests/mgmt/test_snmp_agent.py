"""The agent with bytes alone: bad datagrams dropped and counted, bounded answers, v1 errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cucme_lab.router.snmp import agent
from cucme_lab.wire import snmp as wire

SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
MANAGER = "10.1.10.50"


async def configured(shell) -> None:
    await shell.paste_config("hostname CME\naccess-list 10 permit 10.1.10.0 0.0.0.255\n"
                             "snmp-server community cisco RO 10\n")


def ask(router, data: bytes, peer: str = MANAGER) -> bytes | None:
    return agent.handle(router, router.snmp, data, peer, "10.1.10.1")


async def test_bad_datagrams_are_dropped_and_counted(router, shell):
    await configured(shell)
    good = wire.encode_request(wire.V2C, b"cisco", "get", [SYS_NAME])
    v3 = good[:4] + b"\x03" + good[5:]  # the version field says 3 (SNMPv3)
    for datagram in (good[:-4], b"\x30\x82\xff\xff" + good, v3, b"\x00" * 2000, b"", good[:1]):
        assert ask(router, datagram) is None
    counters = router.snmp.counters
    assert counters.bad_version == 1
    assert counters.encoding_errors == 5
    assert counters.packets_in == 6 and counters.packets_out == 0
    _, status, _, varbinds = wire.decode_response(ask(router, good))
    assert status == 0 and varbinds == [(SYS_NAME, b"CME")]
    shown = agent.show_snmp(router, router.snmp)
    assert "7 SNMP packets input\n    1 Bad SNMP version errors\n" in shown
    assert "    5 Encoding errors\n" in shown


async def test_getbulk_of_ten_thousand_repetitions_is_bounded(router, shell):
    await configured(shell)
    request = wire.encode_request(wire.V2C, b"cisco", "getbulk", [(1, 3, 6, 1, 2, 1, 2, 2)],
                                  max_repetitions=10_000)
    answer = ask(router, request)
    assert answer is not None and len(answer) <= agent.MAX_RESPONSE_OCTETS
    _, status, _, varbinds = wire.decode_response(answer)
    assert status == 0 and 10 < len(varbinds) <= agent.MAX_VARBINDS


async def test_v1_missing_object_is_nosuchname_and_v2c_an_exception(router, shell):
    await configured(shell)
    missing = (1, 3, 6, 1, 2, 1, 1, 99, 0)
    _, status, index, _ = wire.decode_response(
        ask(router, wire.encode_request(wire.V1, b"cisco", "get", [SYS_NAME, missing])))
    assert (status, index) == (wire.NO_SUCH_NAME, 2)
    _, status, _, varbinds = wire.decode_response(
        ask(router, wire.encode_request(wire.V2C, b"cisco", "get", [missing])))
    assert status == 0 and varbinds == [(missing, wire.NO_SUCH_OBJECT)]
    _, _, _, varbinds = wire.decode_response(
        ask(router, wire.encode_request(wire.V2C, b"cisco", "getnext", [(2, 0)])))
    assert varbinds == [((2, 0), wire.END_OF_MIB_VIEW)]


async def test_no_community_no_agent(router, shell):
    assert ask(router, wire.encode_request(wire.V2C, b"public", "get", [SYS_NAME])) is None
    assert agent.show_snmp(router, router.snmp) == "%SNMP agent not enabled\n"


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.binary(max_size=300), cut=st.integers(0, 60))
def test_any_bytes_get_an_answer_or_a_drop_never_an_exception(router, noise, cut):
    router.config.snmp_communities.clear()
    from cucme_lab.router.config.snmp import SnmpCommunity

    router.config.snmp_communities["cisco"] = SnmpCommunity("cisco")
    good = wire.encode_request(wire.V2C, b"cisco", "getbulk", [SYS_NAME], max_repetitions=5)
    for datagram in (noise, good[:cut] + noise, good[:cut]):
        answer = ask(router, datagram)
        assert answer is None or len(answer) <= agent.MAX_RESPONSE_OCTETS


async def test_snmp_lines_render_and_no_removes_them(router, shell):
    out = await shell.paste_config("snmp-server community pub\nsnmp-server community rw1 RW 5\n"
                                   "snmp-server community pub view v1 RO 7\n"
                                   "snmp-server location Lab 1\nsnmp-server contact me\n"
                                   "snmp-server community x RX\n")
    assert "% Invalid input detected at '^' marker." in out
    running = router.running_config()
    assert ("snmp-server community pub view v1 RO 7\nsnmp-server community rw1 RW 5\n"
            "snmp-server location Lab 1\nsnmp-server contact me\n") in running
    await shell.paste_config("no snmp-server community pub\nno snmp-server location\n"
                             "no snmp-server contact\n")
    running = router.running_config()
    assert "snmp-server community pub" not in running and "snmp-server location" not in running
    assert "snmp-server contact" not in running and "snmp-server community rw1 RW 5" in running
