"""EXEC show outputs, checked with the parsers automation uses (ntc-templates / TextFSM)."""

from __future__ import annotations

import pytest

ntc = pytest.importorskip("ntc_templates.parse")


def parse(command: str, text: str) -> list[dict]:
    body = text.split("\n", 1)[1].rsplit("\n", 1)[0]  # drop the echoed command and last prompt
    return ntc.parse_output(platform="cisco_ios", command=command, data=body)


async def test_show_version(shell):
    rows = parse("show version", await shell.type("show version"))
    assert rows[0]["version"] == "12.4(24)T8"
    assert rows[0]["hostname"] == "Router"
    assert rows[0]["hardware"] == ["2811"]
    assert rows[0]["config_register"] == "0x2102"
    assert rows[0]["running_image"] == "c2800nm-adventerprisek9-mz.124-24.T8.bin"


async def test_show_clock(shell):
    rows = parse("show clock", await shell.type("show clock"))
    assert rows[0]["timezone"] == "UTC" and len(rows[0]["time"]) == 12


async def test_show_ip_interface_brief(shell):
    await shell.paste_config("interface Vlan10\n ip address 1.2.3.4 255.255.255.0")
    rows = parse("show ip interface brief", await shell.type("show ip interface brief"))
    by_name = {r["interface"]: r for r in rows}
    assert by_name["Vlan10"]["ip_address"] == "1.2.3.4"
    assert by_name["FastEthernet0/0"]["status"] == "administratively down"


async def test_dir_flash(shell):
    shell.router.storage.write_flash("ringlist.xml", b"<x/>" * 10)
    rows = parse("dir", await shell.type("dir flash:"))
    names = [r["name"] for r in rows]
    assert "ringlist.xml" in names and rows[0]["file_system"] == "flash:/"
    assert int(rows[0]["total_size"]) > int(rows[0]["total_free"])


async def test_show_users(shell):
    rows = parse("show users", await shell.type("show users"))
    assert rows[0]["line"] == "*  0 con 0"


async def test_show_logging(shell):
    await shell.type("conf t", "end")
    rows = parse("show logging", await shell.type("show logging"))
    assert any(r["mnemonic"] == "CONFIG_I" for r in rows)


async def test_show_clock_and_show_logging_after_clock_set_parse_into_complete_records(shell):
    """A clock set by hand has no marker (IOS's `.` is NTP configured and not synchronised),
    so ntc-templates reads every log line as its own record."""
    await shell.type("clock set 10:15:00 3 Jun 2024", "conf t", "hostname R2", "end",
                     "conf t", "end")
    out = await shell.type("show clock")
    assert out.splitlines()[1].startswith("10:15:")
    rows = parse("show clock", out)
    assert rows == [{**rows[0], "year": "2024", "month": "Jun", "day": "3", "timezone": "UTC",
                     "dayweek": "Mon"}]
    rows = parse("show logging", await shell.type("show logging"))
    assert [r["mnemonic"] for r in rows] == ["CLOCKUPDATE", "CONFIG_I", "CONFIG_I"]
    assert all(len(r["message"]) == 1 for r in rows)
    assert [(r["month"], r["day"]) for r in rows] == [("Jun", "3")] * 3


async def test_ntp_configured_and_not_synchronised_marks_the_time_with_a_dot(shell):
    await shell.type("clock set 10:15:00 3 Jun 2024", "conf t", "ntp server 10.0.0.9", "end")
    out = await shell.type("show clock")
    assert out.splitlines()[1].startswith(".10:15:")
    out = await shell.type("conf t", "no ntp server 10.0.0.9", "end", "show clock")
    assert out.splitlines()[-2].startswith("10:15:")
