"""Toll-fraud judgement per call: dial-plan lookup plus COR and after-hours, at scale.

The router's configuration holds 1,000 pots dial-peers (distinct 9NXX..... area-code patterns,
each with an outgoing COR list, in several COR classes), the chapter's COR lists, the chapter's
24 after-hours block patterns with its `after-hours day ... 00:00 23:59` window, and an
ephone-dn with `cor incoming user`. Each call is what call control does when dialling ends:
the ephone-dn numbers (`DialPlan.match`), then `PeerTable.route` (which peer the digits
reach, the digits the port sends) and `TollPlan.judge` (after-hours at the router's local
time, then COR of the calling line against the peer's outgoing list). The numbers mix
allowed, COR-refused and after-hours-blocked calls.

Floor, measured in the same run: a bare dictionary lookup of the same dialled numbers (what
any routing of a known number costs in Python). Target (issue 18): under 50 us per call.

Run: python benchmarks/dialpeer_bench.py [--peers 1000] [--calls 200000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cucme_lab.router.config.root import RootConfig  # noqa: E402
from cucme_lab.router.telephony.dialplan import DialPlan  # noqa: E402
from cucme_lab.router.telephony.settings import (  # noqa: E402
    EPHONE_DN,
    TELEPHONY,
    WEEKDAYS,
    AfterHoursDay,
    AfterHoursPattern,
    DnNumber,
    EphoneDn,
    TelephonyService,
)
from cucme_lab.router.telephony.voice_config import (  # noqa: E402
    COR_CUSTOM,
    COR_LIST,
    DIAL_PEER,
    CorCustom,
    CorList,
    DialPeer,
)

CHAPTER_AREA_CODES = ("1242", "1264", "1268", "1246", "1441", "1284", "1345", "1767", "1809",
                      "1473", "1876", "1664", "1787", "1869", "1758", "1900", "1976", "1868",
                      "1649", "1340", "1784", "1684", "1590", "1456")
COR_NAMES = ("911", "1800", "local-call", "ld-call", "411", "int-call", "1900")
USER = ("911", "1800", "local-call", "ld-call")


def build_config(peers: int) -> RootConfig:
    config = RootConfig(kind="root")
    custom = config.section(COR_CUSTOM, (), "dial-peer cor custom", CorCustom)
    custom.names = list(COR_NAMES)
    for name in COR_NAMES:
        config.section(COR_LIST, (f"call{name}",), f"dial-peer cor list call{name}",
                       CorList).members = [name]
    config.section(COR_LIST, ("user",), "dial-peer cor list user", CorList).members = list(USER)
    for i in range(peers):
        tag = 1000 + i
        peer = config.section(DIAL_PEER, (tag,), f"dial-peer voice {tag} pots", DialPeer)
        area = 200 + i  # 9 + 1 + area code + 7 digits
        peer.destination_pattern = f"91{area}......."
        peer.port = "1/0" if i % 2 else "2/0"
        peer.prefix = "1"
        peer.corlist_outgoing = f"call{COR_NAMES[i % len(COR_NAMES)]}"
    ts = config.section(TELEPHONY, (), "telephony-service", TelephonyService)
    ts.after_hours_patterns = {n + 1: AfterHoursPattern("." + code, False)
                               for n, code in enumerate(CHAPTER_AREA_CODES)}
    ts.after_hours_days = {day: AfterHoursDay("00:00", "23:59") for day in WEEKDAYS}
    dn = config.section(EPHONE_DN, (1,), "ephone-dn  1", EphoneDn)
    dn.numbers = DnNumber("2000")
    dn.cor_incoming = "user"
    return config


def numbers(peers: int, count: int) -> list[str]:
    rng = random.Random(18)
    return [f"91{200 + rng.randrange(peers)}{rng.randrange(10**7):07d}" for _ in range(count)]


def measure(fn, items: list[str]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    config = build_config(args.peers)
    t0 = time.perf_counter()
    dial_plan = DialPlan.from_config(config)
    plan = dial_plan.toll
    assert plan is not None
    build_ms = (time.perf_counter() - t0) * 1000
    dialled = numbers(args.peers, args.calls)
    now = datetime(2024, 6, 3, 12, 0)

    def judge(digits: str) -> object:
        if dial_plan.match(digits).dn is not None:  # an ephone-dn first, as call control does
            return None
        route = plan.peers.route(digits, final=True)
        peer = route.peer
        return plan.judge(digits, "2000", peer.corlist_outgoing if peer else None, now,
                          "dial-peer")

    table = {d: d[1:] for d in set(dialled)}
    outcomes = {"allowed": 0, "cor": 0, "after-hours": 0}
    for digits in dialled[:10_000]:
        refusal = judge(digits)
        outcomes["allowed" if refusal is None else refusal.kind] += 1
    floor = min(measure(table.get, dialled) for _ in range(3))
    per_call = min(measure(judge, dialled) for _ in range(3))
    print(f"dial-peers: {len(plan.peers.peers)}, after-hours patterns: "
          f"{len(plan.after_hours.texts)}, plan built in {build_ms:.1f} ms")
    print(f"outcomes of the first 10,000 calls: {outcomes}")
    print(f"route + after-hours + COR per call: {per_call * 1e6:8.2f} us   "
          f"(target < 50 us)")
    print(f"floor, bare dict lookup per call:   {floor * 1e6:8.2f} us   "
          f"(ratio {per_call / floor:.0f}x)")


if __name__ == "__main__":
    main()
