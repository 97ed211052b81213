"""Where commands are declared: `@command(mode, syntax)` adds one to its mode's trees.

Each mode has two trees: the commands as typed, and their `no`/`default` forms. The trees are
built on first use and rebuilt if more commands are declared later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cucme_lab.shell.grammar import Command, CommandTree, Handler
from cucme_lab.shell.help_texts import HELP
from cucme_lab.shell.modes import CONFIG_MODES, MODES

_COMMANDS: dict[str, list[Command]] = {}
_TREES: dict[str, Trees] = {}
_BY_HANDLER: dict[Handler, list[Command]] = {}
_rank = 0

# Short forms IOS resolves even though they prefix several keywords.
ALIASES: dict[str, dict[str, str]] = {
    "exec": {"s": "show", "sh": "show", "conf": "configure", "en": "enable", "wr": "write",
             "c": "configure", "t": "terminal", "e": "enable", "d": "disable"},
    "config": {"int": "interface", "i": "interface", "e": "end", "ex": "exit", "ho": "hostname",
               "tel": "telephony-service", "do": "do"},
}


@dataclass
class Trees:
    positive: CommandTree
    negative: CommandTree


def command(modes: str | Iterable[str], syntax: str, *, help: dict[str, str] | None = None,
            priv: int | None = None, no: str | bool = True, hidden: bool = False
            ) -> Callable[[Handler], Handler]:
    """Declare a command. `no=False`: it has no `no` form; `no="syntax"`: its own `no` syntax."""
    global _rank
    mode_list = [modes] if isinstance(modes, str) else list(modes)

    def register(handler: Handler) -> Handler:
        global _rank
        for mode in mode_list:
            if mode not in MODES:
                raise KeyError(f"unknown mode {mode}")
            _rank += 1
            cmd = Command(mode, syntax, handler, dict(help or {}),
                          priv if priv is not None else 15,
                          no if mode != "exec" else False, _rank, hidden)
            _COMMANDS.setdefault(mode, []).append(cmd)
            _TREES.pop(mode, None)
            sharing = _BY_HANDLER.setdefault(handler, [])
            sharing.append(cmd)
            names = frozenset().union(*(c.own_names() for c in sharing))
            for c in sharing:
                c.names = names
        return handler

    return register


def trees(mode: str) -> Trees:
    cached = _TREES.get(mode)
    if cached is None:
        positive, negative = CommandTree(), CommandTree()
        for cmd in _COMMANDS.get(mode, []):
            positive.add(cmd, default_help=HELP)
            if cmd.no is not False:
                negative.add(cmd, cmd.no if isinstance(cmd.no, str) else None, negated=True,
                             default_help=HELP)
        if mode in CONFIG_MODES:
            from cucme_lab.shell.grammar import Element

            for word in ("no", "default"):
                positive.root.child(Element(keyword=word, name=word), HELP[word]).min_priv = 0
        cached = _TREES[mode] = Trees(positive, negative)
    return cached


def aliases(mode: str) -> dict[str, str]:
    return ALIASES.get(mode, {})


def commands(mode: str) -> list[Command]:
    return list(_COMMANDS.get(mode, []))
