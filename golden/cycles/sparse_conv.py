"""Cycle model of the sparse conv core (rtl/sparse_conv_core.sv, docs/sparse_conv_core.md).

What it predicts: with free-running streams (the source offers a beat every cycle, frames back to
back; the sink is always ready), for every frame the cycles from its first input beat accepted to
its last output beat sent, both ends counted (``last - first + 1``). The model is exact: the
testbench asserts equality with the simulation.

The schedule it models (cycle 0 = the cycle the first input beat is accepted):

* **Group cost.** Output pixels in raster order; per pixel, for t, for row r = 0..R-1 (bank p
  holds channel ``r*P + p``), for group g = 0..NG-1: the P banks take the group together and the
  next group is issued in the cycle the slowest bank emits its last detector beat, so the group
  costs ``max_p max(1, ceil(pairs_p / L))`` cycles (an absent channel counts 1).
* **Input.** Input beat n (global over frames, T beats per pixel) is accepted at
  ``A[n] = max(A[n-1] + 1, perm(pixel of n))``. ``perm(q)`` = 0 if input pixel q may be written
  with the capture pointer at its reset value, else ``cap[M-1] + 1`` for the smallest capture
  pointer M (pixels captured so far) that permits it, by the line-buffer rule below.
* **Line-buffer rule** (global rows: frame f row y is row ``f*H + y``; the buffer has K row slots).
  With the capture pointer at output pixel (global row gc, frame row yc, column xc), the oldest
  needed pixel is row ``gc - min(yc, Pad)``, column ``xc - Pad`` if ``yc >= Pad and xc > Pad``
  else 0. Input pixel (global row gi, column xi) may be written iff ``d = gi - needed_row < K``,
  or ``d == K`` and ``xi < needed_col``.
* **Capture** of output pixel m (its K x K x Ci x T window copied into a register):
  ``cap[m] = max(done(need(m)), last_issue[m-1])`` where ``need(m)`` is input pixel
  ``(min(y + Pad, H-1), min(x + Pad, W-1))`` of m's frame, ``done(q)`` = the accept cycle of q's
  last beat + 1, and ``last_issue[m-1]`` the issue cycle of pixel m-1's last group (a capture may
  share that cycle).
* **Issue.** The first group of pixel m is issued at ``max(cap[m] + 1, end of the previous
  group)``; every other group at the end of the previous one (``issue + cost``).
* **Output.** The output beat of (pixel, t) is sent 3 cycles after the end of the pass's last
  group (``issue + cost``): one cycle in the weight stage (the weights come from synchronous
  memories), one in the neuron stage, one in the output register.

``lower_bound`` and ``dense_cost`` are the reference figures of docs/cores.md section 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.sparsity import conv_fanin_inputs, effectual_ops, fanin_weights, group_count


@dataclass(frozen=True)
class ConvHw:
    """The core's timing knobs: P output channels in parallel, L lanes, bitmap group width G."""

    parallel: int
    lanes: int
    group: int

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


