"""EXEC commands: privilege, configuration, saving and reloading, terminal settings, clock."""

from __future__ import annotations

from datetime import datetime

from cucme_lab.router import access as ra
from cucme_lab.shell.boot import reload_router
from cucme_lab.shell.commands.common import CommandDeclarations, exec_exit
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

USER = 1  # privilege of commands a user-EXEC session may run


@command("exec", "enable [<0-15>:level]", priv=0)
async def enable(c: Ctx) -> None:
    level = c.arg("level", 15)
    session = c.session
    if session.priv >= level:
        session.priv = level
        return
    if session.origin != "console" and ra.enable_methods(c.router.config):
        from cucme_lab.shell.vty import aaa_enable  # `aaa authentication enable default ...`

        await aaa_enable(c, level)
        return
    check = ra.enable_checker(c.router.config, level)
    if check is None:
        if session.origin != "console":
            c.out("% No password set")  # [C] spec 3.1
            return
        session.priv = level
        return
    for _ in range(3):
        answer = await c.ask("Password: ", echo=False)
        if answer is None:
            return
        if check(answer):
            session.priv = level
            return
    c.out("% Bad secrets\n")  # [C] spec 3.1


@command("exec", "disable [<0-15>:level]", priv=0)
def disable(c: Ctx) -> None:
    c.session.priv = min(c.session.priv, c.arg("level", 1))


@command("exec", "exit", priv=0, help={"exit": "Exit from the EXEC"})
def exit_exec(c: Ctx) -> None:
    exec_exit(c)


@command("exec", "logout", priv=0)
def logout(c: Ctx) -> None:
    exec_exit(c)


# A console or vty line of the lab opens no outgoing connections, so there is none to list or
# resume. `where` prints what IOS prints with none open (a real `show sessions` capture; IOS's
# `where` is the same list); `resume` (and its default alias `r`) IOS's own text for none.
@command("exec", "where", priv=0, help={"where": "List active connections"})
def where(c: Ctx) -> None:
    c.out("% No connections open")  # [C] a real `show sessions` capture


@command("exec", "resume", priv=0, help={"resume": "Resume an active network connection"})
def resume(c: Ctx) -> None:
    c.out("% No open connections")  # [M] IOS's resume text


@command("exec", "configure [terminal]", help={"terminal": "Configure from the terminal"})
async def configure(c: Ctx) -> None:
    if not c.arg("terminal"):
        answer = await c.ask("Configuring from terminal, memory, or network [terminal]? ")
        if answer is None or (answer.strip() and not "terminal".startswith(answer.strip())):
            c.out("?Must be \"terminal\", \"memory\" or \"network\"")
            return
    c.out("Enter configuration commands, one per line.  End with CNTL/Z.")
    c.session.enter_config()


@command("exec", "terminal length <0-512>:n", priv=USER,
         help={"length": "Set number of lines on a screen"})
def terminal_length(c: Ctx) -> None:
    c.session.term_length = c.args["n"]


@command("exec", "terminal width <0-512>:n", priv=USER,
         help={"width": "Set width of the display terminal"})
def terminal_width(c: Ctx) -> None:
    c.session.term_width = c.args["n"]


@command("exec", "terminal monitor", priv=USER,
         help={"monitor": "Copy debug output to the current terminal line"})
def terminal_monitor(c: Ctx) -> None:
    c.session.monitor = True


@command("exec", "terminal no monitor", priv=USER,
         help={"no": "Negate a command or set its defaults",
               "monitor": "Copy debug output to the current terminal line"})
def terminal_no_monitor(c: Ctx) -> None:
    c.session.monitor = False


# --- saving -------------------------------------------------------------------------------

def _save(c: Ctx) -> None:
    c.out("Building configuration...")
    c.router.write_memory(c.session.user)
    c.out("[OK]")


# [C] specs/ios-cli.md 3.3: `Building configuration...` then `[OK]`
@command("exec", "write [memory]", help={"memory": "Write to NV memory"})
def write_memory(c: Ctx) -> None:
    _save(c)


@command("exec", "write terminal", help={"terminal": "Write to terminal"})
def write_terminal(c: Ctx) -> None:
    c.session.emit(c.router.running_config())


@command("exec", "write erase", help={"erase": "Erase NV memory"})
async def write_erase(c: Ctx) -> None:
    await erase_nvram(c)


@command("exec", "erase {startup-config|nvram:}:fs",
         help={"startup-config": "Erase contents of configuration memory",
               "nvram:": "Filesystem to be erased"})
async def erase(c: Ctx) -> None:
    await erase_nvram(c)


# [C] specs/ios-cli.md 3.3: the question, `[OK]`, `Erase of nvram: complete`, NV_BLOCK_INIT
async def erase_nvram(c: Ctx) -> None:
    ok = await c.confirm("Erasing the nvram filesystem will remove all configuration files! "
                         "Continue? [confirm]")
    if not ok:
        return
    c.router.storage.erase_nvram()
    c.router.nvram_updated = None
    c.out("[OK]")
    c.out("Erase of nvram: complete")
    c.log("%SYS-7-NV_BLOCK_INIT: Initialized the geometry of nvram")  # [C] spec 3.3


