"""Process settings for a process that holds many long-lived connections: the lab's router
and a fleet of phones.

CPython's cyclic collector runs a young collection every 700 net container allocations and
sweeps older generations every 10 of those. A router registering phones keeps most of what it
allocates (a connection, a TLS stream, a codec and a registration per phone), so the collector
runs constantly and its older sweeps walk every live connection again: measured in
`benchmarks/sccp_bench.py`, about 0.1 ms of the router's and 0.25 ms of the phones' CPU per
TLS registration, with one full collection in each process while 1,000 phones registered.
Collecting young objects less often cuts that to about a third (0.12 ms, both sides), for at
most a few megabytes of garbage awaiting collection.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # net container allocations between young collections (700 by default)
OLDER_THRESHOLDS = (10, 10)  # as by default: young collections per middle one, middle per full


def tune_for_many_connections() -> None:
    """Set the collector's thresholds for a router or phone fleet process (call at start)."""
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
