"""Cycle model of the sparse conv core (rtl/sparse_conv_core.sv over rtl/sparse_row_bank.sv,
docs/sparse_conv_core.md).

What it predicts: every handshake of the core, cycle by cycle, under any pacing of its streams
(the stepped model :class:`SparseConvStepped`); with free-running streams (the source offers a
beat every cycle, frames back to back, the sink always ready) it gives, for every frame, the
cycles from its first input beat accepted to its last output beat sent, both ends counted
(``last - first + 1``). The model is exact: the testbench asserts equality with the simulation,
cycle by cycle.

The schedule it models (each item one RTL register stage):

* **Input and line buffer**: an input beat is accepted while the line-buffer rule allows it
  (:meth:`SparseConvStepped.in_ready`: the input may run up to K + 1 rows ahead of the oldest
  row the capture pointer still needs: K + 1 row slots); the window of the capture pointer is
  complete once input pixel (min(y + K/2, H-1), min(x + K/2, W-1)) is written, the cycle after
  its accept (:meth:`SparseConvStepped.capture_ready`).
* **Capture**: the complete window of the capture pointer is copied in one cycle into the
  staging register for the free window slot (WINDOW_SLOTS slots, used in turn), once the drain
  of the previous window is in its last word (the drain writes a window's T words to the banks
  in the T cycles after its capture).
* **Banks** (P of them, each on its own): per loaded slot (a bank registers the core's slot
  flags: a capture reaches its scan a cycle later, a release at the same edge; the RTL hands
  the banks the release a cycle later, which changes no handshake: docs/sparse_conv_core.md),
  the scan walks the rows (t, r), two rows of a timestep per cycle (one cycle for a timestep
  whose window word has no spike: :func:`window_zero`), while the queue of ROW_QUEUE_DEPTH rows
  has room for two more rows than it holds and its SCAN_STAGES pipeline stages may push;
  SCAN_STAGES cycles after a pair of rows is scanned each with effectual pairs (``n > 0``)
  enters the queue; the front row
  issues one beat of L pairs per cycle and leaves with its last, whose spare lanes take the
  first pairs of the next queued row when that row has more pairs than spare lanes (it then
  starts at the rank after them); a beat's sum is in the current buffer BEAT_STAGES cycles
  after its issue (E0 the queue read, E0q the group search, E0b the bitmap read, E1 the
  bitmap word and the spikes' read, E1w their registers and the pairs, E1s, E1t and E1b the
  in-group search, E2 the weight read, E2b the weight register, E3 the sum); a bank is done
  with a slot the cycle after its last scanned rows left the scan pipeline and its last row
  was written.
* **Neuron stage**: once every bank is done with the slot it reads, two rows (t, r), (t, r + 1)
  of every bank per cycle (T*ceil(R/2) cycles per pixel); one cycle later bias + current is
  registered, the cycle after that the LIF units act (:func:`lif_stages`: two cycles with
  R > 4 rows per bank, charge then fire), and the last rows of a timestep move the beat into
  the output register (held while the sink stalls), or while that is held into the skid
  register behind it; a step's beat with the skid register full freezes the whole neuron
  stage. Its read of the pixel's last rows frees the slot. A silent pixel (no spike in its
  window at any timestep) after the first one since the configuration takes one neuron-stage
  cycle per timestep (its beats, spikes or without a neuron currents, are those the first one
  left).

``lower_bound`` and ``dense_cost`` are the reference figures of docs/cores.md section 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cycles.layer import LayerModel, steady
from golden.cycles.stepped import free_running
from golden.sparsity import conv_fanin_inputs, effectual_ops, fanin_weights

#: Rows each bank's queue holds (rtl/sparse_conv_core.sv RowQueueDepth).
ROW_QUEUE_DEPTH = 16
#: Rows of one timestep each bank's scan takes per cycle (rtl/sparse_row_bank.sv ScanRows).
SCAN_ROWS = 2
#: Rows of one timestep the neuron stage takes per cycle (rtl/sparse_conv_core.sv NrnRows, when
#: R > 1; with R = 1 it takes the one row).
NEURON_ROWS = 2


def lif_stages(rows: int) -> int:
    """Cycles of the neuron stage's LIF units (rtl/sparse_conv_core.sv LifStages): two when the
    neuron stage takes at least three cycles per timestep (ceil(R / 2) >= 3, so R > 4) and a
    membrane therefore comes back late enough for a two-cycle loop; else one."""
    return 2 if -(-rows // NEURON_ROWS) >= 3 else 1


#: Window slots (and current-buffer slots) of the core (rtl/sparse_conv_core.sv WindowSlots).
WINDOW_SLOTS = 8
#: Register stages of a scanned row pair before its rows enter the queue (rtl/sparse_row_bank.sv
#: SC1 the bitmap words and spikes registered, SC1w the pairs per group, SC2 the prefix sums,
#: SC2b the row's weight base and the push).
SCAN_STAGES = 4
#: Register stages of a beat after its issue (rtl/sparse_row_bank.sv E0, E0q, E0b, E1, E1w, E1s,
#: E1t, E1b, E2, E2b, E3); the last one writes the row's current.
BEAT_STAGES = 11


@dataclass(frozen=True)
class ConvHw:
    """The core's timing knobs: P output channels in parallel, L lanes, bitmap group width G;
    and whether the core has a neuron (``HasNeuron``; a silent pixel reuses the beats of the
    first one either way, since 2026-12-06)."""

    parallel: int
    lanes: int
    group: int
    has_neuron: bool = True

    def __post_init__(self) -> None:
        for name in ("parallel", "lanes", "group"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class FrameTiming:
    """One frame: its first input accept, its output beat cycles ``[H*W*T]`` (raster, t inner),
    and ``cycles = last output - first input + 1``."""

    first_input: int
    output_cycles: tuple[int, ...]

    @property
    def cycles(self) -> int:
        return self.output_cycles[-1] - self.first_input + 1


def row_pairs(weight, spikes, parallel: int) -> np.ndarray:
    """Effectual pairs of every bank row of a frame: ``[H*W, P, T, R]``, entry (m, p, t, r) =
    pairs of channel ``r*P + p`` at pixel m (raster) and timestep t (0 for a row without a
    channel). ``weight [Co, Ci, K, K]``, ``spikes [T, Ci, H, W]`` (0/1)."""
    rows_w = fanin_weights(weight) != 0
    out_channels, _ = rows_w.shape
    kernel = np.asarray(weight).shape[-1]
    rows = -(-out_channels // parallel)
    fields = conv_fanin_inputs(np.asarray(spikes), kernel) != 0          # [T, H, W, F]
    steps, height, width, _ = fields.shape
    padded_w = np.zeros((rows * parallel, rows_w.shape[1]), dtype=np.int64)
    padded_w[:out_channels] = rows_w
    pairs = np.einsum("thwf,cf->hwtc", fields.astype(np.int64), padded_w)   # [H, W, T, R*P]
    per_row = pairs.reshape(height * width, steps, rows, parallel)
    return per_row.transpose(0, 3, 1, 2)


def window_zero(spikes, kernel: int) -> np.ndarray:
    """``[H*W, T]``: the window of pixel m (raster) has no spike at timestep t (the core's
    ``word_zero_q``). ``spikes [T, Ci, H, W]``."""
    fields = conv_fanin_inputs(np.asarray(spikes), kernel) != 0          # [T, H, W, F]
    steps, height, width, _ = fields.shape
    return (~fields.any(axis=-1)).reshape(steps, height * width).T


def schedule(weight, frames, hw: ConvHw, slots: int = WINDOW_SLOTS) -> list[FrameTiming]:
    """Per-frame timing of ``frames`` (``[T, Ci, H, W]`` spike tensors) streamed back to back
    with free-running streams: the stepped model run from reset."""
    frames = [np.asarray(f) for f in frames]
    if not frames:
        return []
    steps, _, height, width = frames[0].shape
    beats = height * width * steps
    accepts, sends = free_running(SparseConvStepped(weight, frames, hw, slots), beats * len(frames),
                                  beats * len(frames))
    return [FrameTiming(accepts[f * beats], tuple(sends[f * beats:(f + 1) * beats]))
            for f in range(len(frames))]


def frame_cycles(weight, frames, hw: ConvHw) -> list[int]:
    """Cycles of each frame, first input accepted to last output sent (both counted)."""
    return [timing.cycles for timing in schedule(weight, frames, hw)]


def lower_bound(weight, spikes, hw: ConvHw) -> float:
    """Effectual-op lower bound of a frame: ``effectual_ops / (P * L)``."""
    return effectual_ops("conv", np.asarray(spikes), weight) / (hw.parallel * hw.lanes)


def dense_cost(weight, spikes, hw: ConvHw) -> int:
    """Dense cost of a frame: ``ceil(Co / P) * ceil(F / L)`` per (pixel, timestep), summed."""
    rows_w = fanin_weights(weight)
    out_channels, fan_in = rows_w.shape
    steps, _, height, width = np.asarray(spikes).shape
    rows = -(-out_channels // hw.parallel)
    return rows * -(-fan_in // hw.lanes) * steps * height * width


class _BankModel:
    """The control registers of one rtl/sparse_row_bank.sv: scan counters and pipeline, row
    queue, issue rank, the beat stages E0-E3 (E0q, E0b, E1b included), per-slot scan /
    outstanding / done flags."""

    def __init__(self, steps: int, rows: int, lanes: int, slots: int,
                 queue_depth: int = ROW_QUEUE_DEPTH) -> None:
        self.steps, self.rows, self.lanes, self.slots = steps, rows, lanes, slots
        self.queue_depth = queue_depth
        self.sc_slot = self.sc_t = self.sc_r = 0
        self.scanned = [False] * slots
        # The core's slot flags as the bank registered them at the last edge (sc_loaded_q): a
        # capture reaches the scan a cycle late, a release at once.
        self.loaded_seen = [False] * slots
        # (slot, t, r, last) of the row pair in each scan stage SC1, SC1w, SC2, SC2b, or None.
        self.scan: list[tuple[int, int, int, bool] | None] = [None] * SCAN_STAGES
        self.queue: list[tuple[int, int]] = []   # (slot, n) of each queued row, front first
        self.k = 0
        # (slot, last beat of its front row) of the beat in each stage E0 .. E3, or None.
        self.beats: list[tuple[int, bool] | None] = [None] * BEAT_STAGES
        self.scan_fin = [False] * slots
        self.outstanding = [0] * slots
        self.done = [False] * slots

    def clock(self, loaded, release, pairs_of, zero_of) -> None:
        """One edge. ``loaded[s]``: the core's slot flags; ``release``: the slot the neuron stage
        frees at this edge, or None; ``pairs_of(slot, t, r)``: n of that row of the slot's
        pixel; ``zero_of(slot, t)``: the core's ``word_zero_q`` of that word this cycle."""
        in_flight = SCAN_ROWS * sum(stage is not None for stage in self.scan)
        room = len(self.queue) + in_flight + SCAN_ROWS <= self.queue_depth
        sc_go = self.loaded_seen[self.sc_slot] and not self.scanned[self.sc_slot] and room
        step_end = (self.sc_r + SCAN_ROWS >= self.rows
                    or (sc_go and bool(zero_of(self.sc_slot, self.sc_t))))
        sc_last = self.sc_t == self.steps - 1 and step_end
        pushed = []
        if self.scan[-1] is not None:
            slot, t, r, _ = self.scan[-1]
            for row in range(r, min(r + SCAN_ROWS, self.rows)):
                n = pairs_of(slot, t, row)
                if n > 0:
                    pushed.append((slot, n))
        issue = bool(self.queue)
        pop = spill = False
        if issue:
            front_n = self.queue[0][1]
            pop = self.k + self.lanes >= front_n
            # The last beat's spare lanes take the next row's first pairs, when the next row
            # does not end in this beat (one row ends per beat: one current-buffer write).
            spill = (pop and len(self.queue) >= 2
                     and self.queue[1][1] > self.k + self.lanes - front_n)
        row_done = self.beats[-1] is not None and self.beats[-1][1]

        for slot in range(self.slots):
            self.outstanding[slot] += (sum(1 for s, _ in pushed if s == slot)
                                       - (row_done and self.beats[-1][0] == slot))
        self.loaded_seen = [bool(flag) and slot != release for slot, flag in enumerate(loaded)]
        if release is not None:
            self.scanned[release] = self.scan_fin[release] = False
        if sc_go and sc_last:
            self.scanned[self.sc_slot] = True
        if self.scan[-1] is not None and self.scan[-1][3]:
            self.scan_fin[self.scan[-1][0]] = True
        self.done = [self.scan_fin[s] and self.outstanding[s] == 0 for s in range(self.slots)]

        self.beats = [(self.queue[0][0], pop) if issue else None] + self.beats[:-1]
        if pop:
            self.k = self.k + self.lanes - self.queue[0][1] if spill else 0
            self.queue.pop(0)
        elif issue:
            self.k += self.lanes
        self.queue.extend(pushed)
        self.scan = ([(self.sc_slot, self.sc_t, self.sc_r, sc_last) if sc_go else None]
                     + self.scan[:-1])
        if sc_go:
            self.sc_r += SCAN_ROWS
            if step_end:
                self.sc_r = 0
                self.sc_t = (self.sc_t + 1) % self.steps
            if sc_last:
                self.sc_slot = (self.sc_slot + 1) % self.slots