@command("exec", "copy running-config startup-config",
         help={"running-config": "Copy from current system configuration",
               "startup-config": "Copy to startup configuration"})
async def copy_run_start(c: Ctx) -> None:
    answer = await c.ask("Destination filename [startup-config]? ")
    if answer is None:
        return
    name = answer.strip() or "startup-config"
    if name == "startup-config":
        _save(c)
        return
    c.out("Building configuration...")
    c.router.storage.write_nvram(name, c.router.startup_config_text())
    c.out("[OK]")


@command("exec", "copy startup-config running-config",
         help={"startup-config": "Copy from startup configuration",
               "running-config": "Update (merge with) current system configuration"})
async def copy_start_run(c: Ctx) -> None:
    answer = await c.ask("Destination filename [running-config]? ")
    if answer is None:
        return
    from cucme_lab.shell.boot import apply_config

    text = c.router.startup_config()
    if text is None:  # [M] as IOS's `copy startup-config URL` says it (provisioning.py)
        c.out("%Error opening nvram:startup-config (No such file or directory)")
        return
    await apply_config(c.router, text, c.session.commands)
    c.out(f"{len(text)} bytes copied in 0.100 secs")  # [M] the copy line; the time is the lab's


@command("exec", "reload", help={"reload": "Halt and perform a cold restart"})
async def reload(c: Ctx) -> None:
    if c.router.unsaved_changes:
        while True:
            answer = await c.ask("System configuration has been modified. Save? [yes/no]: ")
            if answer is None:
                return
            word = answer.strip().lower()
            if word and "yes".startswith(word):
                _save(c)
                break
            if word and "no".startswith(word):
                break
            c.out("% Please answer 'yes' or 'no'.")  # [M]
    if not await c.confirm("Proceed with reload? [confirm]"):
        return
    # [M]
    c.log(f"%SYS-5-RELOAD: Reload requested by {c.session.user}. Reload Reason: Reload Command.")
    # `show version` after it (a real 12.4(24)T capture): `System returned to ROM by reload at
    # 13:34:26 UTC Thu Oct 22 2009`
    c.router.returned_to_rom = f"reload at {c.router.clock.config_stamp()}"
    await reload_router(c.router, c.session.commands)
    c.session.stack[1:] = []
    c.session.priv = 1
    c.out("")
    c.out("Press RETURN to get started!")
    c.out("")


# --- clock --------------------------------------------------------------------------------

@command("exec", "clock set HH:MM:SS:time <1-31>:day MONTH:month <1993-2035>:year",
         help={"set": "Set the time and date", "hh:mm:ss": "Current Time",
               "day": "Day of the month", "year": "Year"})
def clock_set_dmy(c: Ctx) -> None:
    _clock_set(c)


@command("exec", "clock set HH:MM:SS:time MONTH:month <1-31>:day <1993-2035>:year")
def clock_set_mdy(c: Ctx) -> None:
    _clock_set(c)


def _clock_set(c: Ctx) -> None:
    hh, mm, ss = (int(x) for x in c.args["time"].split(":"))
    try:
        when = datetime(c.args["year"], c.args["month"], c.args["day"], hh, mm, ss)
    except ValueError:
        c.out("% Invalid date")  # [U] no capture of IOS's text for an impossible date
        return
    clock = c.router.clock
    old = clock.config_stamp()
    clock.set_local(when)
    c.log(f"%SYS-6-CLOCKUPDATE: System clock has been updated from {old} to "  # [M] spec 3.6
          f"{clock.config_stamp()}, configured from {c.session.config_origin()}.")


# --- debugging ----------------------------------------------------------------------------------

@command("exec", "undebug all", help={"undebug": "Disable debugging functions (see also "
                                      "'debug')", "all": "Disable all debugging"})
def undebug_all(c: Ctx) -> None:
    c.router.debug.disable()
    c.out("All possible debugging has been turned off")


@command("exec", "no debug all", help={"no": "Disable debugging functions",
                                       "debug": "Debugging functions (see also 'undebug')",
                                       "all": "Disable all debugging"})
def no_debug_all(c: Ctx) -> None:
    undebug_all(c)


# [U] the layout (an area's name, then its flags' lines); no capture was found
@command("exec", "show debugging", priv=USER,
         help={"debugging": "State of each debugging option"})
def show_debugging(c: Ctx) -> None:
    by_area: dict[str, list[str]] = {}
    for flag, description in c.router.debug.flags.items():
        by_area.setdefault(flag.split()[0], []).append(description)
    for area, lines in by_area.items():
        c.out(f"{area}:")
        for line in lines:
            c.out(f"  {line}")
