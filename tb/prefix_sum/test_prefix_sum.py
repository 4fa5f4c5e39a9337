"""cocotb testbench of rtl/prefix_sum.sv: before_o[i] = values_i[0] + ... + values_i[i-1] and
total_o = the sum of all, modulo 2^Width (the row bank's prefix sums of pairs and weights per
group, pair_select's per block), and inclusive_o[i] = the sum up to i. A tree cut between levels
(FromLevel, ToLevel: the sparse linear core's group stage and its detectors) takes and gives sums
within aligned blocks: the testbench draws values, applies their sums within blocks of
2^FromLevel and expects the sums within blocks of 2^ToLevel (before_o and total_o then from
those, the whole prefix sums at the full depth).

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
        depth = (self.count - 1).bit_length()  # $clog2(Count)
        self.from_level = int(dut.FromLevel.value)
        to_level = int(dut.ToLevel.value)
        self.to_level = depth if to_level < 0 or to_level > depth else to_level

    def _unpack(self, word: int) -> list[int]:
        mask = (1 << self.width) - 1
        return [(word >> (i * self.width)) & mask for i in range(self.count)]

    async def sums(self, values: list[int]) -> tuple[list[int], list[int], int]:
        """(inclusive_o, before_o per position, total_o) for ``values`` (position 0 first),
        applied as their sums within blocks of 2^FromLevel."""
        dut = self.dut
        applied = block_inclusive(values, self.from_level, self.width)
        dut.values_i.value = sum(v << (i * self.width) for i, v in enumerate(applied))
        await Timer(SETTLE_NS, "ns")
        return (self._unpack(int(dut.inclusive_o.value)), self._unpack(int(dut.before_o.value)),
                int(dut.total_o.value))

    def expected(self, values: list[int]) -> tuple[list[int], list[int], int]:
        inclusive = block_inclusive(values, self.to_level, self.width)
        return inclusive, [0] + inclusive[:-1], inclusive[-1]


def block_inclusive(values: list[int], level: int, width: int) -> list[int]:
    """Per position, the sum of ``values`` over its aligned block of 2^level positions up to it,
    modulo 2^width (a level at or above the tree's depth: the whole inclusive prefix sums)."""
    block, mask = 1 << level, (1 << width) - 1
    return [sum(values[i - i % block:i + 1]) & mask for i in range(len(values))]


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
        scoreboard.compare([(tuple(values), tb.expected(values))], [(tuple(values), got)])


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
        scoreboard.compare([tb.expected(values)], [sums(values)])

    await run_search(check, "random_values_match")
