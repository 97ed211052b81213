"""Syslog: the datagram codec, the event log's routing by level, and a real collector
(Debian rsyslog, started by the test) receiving what `logging HOST` sends."""

from __future__ import annotations

import re
from ipaddress import IPv4Address

import pytest
import trio
from conftest import Shell

from cucme_lab.lab.outside_servers import rsyslog
from cucme_lab.lab.router_lab import open_lab
from cucme_lab.router.eventlog import OUTBOX_LIMIT, severity_of
from cucme_lab.wire import syslog as wire_syslog

COLLECTOR = "192.168.153.129"  # the chapter's syslog server
LAN = ("interface FastEthernet0/0\n ip address 192.168.153.1 255.255.255.0\n no shutdown\n"
       "exit\n")


def test_datagram_is_pri_counter_stamp_and_message():
    d = wire_syslog.encode(23, 5, 27, "*Mar  1 00:20:15.123", "%SYS-5-CONFIG_I: Configured")
    assert d == b"<189>27: *Mar  1 00:20:15.123: %SYS-5-CONFIG_I: Configured"
    numbered = wire_syslog.encode(22, 6, 45, "Jul  4 10:00:00.000", "%X-6-Y: z", True)
    assert numbered == b"<182>45: 000045: Jul  4 10:00:00.000: %X-6-Y: z"
    assert wire_syslog.decode_pri(numbered) == (22, 6)
    with pytest.raises(ValueError):
        wire_syslog.encode(24, 0, 1, "", "x")
    with pytest.raises(ValueError):
        wire_syslog.decode_pri(b"<999>x")


def test_severity_is_the_digit_of_the_mnemonic():
    assert severity_of("%SYS-5-CONFIG_I: Configured") == 5
    assert severity_of("%SEC-6-IPACCESSLOGP: list 101") == 6
    assert severity_of("SCCP: debug text") == 7


async def test_levels_decide_buffer_console_and_hosts(shell, router):
    await shell.paste_config("logging buffered 8192 warnings\nlogging console errors\n"
                             "logging 10.9.9.9\nlogging trap notifications\n"
                             "service sequence-numbers\n")
    router.log.log("%SYS-5-CONFIG_I: Configured from console by console")
    router.log.log("%SYS-3-CPUHOG: Task ran for 2000 msec")
    assert not router.log.contains("CONFIG_I") and router.log.contains("CPUHOG")
    assert re.search(r"^\d{6}: \S", router.log.lines[-1])  # service sequence-numbers
    box = router.log.outbox(IPv4Address("10.9.9.9"))
    assert [r.severity for r in box.queue][-2:] == [5, 3]
    console = await shell.type("show logging")
    assert "Console logging: level errors" in console
    assert "Buffer logging:  level warnings" in console
    assert "Trap logging: level notifications" in console
    assert "Log Buffer (8192 bytes):" in console
    running = router.running_config()
    for line in ("service sequence-numbers", "logging buffered 8192 warnings",
                 "logging console errors", "logging trap notifications", "logging 10.9.9.9"):
        assert f"\n{line}\n" in running


async def test_no_logging_console_silences_the_console(router):
    shell = Shell(router)
    out = await shell.type("configure terminal", "no logging console", "end",
                           "configure terminal", "logging console", "end")
    # the first `end` was logged while the console was off, the second after it came back
    assert out.count("%SYS-5-CONFIG_I") == 1
    assert "no logging console" not in router.running_config()


async def test_a_host_that_never_drains_drops_and_counts(shell, router):
    """No syslog service running (a router alone): the outbox is bounded, drops counted."""
    await shell.paste_config("logging 10.9.9.9\n")
    for i in range(OUTBOX_LIMIT + 50):
        router.log.log(f"%SYS-6-TEST: line {i}")
    box = router.log.outbox(IPv4Address("10.9.9.9"))
    assert len(box.queue) == OUTBOX_LIMIT and box.dropped >= 50
    assert f"({router.log.dropped} messages dropped" in await shell.type("show logging")


async def test_bad_logging_lines_are_refused(shell, router):
    out = await shell.paste_config("logging 224.0.0.5\nlogging buffered 12\n"
                                   "logging trap loud\n")
    assert "% Invalid IP address" in out
    assert out.count("% Invalid input detected at '^' marker.") == 2
    assert router.config.logging_hosts == ()


