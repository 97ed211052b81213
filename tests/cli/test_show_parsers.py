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


# --- complete records: every field a real router's output fills --------------------------------

CONFIG = """\
hostname CME1
ip domain name lab.local
interface Vlan10
 ip address 1.2.3.4 255.255.255.0
access-list 10 permit 1.2.3.0 0.0.0.255
access-list 10 deny any log
access-list 101 permit udp any host 1.2.3.4 eq 69
access-list 101 permit tcp any any eq 22 log
"""


async def test_show_version_parses_into_a_complete_record_before_and_after_reload(shell):
    rows = parse("show version", await shell.type("show version"))
    assert len(rows) == 1
    row = rows[0]
    for key in ("software_image", "version", "release", "hostname", "uptime", "reload_reason",
                "running_image", "config_register"):
        assert row[key], key
    assert row["reload_reason"] == "power-on" and row["serial"] == ["FTX1234A5BC"]
    await shell.type("reload", "")
    row = parse("show version", await shell.type("show version"))[0]
    assert row["reload_reason"].startswith("reload")


async def test_show_ip_interface_brief_parses_every_interface(shell):
    await shell.paste_config(CONFIG)
    out = await shell.type("show ip interface brief")
    rows = parse("show ip interface brief", out)
    assert len(rows) == len(out.splitlines()) - 3  # echo, header, final prompt
    for row in rows:
        assert all(row[k] for k in ("interface", "ip_address", "status", "proto")), row
    vlan10 = next(r for r in rows if r["interface"] == "Vlan10")
    assert (vlan10["ip_address"], vlan10["status"], vlan10["proto"]) == ("1.2.3.4", "up", "up")


async def test_show_users_parses_every_line(shell):
    out = await shell.type("show users")
    rows = parse("show users", out)
    assert len(rows) == 1 and rows[0]["line"] == "*  0 con 0" and rows[0]["idle"] == "00:00:00"


async def test_show_access_lists_parses_every_entry(shell):
    await shell.paste_config(CONFIG)
    rows = parse("show access-list", await shell.type("show access-lists"))
    assert [(r["name"], r["type"], r["sn"], r["action"]) for r in rows] == [
        ("10", "Standard", "10", "permit"), ("10", "Standard", "20", "deny"),
        ("101", "Extended", "10", "permit"), ("101", "Extended", "20", "permit")]
    assert rows[0]["source"] == "1.2.3.0, wildcard bits 0.0.0.255"
    assert rows[1]["modifier"] == "log"
    assert (rows[2]["protocol"], rows[2]["destination"]) == ("udp", "host 1.2.3.4")
    assert rows[2]["source_port"] == "tftp"  # the template files a destination port here


async def test_dir_parses_every_file(shell):
    shell.router.storage.write_flash("ringlist.xml", b"x" * 100)
    shell.router.storage.write_flash("CTLFile.tlv", b"y" * 2489)
    rows = parse("dir", await shell.type("dir flash:"))
    assert rows[0]["name"] == "c2800nm-adventerprisek9-mz.124-24.T8.bin"
    assert sorted(r["name"] for r in rows[1:]) == ["CTLFile.tlv", "ringlist.xml"]
    for row in rows:
        assert all(row[k] for k in ("id", "permissions", "size", "date_time", "total_size",
                                    "total_free")), row


async def test_show_crypto_pki_certificates_of_one_trustpoint_parses_both_blocks(shell, router):
    from lab_pki import LabCA, install_trustpoint, rsa_key

    ca = LabCA()
    cert, key = ca.issue("CME1.lab.local", rsa_key("CME-TP"))
    install_trustpoint(router, "CME-TP", ca, cert, key)
    out = await shell.type("show crypto pki certificates CME-TP")
    rows = parse("show crypto pki certificates", out)
    assert [r["certificate_type"] for r in rows] == ["Certificate", "CA Certificate"]
    for row in rows:
        for key_ in ("status", "serial_number", "certificate_usage", "issuer_cn", "start_date",
                     "end_date", "associated_trustpoints"):
            assert row[key_], (row["certificate_type"], key_)
    assert rows[0]["associated_trustpoints"] == "CME-TP"
    assert rows[1]["subject_cn"] == "LABCA"


async def test_show_users_vty_row_is_aligned_as_ntc_templates_fixture(shell, router):
    """ntc-templates' fixture: `* 10 vty 0     arm        idle                 00:00:00
    81.95.35.222`: one space before the location."""
    from cucme_lab.shell.commands import command_set
    from cucme_lab.shell.session import Session
    from cucme_lab.shell.terminal import ScriptTerminal

    Session(router, ScriptTerminal([]), command_set(), user="arm", line_name="vty 0",
            origin="vty0 (81.95.35.222)", priv=15, line_number=2, remote_address="81.95.35.222")
    out = await shell.type("show users")
    vty = next(line for line in out.splitlines() if "vty 0" in line)
    assert vty == "   2 vty 0     arm        idle                 00:00:00 81.95.35.222"
    rows = parse("show users", out)
    assert rows[0]["location"] == "81.95.35.222" and rows[0]["user"] == "arm"
