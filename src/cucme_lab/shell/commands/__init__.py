"""Command declarations, one module per area, and `command_set()`: the shell's commands.

Importing a module here declares its commands into that module's own `DECLARED` and nothing
else; `command_set()` builds the set sessions parse with from all of them, in the order below
(the order commands have always been ranked in when two match a line equally well).
"""

from __future__ import annotations

import functools

from cucme_lab.shell.commands import (
    aaa,
    access,
    cme_security,
    common,
    ephone_dn_show,
    ephone_show,
    exec_cmds,
    interface_acl,
    interfaces,
    lines,
    logging_cmds,
    pki,
    provisioning,
    remote,
    show_cmds,
    snmp_cdp,
    system,
    telephony,
    time_ntp,
    tollfraud,
    voice,
    voice_show,
)
from cucme_lab.shell.declarations import CommandSet

MODULES = (common, access, telephony, cme_security, ephone_show, exec_cmds, interfaces, system,
           lines, pki, provisioning, remote, show_cmds, voice, ephone_dn_show, tollfraud,
           voice_show, logging_cmds, time_ntp, snmp_cdp, interface_acl, aaa)


@functools.cache
def command_set() -> CommandSet:
    """Every command of the shell. Built once: a set is never changed, and its parse trees
    are built on first use, so every session of a process can share it."""
    return CommandSet(module.DECLARED for module in MODULES)
