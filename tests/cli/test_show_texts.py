"""Show outputs and headers compared letter for letter with real IOS outputs (the source of
each is named at the test)."""

from __future__ import annotations

import re

from cucme_lab.router.router import ChangeRecord

LAST_CHANGE = re.compile(r"! Last configuration change at \d\d:\d\d:\d\d UTC \w{3} \w{3} "
                         r"\d{1,2} \d{4}")


async def test_running_config_header_as_ios_prints_it(shell):
    """`!`, the change comment (a console change names no user), `!`, then `version`
    (real IOS 15 captures)."""
    out = await shell.type("show running-config")
    assert ("Current configuration : " in out and
            " bytes\n!\n! No configuration change since last restart\n!\nversion 12.4\n" in out)
    await shell.type("conf t", "hostname R2", "end")
    text = shell.router.running_config()
    head = text.split("version 12.4\n", 1)[0].split(" bytes\n", 1)[1]
    lines = head.splitlines()
    assert lines[0] == "!" and lines[-1] == "!" and len(lines) == 3
    assert LAST_CHANGE.fullmatch(lines[1]), lines[1]
    assert ChangeRecord("10:00:00 UTC Mon Jun 3 2024", "admin").comment(
        "Last configuration change") == \
        "! Last configuration change at 10:00:00 UTC Mon Jun 3 2024 by admin"


async def test_show_startup_config_before_and_after_the_first_save(shell):
    out = await shell.type("show startup-config")
    assert "Router#show startup-config\nstartup-config is not present\n" in out
    await shell.type("conf t", "hostname R2", "end", "write memory")
    out = await shell.type("show startup-config")
    lines = out.splitlines()
    assert re.fullmatch(r"Using \d+ out of \d+ bytes", lines[1])
    assert lines[2] == "!" and LAST_CHANGE.fullmatch(lines[3])
    assert lines[4].startswith("! NVRAM config last updated at ") and lines[5] == "!"
    assert lines[6] == "version 12.4"


async def test_show_version_after_reload_and_no_invented_lines(shell):
    out = await shell.type("show version")
    assert "System returned to ROM by power-on\n" in out
    assert "Communications Manager Express" not in out
    await shell.type("reload", "")
    out = await shell.type("show version")
    assert re.search(r"\nSystem returned to ROM by reload at \d\d:\d\d:\d\d UTC \w{3} \w{3} "
                     r"\d{1,2} \d{4}\nSystem image file is ", out)


async def test_show_line_columns_as_ios_aligns_them(shell):
    """genieparser's golden `show line` and a router capture:
    `      0 CTY              -    -      -    -    -      0       2     0/0       -`."""
    await shell.paste_config("line vty 0 4\n access-class 10 in")
    lines = (await shell.type("show line")).splitlines()
    assert lines[1] == ("   Tty Typ     Tx/Rx    A Modem  Roty AccO AccI   Uses   Noise  "
                        "Overruns   Int")
    assert lines[2] == ("*     0 CTY              -    -      -    -    -      0       0"
                        "     0/0       -")
    assert lines[3] == ("      1 AUX   9600/9600  -    -      -    -    -      0       0"
                        "     0/0       -")
    assert lines[4] == ("      2 VTY              -    -      -    -   10      0       0"
                        "     0/0       -")


async def test_access_lists_print_ios_port_names_per_protocol(shell):
    """`eq tftp` for UDP 69 (IOS's `permit udp any eq ?` list), `eq 69` for TCP, no name for
    22; `log` kept, in running-config and `show access-lists` alike."""
    await shell.paste_config("access-list 101 permit udp any host 1.2.3.4 eq 69 log\n"
                             "access-list 101 permit tcp any any eq 69\n"
                             "access-list 101 permit tcp any any eq 22\n"
                             "access-list 101 permit udp any eq bootpc any eq bootps\n"
                             "access-list 101 deny tcp any eq 80 any log")
    out = await shell.type("show access-lists")
    assert out.splitlines()[1:7] == [
        "Extended IP access list 101",
        "    10 permit udp any host 1.2.3.4 eq tftp log",
        "    20 permit tcp any any eq 69",
        "    30 permit tcp any any eq 22",
        "    40 permit udp any eq bootpc any eq bootps",
        "    50 deny tcp any eq www any log"]
    assert "access-list 101 permit udp any host 1.2.3.4 eq tftp log\n" in \
        shell.router.running_config()


async def test_a_new_lab_saves_its_start_up_configuration_as_ios_writes_it(tmp_path):
    """NVRAM holds the lab file's configuration as IOS saves it, not as the file spells it."""
    from cucme_lab.lab.labfile import LabFile
    from cucme_lab.lab.runtime import run_lab

    labfile = LabFile(startup_config="hostname LAB1\ninterface Vlan10\n"
                                     " ip address 10.0.0.1 255.255.255.0\n")
    async with run_lab(tmp_path / "lab", labfile, boot_phones=False) as rt:
        saved = rt.lab.router.startup_config()
    assert saved is not None and saved.startswith("!\n! No configuration change since last "
                                                  "restart\n! NVRAM config last updated at ")
    assert "\nversion 12.4\n" in saved and "\nhostname LAB1\n" in saved
    assert "\ninterface Vlan10\n ip address 10.0.0.1 255.255.255.0\n!\n" in saved
