"""cocotb testbench of rtl/sparse_row_bank.sv (one bank of the sparse conv core) on its own.

Every example resets the bank and loads its memories through its configuration writes (the
images of ``golden.memory_images.layer_images`` for one bank holding every row, in a drawn
order; rows r >= RowsPresent get bitmaps and weights too, which the bank must ignore). It then
plays the conv core's part: it loads window slots in turn with drawn spikes, reads every (t, r)
entry of a slot through the neuron read port (rows r and r + 1 of a timestep per read) once
``done_o`` says the slot is done (drawn read pacing), and releases the slot with its last read
or a drawn number of cycles later. The spikes reach the bank's window memory (``win_we_i`` /
``win_waddr_i`` / ``win_wdata_i``) as the core drains them: word s*T + t, one per cycle in
capture order from the first cycle the slot is loaded (the memory starts all-ones), and
``word_zero_i[s*T + t]`` says from the cycle after a word's write whether it has no spike (the
core's register: the bank scans such a timestep in one cycle and reads its currents as 0).
Checked:

* ``cur_o[j]`` (row r + j) of every read against ``golden.sparsity.bitmap_current`` (the sum
  over the row's effectual pairs of its weights; 0 for a row without a channel) and
  ``bias_o[j]`` against the bias, both ``==`` on integers, the cycle after the read and in every
  cycle it holds;
* ``done_o`` in every cycle against ``_BankModel`` of ``golden/cycles/sparse_conv.py`` fed the
  same ``loaded_i`` / ``release_i`` sequence (cycle-exact).
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import FallingEdge, RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.cycles.sparse_conv import _BankModel
from golden.memory_images import SEL_BIAS, SEL_BITMAP, SEL_WEIGHT, config_writes, layer_images
from golden.sparsity import bitmap_current, effectual_pairs, group_count, weight_bitmaps
from golden.strategies import percentages
from tb.harness.config import config_orders, in_order
from tb.harness.pacing import ALWAYS, cycle_pattern, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import TB

#: Cycles after the last release in which done_o is still compared (all slots stay not done).
TAIL_CYCLES = 4


def _signed(handle, bits: int, index: int = 0) -> int | str:
    """Field ``index`` (``bits`` wide, from bit 0) of the port as a signed integer, or its bits
    as text when some are X or Z (an unwritten memory word reaching the port: a mismatch the
    scoreboard shows, not a crash)."""
    text = str(handle.value)
    field = text[len(text) - (index + 1) * bits:len(text) - index * bits]
    if any(c not in "01" for c in field):
        return field
    value = int(field, 2)
    return value - (1 << bits) if value >> (bits - 1) else value


class Case:
    """One example: the bank's memories, the pixels it works on and the core's pacing.

    ``weight [Rows, F]`` (all rows, also those >= RowsPresent), ``bias [Rows]``, ``pixels``: per
    pixel its spikes ``[T, F]``; ``load_gaps[i]``: cycles pixel i's slot stays free before the
    pixel is loaded (>= 1, as the core's capture); ``release_delays[i]``: cycles from the last
    read of pixel i to its release (0: with the last read, as the core); ``read_pacing``: the
    cycles in which the neuron stage may read."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, pixels: tuple[np.ndarray, ...],
                 load_gaps: tuple[int, ...], release_delays: tuple[int, ...],
                 read_pacing: tuple[bool, ...], config_order: int | None = None) -> None:
        self.weight = weight
        self.bias = bias
        self.pixels = pixels
        self.load_gaps = load_gaps
        self.release_delays = release_delays
        self.read_pacing = read_pacing
        self.config_order = config_order

    def __repr__(self) -> str:
        steps, fan_in = self.pixels[0].shape
        spikes = [tuple(hex(sum(1 << j for j in np.flatnonzero(p[t]).tolist()))
                        for t in range(steps)) for p in self.pixels]
        return (f"Case(weight [r][j] = {self.weight.tolist()}, bias = {self.bias.tolist()}, "
                f"spikes per pixel, per t (bit j) = {spikes}, load_gaps = {self.load_gaps}, "
                f"release_delays = {self.release_delays}, "
                f"read_pacing = {tuple(int(x) for x in self.read_pacing)}, "
                f"config_order = {self.config_order})")


class RowBankTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.fan_in = int(dut.FanIn.value)
        self.steps = int(dut.Timesteps.value)
        self.rows = int(dut.Rows.value)
        self.present = int(dut.RowsPresent.value)
        self.lanes = int(dut.Lanes.value)
        self.group = int(dut.GroupWidth.value)
        self.weight_bits = int(dut.WeightBits.value)
        self.membrane_bits = int(dut.MembraneBits.value)
        self.current_bits = int(dut.CurrentBits.value)
        self.slots = int(dut.Slots.value)
        self.queue_depth = int(dut.QueueDepth.value)
        self.window_bits = self.steps * self.fan_in
        self.reads: list[dict] = []      # what the last run read, with where it belongs
        self.done_seen: list[int] = []   # done_o per cycle of the last run
        self.done_model: list[int] = []  # the model's done flags per cycle
        self._idle_inputs()

    def _idle_inputs(self) -> None:
        d = self.dut
        for name in ("bitmap_we_i", "weight_we_i", "bias_we_i", "cfg_addr_i", "bitmap_word_i",
                     "weight_word_i", "bias_word_i", "bias_row_i", "loaded_i", "release_i",
                     "nrn_re_i", "nrn_slot_i", "nrn_t_i", "nrn_r_i", "win_we_i", "win_waddr_i",
                     "win_wdata_i", "word_zero_i"):
            getattr(d, name).value = 0

    # -- golden ------------------------------------------------------------------------------
    def spike_bitmaps(self, spikes_t: np.ndarray) -> list[int]:
        return weight_bitmaps(spikes_t, self.group)

    def pairs(self, case: Case, pixel: int, t: int, r: int) -> int:
        """Effectual pairs of row r at timestep t of a pixel (0 for a row without a channel)."""
        if r >= self.present:
            return 0
        return sum(len(effectual_pairs(w, s)) for w, s in
                   zip(weight_bitmaps(case.weight[r], self.group),
                       self.spike_bitmaps(case.pixels[pixel][t])))

    def current(self, case: Case, pixel: int, t: int, r: int) -> int:
        if r >= self.present:
            return 0
        return bitmap_current(case.weight[r], case.pixels[pixel][t], 0, self.group)

    # -- driving -----------------------------------------------------------------------------
    async def configure(self, case: Case) -> None:
        """One configuration write per cycle, as the core decodes its port for this bank."""
        d = self.dut
        images = layer_images(case.weight, case.bias, None, self.group, 1)
        strobes = {SEL_BITMAP: d.bitmap_we_i, SEL_WEIGHT: d.weight_we_i, SEL_BIAS: d.bias_we_i}
        for sel, _bank, addr, data in in_order(config_writes(images), case.config_order):
            for code, strobe in strobes.items():
                strobe.value = int(code == sel)
            if sel == SEL_BIAS:
                d.bias_row_i.value = addr
                d.bias_word_i.value = data & ((1 << self.membrane_bits) - 1)
            else:
                d.cfg_addr_i.value = addr
                d.bitmap_word_i.value = data & ((1 << self.group) - 1)
                d.weight_word_i.value = data & ((1 << self.weight_bits) - 1)
            await RisingEdge(self.clock)
        for strobe in strobes.values():
            strobe.value = 0
        # The window memory has no reset: all-ones in every word, so a scan that reads a word
        # before the drain wrote it sees pairs the model does not (in every example alike, not
        # only after an example that left such words behind).
        d.win_we_i.value = 1
        d.win_wdata_i.value = (1 << self.fan_in) - 1
        for address in range(self.slots * self.steps):
            d.win_waddr_i.value = address
            await RisingEdge(self.clock)
        d.win_we_i.value = 0

    def window_word(self, spikes: np.ndarray) -> int:
        """Bit t*F + j = spike j of timestep t."""
        flat = np.asarray(spikes, dtype=np.int64).reshape(-1)
        return sum(1 << i for i in np.flatnonzero(flat).tolist())

    def budget(self, case: Case) -> int:
        """Cycles a run may take at most: every row at its most beats plus the pipeline, the
        reads stretched by the pacing, the gaps and delays."""
        beats = -(-self.fan_in // self.lanes) + 4
        stretch = len(case.read_pacing) // sum(case.read_pacing) + 1
        per_pixel = self.steps * self.rows * (beats + stretch) + 10
        return (len(case.pixels) * per_pixel + sum(case.load_gaps) + sum(case.release_delays)
                + 50)

    async def run(self, case: Case) -> None:
        """Resets, configures and plays the core's part for every pixel of ``case``; fills
        ``reads``, ``done_seen`` and ``done_model``. Inputs change at the falling edge, outputs
        are sampled there too (they settle after the rising edge)."""
        await self.reset()
        await self.configure(case)
        d = self.dut
        model = _BankModel(self.steps, self.rows, self.lanes, self.slots, self.queue_depth)
        pending = list(range(len(case.pixels)))  # pixels not yet loaded, in order
        slot_pixel = [None] * self.slots         # the pixel each slot holds (or None)
        drain: list[tuple[int, int]] = []        # window memory writes to come: (address, word)
        word_zero = [False] * (self.slots * self.steps)  # the core's word_zero_q
        free_for = [0] * self.slots              # cycles each unloaded slot has been free
        released = [False] * self.slots         # released at the last edge: unload now
        capture_slot = read_slot = 0
        read_t = read_r = 0
        release_in = None                         # cycles to the release of read_slot
        reading_done = 0                          # pixels released
        pacing = cycle_pattern(case.read_pacing)
        last_read = None                          # (pixel, slot, t, r) of the last read
        read_now = False
        self.reads.clear()
        self.done_seen.clear()
        self.done_model.clear()
        tail = TAIL_CYCLES
        for cycle in range(self.budget(case)):
            await FallingEdge(self.clock)
            # -- sample what the last edge produced --------------------------------------------
            done = int(d.done_o.value)  # raises on X: done_o is reset
            want_done = sum(int(flag) << s for s, flag in enumerate(model.done))
            self.done_seen.append(done)
            self.done_model.append(want_done)
            if done != want_done:
                break  # the scoreboard reports this cycle
            if last_read is not None:
                pixel, slot, t, r = last_read
                # The port gives rows r and r + 1 (when the bank has it).
                for j in range(min(2, self.rows - r)):
                    self.reads.append({
                        "where": (pixel, slot, t, r + j, cycle, "read" if read_now else "held"),
                        "cur": _signed(d.cur_o, self.current_bits, j),
                        "bias": _signed(d.bias_o, self.membrane_bits, j)})
            # -- the core's part for the next edge ---------------------------------------------
            loaded = [slot_pixel[s] is not None for s in range(self.slots)]
            for s in range(self.slots):
                if released[s]:
                    # Released at the last edge: the core clears its flag at that edge, so
                    # the slot reads unloaded from this cycle on and carries junk.
                    released[s], loaded[s], slot_pixel[s] = False, False, None
                    free_for[s] = 0
            if pending and not loaded[capture_slot]:
                free_for[capture_slot] += 1
                if free_for[capture_slot] > case.load_gaps[pending[0]]:
                    pixel = pending.pop(0)
                    slot_pixel[capture_slot], loaded[capture_slot] = pixel, True
                    drain += [(capture_slot * self.steps + t,
                               self.window_word(case.pixels[pixel][t])) for t in range(self.steps)]
                    capture_slot = (capture_slot + 1) % self.slots
            # The core's drain: one word per cycle, from the first cycle the slot is loaded (the
            # cycle after the capture edge), the bank's first scan of it: SC1 reads the word the
            # cycle after.
            d.win_we_i.value = int(bool(drain))
            written = drain.pop(0) if drain else None
            address, word = written or (0, 0)
            d.win_waddr_i.value = address
            d.win_wdata_i.value = word
            # The flags as registered at the last edge; this cycle's write shows from the next.
            zero_now = tuple(word_zero)
            d.word_zero_i.value = sum(int(flag) << i for i, flag in enumerate(zero_now))
            if written is not None:
                word_zero[address] = word == 0
            read_now = False
            release = None
            may_read = next(pacing)
            if release_in is None and loaded[read_slot] and done >> read_slot & 1 and may_read:
                read_now = True
                last_read = (slot_pixel[read_slot], read_slot, read_t, read_r)
                d.nrn_slot_i.value = read_slot
                d.nrn_t_i.value = read_t
                d.nrn_r_i.value = read_r
                read_r += 2
                if read_r >= self.rows:
                    read_r, read_t = 0, read_t + 1
                    if read_t == self.steps:
                        read_t = 0
                        release_in = case.release_delays[slot_pixel[read_slot]]
            elif release_in is not None:
                release_in -= 1
            if release_in == 0:
                release, release_in = read_slot, None
                released[read_slot] = True
                read_slot = (read_slot + 1) % self.slots
                reading_done += 1
            d.nrn_re_i.value = int(read_now)
            d.release_i.value = 0 if release is None else 1 << release
            d.loaded_i.value = sum(int(flag) << s for s, flag in enumerate(loaded))
            model.clock(tuple(loaded), release,
                        lambda slot, t, r: self.pairs(case, slot_pixel[slot], t, r),
                        lambda slot, t: zero_now[slot * self.steps + t])
            if reading_done == len(case.pixels):
                tail -= 1
                if tail == 0:
                    break
        await FallingEdge(self.clock)
        self._idle_inputs()

    # -- checking ----------------------------------------------------------------------------
    def compare(self, case: Case) -> None:
        def where_done(index: int) -> str:
            return f"cycle {index} after the configuration, done_o bit s = slot s"

        Scoreboard("done_o per cycle (model _BankModel vs RTL)", where_done).compare(
            self.done_model, self.done_seen)
        expected = [{"cur": self.current(case, pixel, t, r), "bias": int(case.bias[r])}
                    for pixel, _slot, t, r, _cycle, _kind in (e["where"] for e in self.reads)]
        observed = [{"cur": e["cur"], "bias": e["bias"]} for e in self.reads]

        def where_read(index: int) -> str:
            pixel, slot, t, r, cycle, kind = self.reads[index]["where"]
            return (f"pixel {pixel} in slot {slot}, t={t}, r={r}, {kind} at cycle {cycle}, "
                    f"{self.pairs(case, pixel, t, r)} effectual pairs")

        Scoreboard("neuron read port (cur_o, bias_o)", where_read).compare(expected, observed)
        reads = sum(e["where"][5] == "read" for e in self.reads)
        want_reads = len(case.pixels) * self.steps * self.rows
        Scoreboard("entries read (every (t, r) of every pixel)").compare([want_reads], [reads])


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------
def _flags(draw, count: int) -> np.ndarray:
    """``count`` flags set with a drawn probability; every flag shrinks to unset."""
    percent = draw(percentages)
    units = draw(st.lists(st.integers(0, 99), min_size=count, max_size=count))
    return np.array([u >= 100 - percent for u in units], dtype=np.int64)


@st.composite
def cases(draw, tb: RowBankTB, max_pixels: int = 5) -> Case:
    lo, hi = sat_bounds(tb.weight_bits)
    keep = _flags(draw, tb.rows * tb.fan_in)
    values = st.integers(lo, hi).filter(lambda w: w != 0)
    weight = np.array([draw(values) if k else 0 for k in keep],
                      dtype=np.int64).reshape(tb.rows, tb.fan_in)
    v_lo, v_hi = sat_bounds(tb.membrane_bits)
    bias = np.array(draw(st.lists(st.integers(v_lo, v_hi) | st.sampled_from((v_lo, v_hi)),
                                  min_size=tb.rows, max_size=tb.rows)), dtype=np.int64)
    count = draw(st.integers(1, max_pixels))
    pixels = tuple(_flags(draw, tb.window_bits).reshape(tb.steps, tb.fan_in)
                   for _ in range(count))
    gaps = tuple(draw(st.lists(st.integers(1, 4), min_size=count, max_size=count)))
    delays = tuple(draw(st.lists(st.integers(0, 3), min_size=count, max_size=count)))
    return Case(weight, bias, pixels, gaps, delays,
                draw(st.one_of(st.just(ALWAYS), pacing_patterns())), draw(config_orders()))


def uniform_case(tb: RowBankTB, weight: int, spike: int, count: int) -> Case:
    """Every weight ``weight``, every spike ``spike``, ``count`` pixels, no stall."""
    return Case(np.full((tb.rows, tb.fan_in), weight, dtype=np.int64),
                np.array([sat_bounds(tb.membrane_bits)[r % 2] for r in range(tb.rows)],
                         dtype=np.int64),
                tuple(np.full((tb.steps, tb.fan_in), spike, dtype=np.int64)
                      for _ in range(count)),
                (1,) * count, (0,) * count, ALWAYS)


def zero_words_case(tb: RowBankTB) -> Case:
    """Every weight at the maximum; every slot first holds a pixel with every spike (every row
    pushed), then one whose even timesteps have no spike: the scan takes those in one cycle and
    leaves the rows after the first two with the first pixel's pushed flags, which the read
    must mask."""
    dense = np.ones((tb.steps, tb.fan_in), dtype=np.int64)
    gaps = dense.copy()
    gaps[0::2] = 0
    count = 2 * tb.slots
    return Case(np.full((tb.rows, tb.fan_in), sat_bounds(tb.weight_bits)[1], dtype=np.int64),
                np.arange(tb.rows, dtype=np.int64) % 2, (dense,) * tb.slots + (gaps,) * tb.slots,
                (1,) * count, (0,) * count, ALWAYS)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
@cocotb.test()
@checked
async def random_pixels_match_golden(dut):
    """Drawn memories (0-100 % weights), 1-5 pixels (0-100 % spikes), load gaps, read pacing
    and release delays: every current and bias read, and done_o in every cycle."""
    tb = RowBankTB(dut)
    run = resume(tb.run)
    lo, hi = sat_bounds(tb.weight_bits)
    groups = group_count(tb.fan_in, tb.group)
    cocotb.log.info("sparse_row_bank: F=%d (NG=%d), T=%d, R=%d (present %d), L=%d, slots %d",
                    tb.fan_in, groups, tb.steps, tb.rows, tb.present, tb.lanes, tb.slots)

    @given(case=cases(tb))
    @example(case=uniform_case(tb, hi, 1, 2 * tb.slots + 1))   # dense: every row at its most
    @example(case=uniform_case(tb, lo, 1, 3))
    @example(case=uniform_case(tb, hi, 0, 2 * tb.slots))       # no pair: every row empty
    @example(case=uniform_case(tb, 0, 1, 3))                   # all-zero weights
    @example(case=zero_words_case(tb))                         # zero words after full ones
    @counted
    def check(case):
        run(case)
        tb.compare(case)

    await run_search(check, "random_pixels_match_golden")
