"""cocotb testbench of rtl/prefix_sum.sv: before_o[i] = values_i[0] + ... + values_i[i-1] and
total_o = the sum of all, modulo 2^Width (the row bank's prefix sums of pairs and weights per
group, pair_select's per block).

The block is combinational: the testbench applies the values, lets them settle one time step
and reads both outputs. Up to 64 input combinations are checked exhaustively; wider ones by
Hypothesis, with all-maximum values (every adder wraps) and single non-zero values (each
position's reach into the positions above it) drawn on purpose.
"""

from __future__ import annotations

import cocotb
from cocotb.task import resume
from cocotb.triggers import Timer
from hypothesis import example, given
from hypothesis import strategies as st

from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search

SETTLE_NS = 1
#: Input spaces up to this many combinations are checked in full.
EXHAUSTIVE_CASES = 64


class PrefixSumTB:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.count = int(dut.Count.value)
        self.width = int(dut.Width.value)

    async def sums(self, values: list[int]) -> tuple[list[int], int]:
        """(before_o per position, total_o) for ``values`` (position 0 first)."""
        dut = self.dut
        dut.values_i.value = sum(v << (i * self.width) for i, v in enumerate(values))
        await Timer(SETTLE_NS, "ns")
        before = int(dut.before_o.value)
        mask = (1 << self.width) - 1
        return ([(before >> (i * self.width)) & mask for i in range(self.count)],
                int(dut.total_o.value))


def expected_sums(values: list[int], width: int) -> tuple[list[int], int]:
    mask = (1 << width) - 1
    before, running = [], 0
    for value in values:
        before.append(running & mask)
        running += value
    return before, running & mask


def _combinations(count: int, width: int) -> list[list[int]]:
    space = 1 << (count * width)
    if space <= EXHAUSTIVE_CASES:
        mask = (1 << width) - 1
        return [[(code >> (i * width)) & mask for i in range(count)] for code in range(space)]
    top = (1 << width) - 1
    singles = [[top if i == j else 0 for i in range(count)] for j in range(count)]
    return [[0] * count, [top] * count] + singles


@cocotb.test()
@checked
async def small_inputs_in_full(dut):
    """Every input of a small block; otherwise zeros, all-maximum and each single maximum."""
    tb = PrefixSumTB(dut)
    scoreboard = Scoreboard("prefix_sum exhaustive")
    for values in _combinations(tb.count, tb.width):
        got = await tb.sums(values)
        # Each item names its inputs, so a mismatch says which values.
        scoreboard.compare([(tuple(values), expected_sums(values, tb.width))],
                           [(tuple(values), got)])


@cocotb.test()
@checked
async def random_values_match(dut):
    """Any values (uniform, small, or near the top of the range)."""
    tb = PrefixSumTB(dut)
    scoreboard = Scoreboard("prefix_sum random")
    sums = resume(tb.sums)
    top = (1 << tb.width) - 1
    value = st.one_of(st.integers(0, top), st.integers(0, min(top, 3)),
                      st.integers(max(0, top - 3), top))

    @given(values=st.lists(value, min_size=tb.count, max_size=tb.count))
    @example(values=[top] * tb.count)
    @counted
    def check(values):
        scoreboard.compare([expected_sums(values, tb.width)], [sums(values)])

    await run_search(check, "random_values_match")
