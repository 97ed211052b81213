"""Shared fixtures: a router in a temporary lab folder and a way to type lines into it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal


class Shell:
    """Types lines at the console of one router and returns what the console showed."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def type(self, *lines: str, priv: int = 15, config: bool = False) -> str:
        terminal = ScriptTerminal(lines)
        session = Session(self.router, terminal, command_set(), priv=priv)
        if config:
            session.enter_config()
        await session.run()
        return terminal.output()

    async def paste_config(self, text: str) -> str:
        return await self.type(*text.splitlines(), config=True)


@pytest.fixture
def router(tmp_path: Path) -> Router:
    return Router.open(tmp_path / "lab", addresses=AddressPlan())


@pytest.fixture
def shell(router: Router) -> Shell:
    return Shell(router)


def installed_script(name: str) -> str:
    """An installed entry point of the project, beside this interpreter (else on PATH)."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e .)")
    return found


@pytest.fixture
def cucme_lab() -> str:
    return installed_script("cucme-lab")


@pytest.fixture
def cucme_phones() -> str:
    return installed_script("cucme-phones")


@pytest.fixture
async def lab(tmp_path: Path):
    """A running lab (router booted, services started) on this test's own loopback range."""
    from cucme_lab.lab.router_lab import open_lab

    async with open_lab(tmp_path / "lab") as running:
        yield running


@pytest.fixture
async def runtime(tmp_path: Path):
    """A whole lab: router, services and the default lab's phones, ten times faster timers."""
    from cucme_lab.lab.runtime import run_lab

    async with run_lab(tmp_path / "lab", time_scale=0.1) as rt:
        yield rt
