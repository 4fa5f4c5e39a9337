"""cocotb testbench of rtl/linear_bank.sv (one bank of the sparse linear core) on its own.

The bank knows no layer shape: its memories hold any image that fits. So every example draws
one: a fan-in F and R rows with R * ceil(F / G) bitmap words and R * F weights within the
bank's depths, their weights (0-100 % non-zero) and biases, T timesteps of F spike bits
(0-100 % active), issue gaps and a stall pattern. It resets the bank, loads the images of
``golden.memory_images.layer_images`` (one bank holding every row) through the configuration
writes in a drawn order, then all-ones words just past both memories, which it must drop.

It then plays the core's issue control (rtl/sparse_linear_core.sv) for one bank: it walks
(t, r, g) and drives the bitmap read address of the next group (``iss_word_i``, or
``step_word_i`` with ``read_step_i`` in the cycle the group stage loads, as the core's step
registers), loads the group stage (``stage_free_i`` when it is empty or empties now, with the
group's spike bits), hands the group to the detector (``accept_i`` when ``det_ready_o``, with
``pass_end_i`` on a timestep's last group), stalls the stages (``row_ready_i`` low, drawn) and
marks the sum stage's row end (``row_end_i``) three stages after the row's last beat, with the
row's bias on ``bias_i`` (junk otherwise). Inputs change after the falling edge; the outputs
are read 1 ns later (``det_ready_o`` follows ``row_ready_i`` combinationally).

Checked:

* every row's ``row_sum_o`` at its row end, in (t, r) order, against
  ``golden.sparsity.bitmap_current`` of the row's weights on the timestep's spikes plus the
  bias, ``==`` on integers;
* ``det_ready_o`` in every cycle against the detector's beat count, max(1, ceil(pairs / L))
  beats a group, one per cycle the stages move (cycle-exact).
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import FallingEdge, Timer
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.memory_images import SEL_BITMAP, SEL_WEIGHT, config_writes, layer_images
from golden.sparsity import bitmap_current, bitmap_of, group_count, groups
from golden.strategies import sparse_values
from tb.harness.config import config_orders, drive_bank_writes, in_order
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import TB


class Case:
    """One example: ``weight [R, F]``, ``bias [R]``, ``spikes [T, F]`` (0/1); ``gaps[n]``:
    cycles group n waits before it may enter the group stage; ``stalls``: the row_ready_i
    pattern, repeated."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, spikes: np.ndarray,
                 gaps: tuple[int, ...], stalls: tuple[bool, ...],
                 config_order: int | None = None) -> None:
        self.weight = weight
        self.bias = bias
        self.spikes = spikes
        self.gaps = gaps
        self.stalls = stalls
        self.config_order = config_order

    @property
    def rows(self) -> int:
        return self.weight.shape[0]

    @property
    def fan_in(self) -> int:
        return self.weight.shape[1]

    def __repr__(self) -> str:
        return (f"Case(weight [r][j] = {self.weight.tolist()}, bias = {self.bias.tolist()}, "
                f"spikes [t][j] = {self.spikes.tolist()}, gaps = {self.gaps}, "
                f"row_ready pattern = {self.stalls}, config_order = {self.config_order})")


class LinearBankTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.group = int(dut.GroupWidth.value)
        self.lanes = int(dut.Lanes.value)
        self.weight_bits = int(dut.WeightBits.value)
        self.current_bits = int(dut.CurrentBits.value)
        self.bitmap_depth = int(dut.BitmapDepth.value)
        self.weight_depth = int(dut.WeightDepth.value)
        self.sums: list[dict] = []          # what the bank gave at each row end
        self.ready_seen: list[int] = []
        self.ready_model: list[int] = []
        self._idle_inputs()

    def _idle_inputs(self) -> None:
        for name in ("bitmap_we_i", "weight_we_i", "cfg_addr_i", "cfg_data_i", "iss_word_i",
                     "step_word_i", "read_step_i", "stage_free_i", "sbitmap_i", "token_i",
                     "accept_i", "pass_end_i", "row_ready_i", "row_end_i", "bias_i"):
            getattr(self.dut, name).value = 0

    def max_rows(self, fan_in: int) -> int:
        return min(self.bitmap_depth // group_count(fan_in, self.group),
                   self.weight_depth // fan_in)

    def bias_bounds(self, fan_in: int) -> tuple[int, int]:
        """Biases whose row sums fit the current: |bias| + F * 2^(B-1) < 2^(CB-1)."""
        lo, hi = sat_bounds(self.current_bits)
        reach = fan_in << (self.weight_bits - 1)
        return lo + reach, hi - reach

    # -- golden ------------------------------------------------------------------------------
    def walk(self, case: Case) -> list[tuple[int, int, int]]:
        """The groups in the core's issue order: (t, r, g)."""
        num_groups = group_count(case.fan_in, self.group)
        return [(t, r, g) for t in range(case.spikes.shape[0]) for r in range(case.rows)
                for g in range(num_groups)]

    def beats(self, case: Case, t: int, r: int, g: int) -> int:
        weights = list(groups(case.weight[r], self.group))[g]
        spikes = list(groups(case.spikes[t], self.group))[g]
        pairs = (bitmap_of(weights) & bitmap_of(spikes)).bit_count()
        return max(1, -(-pairs // self.lanes))

    def expected(self, case: Case) -> list[dict]:
        return [{"t": t, "r": r,
                 "sum": bitmap_current(case.weight[r], case.spikes[t], int(case.bias[r]),
                                       self.group)}
                for t in range(case.spikes.shape[0]) for r in range(case.rows)]

    # -- driving -----------------------------------------------------------------------------
    async def configure(self, case: Case) -> None:
        """One configuration write per cycle, as the core decodes its port for this bank, then
        stray writes past both memories (tb.harness.config.drive_bank_writes)."""
        images = layer_images(case.weight, case.bias, None, self.group, 1)
        await drive_bank_writes(self.dut, self.clock, in_order(config_writes(images),
                                                               case.config_order),
                                (self.bitmap_depth, self.weight_depth), SEL_BITMAP, SEL_WEIGHT)

    def spike_word(self, case: Case, t: int, g: int) -> int:
        return bitmap_of(list(groups(case.spikes[t], self.group))[g])

    def budget(self, case: Case) -> int:
        walk = self.walk(case)
        beats = sum(self.beats(case, *n) for n in walk)
        return (beats + 2 * len(walk) + sum(case.gaps) + 8) * len(case.stalls) + 20

    async def run(self, case: Case) -> None:
        """Resets, configures and issues every group of ``case``; fills ``sums``,
        ``ready_seen`` and ``ready_model``."""
        await self.reset()
        await self.configure(case)
        d = self.dut
        self.sums.clear()
        self.ready_seen.clear()
        self.ready_model.clear()
        walk = self.walk(case)
        num_groups = group_count(case.fan_in, self.group)
        word = [r * num_groups + g for (_t, r, g) in walk]
        mask = (1 << self.current_bits) - 1
        rows_due = case.spikes.shape[0] * case.rows
        issue = 0          # the next group to enter the group stage
        read_ok = False    # the bitmap read register holds word[issue]
        waited = 0         # cycles group `issue` has waited
        stage = None       # the group in the group stage
        det, beats_left = None, 0  # the detector's group and its beats still to leave
        ast = wst = sst = None     # the beats in the address, weight and sum stages: row end
        for cycle in range(self.budget(case)):
            await FallingEdge(self.clock)
            row_ready = case.stalls[cycle % len(case.stalls)]
            d.row_ready_i.value = int(row_ready)
            d.row_end_i.value = int(sst is not None and sst[0])
            d.bias_i.value = (int(case.bias[sst[1][1]]) if sst is not None and sst[0]
                              else (cycle * 0x9E37) ) & mask
            await Timer(1, "ns")
            ready = int(d.det_ready_o.value)
            want = int(beats_left == 0 or (beats_left == 1 and row_ready))
            self.ready_seen.append(ready)
            self.ready_model.append(want)
            if ready != want:
                break  # the scoreboard reports this cycle
            if sst is not None and sst[0] and row_ready:
                raw = int(d.row_sum_o.value)
                signed = raw - (1 << self.current_bits) if raw >> (self.current_bits - 1) else raw
                self.sums.append({"t": sst[1][0], "r": sst[1][1], "sum": signed})
                rows_due -= 1
                if rows_due == 0:
                    break
            # The detector takes the stage's group as soon as it is free.
            accept = stage is not None and bool(want)
            t, r, g = walk[stage] if stage is not None else (0, 0, 0)
            d.accept_i.value = int(accept)
            d.pass_end_i.value = int(accept and g == num_groups - 1 and r == case.rows - 1)
            # The group stage loads when it is empty or empties now; a group enters it once its
            # bitmap word is in the read register and its gap has passed.
            stage_free = stage is None or accept
            load = stage_free and read_ok and issue < len(walk) and waited >= case.gaps[issue]
            d.stage_free_i.value = int(stage_free)
            d.token_i.value = 0
            if load:
                lt, _lr, lg = walk[issue]
                d.sbitmap_i.value = self.spike_word(case, lt, lg)
            else:
                d.sbitmap_i.value = (cycle * 0x5BD1) & ((1 << self.group) - 1)  # not loaded
            # The read register: the next group's word (after a load, the step position's).
            after = issue + 1 if load else issue
            d.read_step_i.value = int(load)
            d.iss_word_i.value = word[issue] if issue < len(walk) else 0
            d.step_word_i.value = word[after] if load and after < len(walk) else 0
            # The state after this edge.
            if row_ready:
                beat = None
                if beats_left > 0:
                    dt, dr, dg = walk[det]
                    beat = (beats_left == 1 and dg == num_groups - 1, (dt, dr))
                    beats_left -= 1
                ast, wst, sst = beat, ast, wst
            if accept:
                det, beats_left = stage, self.beats(case, t, r, g)
            if load:
                stage, issue, waited = issue, after, 0
            else:
                if stage_free:
                    stage = None
                if issue < len(walk) and read_ok:
                    waited += 1
            read_ok = True
        await FallingEdge(self.clock)
        self._idle_inputs()

    # -- checking ----------------------------------------------------------------------------
    def compare(self, case: Case) -> None:
        Scoreboard("det_ready_o per cycle (model: the detector's beats vs RTL)",
                   lambda k: f"cycle {k} after the configuration").compare(
            self.ready_model, self.ready_seen)
        expected = self.expected(case)

        def where(index: int) -> str:
            t, r = divmod(index, case.rows)
            return f"timestep {t}, row {r}"

        Scoreboard("row sums (row_sum_o at each row end)", where).compare(
            expected, self.sums)
        if len(self.sums) != len(expected):
            raise AssertionError(f"row sums: expected {len(expected)} rows, the bank gave "
                                 f"{len(self.sums)} in {len(self.ready_seen)} cycles")


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


@st.composite
def cases(draw, tb: LinearBankTB, max_timesteps: int = 3) -> Case:
    top_fan_in = min(tb.weight_depth, tb.bitmap_depth * tb.group)
    # Up to three groups a row and three rows: every boundary (group, row, pass) and a few
    # of each, in examples short enough to shrink in seconds.
    fan_in = draw(st.integers(1, min(top_fan_in, 3 * tb.group)))
    rows = draw(st.integers(1, min(tb.max_rows(fan_in), 3)))
    lo, hi = sat_bounds(tb.weight_bits)
    weight = sparse_values(draw, rows * fan_in,
                     st.integers(lo, hi).filter(lambda w: w != 0)).reshape(rows, fan_in)
    b_lo, b_hi = tb.bias_bounds(fan_in)
    bias = np.array(draw(st.lists(st.integers(b_lo, b_hi) | st.sampled_from((b_lo, b_hi)),
                                  min_size=rows, max_size=rows)), dtype=np.int64)
    timesteps = draw(st.integers(1, max_timesteps))
    spikes = sparse_values(draw, timesteps * fan_in, st.just(1)).reshape(timesteps, fan_in)
    count = timesteps * rows * group_count(fan_in, tb.group)
    gaps = tuple(draw(st.lists(st.integers(0, 2) | st.just(0), min_size=count,
                               max_size=count)))
    stalls = tuple(draw(st.lists(st.booleans(), min_size=1, max_size=4)))
    if not any(stalls):
        stalls = stalls + (True,)
    return Case(weight, bias, spikes, gaps, stalls, draw(config_orders()))


def uniform_case(tb: LinearBankTB, weight: int, spike: int, rows: int, timesteps: int) -> Case:
    """The largest image the bank holds with ``rows`` rows (at most), every weight ``weight``,
    every spike ``spike``, no gaps or stalls, the biases at their extremes."""
    fan_in = min(tb.weight_depth // rows, tb.bitmap_depth * tb.group // rows)
    rows = min(rows, tb.max_rows(fan_in))
    count = timesteps * rows * group_count(fan_in, tb.group)
    b_lo, b_hi = tb.bias_bounds(fan_in)
    return Case(np.full((rows, fan_in), weight, dtype=np.int64),
                np.array([(b_lo, b_hi)[r % 2] for r in range(rows)], dtype=np.int64),
                np.full((timesteps, fan_in), spike, dtype=np.int64), (0,) * count, (True,))


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
@cocotb.test()
@checked
async def random_images_match_golden(dut):
    """Drawn images that fit the bank (0-100 % weights), 1-3 timesteps of spikes (0-100 %),
    issue gaps and stalls: every row sum, and det_ready_o in every cycle."""
    tb = LinearBankTB(dut)
    run = resume(tb.run)
    lo, hi = sat_bounds(tb.weight_bits)
    cocotb.log.info("linear_bank: G=%d, L=%d, B=%d, %d bitmap words, %d weights",
                    tb.group, tb.lanes, tb.weight_bits, tb.bitmap_depth, tb.weight_depth)

    @given(case=cases(tb))
    @example(case=uniform_case(tb, hi, 1, 2, 2))   # dense: every group at its most beats
    @example(case=uniform_case(tb, lo, 1, 1, 2))   # the most negative weights, the largest F
    @example(case=uniform_case(tb, hi, 0, 2, 2))   # no spike: one beat per group
    @example(case=uniform_case(tb, 0, 1, 2, 1))    # all-zero weights
    @counted
    def check(case):
        run(case)
        tb.compare(case)

    await run_search(check, "random_images_match_golden")