async def test_a_real_collector_receives_ios_syslog(tmp_path):
    with trio.fail_after(60):
        async with open_lab(tmp_path / "lab") as lab:
            plan = lab.addresses
            shell = Shell(lab.router)
            await shell.paste_config(LAN)
            async with rsyslog(tmp_path / "rsyslog", plan.to_loopback(COLLECTOR),
                               plan.port(514)) as collector:
                await shell.paste_config(f"logging {COLLECTOR}\n")
                await shell.type("configure terminal", "end")  # %SYS-5-CONFIG_I
                line = await _wait_for(collector, "%SYS-5-CONFIG_I")
                sender, datagram = line.split(" ", 1)
                assert sender == plan.to_loopback("192.168.153.1")  # the LAN's address
                assert re.fullmatch(r"<189>\d+: \*?\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: "
                                    r"%SYS-5-CONFIG_I: Configured from console by console",
                                    datagram), datagram
                # trap level and facility; service sequence-numbers
                await shell.paste_config("logging trap warnings\nlogging facility local6\n"
                                         "service sequence-numbers\n")
                lab.router.log.log("%SYS-6-NOTSENT: below the trap level")
                lab.router.log.log("%SYS-4-SENT: at the trap level")
                line = await _wait_for(collector, "%SYS-4-SENT")
                assert re.search(r"<180>(\d+): 0*\1: ", line), line
                assert not any("NOTSENT" in x for x in collector.lines())
                # logging source-interface: the datagrams come from that interface's address
                await shell.paste_config("interface FastEthernet0/1\n ip address 10.5.5.1 "
                                         "255.255.255.0\n no shutdown\nexit\n"
                                         "logging source-interface FastEthernet0/1\n")
                source = plan.to_loopback("10.5.5.1")
                while (await lab.service("syslog")).bound_address != source:
                    await trio.sleep(0.02)  # the service restarts on its new address
                lab.router.log.log("%SYS-4-SOURCED: from the source interface")
                line = await _wait_for(collector, "%SYS-4-SOURCED")
                assert line.split(" ", 1)[0] == source
                out = await shell.type("show logging")
                assert f"Logging to {COLLECTOR}  (udp port 514" in out
                assert re.search(r"\n +[1-9]\d* message lines logged", out)


async def test_a_host_where_nothing_listens_costs_nothing(tmp_path):
    with trio.fail_after(60):
        async with open_lab(tmp_path / "lab") as lab:
            shell = Shell(lab.router)
            await shell.paste_config("logging 10.77.0.9\n")
            await lab.service("syslog", timeout=30)
            for i in range(5000):
                lab.router.log.log(f"%SYS-6-FLOOD: line {i}")
                if i % 500 == 0:
                    await trio.sleep(0)
            await trio.sleep(0.5)
            box = lab.router.log.outbox(IPv4Address("10.77.0.9"))
            assert len(box.queue) <= OUTBOX_LIMIT
            assert box.sent + box.dropped >= 4000
            assert "Router#" in await shell.type("show clock")  # still answering


async def _wait_for(collector, fragment: str) -> str:
    while True:
        for line in collector.lines():
            if fragment in line:
                return line
        await trio.sleep(0.05)


async def test_lab_json_lists_the_syslog_and_ntp_hosts(tmp_path):
    from cucme_lab.lab.manifest import read_manifest

    with trio.fail_after(30):
        async with open_lab(tmp_path / "lab") as lab:
            shell = Shell(lab.router)
            await shell.paste_config(f"logging {COLLECTOR}\nntp server 171.68.10.80\n")
            await lab.service("syslog", timeout=30)
            await lab.service("ntp", timeout=30)
            lab.write_manifest()
            hosts = read_manifest(tmp_path / "lab")["outside_hosts"]
            plan = lab.addresses
            assert {"role": "syslog", "configured_address": COLLECTOR, "configured_port": 514,
                    "address": plan.to_loopback(COLLECTOR), "port": plan.port(514),
                    "transport": "udp"} in hosts
            assert [h["address"] for h in hosts if h["role"] == "ntp"] == [
                plan.to_loopback("171.68.10.80")]


async def test_show_logging_with_hosts_and_sequence_numbers_parses_with_ntc_templates(shell):
    ntc = pytest.importorskip("ntc_templates.parse")
    await shell.type("clock set 10:15:00 3 Jun 2024")
    await shell.paste_config("logging 10.9.9.9\nlogging buffered 16384 informational\n")
    await shell.type("conf t", "end")
    out = await shell.type("show logging")
    body = "\n".join(x for x in out.splitlines() if not x.startswith("Router#"))
    rows = ntc.parse_output(platform="cisco_ios", command="show logging", data=body)
    assert [r["mnemonic"] for r in rows][-2:] == ["LOGGINGHOST_STARTSTOP", "CONFIG_I"]
    assert all(len(r["message"]) == 1 for r in rows)


