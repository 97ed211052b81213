"""Dial-peer destination patterns and the pots table, sans I/O.

A destination-pattern is matched against the digits dialled: a digit, `*` or `#` is itself;
`.` is any one digit; `[2-9]` (or `[^0]`) one digit of a class; `+` after an element repeats it
once or more (a leading `+` is the E.164 plus); a trailing `T` is any number of further digits,
ended by `#` or the interdigit timeout. Among the peers whose patterns the digits fully match,
IOS takes the longest explicit match, then the lowest `preference`, then the peer created
first. A pots peer forwards the digits the pattern's wildcards matched (IOS strips the
explicitly matched leading digits), or the rightmost `forward-digits N`, `all` or `extra`, or
everything with `no digit-strip`; `prefix` goes in front.

The table is built once per configuration. Lookups index the peers by the literal digits their
patterns start with, so a call costs a few dictionary lookups and the patterns those digits
can reach, not a walk over every peer (benchmarks/dialpeer_bench.py).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple

from cucme_lab.router.config.section import Section
from cucme_lab.router.telephony.voice_config import DialPeer, dial_peers

DIGITS = "0123456789*#"
_ELEMENT = re.compile(r"\+?(?:[0-9*#.]|\[\^?[0-9*#-]+\])\+?")
_VALID = re.compile(r"\+?(?:(?:[0-9*#.]|\[\^?[0-9*#-]+\])\+?)*T?")


def valid_destination_pattern(text: str) -> bool:
    """Whether IOS would take `text` as a destination-pattern (a class with no digit, such as
    `[9-1]`, is refused here)."""
    if not text or not _VALID.fullmatch(text) or text in ("+", "T"):
        return False
    return all(_class(c) for c in re.findall(r"\[\^?[0-9*#-]+\]", text))


def _class(spec: str) -> frozenset[str]:
    body, negate = spec[1:-1], False
    if body.startswith("^"):
        body, negate = body[1:], True
    chars: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = body[i], body[i + 2]
            chars.update(c for c in DIGITS[:10] if lo <= c <= hi)
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return frozenset(set(DIGITS) - chars) if negate else frozenset(chars)


class Element(NamedTuple):
    chars: frozenset[str]
    repeat: bool  # `+`: once or more
    literal: bool  # one explicit digit


ANY = frozenset(DIGITS[:10])


@dataclass(frozen=True)
class Pattern:
    """A compiled destination-pattern."""

    text: str
    elements: tuple[Element, ...]
    variable: bool  # trailing T
    literal_prefix: str  # the explicit digits it starts with
    explicit: int  # how many of its elements are explicit digits
    regex: re.Pattern[str]

    @classmethod
    def compile(cls, text: str) -> Pattern:
        body = text
        if body.startswith("+") and len(body) > 1:
            body = body[1:]  # E.164 plus: not dialled on a phone keypad
        variable = body.endswith("T")
        if variable:
            body = body[:-1]
        elements: list[Element] = []
        regex = ""
        for m in _ELEMENT.finditer(body):
            tok = m.group(0).lstrip("+")
            repeat = tok.endswith("+")
            tok = tok.rstrip("+")
            if tok == ".":
                chars, literal, part = ANY, False, "[0-9]"
            elif tok.startswith("["):
                chars = _class(tok)  # `[9-1]` is empty: it matches nothing
                literal = False
                part = "[" + re.escape("".join(sorted(chars))) + "]" if chars else "(?!)"
            else:
                chars, literal, part = frozenset(tok), True, re.escape(tok)
            elements.append(Element(chars, repeat, literal))
            regex += part + ("+" if repeat else "")
        prefix = ""
        for el in elements:
            if not el.literal or el.repeat:
                break
            prefix += next(iter(el.chars))
        regex += "[0-9*]*" if variable else ""
        return cls(text, tuple(elements), variable, prefix,
                   sum(1 for el in elements if el.literal), re.compile(regex))

    def full(self, digits: str) -> bool:
        return self.regex.fullmatch(digits) is not None

    def could_extend(self, digits: str) -> bool:
        """Whether more digits after `digits` could still match."""
        states = {0}
        for d in digits:
            nxt: set[int] = set()
            for s in states:
                if s < len(self.elements) and d in self.elements[s].chars:
                    nxt.add(s + 1)
                    if self.elements[s].repeat:
                        nxt.add(s)
                elif s == len(self.elements) and self.variable and d.isdigit():
                    nxt.add(s)
            states = nxt
            if not states:
                return False
        return any(s < len(self.elements) or self.variable for s in states)

    def wildcard_digits(self, digits: str) -> str:
        """The digits left once the explicitly matched leading digits are stripped."""
        return digits[len(self.literal_prefix):]


@dataclass(frozen=True)
class Peer:
    """A pots dial-peer as the router routes by it."""

    tag: int
    pattern: Pattern
    port: str | None
    prefix: str
    forward: int | str | None
    digit_strip: bool
    preference: int
    corlist_outgoing: str | None
    max_conn: int | None
    order: int

    @classmethod
    def of(cls, block: DialPeer, order: int) -> Peer | None:
        if block.peer_type != "pots" or not block.destination_pattern:
            return None
        return cls(block.tag, Pattern.compile(block.destination_pattern), block.port,
                   block.prefix or "", block.forward_digits, block.digit_strip,
                   block.preference if block.preference is not None else 0,
                   block.corlist_outgoing, block.max_conn, order)

    def rank(self) -> tuple[int, int, int]:
        return (-self.pattern.explicit, self.preference, self.order)

    def outpulse(self, digits: str) -> str:
        """The digits sent out of the voice port: stripped or forwarded, then `prefix`."""
        forward = self.forward
        if forward == "all" or not self.digit_strip:
            sent = digits
        elif forward == "extra":
            sent = digits[len(self.pattern.elements):] if not self.pattern.variable else \
                self.pattern.wildcard_digits(digits)
        elif isinstance(forward, int):
            sent = digits[-forward:] if forward else ""
        else:
            sent = self.pattern.wildcard_digits(digits)
        return self.prefix + sent


class Route(NamedTuple):
    """What digits reach among the dial-peers: the peer chosen (None: none yet), whether more
    digits could reach one, and the digits the voice port sends."""

    peer: Peer | None
    more: bool
    outpulse: str = ""


NO_ROUTE = Route(None, False)


class PeerTable:
    """The pots dial-peers, indexed by the literal digits their patterns start with."""

    def __init__(self, peers: list[Peer]) -> None:
        self.peers = peers
        self._by_prefix: dict[str, list[Peer]] = {}
        for peer in sorted(peers, key=Peer.rank):
            self._by_prefix.setdefault(peer.pattern.literal_prefix, []).append(peer)
        self._prefixes = sorted(self._by_prefix)
        self._longest = max((len(p) for p in self._prefixes), default=0)

    @classmethod
    def from_config(cls, config: Section) -> PeerTable:
        peers = [p for i, block in enumerate(dial_peers(config))
                 if (p := Peer.of(block, i)) is not None]
        return cls(peers)

    def _candidates(self, digits: str) -> list[Peer]:
        found: list[Peer] = []
        for k in range(min(len(digits), self._longest) + 1):
            bucket = self._by_prefix.get(digits[:k])
            if bucket:
                found.extend(bucket)
        return found

    def best(self, digits: str) -> Peer | None:
        """The peer a complete number goes to (ignoring whether a longer one could match)."""
        best: Peer | None = None
        for peer in self._candidates(digits):
            if peer.pattern.full(digits) and (best is None or peer.rank() < best.rank()):
                best = peer
        return best

    def route(self, digits: str, *, final: bool = False) -> Route:
        """For the digits dialled so far: the peer they reach and whether to wait for more.
        A `T` pattern reaches its peer only when dialling ends (`final`)."""
        if not digits:
            return NO_ROUTE
        candidates = self._candidates(digits)
        # whether to wait for more digits: moot once dialling has ended
        more = not final and (self._longer_prefix(digits) or any(
            p.pattern.could_extend(digits) for p in candidates))
        best: Peer | None = None
        for peer in candidates:
            if peer.pattern.variable and not final and peer.pattern.full(digits):
                more = True
                continue
            if peer.pattern.full(digits) and (best is None or peer.rank() < best.rank()):
                best = peer
        if best is None:
            return Route(None, more)
        return Route(best, more, best.outpulse(digits))

    def _longer_prefix(self, digits: str) -> bool:
        """Whether some peer's literal digits go on past `digits`."""
        i = bisect.bisect_right(self._prefixes, digits)
        return i < len(self._prefixes) and self._prefixes[i].startswith(digits)
