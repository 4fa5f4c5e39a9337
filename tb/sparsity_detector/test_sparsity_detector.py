"""cocotb testbench of rtl/sparsity_detector.sv against golden.sparsity.detector_beats.

Every output beat is compared as the raw port values (lane-valid thermometer, positions and
packed indices with zeros in unused lanes, last marker) with what the golden model says the
detector emits for the stream of groups, with and without idle cycles and backpressure. With
neither, the throughput is checked too: beats leave on consecutive cycles, one cycle after the
first group is accepted, so an empty group costs exactly one cycle. In every cycle a group is
offered, the weight count output is compared with the popcount of its weight bitmap.
"""

from __future__ import annotations

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.task import resume
from cocotb.triggers import RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.sparsity import detector_beats
from tb.harness.coverage import CoverPoint
from tb.harness.pacing import ALWAYS, NAMED_PACINGS, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.stream import StreamSink, StreamSource
from tb.harness.tb import CLOCK_PERIOD_NS, TB


def group_sampler(group_width: int, lanes: int):
    """Per group: its effectual pairs (0..G), its beats (1..ceil(G/L): an empty group still
    takes one) and the lanes its last beat fills (0 for an empty group, else 1..L)."""
    def pairs(w: int, s: int) -> int:
        return bin(w & s).count("1")

    def beats(w: int, s: int) -> int:
        return max(1, -(-pairs(w, s) // lanes))

    def last_lanes(w: int, s: int) -> int:
        return pairs(w, s) - (beats(w, s) - 1) * lanes

    @CoverPoint("sparsity_detector.pairs_per_group", xf=pairs, bins=list(range(group_width + 1)))
    @CoverPoint("sparsity_detector.beats_per_group", xf=beats,
                bins=list(range(1, -(-group_width // lanes) + 1)))
    @CoverPoint("sparsity_detector.lanes_in_last_beat", xf=last_lanes,
                bins=list(range(lanes + 1)))
    def sample(w: int, s: int) -> None:
        pass

    return sample


@CoverPoint("sparsity_detector.output_cycle", bins=["transfer", "backpressure", "idle"])
def sample_output_cycle(state: str) -> None:
    """Per clock on the output: a beat taken, a beat held back by the sink while valid
    (backpressure), or no beat."""


class DetectorTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.group_width = int(dut.GroupWidth.value)
        self.lanes = int(dut.Lanes.value)
        self.pre_levels = int(dut.PreLevels.value)
        self.count_bits = (self.group_width + 1 - 1).bit_length()  # $clog2(G + 1)
        self.cover_group = group_sampler(self.group_width, self.lanes)
        self.pos_bits = len(dut.out_pos_o) // self.lanes
        self.source = self.stream(StreamSource(self.clock, dut.in_valid_i, dut.in_ready_o,
                                   {"w": dut.wbitmap_i, "s": dut.sbitmap_i,
                                    "es": dut.eff_sums_i, "ws": dut.weight_sums_i},
                                   on_accept=self._on_accept))
        self.sink = self.stream(StreamSink(self.clock, dut.out_valid_o, dut.out_ready_i,
                               {"lanes": dut.out_lane_valid_o, "pos": dut.out_pos_o,
                                "idx": dut.out_idx_o, "last": dut.out_last_o},
                               on_beat=self._on_beat))
        self.accept_times: list[float] = []
        self.beat_times: list[float] = []
        self.offered_counts: list[tuple[int, int]] = []  # (wbitmap, weight_count_o) when offered

    def _on_accept(self, _beat) -> None:
        self.accept_times.append(get_sim_time("ns"))

    def _on_beat(self, _beat) -> None:
        self.beat_times.append(get_sim_time("ns"))

    def _cover_output_cycle(self) -> None:
        valid, ready = int(self.dut.out_valid_o.value), int(self.dut.out_ready_i.value)
        sample_output_cycle("transfer" if valid and ready else "backpressure" if valid
                            else "idle")

    def reset_streams(self) -> None:
        self.accept_times.clear()
        self.beat_times.clear()
        self.offered_counts.clear()

    def _sample_weight_count(self) -> None:
        """The combinational weight count of an offered group, read in the same instant as its
        bitmap."""
        if int(self.dut.in_valid_i.value):
            self.offered_counts.append((int(self.dut.wbitmap_i.value),
                                        int(self.dut.weight_count_o.value)))

    def expected_beats(self, groups) -> tuple[list[dict], list[int]]:
        """The golden beats of a stream of groups (as :meth:`decode` shows a port beat), and
        for each beat the index of the group it belongs to."""
        beats, owners = [], []
        for group, (w, s) in enumerate(groups):
            for pairs, last in detector_beats(w, s, self.group_width, self.lanes):
                beats.append({"lane_valid": "0" * (self.lanes - len(pairs)) + "1" * len(pairs),
                              "pairs": tuple(pairs),
                              "unused_lanes": ((0, 0),) * (self.lanes - len(pairs)),
                              "last": int(last)})
                owners.append(group)
        return beats, owners

    def decode(self, beat: dict) -> dict:
        """A port beat as (lane-valid bits MSB first, pairs of the valid lanes, (pos, idx) of the
        unused lanes, which must be 0, last marker)."""
        mask = (1 << self.pos_bits) - 1
        lanes = [((beat["pos"] >> (lane * self.pos_bits)) & mask,
                  (beat["idx"] >> (lane * self.pos_bits)) & mask) for lane in range(self.lanes)]
        valid = [bool(beat["lanes"] >> lane & 1) for lane in range(self.lanes)]
        return {"lane_valid": format(beat["lanes"], f"0{self.lanes}b"),
                "pairs": tuple(pair for pair, v in zip(lanes, valid) if v),
                "unused_lanes": tuple(pair for pair, v in zip(lanes, valid) if not v),
                "last": beat["last"]}

    def compare(self, scoreboard_name: str, groups, beats) -> None:
        expected, owners = self.expected_beats(groups)

        def where(index: int) -> str:
            if index >= len(owners):
                return "after the last expected beat"
            group = owners[index]
            w, s = groups[group]
            return (f"group {group} of {len(groups)}: w={w:0{self.group_width}b} "
                    f"s={s:0{self.group_width}b}")

        Scoreboard(scoreboard_name, where).compare(expected, [self.decode(b) for b in beats])
        offered = self.offered_counts

        def offered_at(index: int) -> str:
            return f"offered cycle {index}: w={offered[index][0]:0{self.group_width}b}"

        Scoreboard(f"{scoreboard_name}: weight_count_o of the offered group", offered_at).compare(
            [bin(w).count("1") for w, _ in offered], [count for _, count in offered])

    def pre_sums(self, w: int, s: int) -> dict:
        """The sums a caller with ``PreLevels`` = m registers with the group (with m = 0 the
        detector ignores them; they are driven all the same)."""
        return {"es": block_sums(w & s, self.group_width, self.pre_levels, self.count_bits),
                "ws": block_sums(w, self.group_width, self.pre_levels, self.count_bits)}

    async def run_groups(self, groups, source_pacing, sink_pacing):
        """Resets, streams ``groups`` through, returns (beats, accept times, beat times)."""
        await self.reset()
        self.source.set_pacing(source_pacing)
        self.sink.set_pacing(sink_pacing)
        for w, s in groups:
            self.cover_group(w, s)
            self.source.put({"w": w, "s": s, **self.pre_sums(w, s)})
        want_lasts = len(groups)
        # Generous bound: every beat may wait for a whole pacing pattern on both sides.
        budget = 20 + (len(groups) * (self.group_width // self.lanes + 2)) * 16
        for _ in range(budget):
            await RisingEdge(self.clock)
            self._cover_output_cycle()
            self._sample_weight_count()
            if sum(b["last"] for b in self.sink.beats) >= want_lasts:
                break
        for _ in range(3):  # catch beats emitted after the group's end
            await RisingEdge(self.clock)
        return list(self.sink.beats), list(self.accept_times), list(self.beat_times)


def block_sums(bits: int, width: int, level: int, count_bits: int) -> int:
    """Per position, the inclusive sum of ``bits`` over its aligned block of 2^level positions
    up to it (what the first ``level`` levels of rtl/prefix_sum.sv give), ``count_bits`` each,
    position 0 lowest."""
    block, word = 1 << level, 0
    for p in range(width):
        start = p - p % block
        ones = bin((bits >> start) & ((1 << (p - start + 1)) - 1)).count("1")
        word |= ones << (p * count_bits)
    return word


def bitmaps(width: int) -> st.SearchStrategy[int]:
    full = (1 << width) - 1
    return st.one_of(
        st.integers(0, full),
        st.sampled_from([0, full]),
        st.integers(0, width - 1).map(lambda p: 1 << p),
        st.integers(0, width - 1).map(lambda p: full & ~(1 << p)),
    )


def _group_with_pairs(draw, width: int, count: int) -> tuple[int, int]:
    """A (weight, spike) bitmap pair with exactly ``count`` effectual pairs, the other bits set
    on one side only."""
    full = (1 << width) - 1
    both = sum(1 << p for p in draw(st.permutations(range(width)))[:count])
    w_only = draw(st.integers(0, full)) & ~both
    s_only = draw(st.integers(0, full)) & ~both & ~w_only
    return both | w_only, both | s_only


@st.composite
def groups_with_pairs(draw, width: int) -> tuple[int, int]:
    """A group with a drawn number of effectual pairs (0..G, uniform): independent bitmaps give
    about G/4 pairs, so dense groups (many beats) came only from the corner strategies."""
    return _group_with_pairs(draw, width, draw(st.sampled_from(range(width + 1))))


@st.composite
def pair_count_sweeps(draw, width: int) -> list[tuple[int, int]]:
    """Groups whose pair counts step through 0..G by a stride of (G + 1) / 13 (at least 1) from
    a drawn start below the stride: one example reaches every count of its residue, so every
    count of a wide group (65 at G = 64, 5 residues) is reached in a regression's budget.
    Independent draws of the count reached 58-61 of 65 in 300 examples (a coupon collector)
    (sparsity_detector.pairs_per_group)."""
    stride = max(1, (width + 1) // 13)
    start = draw(st.sampled_from(range(stride)))
    return [_group_with_pairs(draw, width, count) for count in range(start, width + 1, stride)]


@cocotb.test()
@checked
async def random_group_streams(dut):
    """Random, empty, full and single-bit bitmaps; drawn idle and backpressure patterns."""
    tb = DetectorTB(dut)
    g = tb.group_width
    full = (1 << g) - 1
    run = resume(tb.run_groups)

    @given(groups=st.lists(st.tuples(bitmaps(g), bitmaps(g)) | groups_with_pairs(g), min_size=1,
                           max_size=12) | pair_count_sweeps(g),
           source_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           sink_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()))
    @example(groups=[(full, full)], source_pacing=ALWAYS, sink_pacing=ALWAYS)
    @example(groups=[(0, 0), (full, 0), (0, full)], source_pacing=ALWAYS, sink_pacing=ALWAYS)
    @example(groups=[(1 << (g - 1), full)], source_pacing=ALWAYS, sink_pacing=ALWAYS)
    @example(groups=[(full, full)] * 3, source_pacing=(True, False),
             sink_pacing=(False, True, True))
    @counted
    def check(groups, source_pacing, sink_pacing):
        beats, _, _ = run(groups, source_pacing, sink_pacing)
        tb.compare("detector beats", groups, beats)

    await run_search(check, "random_group_streams")


@cocotb.test()
@checked
async def named_pacings_and_throughput(dut):
    """Each named pacing on full, empty and mixed groups; without stalls, beats are back to
    back (one group per cycle when it has at most L pairs, an empty group costs one cycle)."""
    tb = DetectorTB(dut)
    g = tb.group_width
    full = (1 << g) - 1
    groups = [(full, full), (0, full), (full, 0), (0, 0), (1, 1), (full, 1 << (g - 1)),
              (0x5555_5555_5555_5555 & full, full), (full, 0xAAAA_AAAA_AAAA_AAAA & full)]
    timing = Scoreboard("detector beat cycle (after the first group's acceptance)")
    for name, (source_pacing, sink_pacing) in NAMED_PACINGS.items():
        beats, accepts, beat_times = await tb.run_groups(groups, source_pacing, sink_pacing)
        tb.compare(f"detector beats ({name} pacing)", groups, beats)
        if name == "free":
            first = accepts[0] / CLOCK_PERIOD_NS
            cycles = [round(t / CLOCK_PERIOD_NS - first) for t in beat_times]
            timing.compare(list(range(1, len(tb.expected_beats(groups)[0]) + 1)), cycles)
