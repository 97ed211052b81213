"""The command grammar: one declaration per command, compiled into a per-mode keyword tree.

A syntax string reads like the IOS command reference:
    "ip source-address A.B.C.D:addr [port <2000-9999>:port] [strict-match]"
Keywords are plain words; typed slots are `TYPE:name`; `[...]` is optional, `{a|b}:name` a choice
(the chosen keyword is stored under `name`), and `TYPE:name...` repeats. Every command of a mode is
merged into one tree, so abbreviation, `?` help, completion and the caret all see the same
alternatives at each position, as the IOS parse chain does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.shell.argtypes import ArgType, resolve_type

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Element:
    """One position of a command: a keyword or a typed argument."""

    keyword: str | None = None
    argtype: ArgType | None = None
    name: str = ""
    value: str | None = None  # for a keyword inside a named choice: what to store
    repeat: bool = False
    display: str = ""  # the keyword as IOS prints it (case kept: `LSC`, `RW`)

    @property
    def key(self) -> tuple:
        if self.keyword is not None:
            return ("kw", self.keyword, self.name, self.value)
        assert self.argtype is not None
        return ("arg", self.argtype.label, id(self.argtype.parse), self.name, self.repeat)


@dataclass
class Command:
    """A declared command: its mode, syntax, help texts, privilege and handler."""

    mode: str
    syntax: str
    handler: Handler
    help: dict[str, str] = field(default_factory=dict)
    priv: int = 15
    no: str | bool = True
    rank: int = 0
    hidden: bool = False
    # Every name the handler may find in its arguments: the keywords, slots and choices of
    # each syntax declared with this handler (one handler may serve several syntaxes).
    names: frozenset[str] = frozenset()

    def own_names(self) -> frozenset[str]:
        found = syntax_elements(self.syntax)
        if isinstance(self.no, str):
            found += syntax_elements(self.no)
        return frozenset(el.name for el in found) | {"_path"}


@dataclass
class Node:
    """A position in a mode's command tree."""

    element: Element | None = None
    children: list[Node] = field(default_factory=list)
    index: dict[tuple, Node] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)  # commands complete here
    min_priv: int = 15
    help: str = ""

    def child(self, element: Element, help_text: str) -> Node:
        node = self.index.get(element.key)
        if node is None:
            node = Node(element=element, help=help_text)
            self.index[element.key] = node
            self.children.append(node)
        elif help_text and not node.help:
            node.help = help_text
        return node


# ---------------------------------------------------------------------------------------------
# Syntax strings -> linear paths

_TOKEN = re.compile(r"\[|\]|\{|\}(?::[\w-]+)?|\||[^\s\[\]{}|]+")


@dataclass
class _Seq:
    items: list[Any]


@dataclass
class _Opt:
    seq: _Seq


@dataclass
class _Alt:
    options: list[_Seq]
    name: str


def _parse_syntax(tokens: list[str], pos: int, closers: str) -> tuple[list[_Seq], int]:
    """Parse until one of `closers`; returns the `|`-separated sequences and the new position."""
    options: list[_Seq] = [_Seq([])]
    while pos < len(tokens):
        tok = tokens[pos]
        if tok[0] in closers and tok[0] in "]}":
            return options, pos
        if tok == "|":
            options.append(_Seq([]))
            pos += 1
            continue
        if tok == "[":
            inner, pos = _parse_syntax(tokens, pos + 1, "]")
            pos += 1
            if len(inner) == 1:
                options[-1].items.append(_Opt(inner[0]))
            else:
                options[-1].items.append(_Opt(_Seq([_Alt(inner, "")])))
            continue
        if tok == "{":
            inner, pos = _parse_syntax(tokens, pos + 1, "}")
            name = tokens[pos][2:] if tokens[pos].startswith("}:") else ""
            pos += 1
            options[-1].items.append(_Alt(inner, name))
            continue
        options[-1].items.append(tok)
        pos += 1
    return options, pos


def _element(word: str, choice_name: str) -> Element:
    repeat = word.endswith("...")
    if repeat:
        word = word[:-3]
    timed = next((t for t in ("HH:MM:SS", "HH:MM") if word == t or word.startswith(t + ":")),
                 None)
    if timed is not None:  # types whose own names hold colons
        spec, name = timed, word[len(timed) + 1:]
    elif word.endswith(":") and word.count(":") == 1:  # file-system keywords: `flash:`, `nvram:`
        spec, name = word, ""
    else:
        spec, _, name = word.partition(":") if not word.startswith("<") else _split_range(word)
    argtype = resolve_type(spec)
    if argtype is not None:
        return Element(argtype=argtype, name=name or choice_name or spec.lower(), repeat=repeat)
    if not re.fullmatch(r"[a-z0-9][A-Za-z0-9_.\-/+]*:?|[A-Z][A-Za-z0-9\-]*", spec):
        raise ValueError(f"bad syntax element {word!r}")
    if choice_name:
        return Element(keyword=spec.lower(), name=choice_name, value=spec, display=spec)
    return Element(keyword=spec.lower(), name=name or spec.lower(), value=spec if name else None,
                   display=spec)


