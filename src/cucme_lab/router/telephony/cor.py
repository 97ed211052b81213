"""Class of restriction, sans I/O: IOS's rule for whether one side may call the other.

The call passes when the calling side's incoming COR list (an ephone-dn's `cor incoming`, a
dial-peer's `corlist incoming`) holds every member of the called side's outgoing COR list (the
dial-peer's `corlist outgoing`, the called ephone-dn's `cor outgoing`). A side without a list
passes: no incoming list may call anything, no outgoing list may be called by anyone. A list
named but not defined under `dial-peer cor list` counts as a list with no members [U: IOS's
treatment of an undefined list is not documented in the sources; an empty list is the strict
reading].
"""

from __future__ import annotations

from typing import NamedTuple

from cucme_lab.router.config.section import Section
from cucme_lab.router.telephony.voice_config import cor_lists


class CorVerdict(NamedTuple):
    allowed: bool
    missing: frozenset[str] = frozenset()  # outgoing members the incoming list lacks


ALLOWED = CorVerdict(True)


class CorTable:
    """The COR lists by name, as sets of members."""

    def __init__(self, lists: dict[str, frozenset[str]]) -> None:
        self.lists = lists

    @classmethod
    def from_config(cls, config: Section) -> CorTable:
        return cls({name: frozenset(block.members) for name, block in cor_lists(config).items()})

    def members(self, name: str) -> frozenset[str]:
        return self.lists.get(name, frozenset())

    def judge(self, incoming: str | None, outgoing: str | None) -> CorVerdict:
        """May a side whose incoming list is `incoming` reach one whose outgoing list is
        `outgoing`?"""
        if incoming is None or outgoing is None:
            return ALLOWED
        missing = self.members(outgoing) - self.members(incoming)
        return ALLOWED if not missing else CorVerdict(False, missing)