def group_costs(weight, spikes, hw: ConvHw) -> np.ndarray:
    """Cycles of every group of a frame: ``[H, W, T, R, NG]``, each
    ``max over banks p of max(1, ceil(pairs(channel r*P+p, group g) / L))``.

    ``weight [Co, Ci, K, K]``, ``spikes [T, Ci, H, W]`` (0/1)."""
    rows_w = fanin_weights(weight)
    out_channels, fan_in = rows_w.shape
    kernel = np.asarray(weight).shape[-1]
    groups = group_count(fan_in, hw.group)
    rows = -(-out_channels // hw.parallel)
    fields = conv_fanin_inputs(np.asarray(spikes), kernel) != 0          # [T, H, W, F]
    steps, height, width, _ = fields.shape
    padded_in = np.zeros((steps, height, width, groups * hw.group), dtype=np.int64)
    padded_in[..., :fan_in] = fields
    padded_w = np.zeros((rows * hw.parallel, groups * hw.group), dtype=np.int64)
    padded_w[:out_channels, :fan_in] = rows_w != 0
    pairs = np.einsum("thwgq,cgq->thwcg",
                      padded_in.reshape(steps, height, width, groups, hw.group),
                      padded_w.reshape(rows * hw.parallel, groups, hw.group))
    beats = np.maximum(1, -(-pairs // hw.lanes))                         # [T, H, W, R*P, NG]
    per_bank = beats.reshape(steps, height, width, rows, hw.parallel, groups)
    return per_bank.max(axis=4).transpose(1, 2, 0, 3, 4)                  # [H, W, T, R, NG]


def _permitted(capture: int, pixel: int, height: int, width: int, kernel: int) -> bool:
    """The line-buffer rule: may input pixel ``pixel`` (global raster index over frames) be
    written while the capture pointer is at output pixel ``capture`` (same indexing)?"""
    pad = kernel // 2
    row_c, col_c = divmod(capture, width)
    frame_row_c = row_c % height
    needed_row = row_c - min(frame_row_c, pad)
    needed_col = col_c - pad if frame_row_c >= pad and col_c > pad else 0
    row_i, col_i = divmod(pixel, width)
    d = row_i - needed_row
    return d < kernel or (d == kernel and col_i < needed_col)


def _needed_input(capture: int, height: int, width: int, kernel: int) -> int:
    """Input pixel whose completion makes output pixel ``capture``'s window complete."""
    pad = kernel // 2
    row_c, col_c = divmod(capture, width)
    frame_row_c = row_c % height
    return ((row_c + min(pad, height - 1 - frame_row_c)) * width
            + min(col_c + pad, width - 1))


@dataclass(frozen=True)
class Trace:
    """The modelled cycle of every event of a run of frames (global indices over the frames):
    ``first_accept[q]`` / ``last_accept[q]``: the first / last input beat of input pixel q;
    ``capture[m]``: the window capture of output pixel m; ``first_issue[m]`` / ``last_issue[m]``:
    its first / last group issue; ``outputs[m*T + t]``: the output beat of (m, t)."""

    first_accept: tuple[int, ...]
    last_accept: tuple[int, ...]
    capture: tuple[int, ...]
    first_issue: tuple[int, ...]
    last_issue: tuple[int, ...]
    outputs: tuple[int, ...]


def trace(weight, frames, hw: ConvHw) -> Trace:
    """Every event of ``frames`` (``[T, Ci, H, W]`` spike tensors) streamed back to back."""
    frames = [np.asarray(f) for f in frames]
    if not frames:
        raise ValueError("frames: at least one")
    steps, _, height, width = frames[0].shape
    kernel = np.asarray(weight).shape[-1]
    costs = [group_costs(weight, f, hw).reshape(height * width, steps, -1) for f in frames]
    pixels_per_frame = height * width
    total_pixels = pixels_per_frame * len(frames)

    first_accept: list[int] = []
    last_accept: list[int] = []
    captures: list[int] = []
    first_issue: list[int] = []
    last_issue: list[int] = []
    outputs: list[int] = []
    pointer = 0                      # smallest capture pointer that permits the next input pixel
    previous_beat = -1
    busy_until = None                # end of the last group issued: the next issue is >= it

    def feed_until(pixel: int) -> None:
        nonlocal pointer, previous_beat
        while len(last_accept) <= pixel:
            q = len(last_accept)
            while not _permitted(pointer, q, height, width, kernel):
                pointer += 1
                if pointer > len(captures):
                    raise AssertionError(f"model deadlock: input pixel {q} waits for capture "
                                         f"{pointer - 1}, which waits for the input")
            permitted_from = 0 if pointer == 0 else captures[pointer - 1] + 1
            first = max(previous_beat + 1, permitted_from)
            first_accept.append(first)
            previous_beat = first + steps - 1
            last_accept.append(previous_beat)

    for m in range(total_pixels):
        needed = _needed_input(m, height, width, kernel)
        feed_until(needed)
        ready = last_accept[needed] + 1
        cap = ready if m == 0 else max(ready, last_issue[-1])
        captures.append(cap)
        frame, local = divmod(m, pixels_per_frame)
        issue = cap + 1 if busy_until is None else max(cap + 1, busy_until)
        first_issue.append(issue)
        for t in range(steps):
            for cost in costs[frame][local, t]:
                last = issue
                issue += int(cost)
            outputs.append(issue + 3)
        busy_until = issue
        last_issue.append(last)
    return Trace(tuple(first_accept), tuple(last_accept), tuple(captures), tuple(first_issue),
                 tuple(last_issue), tuple(outputs))


def schedule(weight, frames, hw: ConvHw) -> list[FrameTiming]:
    """Per-frame timing of ``frames`` streamed back to back (see :func:`trace`)."""
    frames = [np.asarray(f) for f in frames]
    if not frames:
        return []
    steps, _, height, width = frames[0].shape
    run = trace(weight, frames, hw)
    pixels = height * width
    return [FrameTiming(run.first_accept[f * pixels],
                        run.outputs[f * pixels * steps:(f + 1) * pixels * steps])
            for f in range(len(frames))]


def frame_cycles(weight, frames, hw: ConvHw) -> list[int]:
    """Cycles of each frame, first input accepted to last output sent (both counted)."""
    return [timing.cycles for timing in schedule(weight, frames, hw)]


def compute_cycles(weight, spikes, hw: ConvHw) -> int:
    """The sum of all group costs of a frame: the cycles the detectors are busy."""
    return int(group_costs(weight, spikes, hw).sum())


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


class SparseConvStepped:
    """Stepped model (golden.cycles.stepped) of the sparse conv core: the control registers of
    rtl/sparse_conv_core.sv that decide ``in_ready_o`` and ``out_valid_o``, one edge at a time.

    State, by RTL register: the input position ``ti_q``/``xi_q`` and ``e_q`` (global input row
    minus global capture row); the capture pointer ``xc_q``/``yc_q``; ``loaded_q`` and the walk
    position (``t_q``, ``r_q``, ``g_q`` as one index ``(t*R + r)*NG + g``) of the captured
    pixel; the group in flight as the beats its slowest detector has left (the P detectors'
    ``busy_q``/``eff_q``; ``gif_q`` is ``beats > 0``) with its tags ``tag_row_end_q`` /
    ``tag_step_end_q``; the weight and neuron stages ``wst_nrn_q``/``wst_step_end_q``,
    ``nrn_q``/``nrn_step_end_q``; ``out_valid_q``. The group costs (:func:`group_costs`) are
    computed up front. ``stall`` freezes issue, completion, both stages and the detectors; the
    input writes and a capture into an empty window register go on during it. ``stalled`` (the
    cycle before the last edge was a stall), ``loaded`` and :meth:`capture_ready` let the
    testbench pick a pacing that captures a window during a stall.
    """

    def __init__(self, weight, frames, hw: ConvHw) -> None:
        frames = [np.asarray(f) for f in frames]
        if not frames:
            raise ValueError("frames: at least one")
        self.steps, _, self.height, self.width = frames[0].shape
        self.kernel = np.asarray(weight).shape[-1]
        self.pad = self.kernel // 2
        # Per captured pixel (global over the frames): its group costs in walk order.
        self.costs = [pixel.ravel().tolist() for f in frames
                      for pixel in group_costs(weight, f, hw).reshape(
                          self.height * self.width, -1)]
        self.walk_len = len(self.costs[0])
        self.pass_len = self.walk_len // self.steps       # groups of one (pixel, t): R*NG
        self.groups = group_count(fanin_weights(weight).shape[1], hw.group)
        # Input side and capture pointer.
        self.ti = self.xi = self.e = 0
        self.xc = self.yc = 0
        self.captured = 0                                  # pixels captured so far
        # Issue.
        self.loaded = False
        self.pixel = 0                                     # the captured pixel (global)
        self.walk = 0                                      # its next group to issue
        self.beats_left = 0                                # of the group in flight
        self.tag_row_end = self.tag_step_end = False
        # Weight stage, neuron stage, output register.
        self.wst_nrn = self.wst_step_end = False
        self.nrn = self.nrn_step_end = False
        self.out_valid_q = False
        self.stalled = False                               # the last cycle was a stall

    def out_valid(self) -> bool:
        return self.out_valid_q

    def in_ready(self, out_ready: bool = True) -> bool:
        rows_ahead = self.e + min(self.yc, self.pad)
        needed_col = self.xc - self.pad if self.yc >= self.pad and self.xc > self.pad else 0
        return rows_ahead < self.kernel or (rows_ahead == self.kernel and self.xi < needed_col)

    def capture_ready(self) -> bool:
        """``cap_ready``: the window of the capture pointer is complete."""
        rows_below = min(self.pad, self.height - 1 - self.yc)
        last_col = min(self.xc + self.pad, self.width - 1)
        return self.e > rows_below or (self.e == rows_below and self.xi > last_col)

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        stall = self.nrn and self.nrn_step_end and self.out_valid_q and not out_ready
        detectors_ready = self.beats_left == 0 or (self.beats_left == 1 and not stall)
        issue = self.loaded and detectors_ready and not stall
        complete = self.beats_left > 0 and detectors_ready and not stall
        last_issue = issue and self.walk == self.walk_len - 1
        capture = self.capture_ready() and (not self.loaded or last_issue)
        in_fire = bool(in_valid) and self.in_ready(out_ready)
        out_fire = self.out_valid_q and bool(out_ready)
        out_load = self.nrn and not stall and self.nrn_step_end
        self.stalled = stall

        # Output register, then the neuron and weight stages (held by a stall).
        self.out_valid_q = out_load or (self.out_valid_q and not out_ready)
        if not stall:
            self.nrn, self.nrn_step_end = self.wst_nrn, self.wst_step_end
            self.wst_nrn = complete and self.tag_row_end
            self.wst_step_end = self.tag_step_end
        # Detectors and the walk.
        if issue:
            group = self.walk % self.groups
            self.tag_row_end = group == self.groups - 1
            self.tag_step_end = self.walk % self.pass_len == self.pass_len - 1
            self.beats_left = self.costs[self.pixel][self.walk]
            self.walk = 0 if last_issue else self.walk + 1
            self.loaded = not last_issue
        elif not stall and self.beats_left > 0:
            self.beats_left -= 1
        # Capture into the window register, input writes, row distance.
        rows_delta = 0
        if capture:
            if self.captured >= len(self.costs):
                raise ValueError(f"frames: the model has {len(self.costs)} pixels, the core "
                                 f"captured one more")
            self.loaded, self.pixel = True, self.captured
            self.captured += 1
            self.xc += 1
            if self.xc == self.width:
                self.xc, self.yc = 0, (self.yc + 1) % self.height
                rows_delta -= 1
        if in_fire:
            self.ti += 1
            if self.ti == self.steps:
                self.ti, self.xi = 0, self.xi + 1
                if self.xi == self.width:
                    self.xi = 0
                    rows_delta += 1
        self.e += rows_delta
        return in_fire, out_fire


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
    hw = ConvHw(parameters["Parallel"], parameters["Lanes"], parameters["GroupWidth"])
    return SparseConvStepped(weight, frames, hw)
