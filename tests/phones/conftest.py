"""Fixtures for end-to-end phone tests: a running lab (router, services, phones)."""

from __future__ import annotations

import trio
import pytest

from cli_shell.session import Session
from cli_shell.terminal import ScriptTerminal
from scenarios.runtime import run_lab

TIME_SCALE = 0.1  # keepalives and retry backoffs ten times faster than the firmware's


@pytest.fixture
async def runtime(tmp_path):
    async with run_lab(tmp_path / "lab", time_scale=TIME_SCALE) as rt:
        yield rt


async def type_lines(router, lines: list[str]) -> str:
    terminal = ScriptTerminal(lines)
    await Session(router, terminal).run()
    return terminal.output()


async def until(phone, predicate, timeout: float = 20.0) -> None:
    with trio.fail_after(timeout):
        await phone.wait_until(predicate, timeout)
