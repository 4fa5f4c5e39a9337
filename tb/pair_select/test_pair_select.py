"""cocotb testbench of rtl/pair_select.sv against golden.sparsity.effectual_pairs (SPEC
section 3): for every effectual pair of a group, ranked from the lowest bit, the module must
return its packed-weight index within the group (the weight-bitmap bits below it).

With ``Stages = 0`` the block is combinational: the testbench applies (weight bitmap, spike
bitmap, rank), lets it settle one time step and reads the index. With ``Stages = 1`` it gives one
rising edge of ``clk_i`` between the inputs and the read (the register before the walk); with
``Stages = 2`` it applies the pairs and the rank, gives an edge, applies the weights, gives
another edge and reads (the search a cycle ahead of the weights); ``Stages = 3`` gives two edges
between the pairs and the weights (their counts a cycle ahead of the search). After each edge the inputs
already taken are replaced by their complement, so a module that read them late would answer
wrong. Groups of up to 5 bits are checked exhaustively (every weight bitmap, spike bitmap and
rank); wider ones by Hypothesis, with dense, sparse and block-edge bitmaps drawn on purpose.
"""

from __future__ import annotations

import cocotb
from cocotb.task import resume
from cocotb.triggers import Timer
from hypothesis import example, given
from hypothesis import strategies as st

from golden.sparsity import effectual_pairs
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import hand_edge

SETTLE_NS = 1
#: Widths up to this are checked over every input.
EXHAUSTIVE_WIDTH = 5


class PairSelectTB:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.width = int(dut.GroupWidth.value)
        self.stages = int(dut.Stages.value)
        self.full = (1 << self.width) - 1
        self.rank_full = (1 << len(dut.rank_i)) - 1
        dut.clk_i.value = 0

    async def edge(self) -> None:
        await hand_edge(self.dut.clk_i, SETTLE_NS)

    async def index(self, wbitmap: int, sbitmap: int, rank: int) -> int:
        dut = self.dut
        pairs = wbitmap & sbitmap
        dut.pairs_i.value = pairs
        dut.rank_i.value = rank
        if self.stages >= 2:
            # The search takes the pairs and the rank Stages - 1 edges ahead of the weights.
            dut.weights_i.value = ~wbitmap & self.full
            await Timer(SETTLE_NS, "ns")
            for _ in range(self.stages - 1):
                await self.edge()
                dut.pairs_i.value = ~pairs & self.full
                dut.rank_i.value = ~rank & self.rank_full
        dut.weights_i.value = wbitmap
        await Timer(SETTLE_NS, "ns")
        if self.stages >= 1:
            await self.edge()
            dut.pairs_i.value = ~pairs & self.full
            dut.weights_i.value = ~wbitmap & self.full
            dut.rank_i.value = ~rank & self.rank_full
            await Timer(SETTLE_NS, "ns")
        return int(dut.below_o.value)


def expected_indices(wbitmap: int, sbitmap: int) -> list[int]:
    return [index for _, index in effectual_pairs(wbitmap, sbitmap)]


@cocotb.test()
@checked
async def every_pair_of_small_groups(dut):
    """Every (weight bitmap, spike bitmap, rank) of a group of up to 5 bits; wider groups: every
    rank of the full bitmaps and of each single-bit bitmap (a pair at every position)."""
    tb = PairSelectTB(dut)
    scoreboard = Scoreboard("pair_select exhaustive")
    full = (1 << tb.width) - 1
    if tb.width <= EXHAUSTIVE_WIDTH:
        cases = [(w, s) for w in range(full + 1) for s in range(full + 1)]
    else:
        cases = [(full, full)] + [(full, 1 << p) for p in range(tb.width)] \
            + [(1 << p, 1 << p) for p in range(tb.width)]
    for wbitmap, sbitmap in cases:
        want = expected_indices(wbitmap, sbitmap)
        got = [await tb.index(wbitmap, sbitmap, rank) for rank in range(len(want))]
        # Each item names its inputs, so a mismatch says which bitmaps and rank.
        scoreboard.compare([(bin(wbitmap), bin(sbitmap), rank, index)
                            for rank, index in enumerate(want)],
                           [(bin(wbitmap), bin(sbitmap), rank, index)
                            for rank, index in enumerate(got)])


@cocotb.test()
@checked
async def random_groups_match_golden(dut):
    """Any bitmaps (uniform, dense or sparse) and every rank of their pairs."""
    tb = PairSelectTB(dut)
    scoreboard = Scoreboard("pair_select random")
    index = resume(tb.index)
    full = (1 << tb.width) - 1

    @st.composite
    def bitmap(draw) -> int:
        percent = draw(st.sampled_from([None, 10, 50, 90]))
        if percent is None:
            return draw(st.integers(0, full))
        bits = draw(st.lists(st.integers(0, 99), min_size=tb.width, max_size=tb.width))
        return sum(1 << p for p, unit in enumerate(bits) if unit >= 100 - percent)

    @given(wbitmap=bitmap(), sbitmap=bitmap())
    @example(wbitmap=full, sbitmap=full)
    @example(wbitmap=full, sbitmap=full & 0b10000)
    @counted
    def check(wbitmap, sbitmap):
        want = expected_indices(wbitmap, sbitmap)
        got = [index(wbitmap, sbitmap, rank) for rank in range(len(want))]
        scoreboard.compare(want, got)

    await run_search(check, "random_groups_match_golden")
