"""Booting and reloading: a router's configuration is rebuilt by typing its startup-config.

`reload` feeds `startup-config` through the very parser a person types into, so whatever a
saved configuration holds comes back exactly as it would on a real router, or fails the same way.
"""

from __future__ import annotations

from cucme_lab.router.router import Router
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal


async def apply_config(router: Router, text: str, commands: CommandSet, *,
                       booting: bool = False) -> str:
    """Type `text` into global configuration mode of a silent session; return its output.

    `booting`: the text is the startup-config read at power-on, which IOS reads as a saved
    configuration (an interface it holds without `shutdown` is up; its addresses came from
    NVRAM), where `copy ... running-config` merges lines into what runs.
    """
    terminal = ScriptTerminal([])
    session = Session(router, terminal, commands, user="startup", origin="startup", priv=15,
                      booting=booting)
    session.enter_config()
    try:
        for line in text.splitlines():
            if line.strip() == "end" and not line.startswith(" "):
                break
            await session.handle(line)
        for hook in list(session.on_exit_config):  # actions that need the whole config
            hook()
    finally:
        session.close()
    return terminal.output()


async def reload_router(router: Router, commands: CommandSet) -> str:
    """Power-cycle the router: factory state, then the startup-config applied on top."""
    for hook in list(router.reload_hooks):
        hook()
    router.phones.drop_all()  # a reloading router drops every connection
    router.factory_reset()
    text = router.startup_config()
    out = await apply_config(router, text, commands, booting=True) if text else ""
    router.provisioning.booted()
    router.last_change = None
    router.unsaved_changes = False
    router.notify()
    return out
