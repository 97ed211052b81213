"""Command declarations, one module per area; importing this package registers them all."""

from cucme_lab.shell.commands import (  # noqa: F401
    access,
    cme_security,
    common,
    ephone_show,
    exec_cmds,
    interfaces,
    lines,
    pki,
    provisioning,
    remote,
    show_cmds,
    system,
    telephony,
    voice,
)
