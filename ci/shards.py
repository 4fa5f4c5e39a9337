"""`make sim SHARD=k/N`: a deterministic, cost-balanced part of the regression.

Every run of the regression has a stable key (``lif_unit/MembraneBits4-CurrentBits6``,
``network/digits``, ``network/random#2``: a random network is keyed by its slot, not by its seed,
so shards drawing different seeds still split the same way). The keys are dealt to N shards
longest first, each to the shard with the least cost so far (ties: the lower shard, then the key
order), which depends only on the keys and their costs: every machine computes the same split.

A run's cost is its wall time in the last report of that simulator (build/sim-<sim>/report.json,
the unsharded or merged one) when present, else :func:`static_cost`. A CI job should cache or
commit nothing for this: without a report every machine falls back to the same static costs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

_SHARD = re.compile(r"^(\d+)/(\d+)$")


class ShardError(ValueError):
    """A SHARD value that is not k/N with 1 <= k <= N."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> (2, 3); shards count from 1."""
    match = _SHARD.match(text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ShardError(f"SHARD must be k/N with 1 <= k <= N, got {text!r}")
    return int(match[1]), int(match[2])


def static_cost(block: str, sources: int = 1, examples: int = 50) -> float:
    """Rough seconds of one run without a measured wall time: a network costs most (a large
    build, many cycles per example); a block grows with its design and its example budget."""
    if block == "network":
        return 120.0
    return 10.0 + 2.0 * sources + 0.02 * examples * sources


def measured_costs(report: Path) -> dict[str, float]:
    """Wall time per run key from a report.json of the regression (empty when absent or not
    readable: the static estimate takes over)."""
    try:
        runs = json.loads(report.read_text())["runs"]
        return {run["key"]: float(run["wall_s"]) for run in runs}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def assign(costs: Mapping[str, float], count: int) -> list[list[str]]:
    """Deals the keys of ``costs`` to ``count`` shards (longest processing time first)."""
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    order = {key: i for i, key in enumerate(costs)}
    for key in sorted(costs, key=lambda k: (-costs[k], order[k])):
        target = min(range(count), key=lambda s: (loads[s], s))
        shards[target].append(key)
        loads[target] += costs[key]
    return shards


def shard_keys(keys: Sequence[str], estimates: Mapping[str, float], shard: tuple[int, int],
               report: Path | None = None) -> set[str]:
    """The keys shard ``shard`` = (k, N) runs: measured costs from ``report`` where it has the
    key, ``estimates`` otherwise."""
    measured = measured_costs(report) if report else {}
    costs = {key: measured.get(key, estimates[key]) for key in keys}
    index, count = shard
    return set(assign(costs, count)[index - 1])
