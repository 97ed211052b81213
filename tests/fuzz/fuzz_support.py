"""What the fuzz tests share: one hypothesis profile, and the byte strategies they mutate.

Every property here is deterministic (`derandomize=True`, no example database), so CI fails on
the same input every run and a failure found once is found again. `CUCME_FUZZ_EXAMPLES` scales
the number of examples for a longer local run (`CUCME_FUZZ_EXAMPLES=5000 pytest tests/fuzz`),
and `CUCME_FUZZ_RANDOM=1` draws new examples each run, for hunting rather than for CI.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("CUCME_FUZZ_EXAMPLES", "300"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CUCME_FUZZ_RANDOM", "") != "1",
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture,
                           HealthCheck.large_base_example],
)


def fewer(fraction: float) -> settings:
    """The profile scaled by `fraction` (below 1: properties costing milliseconds an example),
    with at least 200 examples, or all of them if the profile has fewer."""
    return settings(FUZZ, max_examples=max(min(200, EXAMPLES), int(EXAMPLES * fraction)))


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], max_edits: int = 6) -> bytes:
    """A valid input with a few bytes flipped, inserted, deleted or cut: the inputs that get
    past the first checks of a parser, where random bytes rarely do."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_edits))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[pos:]
        elif kind == "dup" and data:
            end = min(len(data), pos + draw(st.integers(1, 16)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


def chunked(data: bytes, sizes: list[int]) -> list[bytes]:
    """`data` cut into pieces of the given sizes (cycled), as a socket may deliver it."""
    out, pos, i = [], 0, 0
    while pos < len(data):
        size = max(1, sizes[i % len(sizes)]) if sizes else len(data)
        out.append(data[pos:pos + size])
        pos += size
        i += 1
    return out


CHUNKS = st.lists(st.integers(1, 64), min_size=1, max_size=6)


class Quiet:
    """Holds a fixture's object (a router) so a falsifying example prints `<Router>`, not the
    router's whole state, around the input that matters."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<{type(self.value).__name__}>"
