"""Matching a typed line against a mode's command tree, the way the IOS parser does.

The matcher walks all alternatives at once. At each position a token may be an unambiguous
prefix of the keywords possible there (or a priority alias), or a value of a typed argument.
The first token that fits nothing is where the caret goes; running out of tokens before a
command is complete is `% Incomplete command.`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.shell.grammar import Command, Node

GENERIC_LABELS = frozenset({"WORD", "LINE"})


@dataclass(frozen=True)
class Token:
    text: str
    start: int


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """IOS keywords are case-insensitive in ASCII only.

    `str.lower()` would also turn the Kelvin sign into `k`, making a word no terminal types match.
    """
    return text.translate(_ASCII_LOWER)


def tokenize(line: str) -> list[Token]:
    return [Token(m.group(0), m.start()) for m in re.finditer(r"\S+", line)]


@dataclass
class Match:
    command: Command
    args: dict[str, Any]


@dataclass
class ParseError:
    kind: str  # "invalid", "incomplete", "ambiguous"
    position: int = 0  # character offset in the line, for the caret
    token_index: int | None = None  # which word failed


@dataclass
class _State:
    node: Node
    binds: dict[str, Any] = field(default_factory=dict)


def _resolve_keyword(low: str, candidates: set[str], aliases: dict[str, str]) -> str | None | bool:
    """The keyword a token stands for; None when nothing fits, False when ambiguous."""
    hits = {kw for kw in candidates if kw.startswith(low)}
    if low in hits:
        return low
    if len(hits) == 1:
        return next(iter(hits))
    if not hits:
        return None
    alias = aliases.get(low)
    if alias in hits:
        return alias
    return False


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _bind(binds: dict[str, Any], node: Node, value: Any) -> dict[str, Any]:
    el = node.element
    assert el is not None
    new = dict(binds)
    new["_path"] = [*binds.get("_path", []), (el, value)]
    if el.keyword is not None:
        new[el.name] = el.value if el.value is not None else True
    elif el.repeat:
        new[el.name] = [*new.get(el.name, []), value]
    else:
        new[el.name] = value
    return new


class Frontier:
    """The set of positions reachable after a prefix of the tokens, per token index."""

    def __init__(self, root: Node, tokens: list[Token], line: str, priv: int,
                 aliases: dict[str, str], first_words: frozenset[str] = frozenset()) -> None:
        self.tokens = tokens
        self.line = line
        self.priv = priv
        self.aliases = aliases
        self.first_words = first_words  # the mode's IOS words, for the first token's prefix
        self.at: dict[int, list[_State]] = {0: [_State(root)]}
        self.ambiguous_at: int | None = None
        self.furthest = 0
        self.bad_char: dict[int, int] = {}  # token index -> offset of its first bad character

    def run(self, upto: int) -> list[_State]:
        """Advance through tokens[0:upto]; return the states standing at position `upto`."""
        for i in range(upto):
            states = self.at.pop(i, [])
            if not states:
                continue
            self.furthest = i
            self._step(i, states, upto)
        final = self.at.get(upto, [])
        if final:
            self.furthest = upto
        return final

    def _children(self, states: list[_State]):
        for st in states:
            for child in st.node.children:
                if child.min_priv <= self.priv:
                    yield st, child

    def _step(self, i: int, states: list[_State], upto: int) -> None:
        tok = self.tokens[i]
        low = ascii_lower(tok.text)
        pairs = list(self._children(states))
        keywords = {c.element.keyword for _, c in pairs if c.element.keyword is not None}
        chosen = _resolve_keyword(low, keywords | self.first_words if i == 0 else keywords,
                                  self.aliases)
        if chosen is False:
            self.ambiguous_at = i
        if isinstance(chosen, str):
            for st, child in pairs:
                if child.element.keyword == chosen:
                    self._push(i + 1, _State(child, _bind(st.binds, child, chosen)))
            return
        if chosen is None and keywords:
            self.bad_char[i] = min(max(_common_prefix(low, kw) for kw in keywords),
                                   max(len(low) - 1, 0))
        for st, child in pairs:
            el = child.element
            if el.argtype is None:
                continue
            if el.argtype.rest_of_line:
                value = self.line[tok.start:].rstrip()
                self._push(upto, _State(child, _bind(st.binds, child, value)))
                continue
            value = el.argtype.parse(tok.text)
            if value is not None:
                self._push(i + 1, _State(child, _bind(st.binds, child, value)))
            elif el.argtype.two_tokens and i + 1 < upto:
                value = el.argtype.parse(tok.text + self.tokens[i + 1].text)
                if value is not None:
                    self._push(i + 2, _State(child, _bind(st.binds, child, value)))

    def _push(self, index: int, state: _State) -> None:
        self.at.setdefault(index, []).append(state)


def match_line(root: Node, line: str, priv: int, aliases: dict[str, str],
               skip: int = 0, first_words: frozenset[str] = frozenset()) -> Match | ParseError:
    """Parse a whole line (from token `skip` on) to the command it names, or the IOS error.

    `first_words`: every first word IOS has in the mode, the lab's or not, so that a prefix is
    ambiguous where IOS finds it ambiguous.
    """
    tokens = tokenize(line)[skip:]
    if not tokens:
        return ParseError("incomplete", len(line))
    frontier = Frontier(root, tokens, line, priv, aliases, first_words)
    final = frontier.run(len(tokens))
    complete = [(c, st) for st in final for c in st.node.commands if c.priv <= priv]
    if complete:
        command, state = min(complete, key=lambda pair: pair[0].rank)
        return Match(command, state.binds)
    if final:
        return ParseError("incomplete", len(line))
    return _failure(frontier, tokens)


def _failure(frontier: Frontier, tokens: list[Token]) -> ParseError:
    """Where the line went wrong: the ambiguous word, or the first bad character."""
    if frontier.ambiguous_at is not None and frontier.ambiguous_at >= frontier.furthest:
        return ParseError("ambiguous", tokens[frontier.ambiguous_at].start, frontier.ambiguous_at)
    i = frontier.furthest
    if i >= len(tokens):
        return ParseError("incomplete", 0, i)
    # A mistyped keyword gets the caret under the first character that no keyword has there.
    return ParseError("invalid", tokens[i].start + frontier.bad_char.get(i, 0), i)


@dataclass
class HelpEntry:
    label: str
    help: str


def options_at(root: Node, line: str, priv: int, aliases: dict[str, str],
               skip: int = 0) -> list[HelpEntry] | ParseError:
    """What may follow `line` (which ends with a space): the `?` keyword listing."""
    tokens = tokenize(line)[skip:]
    frontier = Frontier(root, tokens, line, priv, aliases)
    final = frontier.run(len(tokens))
    if not final:
        return _failure(frontier, tokens)
    args: dict[str, HelpEntry] = {}
    keywords: dict[str, HelpEntry] = {}
    can_end = False
    for st in final:
        if any(c.priv <= priv and not c.hidden for c in st.node.commands):
            can_end = True
        for child in st.node.children:
            if child.min_priv > priv:
                continue
            el = child.element
            if el.keyword is not None:
                keywords.setdefault(el.value if el.value and el.value.lower() == el.keyword
                                    else el.keyword, HelpEntry(el.value if el.value and
                                                               el.value.lower() == el.keyword
                                                               else el.keyword, child.help))
            else:
                args.setdefault(el.argtype.label, HelpEntry(el.argtype.label, child.help))
    entries = list(args.values()) + [keywords[k] for k in sorted(keywords, key=str.lower)]
    if can_end:
        entries.append(HelpEntry("<cr>", ""))
    return entries


def words_at(root: Node, line: str, partial: str, priv: int, aliases: dict[str, str],
             skip: int = 0) -> list[str] | ParseError:
    """Keywords that `partial` could complete to after `line`: the `sh?` form and Tab."""
    tokens = tokenize(line)[skip:]
    frontier = Frontier(root, tokens, line, priv, aliases)
    final = frontier.run(len(tokens))
    if not final and tokens:
        return _failure(frontier, tokens)
    low = ascii_lower(partial)
    found: dict[str, str] = {}
    for st in final:
        for child in st.node.children:
            if child.min_priv > priv:
                continue
            el = child.element
            if el.keyword is not None and el.keyword.startswith(low):
                shown = el.value if el.value and el.value.lower() == el.keyword else el.keyword
                found.setdefault(el.keyword, shown)
            elif el.argtype is not None and el.argtype.completes:
                for name in el.argtype.completes:
                    if name.lower().startswith(low) and low.isalpha():
                        found.setdefault(name.lower(), name)
    return [found[k] for k in sorted(found)]
