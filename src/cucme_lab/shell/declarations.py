"""How commands are declared, and the command set a session parses with.

Each command module keeps its own `Declarations` (`@DECLARED.command(mode, syntax)` adds one,
in order); importing a module changes nothing outside it. A `CommandSet` is built from the
modules' declarations, in the order given (which ranks commands that match equally), and
holds two trees per mode: the commands as typed, and their `no`/`default` forms, built on
first use. `cucme_lab.shell.commands.command_set()` builds the shell's one set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cucme_lab.shell.grammar import Command, CommandTree, Element, Handler
from cucme_lab.shell.help_texts import HELP
from cucme_lab.shell.modes import CONFIG_MODES, MODES

# Short forms IOS resolves even though they prefix several keywords. EXEC: IOS's default
# aliases as `show aliases` lists them on a real router (Cisco's EEM guide capture: h help,
# lo logout, p ping, r resume, s show, u undebug, un undebug, w where); `?` shows them as
# `*s=show`. An alias whose command the lab lacks (help, ping) resolves to a word IOS has and
# the lab does not: the unknown-word path. Configuration mode: [M], no capture found.
ALIASES: dict[str, dict[str, str]] = {
    "exec": {"h": "help", "lo": "logout", "p": "ping", "r": "resume", "s": "show",
             "u": "undebug", "un": "undebug", "w": "where"},
    "config": {"int": "interface", "i": "interface", "e": "end", "ex": "exit", "ho": "hostname",
               "tel": "telephony-service", "do": "do"},
}

# The first words of IOS's EXEC mode, from a real `?` listing (IOS 12.4 with voice, 7206VXR).
# A prefix is ambiguous or unique among these, not among the lab's fewer commands: `l` is
# ambiguous (lat, lock, login, logout) and `r` is not `reload`. A word the lab does not
# implement is an unknown word, as before.
IOS_WORDS: dict[str, frozenset[str]] = {
    "exec": frozenset("""
        access-enable access-profile access-template alps archive audio-prompt auto beep bfe
        calendar call call-home cd clear clock cns configure connect copy crypto debug delete
        dir disable disconnect emm enable eou ephone-hunt erase ethernet event exit file-acct
        flush format fsck help hw-module if-mgr isdn lat lock login logout microcode mkdir
        monitor more mpls mrinfo mrm mstat mtrace name-connection ncia no pad partition ping
        ppp pwd redundancy release reload rename renew restart resume rlogin rmdir rsh sdlc
        send set setup show slip spec-file squeeze ssh start-chat systat tarp tclquit tclsafe
        tclsh tdm telnet terminal test tn3270 traceroute tunnel udptn undebug undelete upgrade
        verify voice webvpn where which-route write x28 x3 xconnect""".split()),
}


@dataclass
class Trees:
    positive: CommandTree
    negative: CommandTree


@dataclass(frozen=True)
class Declared:
    """One `command(...)` declaration, not yet ranked: it may name several modes."""

    modes: tuple[str, ...]
    syntax: str
    handler: Handler
    help: dict[str, str]
    priv: int | None
    no: str | bool
    hidden: bool


class Declarations:
    """The commands one module declares, in the order it declares them."""

    def __init__(self) -> None:
        self.items: list[Declared] = []

    def command(self, modes: str | Iterable[str], syntax: str, *,
                help: dict[str, str] | None = None, priv: int | None = None,
                no: str | bool = True, hidden: bool = False) -> Callable[[Handler], Handler]:
        """Declare a command. `no=False`: it has no `no` form; `no="syntax"`: its own `no`
        syntax."""
        mode_list = (modes,) if isinstance(modes, str) else tuple(modes)
        for mode in mode_list:
            if mode not in MODES:
                raise KeyError(f"unknown mode {mode}")

        def declare(handler: Handler) -> Handler:
            self.items.append(Declared(mode_list, syntax, handler, dict(help or {}), priv, no,
                                       hidden))
            return handler

        return declare


class CommandSet:
    """Every command a session can run, by mode, ranked in declaration order."""

    def __init__(self, declarations: Iterable[Declarations]) -> None:
        self._commands: dict[str, list[Command]] = {}
        self._trees: dict[str, Trees] = {}
        rank = 0
        for module in declarations:
            for d in module.items:
                for mode in d.modes:
                    rank += 1
                    self._commands.setdefault(mode, []).append(Command(
                        mode, d.syntax, d.handler, dict(d.help),
                        d.priv if d.priv is not None else 15,
                        d.no if mode != "exec" else False, rank, d.hidden))
        # A handler may serve several syntaxes: it may find any of their names in its arguments.
        by_handler: dict[Handler, list[Command]] = {}
        for commands in self._commands.values():
            for cmd in commands:
                by_handler.setdefault(cmd.handler, []).append(cmd)
        for sharing in by_handler.values():
            names = frozenset().union(*(c.own_names() for c in sharing))
            for cmd in sharing:
                cmd.names = names

    def trees(self, mode: str) -> Trees:
        cached = self._trees.get(mode)
        if cached is None:
            positive, negative = CommandTree(), CommandTree()
            for cmd in self._commands.get(mode, []):
                positive.add(cmd, default_help=HELP)
                if cmd.no is not False:
                    negative.add(cmd, cmd.no if isinstance(cmd.no, str) else None,
                                 negated=True, default_help=HELP)
            if mode in CONFIG_MODES:
                for word in ("no", "default"):
                    positive.root.child(Element(keyword=word, name=word), HELP[word]).min_priv = 0
            cached = self._trees[mode] = Trees(positive, negative)
        return cached

    def aliases(self, mode: str) -> dict[str, str]:
        return ALIASES.get(mode, {})

    def ios_words(self, mode: str) -> frozenset[str]:
        """IOS's first words in `mode`, those the lab lacks included: what a prefix is
        judged against."""
        return IOS_WORDS.get(mode, frozenset())

    def commands(self, mode: str) -> list[Command]:
        return list(self._commands.get(mode, []))
