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

from cli_shell.argtypes import ArgType, resolve_type

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
    spec, _, name = word.partition(":") if not word.startswith("<") else _split_range(word)
    argtype = resolve_type(spec)
    if argtype is not None:
        return Element(argtype=argtype, name=name or spec.lower(), repeat=repeat)
    if not re.fullmatch(r"[a-z0-9][A-Za-z0-9_.\-/]*|[A-Z][A-Za-z0-9\-]*", spec):
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


def _expand(seq: _Seq, choice_name: str = "") -> list[list[Element]]:
    paths: list[list[Element]] = [[]]
    for item in seq.items:
        if isinstance(item, str):
            el = _element(item, choice_name if not paths[0] else "")
            paths = [p + [el] for p in paths]
            choice_name = ""
        elif isinstance(item, _Opt):
            tails = _expand(item.seq)
            paths = [p + t for p in paths for t in [[]] + tails]
        else:
            tails = [t for option in item.options for t in _expand(option, item.name)]
            paths = [p + t for p in paths for t in tails]
    return paths


def compile_paths(syntax: str) -> list[list[Element]]:
    tokens = _TOKEN.findall(syntax)
    options, _ = _parse_syntax(tokens, 0, "")
    paths = [p for option in options for p in _expand(option)]
    unique: dict[tuple, list[Element]] = {}
    for p in paths:
        unique.setdefault(tuple(e.key for e in p), p)
    return list(unique.values())


# ---------------------------------------------------------------------------------------------
# The per-mode tree


class CommandTree:
    """All commands of one mode (or the `no` forms of them) merged into one tree."""

    def __init__(self) -> None:
        self.root = Node()

    def add(self, command: Command, syntax: str | None = None, *, negated: bool = False,
            default_help: dict[str, str] | None = None) -> None:
        paths = compile_paths(syntax or command.syntax)
        for path in paths:
            node = self.root
            node.min_priv = min(node.min_priv, command.priv)
            leading = _leading_keywords(path) if negated and syntax is None else len(path)
            for depth, el in enumerate(path, start=1):
                help_text = _help_for(el, command.help, default_help or {})
                node = node.child(el, help_text)
                node.min_priv = min(node.min_priv, command.priv)
                if el.repeat and node not in node.children:
                    node.children.append(node)
                if depth >= leading and command not in node.commands:
                    node.commands.append(command)
            if command not in node.commands:
                node.commands.append(command)


def _leading_keywords(path: list[Element]) -> int:
    """`no` of a setting needs only its keywords: `no ip source-address` drops the whole line."""
    count = 0
    for el in path:
        if el.keyword is None or (el.name and el.value is not None):
            break
        count += 1
    return max(count, 1)


def _help_for(el: Element, own: dict[str, str], default: dict[str, str]) -> str:
    if el.keyword is not None:
        return own.get(el.keyword) or default.get(el.keyword, "")
    assert el.argtype is not None
    return own.get(el.name) or el.argtype.help or default.get(el.argtype.label, "")
