"""Idle cycles on a source and backpressure on a sink, as iterators advanced once per clock.

A pacing iterator yields True when the source may present a beat (or the sink is ready) in the
next cycle. Patterns are plain tuples so that Hypothesis can draw and shrink them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from hypothesis import strategies as st

#: Pacing for a stream that never stalls.
ALWAYS: tuple[bool, ...] = (True,)


def cycle_pattern(pattern: Sequence[bool | int]) -> Iterator[bool]:
    """Repeats ``pattern`` forever, e.g. ``(1, 1, 1, 0)`` = one idle cycle in four."""
    if not pattern:
        raise ValueError("a pacing pattern needs at least one entry")
    if not any(pattern):
        raise ValueError("a pacing pattern of only idle cycles would stall the stream forever")
    return itertools.cycle(bool(x) for x in pattern)


def pacing_patterns(max_length: int = 8, max_burst: int = 16) -> st.SearchStrategy[tuple[bool, ...]]:
    """Patterns with at least one active cycle; shrinks toward ``(True,)`` (no stalls).

    Two kinds: short bit patterns (up to ``max_length`` cycles: stalls spread out), and bursts
    (runs of up to ``max_burst`` active or stalled cycles in a row: a sink that stops for a
    while lets a producer run ahead into its hazards, e.g. the max-pool overwriting an entry
    still being emitted, which short patterns left unexercised under mutation testing). A burst
    pattern is active in at least a quarter of its cycles, so the testbenches' cycle budgets
    (written for at least one active cycle in 8) hold."""
    short = (
        st.lists(st.booleans(), min_size=1, max_size=max_length)
        .map(lambda bits: tuple([True] + bits[1:]) if not any(bits) else tuple(bits))
        .filter(any)
    )
    bursts = (
        st.lists(st.tuples(st.booleans(), st.integers(1, max_burst)), min_size=1, max_size=4)
        .map(lambda runs: tuple(active for active, length in runs for _ in range(length)))
        .filter(lambda pattern: 4 * sum(pattern) >= len(pattern))
    )
    return short | bursts


#: The four ways every stream test runs: (source pacing, sink pacing).
NAMED_PACINGS: dict[str, tuple[tuple[bool, ...], tuple[bool, ...]]] = {
    "free": (ALWAYS, ALWAYS),
    "idle": ((True, False, True, True, False), ALWAYS),
    "backpressure": (ALWAYS, (False, True, True, False, True, False)),
    "both": ((True, True, False), (True, False, False, True)),
}
