"""The command line in every mode: nothing a user types raises out of the session.

A `Session` contains only `SessionClosed`; any other exception from a command's parsing or
handler would end the user's line (on a vty: the connection, logged as a fault). Each example
enters one mode and types lines there: random bytes, or lines walked from the mode's grammar
(`cli_fuzz.py`). A second property types random keys at a vty terminal, so the line
discipline, `?` and Tab run on them too.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import pytest
import trio
from cli_fuzz import MODE_ENTRY, mode_lines, random_lines
from conftest import Shell
from fuzz_support import Quiet, fewer
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.modes import MODES
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal
from cucme_lab.shell.vty import VtyTerminal

COMMANDS = command_set()
LINE_TIMEOUT = 10.0  # seconds for one example: a line that blocks the loop longer is a bug
SETUP = """\
hostname FUZZ
ip domain name lab.local
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
telephony-service
 ip source-address 10.1.1.1 port 2000
ephone-dn 1
 number 1001
ephone 1
 mac-address 0011.2233.4455
 button 1:1
"""


def test_every_mode_is_reached_by_its_entry_lines(tmp_path: Path) -> None:
    for mode in set(MODES) - set(MODE_ENTRY):  # only modes no command has
        own = [c for c in COMMANDS.trees(mode).positive.root.children
               if c.element and c.element.keyword not in ("no", "default", "exit", "end", "do")]
        assert not own, mode
    router = Router.open(tmp_path / "lab", addresses=AddressPlan())
    for mode, entry in MODE_ENTRY.items():
        session = Session(router, ScriptTerminal(entry), COMMANDS, priv=15)
        for line in entry:
            trio.run(session.handle, line)
        assert session.mode == mode, (mode, session.mode)


@pytest.fixture(scope="module")
def fuzz_router(tmp_path_factory: pytest.TempPathFactory) -> Quiet:
    router = Router.open(Path(tmp_path_factory.mktemp("cli")) / "lab", addresses=AddressPlan())
    out = trio.run(functools.partial(Shell(router).paste_config, SETUP))
    assert "% " not in out, out
    return Quiet(router)


def _typed_sync(shell: Shell, *lines: str) -> str:
    """The conftest Shell's `type`, from a test that is not async."""
    return trio.run(functools.partial(shell.type, *lines))


async def _type(router: Router, mode: str, lines: list[str], priv: int) -> None:
    session = Session(router, ScriptTerminal([*MODE_ENTRY[mode], *lines]), COMMANDS,
                      priv=priv)
    with trio.fail_after(LINE_TIMEOUT):
        await session.run()


@st.composite
def typed(draw: st.DrawFn) -> tuple[str, list[str]]:
    mode = draw(st.sampled_from(sorted(MODE_ENTRY)))
    return mode, draw(st.lists(mode_lines(COMMANDS, mode), min_size=1, max_size=6))


@fewer(1.5)
@given(typed(), st.sampled_from([15, 15, 1]))
def test_lines_typed_in_any_mode_never_raise(fuzz_router, mode_and_lines, priv) -> None:
    mode, lines = mode_and_lines
    trio.run(_type, fuzz_router.value, mode, lines, priv)


def _leading_keywords(syntax: str) -> list[str]:
    words = []
    for token in syntax.split():
        if not re.fullmatch(r"[a-z][a-z0-9-]*", token):
            break
        words.append(token)
    return words


def test_no_and_default_with_the_leading_keywords_alone_never_raise(fuzz_router) -> None:
    """`no` of a setting needs only its leading keywords, so each prefix of them is a line a
    user can type: every one, in every mode, of every command."""
    router = fuzz_router.value
    lines = []
    for mode in MODE_ENTRY:
        if mode == "exec":
            continue
        for command in COMMANDS.commands(mode):
            words = _leading_keywords(command.syntax)
            lines += [(mode, f"{verb} {' '.join(words[:k])}")
                      for k in range(1, len(words) + 1) for verb in ("no", "default")]
    for mode, line in lines:
        trio.run(_type, router, mode, [line], 15)


@pytest.mark.parametrize("enter, line", [
    # Found by fuzzing: `no certificate` in config-cert-chain raised KeyError('serial'), and
    # `no ip address A.B.C.D` without the mask KeyError('mask'), each ending the user's line.
    ("crypto pki certificate chain TP", "no certificate"),
    ("crypto pki certificate chain TP", "default certificate ca"),
    ("interface FastEthernet0/0", "no ip address 10.1.1.1"),
    ("interface FastEthernet0/0.5", "default ip address 10.1.1.1"),
])
def test_a_no_form_missing_its_value_is_incomplete(shell, enter, line) -> None:
    out = _typed_sync(shell, "configure terminal", enter, line)
    assert f")#{line}\n% Incomplete command." in out


# --- keys at a vty ------------------------------------------------------------------------------

class _Link:
    """A vty's link with nothing behind it: what the shell writes is dropped."""

    def __init__(self) -> None:
        self.input_send, self.input = trio.open_memory_channel(math.inf)

    def send(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


KEYS = st.lists(st.one_of(
    st.binary(max_size=24),
    st.sampled_from([b"?", b"\t", b"\r", b"\r\n", b"\r\0", b"\x1b[A", b"\x1b[B", b"\x10",
                     b"\x0e", b"\x03", b"\x1a", b"\x17", b"\x15", b"\x7f", b"\x08", b"\xff",
                     b"sh", b"show ", b"configure terminal\r", b"ephone 1\r", b"no ",
                     b"do show ", b"| include ", b"\xc3", b"\xe2\x82"]),
    random_lines().map(lambda s: s.encode("utf-8", "replace") + b"\r"),
), min_size=1, max_size=12)


async def _keys(router: Router, chunks: list[bytes], mode: str) -> None:
    link = _Link()
    terminal = VtyTerminal(link)
    session = Session(router, terminal, COMMANDS, priv=15, origin="vty0 (10.0.0.9)")
    terminal.session = session
    for line in MODE_ENTRY[mode]:
        link.input_send.send_nowait(line.encode() + b"\r")
    for chunk in chunks:
        link.input_send.send_nowait(chunk)
    link.input_send.close()
    with trio.fail_after(LINE_TIMEOUT):
        await session.run()


@fewer(0.7)
@given(KEYS, st.sampled_from(sorted(MODE_ENTRY)))
def test_keys_at_a_vty_never_raise(fuzz_router, chunks, mode) -> None:
    trio.run(_keys, fuzz_router.value, chunks, mode)
