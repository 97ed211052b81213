"""What dialled digits reach: the ephone-dn numbers and `dialplan-pattern` expansion (sans I/O).

CME routes a call among its own phones by the numbers of the ephone-dns (primary and
secondary). `dialplan-pattern TAG PATTERN extension-length N` (NSA guide Appendix B:
`dialplan-pattern 1 27... extension-length 4`) makes a full number that matches PATTERN (a
`.` is any digit) reach the extension made of its last N digits: 27002 reaches 7002. The plan
is built from the typed configuration once per change (the registry keeps it) and answers,
for the digits so far, which number they reach and whether more digits could still reach
another, which is how digit collection knows when to stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from cucme_lab.router.config.section import Section
from cucme_lab.router.telephony.settings import (
    DialplanPattern,
    ephone_dns,
    ephones,
    telephony_service,
)
from cucme_lab.router.telephony.tollplan import TollPlan


class Verdict(NamedTuple):
    """For digits dialled so far: the ephone-dn they reach (None: none yet) and whether more
    digits could reach one (a longer number or pattern starts with them)."""

    dn: int | None
    more: bool


def _pattern_prefix(pattern: str, digits: str) -> bool:
    return len(digits) <= len(pattern) and all(
        p == "." or p == d for p, d in zip(pattern, digits, strict=False))


@dataclass(frozen=True)
class DialPlan:
    """The numbers of the ephone-dns, the patterns, and which ephone buttons hold each dn."""

    numbers: dict[str, int] = field(default_factory=dict)  # number -> ephone-dn tag
    patterns: tuple[DialplanPattern, ...] = ()
    # ephone-dn tag -> the (ephone tag, button index) holding it, in ephone order
    appearances: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    toll: TollPlan | None = None  # dial-peers, COR, after-hours (tollplan.py)

    @classmethod
    def from_config(cls, config: Section) -> DialPlan:
        numbers: dict[str, int] = {}
        for dn in ephone_dns(config):
            for number in (dn.number, dn.secondary):
                if number and number not in numbers:
                    numbers[number] = dn.tag
        ts = telephony_service(config)
        patterns = tuple(p for _, p in sorted(ts.dialplan_patterns.items())) if ts else ()
        appearances: dict[int, list[tuple[int, int]]] = {}
        for ep in ephones(config):
            for button in sorted(ep.buttons, key=lambda b: b.index):
                for dn_tag in button.dns:
                    appearances.setdefault(dn_tag, []).append((ep.tag, button.index))
        return cls(numbers, patterns, {k: tuple(v) for k, v in appearances.items()},
                   TollPlan.from_config(config))

    def expand(self, digits: str) -> str:
        """The extension a full pattern number stands for; other digits are themselves."""
        for p in self.patterns:
            if len(digits) == len(p.pattern) and _pattern_prefix(p.pattern, digits) and \
                    0 < p.length <= len(digits):
                return digits[-p.length:]
        return digits

    def match(self, digits: str) -> Verdict:
        """Which ephone-dn `digits` reach now, and whether longer digits might reach one."""
        dn = self.numbers.get(digits)
        if dn is None:
            dn = self.numbers.get(self.expand(digits))
        more = any(len(n) > len(digits) and n.startswith(digits) for n in self.numbers) or \
            any(len(p.pattern) > len(digits) and _pattern_prefix(p.pattern, digits)
                for p in self.patterns)
        return Verdict(dn, more)
