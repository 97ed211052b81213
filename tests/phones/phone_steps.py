"""Helpers for end-to-end phone tests (the `runtime` fixture is in tests/conftest.py)."""

from __future__ import annotations

import trio
from procedures import AUTH_STRINGS

from cucme_lab.lab.controls import run_control
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal


async def type_lines(router, lines: list[str]) -> str:
    terminal = ScriptTerminal(lines)
    await Session(router, terminal, command_set()).run()
    return terminal.output()


async def until(phone, predicate, timeout: float = 20.0) -> None:
    with trio.fail_after(timeout):
        await phone.wait_until(predicate, timeout)


def registered(p) -> bool:
    return p.state == "registered"


async def key_in_strings_until_secure(runtime, modes: list[str]) -> None:
    """Each phone asks for its CAPF string on its screen; the user keys it in."""
    for phone, digits, mode in zip(runtime.phones, AUTH_STRINGS, modes, strict=True):
        await until(phone, lambda p, m=mode: p.state == "waiting-auth-string" or
                    (registered(p) and p.security == m))
        if phone.state == "waiting-auth-string":
            assert phone.last_status == "LSC: Enter Authentication String"
            phone.key_in_auth_string(digits)
    for phone, mode in zip(runtime.phones, modes, strict=True):
        await until(phone, lambda p, m=mode: registered(p) and p.security == m)


# ---- calls ---------------------------------------------------------------------------------

async def control(runtime, line: str) -> str:
    out = await run_control(runtime, line)
    assert not out.startswith("%"), (line, out)
    return out


async def all_registered(runtime) -> None:
    for phone in runtime.phones:
        await until(phone, registered)


def media_flowing(count: int = 20):
    """The phone's (first) call has received `count` packets."""
    def check(p) -> bool:
        calls = p.calls
        return bool(calls) and calls[0].media is not None and \
            calls[0].media.counters.received >= count
    return check


def streams(phone) -> list:
    """Every media stream the phone's calls had, ended or not."""
    plane = phone.registration.plane
    return [s for c in [*plane.ended, *plane.calls.values()] for s in c.streams]


async def connect(runtime, a: int, b: int, number: str) -> None:
    await control(runtime, f"dial {a} {number}")
    await control(runtime, f"wait {b} ringin 5")
    await control(runtime, f"answer {b}")
    await control(runtime, f"wait {a} connected 5")
    await control(runtime, f"wait {b} connected 5")