class SparseConvStepped:
    """Stepped model (golden.cycles.stepped) of the sparse conv core: the control registers of
    rtl/sparse_conv_core.sv and its banks that decide ``in_ready_o`` and ``out_valid_o``, one
    edge at a time.

    State, by RTL register: the input position ``ti_q``/``xi_q`` and ``e_q`` (global input row
    minus global capture row); the capture pointer ``xc_q``/``yc_q`` and the capture slot
    ``cs_q``; per window slot ``loaded_q`` and the pixel it holds; the neuron stage's slot and
    row (``ns_q``, ``nt_q``, ``nr_q``), its second cycle (``nrn_q``, ``nrn_step_end_q``) and its
    third, the LIF units (``lif_q``, ``lif_step_end_q``), and the write stage (``fire_q``,
    ``fire_step_end_q``: the LIF stage itself, or the cycle after it, :func:`lif_stages`);
    ``out_valid_q`` and ``skid_valid_q``; per bank :class:`_BankModel`. The effectual pairs of
    every row are computed up front (:func:`row_pairs`). ``stall`` freezes only the neuron
    stage; the input writes, captures and the banks go on during it. ``stalled`` (the cycle
    before the last edge was a stall), ``loaded`` (the capture slot is taken) and
    :meth:`capture_ready` let the testbench pick a pacing that captures a window during a
    stall.
    """

    def __init__(self, weight, frames, hw: ConvHw, slots: int = WINDOW_SLOTS) -> None:
        frames = [np.asarray(f) for f in frames]
        if not frames:
            raise ValueError("frames: at least one")
        self.steps, _, self.height, self.width = frames[0].shape
        self.kernel = np.asarray(weight).shape[-1]
        self.pad = self.kernel // 2
        self.slots = slots
        out_channels = np.asarray(weight).shape[0]
        self.rows = -(-out_channels // hw.parallel)
        # Per captured pixel (global over the frames): pairs [P, T, R].
        self.pairs = np.concatenate([row_pairs(weight, f, hw.parallel) for f in frames])
        # Per captured pixel: [T] its window words without a spike.
        self.zero = np.concatenate([window_zero(f, self.kernel) for f in frames])
        self.has_neuron = bool(hw.has_neuron)
        self.banks = [_BankModel(self.steps, self.rows, hw.lanes, slots)
                      for _ in range(hw.parallel)]
        # Input side and capture pointer.
        self.ti = self.xi = self.e = 0
        # The input position as the line buffer holds it (``xi_w_q``, ``e_w_q``): a beat is
        # written the cycle after its accept, so the capture rule sees it a cycle late.
        self.xi_w = self.e_w = 0
        self.xc = self.yc = 0
        self.captured = 0
        # Window slots and the neuron stage.
        self.slot_loaded = [False] * slots
        self.slot_pixel = [0] * slots
        self.cs = self.ns = self.nt = self.nr = 0
        # Window words the drain still writes from the staging register (0: it is free).
        self.drain_left = 0
        self.nrn = self.nrn_step_end = False      # second cycle: bias + current
        self.lif = self.lif_step_end = False      # third cycle: the LIF units
        # The write stage (membranes, spikes, the output register): the LIF stage, or the
        # cycle after it with two LIF cycles.
        self.lif_stages = lif_stages(self.rows)
        self.fire = self.fire_step_end = False
        # Silent pixels: the pixel in the neuron stage reuses the kept beats / keeps its beats
        # (pix_reuse_q, pix_keep_q); the kept beats are there (silent_valid_q); the stages'
        # "a kept pixel's last beat" flags (nrn, lif, fire).
        self.pix_reuse = self.pix_keep = False
        self.silent_valid = False
        self.nrn_keep_last = self.lif_keep_last = self.fire_keep_last = False
        self.out_valid_q = False
        self.skid_valid_q = False   # the skid register behind the output register is full
        self.stalled = False
        # What happened so far, by cycle (for the model's own tests): the accept cycle of every
        # input beat and the capture cycle of every output pixel.
        self.cycle = 0
        self.accept_cycles: list[int] = []
        self.capture_cycles: list[int] = []

    @property
    def loaded(self) -> bool:
        """The slot the next capture goes to is taken."""
        return self.slot_loaded[self.cs]

    def out_valid(self) -> bool:
        return self.out_valid_q

    def in_ready(self, out_ready: bool = True) -> bool:
        rows_ahead = self.e + min(self.yc, self.pad)
        needed_col = self.xc - self.pad if self.yc >= self.pad and self.xc > self.pad else 0
        rows = self.kernel + 1  # the line buffer's row slots (LbRows)
        return rows_ahead < rows or (rows_ahead == rows and self.xi < needed_col)

    def capture_ready(self) -> bool:
        """``cap_ready``: the window of the capture pointer is complete."""
        rows_below = min(self.pad, self.height - 1 - self.yc)
        last_col = min(self.xc + self.pad, self.width - 1)
        return self.e_w > rows_below or (self.e_w == rows_below and self.xi_w > last_col)

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        stall = self.fire and self.fire_step_end and self.skid_valid_q
        all_done = all(bank.done[self.ns] for bank in self.banks)
        n0_go = self.slot_loaded[self.ns] and all_done and not stall
        n0_first = self.nt == 0 and self.nr == 0
        silent = bool(self.zero[self.slot_pixel[self.ns]].all())
        n0_reuse = (silent and self.silent_valid) if n0_first else self.pix_reuse
        n0_keep = (silent and not self.silent_valid) if n0_first else self.pix_keep
        n0_step_end = self.nr + NEURON_ROWS >= self.rows or n0_reuse
        n0_last = self.nt == self.steps - 1 and n0_step_end
        release = self.ns if n0_go and n0_last else None
        capture = (self.capture_ready() and not self.slot_loaded[self.cs]
                   and self.drain_left <= 1)
        in_fire = bool(in_valid) and self.in_ready(out_ready)
        out_fire = self.out_valid_q and bool(out_ready)
        out_load = self.fire and not stall and self.fire_step_end
        self.stalled = stall

        loaded = tuple(self.slot_loaded)
        for p, bank in enumerate(self.banks):
            bank.clock(loaded, release,
                       lambda slot, t, r, p=p: int(self.pairs[self.slot_pixel[slot], p, t, r]),
                       lambda slot, t: self.zero[self.slot_pixel[slot], t])

        out_held = self.out_valid_q and not out_ready
        self.out_valid_q = out_held or self.skid_valid_q or out_load
        self.skid_valid_q = out_held and (self.skid_valid_q or out_load)
        if out_load and self.fire_keep_last:
            self.silent_valid = True
        if not stall:
            if self.lif_stages == 2:
                self.fire, self.fire_step_end = self.lif, self.lif_step_end
                self.fire_keep_last = self.lif_keep_last
            self.lif, self.lif_step_end = self.nrn, self.nrn_step_end
            self.lif_keep_last = self.nrn_keep_last
            self.nrn, self.nrn_step_end = n0_go, n0_step_end
            self.nrn_keep_last = n0_keep and n0_last
            if self.lif_stages == 1:
                self.fire, self.fire_step_end = self.lif, self.lif_step_end
                self.fire_keep_last = self.lif_keep_last
        if n0_go:
            if n0_first:
                self.pix_reuse, self.pix_keep = n0_reuse, n0_keep
            self.nr += NEURON_ROWS
            if n0_step_end:
                self.nr = 0
                self.nt = (self.nt + 1) % self.steps
            if n0_last:
                self.slot_loaded[self.ns] = False
                self.ns = (self.ns + 1) % self.slots
        self.drain_left = self.steps if capture else max(0, self.drain_left - 1)
        rows_delta = 0
        if capture:
            if self.captured >= len(self.pairs):
                raise ValueError(f"frames: the model has {len(self.pairs)} pixels, the core "
                                 f"captured one more")
            self.slot_loaded[self.cs], self.slot_pixel[self.cs] = True, self.captured
            self.capture_cycles.append(self.cycle)
            self.captured += 1
            self.cs = (self.cs + 1) % self.slots
            self.xc += 1
            if self.xc == self.width:
                self.xc, self.yc = 0, (self.yc + 1) % self.height
                rows_delta -= 1
        self.xi_w, self.e_w = self.xi, self.e + rows_delta
        if in_fire:
            self.accept_cycles.append(self.cycle)
            self.ti += 1
            if self.ti == self.steps:
                self.ti, self.xi = 0, self.xi + 1
                if self.xi == self.width:
                    self.xi = 0
                    rows_delta += 1
        self.e += rows_delta
        self.cycle += 1
        return in_fire, out_fire


def conv_hw(parameters: dict) -> ConvHw:
    """The timing knobs of a core from its HDL parameters (network.json)."""
    return ConvHw(parameters["Parallel"], parameters["Lanes"], parameters["GroupWidth"],
                  bool(parameters.get("HasNeuron", 1)))


def stepped(parameters: dict, weight, frames, timesteps: int) -> SparseConvStepped:
    """The stepped model of a sparse conv layer from its HDL parameters (network.json), its
    weight ``[Co, Ci, K, K]`` and its per-sample inputs ``[T, Ci, H, W]``."""
    frames = [np.asarray(f) for f in frames]
    expected = (timesteps, parameters["InChannels"], parameters["Height"], parameters["Width"])
    for index, frame in enumerate(frames):
        if frame.shape != expected:
            raise ValueError(f"frames[{index}]: shape {frame.shape}, the core's parameters "
                             f"give {expected}")
    if parameters["Timesteps"] != timesteps:
        raise ValueError(f"Timesteps: parameter {parameters['Timesteps']}, timesteps "
                         f"{timesteps}")
    return SparseConvStepped(weight, frames, conv_hw(parameters))


def layer_model(index: int, parameters: dict, weight, samples, inputs, steps: int) -> LayerModel:
    """The core alone fed ``inputs`` (the layer's spikes per frame) back to back with
    free-running streams (golden.cycles.layer)."""
    timing = schedule(weight, inputs, conv_hw(parameters))
    last = [f.output_cycles[-1] for f in timing]
    return LayerModel(index, "sparse_conv_core", tuple(f.cycles for f in timing),
                      last[-1] - timing[0].first_input + 1, steady(last, timing[0].cycles), inputs,
                      tuple(last))
