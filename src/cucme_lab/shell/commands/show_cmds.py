"""`show` commands of the router core, `dir` and `more`."""

from __future__ import annotations

import time

from cucme_lab.router import router as router_mod
from cucme_lab.router.config.interfaces import interfaces
from cucme_lab.router.storage import FLASH_SIZE, NVRAM_SIZE, FlashPathError
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

USER = 1

SHOW_HELP = {
    "running-config": "Current operating configuration",
    "startup-config": "Contents of startup configuration",
    "version": "System hardware and software status",
    "clock": "Display the system clock",
    "users": "Display information about terminal lines",
    "history": "Display the session command history",
    "privilege": "Show current privilege level",
    "logging": "Show the contents of logging buffers",
    "flash:": "display information about flash: file system",
    "terminal": "Display terminal configuration parameters",
    "ip": "IP information",
    "interface": "Show running configuration of an interface",
    "brief": "Brief summary of IP status and configuration",
}


# [C] real captures and specs/ios-cli.md 3.4 (header: Router.config_comments)
@command("exec", "show running-config", help=SHOW_HELP)
def show_running(c: Ctx) -> None:
    c.session.emit(c.router.running_config())


@command("exec", "show running-config interface INTERFACE:name", help=SHOW_HELP)
def show_running_interface(c: Ctx) -> None:
    sec = c.router.interface(c.args["name"])
    if sec is None:
        c.out("                               ^")
        c.out("% Invalid input detected at '^' marker.")  # [C] spec 2.2
        return
    body = "!\n" + "\n".join(sec.render(0)) + "\nend\n"
    c.session.emit(f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n"
                   + body)


# [C] `Using N out of M bytes`, real captures; `startup-config is not present` [M]
@command("exec", "show startup-config", help=SHOW_HELP)
def show_startup(c: Ctx) -> None:
    text = c.router.startup_config()
    if text is None:
        c.out("startup-config is not present")
        return
    # a configuration IOS saved starts with its own `!` comment block; a hand-written one
    # gets the `!` IOS puts after the `Using` line
    head = "" if text.startswith("!") else "!\n"
    c.session.emit(f"Using {len(text)} out of {NVRAM_SIZE} bytes\n{head}" + text)