def _split_range(word: str) -> tuple[str, str, str]:
    m = re.fullmatch(r"(<\d+-\d+>)(?::([\w-]+))?", word)
    if not m:
        raise ValueError(f"bad range element {word!r}")
    return m.group(1), ":", m.group(2) or ""


# ---------------------------------------------------------------------------------------------
# The per-mode tree


class CommandTree:
    """All commands of one mode (or the `no` forms of them) as one graph.

    Each syntax becomes a small graph of its own (an optional element is a branch that can be
    skipped, a choice a fan-out, a repeat a loop) hanging off the shared root; the matcher walks
    all of them at once, so alternatives at one position compete exactly as in a merged tree
    without the cost of expanding every combination of options into its own path.
    """

    def __init__(self) -> None:
        self.root = Node()

    def add(self, command: Command, syntax: str | None = None, *, negated: bool = False,
            default_help: dict[str, str] | None = None) -> None:
        tokens = _TOKEN.findall(syntax or command.syntax)
        options, _ = _parse_syntax(tokens, 0, "")
        self.root.min_priv = min(self.root.min_priv, command.priv)
        builder = _GraphBuilder(command, default_help or {})
        exits: list[tuple[Node, int]] = []
        for option in options:
            exits += builder.sequence(option, [(self.root, 0)], "")
        leading = _leading_count(options) if negated and syntax is None else None
        for node, _depth in exits:
            if command not in node.commands:
                node.commands.append(command)
        if leading is not None:
            for node, depth in builder.visited:
                if depth >= leading and command not in node.commands:
                    node.commands.append(command)


class _GraphBuilder:
    """Turns one parsed syntax into nodes; tracks each node's depth for `no` forms."""

    def __init__(self, command: Command, default_help: dict[str, str]) -> None:
        self.command = command
        self.default_help = default_help
        self.visited: list[tuple[Node, int]] = []

    def sequence(self, seq: _Seq, entries: list[tuple[Node, int]], choice_name: str
                 ) -> list[tuple[Node, int]]:
        current = entries
        first = True
        for item in seq.items:
            if isinstance(item, str):
                current = self.element(_element(item, choice_name if first else ""), current)
            elif isinstance(item, _Opt):
                current = current + self.sequence(item.seq, current, "")
            else:
                outs: list[tuple[Node, int]] = []
                for option in item.options:
                    outs += self.sequence(option, current, item.name)
                current = outs
            first = False
        return current

    def element(self, el: Element, entries: list[tuple[Node, int]]) -> list[tuple[Node, int]]:
        help_text = _help_for(el, self.command.help, self.default_help)
        node = Node(element=el, help=help_text, min_priv=self.command.priv)
        depth = max(d for _, d in entries) + 1
        for parent, _ in entries:
            if node not in parent.children:
                parent.children.append(node)
        if el.repeat:
            node.children.append(node)
        self.visited.append((node, depth))
        return [(node, depth)]


def syntax_elements(syntax: str) -> list[Element]:
    """The elements of a syntax string, every alternative and option included."""
    options, _ = _parse_syntax(_TOKEN.findall(syntax), 0, "")
    found: list[Element] = []

    def walk(seq: _Seq, choice_name: str) -> None:
        first = True
        for item in seq.items:
            if isinstance(item, str):
                found.append(_element(item, choice_name if first else ""))
            elif isinstance(item, _Opt):
                walk(item.seq, "")
            else:
                for option in item.options:
                    walk(option, item.name)
            first = False

    for option in options:
        walk(option, "")
    return found


def slot_names(syntax: str) -> list[str]:
    """The names under which a syntax stores typed values and named choices, in order."""
    names: list[str] = []
    for el in syntax_elements(syntax):
        if (el.argtype is not None or el.value is not None) and el.name not in names:
            names.append(el.name)
    return names


def _leading_count(options: list[_Seq]) -> int:
    """`no` of a setting needs only its leading keywords: `no ip source-address`."""
    count = 0
    for item in options[0].items if len(options) == 1 else []:
        if not isinstance(item, str):
            break
        el = _element(item, "")
        if el.keyword is None or el.value is not None:
            break
        count += 1
    return max(count, 1)


def _help_for(el: Element, own: dict[str, str], default: dict[str, str]) -> str:
    if el.keyword is not None:
        return own.get(el.display) or own.get(el.keyword) or default.get(el.keyword, "")
    assert el.argtype is not None
    return own.get(el.name) or el.argtype.help or default.get(el.argtype.label, "")