async def test_terminal_monitor_sessions_see_lines_at_the_monitor_level(router):
    from cucme_lab.shell.commands import command_set
    from cucme_lab.shell.session import Session
    from cucme_lab.shell.terminal import ScriptTerminal

    await Shell(router).paste_config("logging monitor warnings\n")
    terminal = ScriptTerminal([])
    vty = Session(router, terminal, command_set(), priv=15, origin="vty0 (10.1.1.9)")
    vty.monitor = True
    router.log.log("%SYS-5-CONFIG_I: Configured from console by console")
    router.log.log("%SYS-4-SENT: a warning")
    vty.close()
    assert "SENT" in terminal.output() and "CONFIG_I" not in terminal.output()
    assert router.log.counters.monitor == 1


async def test_service_timestamps_shape_the_stamp_and_the_datagram(shell, router):
    await shell.paste_config("service timestamps log datetime msec show-timezone year\n"
                             "logging 10.9.9.9\n")
    line = router.log.log("%SYS-5-TEST: one")
    assert re.match(r"\*?\w{3} [ \d]\d \d{4} \d\d:\d\d:\d\d\.\d{3} UTC: %SYS-5-TEST", line)
    await shell.paste_config("service timestamps log uptime\n")
    assert re.match(r"\d\d:\d\d:\d\d: %SYS-5-TEST", router.log.log("%SYS-5-TEST: two"))
    await shell.paste_config("no service timestamps log\nservice sequence-numbers\n")
    assert re.match(r"\d{6}: %SYS-5-TEST: three$", router.log.log("%SYS-5-TEST: three"))
    record = router.log.outbox(IPv4Address("10.9.9.9")).queue[-1]
    datagram = wire_syslog.encode(23, record.severity, record.sequence, record.stamp,
                                  record.message, record.service_sequence)
    assert re.fullmatch(rb"<189>(\d+): 0*\1: %SYS-5-TEST: three", datagram)
    running = router.running_config()
    assert "\nservice timestamps debug datetime msec\nno service timestamps log\n" in running


async def test_a_line_logged_from_a_worker_thread_is_sent(tmp_path):
    with trio.fail_after(30):
        async with open_lab(tmp_path / "lab") as lab:
            plan = lab.addresses
            with trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM) as rx:
                await rx.bind((plan.to_loopback("10.77.0.9"), plan.port(514)))
                await Shell(lab.router).paste_config("logging 10.77.0.9\n")
                await lab.service("syslog", timeout=30)
                await trio.to_thread.run_sync(lab.router.log.log, "%SYS-5-THREAD: from a thread")
                while b"%SYS-5-THREAD" not in await rx.recv(2048):
                    pass


async def test_buffer_size_disable_and_clear(shell, router):
    await shell.paste_config("logging buffered 4096\n")
    for i in range(200):
        router.log.log(f"%SYS-6-FILL: line {i:03d} " + "x" * 40)
    assert sum(len(x) + 1 for x in router.log.lines) <= 4096
    assert router.log.lines[-1].endswith("x" * 40) and "line 199" in router.log.lines[-1]
    await shell.paste_config("no logging buffered\n")
    router.log.log("%SYS-6-GONE: not buffered")
    assert not router.log.contains("GONE")
    out = await shell.type("show logging")
    assert "Buffer logging:  disabled" in out and "\nno logging buffered\n" in \
        router.running_config()
    await shell.type("clear logging", "")
    assert not router.log.lines


async def test_the_source_address_is_the_named_interfaces_else_the_hosts_subnets(shell, router):
    from cucme_lab.router.source_address import source_for

    config = router.config
    assert source_for(config, IPv4Address("10.1.1.9")) is None  # nothing up
    await shell.paste_config(
        "interface FastEthernet0/0\n ip address 10.1.1.1 255.255.255.0\n no shutdown\n"
        "interface FastEthernet0/1\n ip address 10.2.2.1 255.255.255.0\n no shutdown\nexit\n")
    assert source_for(config, IPv4Address("10.2.2.9")) == IPv4Address("10.2.2.1")
    assert source_for(config, IPv4Address("8.8.8.8")) == IPv4Address("10.1.1.1")
    assert source_for(config, IPv4Address("10.2.2.9"), "FastEthernet0/0") == \
        IPv4Address("10.1.1.1")
    await shell.paste_config("interface FastEthernet0/0\n shutdown\nexit\n")
    assert source_for(config, IPv4Address("10.2.2.9"), "FastEthernet0/0") == \
        IPv4Address("10.2.2.1")  # a named interface that is down: as if none were named
