"""cocotb testbench of rtl/dense_bank.sv (one bank of the dense input core) on its own.

Every example resets the bank and loads its bitmap and weight memories through its
configuration writes (the images of ``golden.memory_images.layer_images`` for one bank holding
every row, in a drawn order; the image's rows r >= BankRows get bitmaps and weights too, which
the bank must ignore; then all-ones words just past both images, which it must drop). It then
plays the core's part: it offers drawn windows of A-bit pixels
(``win_pixels_i``, with ``win_nonzero_i`` = pixel != 0) with ``start_i`` in a cycle where
``feed_done_next_o`` is high, a drawn number of cycles after it, each with a drawn current
buffer, and holds a window until the bank has taken its last group (then it drives the
pixels' complement, so a bank that reads a window late answers wrong). As the core, it puts
a window on the port in the cycle after its ``start_i`` (the core's window register loads at
that edge). It answers
``bias_row_o`` with that row's bias on ``bias_i`` in the next cycle, as the core's bias memory
(a registered read).
Checked:

* every finished row (``wr_valid_o``: ``wr_row_o``, ``wr_buf_o``, ``wr_current_o``) against
  ``golden.sparsity.bitmap_current`` of the row's weights on the window's pixels plus the bias,
  rows 0 .. BankRows-1 of every window in order, ``==`` on integers;
* ``feed_done_next_o`` and ``pix_done_o`` (with ``wr_buf_o``) in every cycle against
  ``_BankControl`` of ``golden/cycles/dense_input.py`` fed the same starts (cycle-exact).
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import FallingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.cycles.dense_input import _BankControl
from golden.memory_images import SEL_BITMAP, SEL_WEIGHT, config_writes, layer_images
from golden.sparsity import bitmap_current, bitmap_of, groups
from golden.strategies import sparse_values
from tb.harness.config import config_orders, drive_bank_writes, in_order
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import TB

#: Cycles after the last window's last row in which the control flags are still compared.
TAIL_CYCLES = 4


class Case:
    """One example: ``weight [Rows, F]`` (every row of the image), ``bias [Rows]``, ``windows``:
    per window its F pixels; ``gaps[i]``: cycles window i waits after the bank could take it;
    ``bufs[i]``: its current buffer."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, windows: tuple[np.ndarray, ...],
                 gaps: tuple[int, ...], bufs: tuple[int, ...],
                 config_order: int | None = None) -> None:
        self.weight = weight
        self.bias = bias
        self.windows = windows
        self.gaps = gaps
        self.bufs = bufs
        self.config_order = config_order

    def __repr__(self) -> str:
        return (f"Case(weight [r][j] = {self.weight.tolist()}, bias = {self.bias.tolist()}, "
                f"windows (pixel j) = {[w.tolist() for w in self.windows]}, gaps = {self.gaps}, "
                f"bufs = {self.bufs}, config_order = {self.config_order})")


class DenseBankTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.fan_in = int(dut.FanIn.value)
        self.group = int(dut.GroupWidth.value)
        self.num_groups = int(dut.NumGroups.value)
        self.lanes = int(dut.Lanes.value)
        self.rows = int(dut.Rows.value)
        self.bank_rows = int(dut.BankRows.value)
        self.pixel_bits = int(dut.PixelBits.value)
        self.weight_bits = int(dut.WeightBits.value)
        self.membrane_bits = int(dut.MembraneBits.value)
        self.current_bits = int(dut.CurrentBits.value)
        self.buf_bits = int(dut.BufBits.value)
        self.writes: list[dict] = []    # what the last run saw on the write port
        self.flags_seen: list[tuple] = []
        self.flags_model: list[tuple] = []
        self._idle_inputs()

    def _idle_inputs(self) -> None:
        for name in ("bitmap_we_i", "weight_we_i", "cfg_addr_i", "cfg_data_i", "start_i",
                     "buf_i", "win_pixels_i", "win_nonzero_i", "bias_i"):
            getattr(self.dut, name).value = 0

    # -- golden ------------------------------------------------------------------------------
    def current(self, case: Case, window: int, r: int) -> int:
        return bitmap_current(case.weight[r], case.windows[window], int(case.bias[r]),
                              self.group)

    def group_beats(self, case: Case, window: int) -> list[int]:
        """The detector's beats of each group of the bank's rows, in (row, group) order."""
        pixels = [bitmap_of(g) for g in groups(case.windows[window], self.group)]
        return [max(1, -(-(bitmap_of(wg) & pg).bit_count() // self.lanes))
                for r in range(self.bank_rows)
                for wg, pg in zip(groups(case.weight[r], self.group), pixels)]

    # -- driving -----------------------------------------------------------------------------
    async def configure(self, case: Case) -> None:
        """One configuration write per cycle, as the core decodes its port for this bank, then
        stray writes past both memories (tb.harness.config.drive_bank_writes)."""
        images = layer_images(case.weight, case.bias, None, self.group, 1)
        await drive_bank_writes(self.dut, self.clock, in_order(config_writes(images),
                                                               case.config_order),
                                (self.rows * self.num_groups, self.rows * self.fan_in), SEL_BITMAP, SEL_WEIGHT)

    def drive_window(self, pixels: np.ndarray | None) -> None:
        """The window's pixels and non-zero flags; None: the complement of every pixel (what a
        bank must not read any more)."""
        d = self.dut
        mask = (1 << self.pixel_bits) - 1
        width = self.num_groups * self.group
        values = [0] * width if pixels is None else [int(p) for p in pixels] + [0] * (
            width - self.fan_in)
        if pixels is None:
            values = [mask] * width
        d.win_pixels_i.value = sum((v & mask) << (j * self.pixel_bits)
                                   for j, v in enumerate(values))
        d.win_nonzero_i.value = sum(int(v != 0) << j for j, v in enumerate(values))

    def budget(self, case: Case) -> int:
        per_window = self.bank_rows * self.num_groups * (-(-self.group // self.lanes)) + 8
        return len(case.windows) * per_window + sum(case.gaps) + 40

    async def run(self, case: Case) -> None:
        """Resets, configures and offers every window of ``case``; fills ``writes``,
        ``flags_seen`` and ``flags_model``. Inputs change at the falling edge; outputs are
        sampled there (they settle after the rising edge)."""
        await self.reset()
        await self.configure(case)
        d = self.dut
        model = _BankControl()
        self.writes.clear()
        self.flags_seen.clear()
        self.flags_model.clear()
        next_window, waited, tail = 0, 0, TAIL_CYCLES
        loading, buf = None, 0  # the window the core loads at this edge; buf_i
        bias_row = 0  # bias_row_o in the cycle before
        for cycle in range(self.budget(case)):
            await FallingEdge(self.clock)
            fed_next = int(d.feed_done_next_o.value)
            seen = (fed_next, int(d.pix_done_o.value),
                    int(d.wr_buf_o.value) if int(d.pix_done_o.value) else None)
            want = (int(model.fed_after_edge()), int(model.pix_done),
                    model.pix_done_buf if model.pix_done else None)
            self.flags_seen.append(seen)
            self.flags_model.append(want)
            if seen != want:
                break  # the scoreboard reports this cycle
            if int(d.wr_valid_o.value):
                raw = int(d.wr_current_o.value)
                signed = raw - (1 << self.current_bits) if raw >> (self.current_bits - 1) else raw
                self.writes.append({"row": int(d.wr_row_o.value), "buf": int(d.wr_buf_o.value),
                                    "current": signed, "cycle": cycle})
            # The core's bias memory, read registered: the row named in the cycle before is
            # the one the MAC stage accumulates in this one.
            d.bias_i.value = int(case.bias[bias_row]) & ((1 << self.membrane_bits) - 1) \
                if bias_row < self.rows else 0
            bias_row = int(d.bias_row_o.value)
            # The core loads its window register at the start edge: the window is on the
            # port from the cycle after start_i (the last group of the one before may be
            # taken in the start cycle itself).
            if loading is not None:
                self.drive_window(case.windows[loading])
                buf = case.bufs[loading]
                d.buf_i.value = buf
                loading = None
            start = None
            if next_window < len(case.windows) and fed_next:
                waited += 1
                if waited > case.gaps[next_window]:
                    start = self.group_beats(case, next_window)
                    loading, next_window, waited = next_window, next_window + 1, 0
            if start is None and model.feed_done:
                self.drive_window(None)  # every group taken: the window is free
            d.start_i.value = int(start is not None)
            model.clock(start, buf)
            if next_window == len(case.windows) and model.feed_done and not (
                    model.beats_left or model.ast_pix_done or model.mac_pix_done):
                tail -= 1
                if tail == 0:
                    break
        await FallingEdge(self.clock)
        self._idle_inputs()

    # -- checking ----------------------------------------------------------------------------
    def compare(self, case: Case) -> None:
        Scoreboard("(feed_done_next_o, pix_done_o, wr_buf_o under it) per cycle "
                   "(model _BankControl vs RTL)",
                   lambda k: f"cycle {k} after the configuration").compare(
            self.flags_model, self.flags_seen)
        expected = [{"row": r, "buf": case.bufs[w], "current": self.current(case, w, r)}
                    for w in range(len(case.windows)) for r in range(self.bank_rows)]
        observed = [{k: e[k] for k in ("row", "buf", "current")} for e in self.writes]

        def where(index: int) -> str:
            window, row = divmod(index, self.bank_rows)
            cycle = self.writes[index]["cycle"] if index < len(self.writes) else "-"
            return f"window {window}, row {row} (written at cycle {cycle})"

        Scoreboard("finished rows (wr_row_o, wr_buf_o, wr_current_o)", where).compare(
            expected, observed)


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


@st.composite
def cases(draw, tb: DenseBankTB, max_windows: int = 5) -> Case:
    lo, hi = sat_bounds(tb.weight_bits)
    weight = sparse_values(draw, tb.rows * tb.fan_in,
                     st.integers(lo, hi).filter(lambda w: w != 0)).reshape(tb.rows, tb.fan_in)
    v_lo, v_hi = sat_bounds(tb.membrane_bits)
    bias = np.array(draw(st.lists(st.integers(v_lo, v_hi) | st.sampled_from((v_lo, v_hi)),
                                  min_size=tb.rows, max_size=tb.rows)), dtype=np.int64)
    top = (1 << tb.pixel_bits) - 1
    pixel = st.integers(1, top) | st.just(top)
    count = draw(st.integers(1, max_windows))
    windows = tuple(sparse_values(draw, tb.fan_in, pixel) for _ in range(count))
    gaps = tuple(draw(st.lists(st.integers(0, 3), min_size=count, max_size=count)))
    bufs = tuple(draw(st.lists(st.integers(0, (1 << tb.buf_bits) - 1), min_size=count,
                               max_size=count)))
    return Case(weight, bias, windows, gaps, bufs, draw(config_orders()))


def uniform_case(tb: DenseBankTB, weight: int, pixel: int, count: int) -> Case:
    """Every weight ``weight``, every pixel ``pixel``, ``count`` windows back to back, the
    biases at the membrane's extremes, the buffers in turn."""
    return Case(np.full((tb.rows, tb.fan_in), weight, dtype=np.int64),
                np.array([sat_bounds(tb.membrane_bits)[r % 2] for r in range(tb.rows)],
                         dtype=np.int64),
                tuple(np.full(tb.fan_in, pixel, dtype=np.int64) for _ in range(count)),
                (0,) * count, tuple(w % (1 << tb.buf_bits) for w in range(count)))


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
@cocotb.test()
@checked
async def random_windows_match_golden(dut):
    """Drawn memories (0-100 % weights), 1-5 windows (0-100 % non-zero pixels), start gaps and
    buffers: every finished row, and the control flags in every cycle."""
    tb = DenseBankTB(dut)
    run = resume(tb.run)
    lo, hi = sat_bounds(tb.weight_bits)
    top = (1 << tb.pixel_bits) - 1
    cocotb.log.info("dense_bank: F=%d (NG=%d, G=%d), L=%d, rows %d of %d, A=%d, B=%d",
                    tb.fan_in, tb.num_groups, tb.group, tb.lanes, tb.bank_rows, tb.rows,
                    tb.pixel_bits, tb.weight_bits)

    @given(case=cases(tb))
    @example(case=uniform_case(tb, hi, top, 3))   # dense: every group at its most beats
    @example(case=uniform_case(tb, lo, top, 3))   # the most negative product everywhere
    @example(case=uniform_case(tb, hi, 0, 2))     # no pair: one beat per group
    @example(case=uniform_case(tb, 0, top, 2))    # all-zero weights
    @counted
    def check(case):
        run(case)
        tb.compare(case)

    await run_search(check, "random_windows_match_golden")
