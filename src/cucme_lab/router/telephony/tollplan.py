"""The toll-fraud judgement of one call, sans I/O: which pots dial-peer digits reach, and
whether COR and after-hours blocking let the caller make the call.

Built once per configuration (the registry keeps it with the dial plan): the dial-peer table
(`dialpeers.py`), the COR lists (`cor.py`), the after-hours patterns and window
(`afterhours.py`), and each ephone-dn's COR lists and call forwards. Call control asks it on
every path a call takes: dialled directly, forwarded (the original caller's COR and the number
forwarded to are judged) and transferred (the transferred party's COR against the party it is
joined to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from cucme_lab.router.config.section import Section
from cucme_lab.router.telephony.afterhours import AfterHours
from cucme_lab.router.telephony.cor import CorTable
from cucme_lab.router.telephony.dialpeers import Peer, PeerTable
from cucme_lab.router.telephony.settings import (
    CallForward,
    ephone_dns,
    ephones,
    telephony_service,
)

EPHONE_DN_PEER_BASE = 20000  # CME's dial-peer tag for ephone-dn N is 20000 + N


class Refusal(NamedTuple):
    """Why a call may not be made: `rule` names it for the debug line and history."""

    kind: str  # "cor" or "after-hours"
    rule: str


class DnPolicy(NamedTuple):
    tag: int
    cor_incoming: str | None
    cor_outgoing: str | None
    forward_all: CallForward | None
    forward_busy: CallForward | None
    forward_noan: CallForward | None


@dataclass(frozen=True)
class TollPlan:
    peers: PeerTable
    cor: CorTable
    after_hours: AfterHours
    by_number: dict[str, DnPolicy]
    by_tag: dict[int, DnPolicy]
    peers_by_tag: dict[int, Peer]
    exempt: frozenset[int] = frozenset()  # ephones with `after-hour exempt`

    @classmethod
    def from_config(cls, config: Section) -> TollPlan:
        by_number: dict[str, DnPolicy] = {}
        by_tag: dict[int, DnPolicy] = {}
        for dn in ephone_dns(config):
            policy = DnPolicy(dn.tag, dn.cor_incoming, dn.cor_outgoing, dn.forward_all,
                              dn.forward_busy, dn.forward_noan)
            by_tag[dn.tag] = policy
            for number in (dn.number, dn.secondary):
                if number and number not in by_number:
                    by_number[number] = policy
        peers = PeerTable.from_config(config)
        return cls(peers, CorTable.from_config(config),
                   AfterHours.from_service(telephony_service(config)), by_number, by_tag,
                   {p.tag: p for p in peers.peers},
                   frozenset(ep.tag for ep in ephones(config) if ep.after_hour_exempt))

    def incoming_list(self, number: str) -> str | None:
        policy = self.by_number.get(number)
        return None if policy is None else policy.cor_incoming

    def judge(self, digits: str, caller_number: str, outgoing: str | None, now: datetime,
              target: str, ephone: int | None = None) -> Refusal | None:
        """May the line `caller_number` (on ephone `ephone`) make a call dialled as `digits`,
        to a side whose outgoing COR list is `outgoing` (`target` names it: "dial-peer 11")?
        An ephone with `after-hour exempt` is not blocked after hours; COR still holds."""
        blocking = None if ephone in self.exempt else self.after_hours.blocking(digits, now)
        if blocking is not None:
            return Refusal("after-hours", f"after-hours block pattern {blocking} "
                           f"{self.after_hours.texts.get(blocking, '')}".rstrip())
        return self.judge_cor(caller_number, outgoing, target)

    def judge_cor(self, caller_number: str, outgoing: str | None, target: str
                  ) -> Refusal | None:
        incoming = self.incoming_list(caller_number)
        verdict = self.cor.judge(incoming, outgoing)
        if verdict.allowed:
            return None
        return Refusal("cor", f"COR: {target} outgoing list {outgoing} needs "
                       f"{', '.join(sorted(verdict.missing))}, not in incoming list {incoming}")
