"""In-order scoreboard: compares what the DUT produced with the golden model, counting values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tb.harness.report import STATS


def count_values(item: Any) -> int:
    """How many scalar values an item holds (a dict or tuple of ints counts each field)."""
    if isinstance(item, dict):
        return sum(count_values(v) for v in item.values())
    if isinstance(item, (tuple, list)):
        return sum(count_values(v) for v in item) or 1
    return 1


class Scoreboard:
    """Compares expected and observed sequences item by item, in order.

    Every compared item and scalar value is counted here and in the run's :data:`STATS`, so a
    testbench can prove that it compared something. A mismatch raises ``AssertionError`` naming
    the stream, the item's index, both values and, through ``describe``, where in the layer the
    item belongs (e.g. timestep, channel, pixel).
    """

    def __init__(self, name: str, describe: Callable[[int], str] | None = None) -> None:
        self.name = name
        self.describe = describe
        self.compared_items = 0
        self.compared_values = 0

    def _where(self, index: int) -> str:
        return f" ({self.describe(index)})" if self.describe is not None else ""

    def compare(self, expected: Sequence[Any], observed: Sequence[Any]) -> None:
        for index, (want, got) in enumerate(zip(expected, observed)):
            values = count_values(want)
            self.compared_items += 1
            self.compared_values += values
            STATS.add_compared(items=1, values=values)
            if want != got:
                raise AssertionError(
                    f"{self.name}: item {index}{self._where(index)}: expected {want!r}, got {got!r}"
                )
        if len(expected) != len(observed):
            shorter = min(len(expected), len(observed))
            extra = (
                f"first missing: {expected[shorter]!r}"
                if len(expected) > len(observed)
                else f"first unexpected: {observed[shorter]!r}"
            )
            raise AssertionError(
                f"{self.name}: expected {len(expected)} items, got {len(observed)}; "
                f"index {shorter}{self._where(shorter)}, {extra}"
            )