def uptime_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    weeks, minutes = divmod(minutes, 7 * 24 * 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    for value, unit in ((weeks, "week"), (days, "day"), (hours, "hour")):
        if value or parts:
            parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return ", ".join(parts)


# [C] ntc-templates' IOS fixtures and 12.4(24)T captures; the 2811's memory lines [M]
@command("exec", "show version", priv=USER, help=SHOW_HELP)
def show_version(c: Ctx) -> None:
    r = c.router
    physical = len([n for n in r.chassis.physical if n.startswith("FastEthernet")])
    c.session.emit(f"""\
Cisco IOS Software, 2800 Software (C2800NM-ADVENTERPRISEK9-M), Version {router_mod.IOS_VERSION}, \
RELEASE SOFTWARE (fc1)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2012 by Cisco Systems, Inc.
Compiled Mon 10-Sep-12 07:08 by prod_rel_team

ROM: System Bootstrap, Version 12.4(13r)T, RELEASE SOFTWARE (fc1)

{r.hostname} uptime is {uptime_text(time.time() - r.boot_time)}
System returned to ROM by {r.returned_to_rom}
System image file is "flash:{router_mod.IOS_IMAGE}"


This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com.

Cisco {r.chassis.model} (revision 53.51) with 251904K/10240K bytes of memory.
Processor board ID {r.serial}
{physical} FastEthernet interfaces
1 Virtual Private Network (VPN) Module
DRAM configuration is 64 bits wide with parity enabled.
239K bytes of non-volatile configuration memory.
250368K bytes of ATA CompactFlash (Read/Write)

Configuration register is 0x2102

""")


@command("exec", "show clock", priv=USER, help=SHOW_HELP)
def show_clock(c: Ctx) -> None:
    c.out(c.router.clock.show_clock())


# [C] the layout of ntc-templates' IOS `show users` fixtures
@command("exec", "show users", priv=USER, help=SHOW_HELP)
def show_users(c: Ctx) -> None:
    c.out("    Line       User       Host(s)              Idle       Location")
    for s in c.router.sessions:
        mark = "*" if s is c.session else " "
        user = "" if s.user in ("console",) else s.user
        location = s.remote_address or ""
        idle = time.strftime("%H:%M:%S", time.gmtime(max(0.0, time.time() - s.last_input)))
        # columns at 15 (User), 26 (Host(s)), 47 (Idle), as in ntc-templates' fixture
        c.out(f"{mark}{s.line_number:>3} {s.line_name:<10}{user:<11}{'idle':<21}"
              f"{idle} {location}".rstrip())
    c.out("")
    c.out("  Interface    User               Mode         Idle     Peer Address")
    c.out("")


@command("exec", "show ip interface brief", priv=USER, help=SHOW_HELP)
def show_ip_int_brief(c: Ctx) -> None:
    c.out(f"{'Interface':<27}{'IP-Address':<16}OK? Method Status                Protocol")
    for sec in interfaces(c.router.config):
        name = sec.name
        addr = None if sec.address is None else str(sec.address.ip)
        shut = sec.shutdown
        status = "administratively down" if shut else "up"
        proto = "down" if shut else "up"
        method = sec.ip_method
        # IOS pads the Protocol column too: `down    ` (a real GNS3 IOS 12.4 capture)
        c.out(f"{name:<27}{addr or 'unassigned':<16}YES {method:<7}{status:<22}{proto:<8}")


# [M] the last ten lines, two spaces in
@command("exec", "show history", priv=USER, help=SHOW_HELP)
def show_history(c: Ctx) -> None:
    for line in c.session.history[-10:]:
        c.out("  " + line)


# [C] real captures: `Current privilege level is 15`
@command("exec", "show privilege", priv=USER, help=SHOW_HELP)
def show_privilege(c: Ctx) -> None:
    c.out(f"Current privilege level is {c.session.priv}")


# [U] only the first lines of IOS's `show terminal`, from memory; IOS prints many more
@command("exec", "show terminal", priv=USER, help=SHOW_HELP)
def show_terminal(c: Ctx) -> None:
    s = c.session
    c.out(f"Line {s.line_number}, Location: \"\", Type: \"\"")
    c.out(f"Length: {s.term_length} lines, Width: {s.term_width} columns")
    c.out("Status: PSI Enabled, Ready, Active" + (", Notify Process" if s.monitor else ""))
    c.out("Capabilities: none")


# --- flash --------------------------------------------------------------------------------

def _dir(c: Ctx) -> None:
    r = c.router
    c.out("Directory of flash:/")
    c.out("")
    rows = [(50_938_004, r.boot_time - 86400 * 30, router_mod.IOS_IMAGE)]
    for p in r.storage.flash_files():
        rows.append((p.stat().st_size, p.stat().st_mtime,
                     str(p.relative_to(r.storage.flash))))
    for i, (size, mtime, name) in enumerate(rows, start=1):
        c.out(f"{i:>5}  -rw-{size:>12}  {r.clock.dir_stamp(mtime)}  {name}")
    c.out("")
    used = r.storage.flash_used() + rows[0][0]
    c.out(f"{FLASH_SIZE} bytes total ({FLASH_SIZE - used} bytes free)")


# [C] specs/ios-cli.md 3.7 and ntc-templates' `dir` fixtures
@command("exec", "dir [flash:]", help={"flash:": "Directory or file name"})
def dir_flash(c: Ctx) -> None:
    _dir(c)


FLASH_CLUSTER = 4096  # [M] a 256 MB FAT16 CompactFlash's cluster: what a file takes


@command("exec", "show flash:", help=SHOW_HELP)
def show_flash(c: Ctx) -> None:
    """The layout a 2811 prints for `show flash:`, not `dir`'s (a real CME 2811 capture:
    `-#- --length-- -----date/time------ path`, then `N bytes available (M bytes used)`)."""
    r = c.router
    rows = [(50_938_004, r.boot_time - 86400 * 30, router_mod.IOS_IMAGE)]
    for p in r.storage.flash_files():
        rows.append((p.stat().st_size, p.stat().st_mtime,
                     str(p.relative_to(r.storage.flash))))
    c.out("-#- --length-- -----date/time------ path")
    for i, (size, mtime, name) in enumerate(rows, start=1):
        c.out(f"{i:<3}{size:>11} {r.clock.dir_stamp(mtime)} {name}")
    c.out("")
    used = sum(-(-size // FLASH_CLUSTER) * FLASH_CLUSTER for size, _, _ in rows)
    c.out(f"{FLASH_SIZE - used} bytes available ({used} bytes used)")


# [M] `%Error opening ... (No such file or directory)`
@command("exec", "more FLASHFILE:file", help={"more": "Display the contents of a file"})
def more_file(c: Ctx) -> None:
    try:
        data = c.router.storage.read_flash(c.args["file"])
    except FlashPathError:
        data = None
    if data is None:
        c.out(f"%Error opening {c.args['file']} (No such file or directory)")  # [M]
        return
    text = data.decode("utf-8", errors="replace")
    c.session.emit(text if text.endswith("\n") else text + "\n")


# [M] the two questions and the error, from memory
@command("exec", "delete FLASHFILE:file", help={"delete": "Delete a file"})
async def delete_file(c: Ctx) -> None:
    name = c.args["file"].split(":", 1)[1]
    answer = await c.ask(f"Delete filename [{name}]? ")
    if answer is None:
        return
    if not await c.confirm(f"Delete flash:/{name}? [confirm]"):
        return
    try:
        ok = c.router.storage.delete_flash(name)
    except FlashPathError:
        ok = False
    if not ok:
        c.out(f"%Error deleting flash:/{name} (No such file or directory)")  # [M]
        return
    from cucme_lab.router.provisioning.cnf import republish_bindings

    republish_bindings(c.router)  # a deleted bound file is no longer served
