"""Cycle model of the dense input core (rtl/dense_input_core.sv, docs/dense_input_core.md).

Predicts, for frames streamed back to back with free-running streams (a pixel offered every
cycle, the output always ready), the cycles from a frame's first input beat accepted to its last
output beat sent, counted inclusively: ``last_out_edge - first_in_edge + 1``.

The model is written with events, not as a cycle-by-cycle copy of the RTL. Edges are integers;
edge 0 accepts the first pixel. With ``S = K`` row slots, ``P = K // 2`` and, for bank ``p``,
``beats(g) = max(1, ceil(popcount(wbitmap_g & pixel_bitmap_g) / L))`` for each of its groups in
(row, group) order:

- input: pixel ``i`` of global row ``gi`` (rows counted over frames) is accepted at
  ``In[i] = max(In[i-1] + 1, Tk[n*] + 1)`` where ``n*`` is the first window whose take has
  released ``gi - S + 1`` rows (taking the last window of an output row y releases row y - P,
  that of a frame the frame's remaining ``min(H, P + 1)`` rows);
- window ``n`` (output pixel, raster order) is taken at
  ``Tk[n] = max(In[need(n)] + 1, max_p LastAcc[p][n-1], EmitEnd[n-N])`` with
  ``need(n)`` the pixel ``(min(y+P, H-1), min(x+P, W-1))`` of its frame and ``N`` the
  core's ``CurrentBuffers`` (pixel n's currents go to buffer ``n % N`` of a ring, which the
  emission of pixel n-N frees at its last beat's edge, the edge the take may reuse it);
- bank p accepts its groups of window n back to back from
  ``max(Tk[n] + 1, Free_p)`` (``Free_p``: its detector's last beat of window n-1), group i+1
  ``beats(i)`` edges after group i; ``LastAcc`` is its last group's acceptance;
- the pixel's currents are complete at ``Full[n] = max_p (LastAcc + beats(last)) + BANK_TAIL``
  (``BANK_TAIL`` = 3: the bank's address stage, its beat register before the MAC and its
  write register after it);
- its T beats leave at ``EmitStart + S, EmitStart + 2S .. EmitStart + T*S`` with
  ``EmitStart[n] = max(Full[n], EmitEnd[n-1])``, ``EmitEnd[n] = EmitStart[n] + T*S``, ``S``
  the core's ``NeuronStages`` (2: each beat's charge half registered a cycle before it is
  offered).
- ``wide_beat`` (the core's ``WideBeat``): the pixel enters a chain of T neuron stages at
  ``EmitStart + 1`` (``EmitEnd = EmitStart + 1``: the emission takes one cycle) and leaves in
  one beat at ``EmitEnd + T``, the chain's last stage (free-running, the chain never stalls).

``recompute_per_timestep=True`` models the same core walking every group T times per pixel (the
current recomputed at every timestep, as the DATE'25 paper's RTL does), for the speed-up figure.

:class:`DenseInputStepped` (factory :func:`stepped`) is the core's stepped model
(golden.cycles.stepped): exact under any input pacing and output backpressure. It mirrors the
control registers of the RTL one edge at a time: the line buffer's counters
(:class:`_LineBufferControl`: ``in_ready_o``, ``win_valid_o``), per bank
(:class:`_BankControl`) the feeder (``feed_done``, the group walked) and the detector (beats
left of its group, whether it is the pass's last, its buffer), the ``pix_done`` of its address,
MAC and write stages, and the
core's bookkeeping of its ring of ``CurrentBuffers`` buffers (``win_buf``, ``busy``, ``done``)
and emitter (``emit_active``, ``emit_buf``, ``t`` and, for ``NeuronStages`` 2, ``charged``:
``out_valid_o``; with ``WideBeat`` the chain's valid flags instead). The data-dependent cost, the beats of every group of every window, comes from
:func:`window_beats` up front.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cycles.layer import LayerModel, steady
from golden.sparsity import bitmap_of, effectual_ops, fanin_weights, group_count, groups

#: Edges from a bank's last detector beat of a pixel (``LastAcc + beats(last)``) to the edge
#: after which the pixel's currents are complete (rtl/dense_bank.sv: the beat's address is
#: registered at the first, its weights at the second, the MAC's sum at the third; the write
#: stage writes in the cycle after).
BANK_TAIL = 3


@dataclass(frozen=True)
class DenseInputTiming:
    """Model output: per frame the predicted cycles and the edges they span; every pixel's
    acceptance edge and every output beat's edge (all frames, in stream order)."""

    cycles: tuple[int, ...]
    first_in: tuple[int, ...]
    last_out: tuple[int, ...]
    accepts: tuple[int, ...] = ()
    sends: tuple[int, ...] = ()


def _bank_rows(out_channels: int, parallel: int) -> list[list[int]]:
    """Channels of each bank in row order: bank p holds co = r*P + p."""
    return [list(range(p, out_channels, parallel)) for p in range(parallel)]


def _pixel_beats(rows_w: np.ndarray, field: np.ndarray, banks: list[list[int]], group: int,
                 lanes: int) -> list[list[int]]:
    """Per bank, the beat count of each of its groups (rows in order, groups in order)."""
    pix_groups = [bitmap_of(g) for g in groups(field, group)]
    per_bank = []
    for channels in banks:
        beats = []
        for co in channels:
            for wg, pb in zip((bitmap_of(g) for g in groups(rows_w[co], group)), pix_groups):
                pairs = (wg & pb).bit_count()
                beats.append(max(1, -(-pairs // lanes)))
        per_bank.append(beats)
    return per_bank


def _receptive_field(frame: np.ndarray, kernel: int, y: int, x: int) -> np.ndarray:
    channels, height, width = frame.shape
    pad = kernel // 2
    padded = np.pad(frame, ((0, 0), (pad, pad), (pad, pad)))
    return padded[:, y:y + kernel, x:x + kernel].reshape(channels * kernel * kernel)


def window_beats(weight, frames, *, parallel: int, lanes: int, group: int) -> list[list[list[int]]]:
    """Per window (output pixel in raster order, ``frames`` back to back) and per bank holding a
    channel, the beat count of each of the bank's groups in (row, group) order."""
    weight = np.asarray(weight, dtype=np.int64)
    out_channels, _, kernel, _ = weight.shape
    rows_w = fanin_weights(weight)
    banks = [b for b in _bank_rows(out_channels, parallel) if b]
    beats = []
    for frame in frames:
        frame = np.asarray(frame, dtype=np.int64)
        _, height, width = frame.shape
        for y in range(height):
            for x in range(width):
                field = _receptive_field(frame, kernel, y, x)
                beats.append(_pixel_beats(rows_w, field, banks, group, lanes))
    return beats


def frame_timing(weight, frames, *, parallel: int, lanes: int, group: int, timesteps: int,
                 recompute_per_timestep: bool = False, current_buffers: int = 2,
                 neuron_stages: int = 1, wide_beat: bool = False) -> DenseInputTiming:
    """Predicted cycles of each frame of ``frames`` (a list of ``[C, H, W]`` pixel frames),
    streamed back to back into a core with the given hardware knobs; ``weight`` is
    ``[Co, C, K, K]``; ``current_buffers``, ``neuron_stages`` and ``wide_beat`` are the core's
    ``CurrentBuffers``, ``NeuronStages`` and ``WideBeat`` (``sends``: one edge per output beat,
    i.e. per pixel with ``wide_beat``)."""
    _check_emission(current_buffers, neuron_stages, wide_beat)
    emission = 1 if wide_beat else timesteps * neuron_stages
    # Edges from EmitEnd to the beat's send: the chain's T stages (wide), else 0.
    chain = timesteps if wide_beat else 0
    weight = np.asarray(weight, dtype=np.int64)
    out_channels, in_channels, kernel, _ = weight.shape
    frames = [np.asarray(f, dtype=np.int64) for f in frames]
    _, height, width = frames[0].shape
    pad = kernel // 2
    slots = kernel
    window_costs = window_beats(weight, frames, parallel=parallel, lanes=lanes, group=group)
    banks = [b for b in _bank_rows(out_channels, parallel) if b]
    per_frame = height * width
    total = len(frames) * per_frame

    def need(n: int) -> int:
        f, k = divmod(n, per_frame)
        y, x = divmod(k, width)
        return f * per_frame + min(y + pad, height - 1) * width + min(x + pad, width - 1)

    def releases(n: int) -> int:
        y, x = divmod(n % per_frame, width)
        if x != width - 1:
            return 0
        if y == height - 1:
            return min(height, pad + 1)
        return 1 if y >= pad else 0

    accepted = [0] * total       # In[i]
    taken = [0] * total          # Tk[n]
    emit_end = [0] * total       # EmitEnd[n]
    released = []                # cumulative rows released after take n
    last_acc = [None] * len(banks)   # LastAcc of the previous window, per bank
    det_free = [0] * len(banks)      # edge from which the detector accepts a new group
    i = n = 0
    while n < total:
        if i < total and not (need(n) < i):
            # Input pixel i: its row must fit into the slots.
            row = i // width
            edge = accepted[i - 1] + 1 if i else 0
            must_release = row - slots + 1
            if must_release > 0:
                k = next((m for m, r in enumerate(released) if r >= must_release), None)
                if k is None:
                    raise AssertionError("model order: input waits for a window not yet taken")
                edge = max(edge, taken[k] + 1)
            accepted[i] = edge
            i += 1
            continue
        # Window n.
        edge = accepted[need(n)] + 1
        if n:
            edge = max(edge, *last_acc)
        if n >= current_buffers:
            # Buffer n % N is free once pixel n - N, its previous user, has left.
            edge = max(edge, emit_end[n - current_buffers])
        taken[n] = edge
        released.append((released[-1] if released else 0) + releases(n))
        full = 0
        for b, bank_beats in enumerate(window_costs[n]):
            if recompute_per_timestep:
                bank_beats = bank_beats * timesteps
            acc = max(edge + 1, det_free[b])
            for count in bank_beats[:-1]:
                acc += count
            last_acc[b] = acc
            det_free[b] = acc + bank_beats[-1]
            full = max(full, det_free[b] + BANK_TAIL)
        start = max(full, emit_end[n - 1]) if n else full
        emit_end[n] = start + emission
        n += 1

    first_in = tuple(accepted[f * per_frame] for f in range(len(frames)))
    last_out = tuple(emit_end[(f + 1) * per_frame - 1] + chain for f in range(len(frames)))
    if wide_beat:
        sends = tuple(end + chain for end in emit_end)
    else:
        sends = tuple(end - emission + neuron_stages * (t + 1)
                      for end in emit_end for t in range(timesteps))
    return DenseInputTiming(tuple(lo - fi + 1 for fi, lo in zip(first_in, last_out)),
                            first_in, last_out, tuple(accepted), sends)


def _check_emission(current_buffers: int, neuron_stages: int, wide_beat: bool) -> None:
    if current_buffers < 2:
        raise ValueError(f"current_buffers must be >= 2, got {current_buffers}")
    if neuron_stages not in (1, 2):
        raise ValueError(f"neuron_stages must be 1 or 2, got {neuron_stages}")
    if wide_beat and neuron_stages != 1:
        raise ValueError("wide_beat needs neuron_stages 1")


def frame_cycles(weight, frames, **knobs) -> list[int]:
    """Predicted cycles per frame (see :func:`frame_timing`)."""
    return list(frame_timing(weight, frames, **knobs).cycles)


def lower_bound(weight, frame, *, parallel: int, lanes: int) -> float:
    """Effectual ops of a frame, counted once per pixel (the current does not depend on t),
    divided by P*L: non-zero weight x non-zero pixel products over all output neurons."""
    frame = np.asarray(frame, dtype=np.int64)
    return effectual_ops("conv", frame[None], weight) / (parallel * lanes)


def dense_cost(weight, height: int, width: int, *, parallel: int, lanes: int,
               timesteps: int = 1) -> int:
    """Dense cost ``H*W*T * ceil(Co/P) * ceil(F/L)`` (docs/cores.md section 4): every weight
    multiplied at every output pixel (and timestep, for ``timesteps = T``)."""
    rows_w = fanin_weights(weight)
    out_channels, fan_in = rows_w.shape
    return height * width * timesteps * (-(-out_channels // parallel)) * (-(-fan_in // lanes))


def group_walk_floor(weight, height: int, width: int, *, parallel: int, group: int) -> int:
    """The floor of this schedule: every group of every row is walked once per pixel (one cycle
    each even when it has no effectual pair): ``H*W * ceil(Co/P) * ceil(F/G)``."""
    rows_w = fanin_weights(weight)
    out_channels, fan_in = rows_w.shape
    return height * width * (-(-out_channels // parallel)) * group_count(fan_in, group)


class _BankControl:
    """One bank's control registers (rtl/dense_bank.sv and its sparsity_detector): the feeder's
    group walk and ``feed_done_q``; the detector's beats left of the group it holds (0: idle),
    whether that group is the pass's last (``grp_pixlast_q``) and its buffer (``grp_buf_q``); the
    address stage's ``ast_valid_q & ast_pixend_q`` and ``ast_buf_q``; the MAC stage's
    ``mac_valid_q & mac_pixend_q`` and ``mac_buf_q``; the write stage's ``pix_done_q``
    (``pix_done_o``) and ``wr_buf_q``."""

    def __init__(self) -> None:
        self.groups: list[int] = []   # beats of the current window's groups
        self.next_group = 0
        self.feed_done = True
        self.beats_left = 0
        self.holds_last = False
        self.held_buf = 0
        self.ast_pix_done = False
        self.ast_pix_done_buf = 0
        self.mac_pix_done = False
        self.mac_pix_done_buf = 0
        self.pix_done = False
        self.pix_done_buf = 0

    def accept(self) -> bool:
        """The detector takes the next group in this cycle (its out_ready is tied high, so it is
        ready on its group's last beat)."""
        return not self.feed_done and self.beats_left <= 1

    def fed_after_edge(self) -> bool:
        """``feed_done_next_o``."""
        return self.feed_done or (self.accept() and self.next_group == len(self.groups) - 1)

    def clock(self, start: list[int] | None, window_buf: int) -> None:
        accept = self.accept()
        self.pix_done, self.pix_done_buf = self.mac_pix_done, self.mac_pix_done_buf
        self.mac_pix_done, self.mac_pix_done_buf = self.ast_pix_done, self.ast_pix_done_buf
        self.ast_pix_done = self.beats_left == 1 and self.holds_last
        self.ast_pix_done_buf = self.held_buf
        if self.beats_left:
            self.beats_left -= 1
        if accept:
            self.beats_left = self.groups[self.next_group]
            self.holds_last = self.next_group == len(self.groups) - 1
            self.held_buf = window_buf
            self.next_group += 1
            self.feed_done = self.holds_last
        if start is not None:
            self.groups, self.next_group, self.feed_done = start, 0, False


class _LineBufferControl:
    """rtl/dense_line_buffer.sv's counters: the next input pixel (``in_x``, ``in_y``) and
    output window (``out_x``, ``out_y``), the rows written but not yet released
    (``rows_ahead_q``) and the frames written whole but not yet taken whole
    (``frames_ahead_q``)."""

    def __init__(self, height: int, width: int, kernel: int) -> None:
        self.height, self.width = height, width
        self.pad = kernel // 2
        self.slots = kernel
        self.in_x = self.in_y = self.out_x = self.out_y = 0
        self.rows_ahead = self.frames_ahead = 0

    def in_ready(self) -> bool:
        return self.rows_ahead < self.slots

    def window_valid(self) -> bool:
        need_y = min(self.out_y + self.pad, self.height - 1)
        need_x = min(self.out_x + self.pad, self.width - 1)
        return (self.frames_ahead > 0 or self.in_y > need_y
                or (self.in_y == need_y and self.in_x > need_x))

    def frame_last(self) -> bool:
        """``win_frame_last_o``: the window offered is its frame's last."""
        return self.out_y == self.height - 1 and self.out_x == self.width - 1

    def clock(self, in_fire: bool, take: bool) -> None:
        """p_release and p_next."""
        released = 0
        out_row_end = self.out_x == self.width - 1
        if take and out_row_end:
            if self.out_y == self.height - 1:
                released = min(self.height, self.pad + 1)
            elif self.out_y >= self.pad:
                released = 1
        self.rows_ahead -= released
        if in_fire:
            self.in_x += 1
            if self.in_x == self.width:
                self.in_x = 0
                if self.in_y == self.height - 1:
                    self.in_y = 0
                    self.frames_ahead += 1
                else:
                    self.in_y += 1
                self.rows_ahead += 1
        if take:
            self.out_x += 1
            if self.out_x == self.width:
                self.out_x = 0
                if self.out_y == self.height - 1:
                    self.out_y = 0
                    self.frames_ahead -= 1
                else:
                    self.out_y += 1


class DenseInputStepped:
    """Stepped model (golden.cycles.stepped) of rtl/dense_input_core.sv: see the module
    docstring. ``window_costs[n][b]``: the beats of bank b's groups for window n (windows of
    all frames in stream order, :func:`window_beats`)."""

    def __init__(self, window_costs: list[list[list[int]]], height: int, width: int,
                 kernel: int, timesteps: int, current_buffers: int = 2,
                 neuron_stages: int = 1, wide_beat: bool = False) -> None:
        _check_emission(current_buffers, neuron_stages, wide_beat)
        self.current_buffers = current_buffers
        self.neuron_stages = neuron_stages
        self.wide_beat = wide_beat
        self.window_costs = window_costs
        self.height, self.width, self.timesteps = height, width, timesteps
        self.accepted = 0     # pixels accepted (the model knows len(window_costs) of them)
        self.line_buffer = _LineBufferControl(height, width, kernel)
        # banks (those holding a channel: an empty bank is always done)
        self.banks = [_BankControl() for _ in (window_costs[0] if window_costs else [])]
        self.taken = 0
        # current buffers (a ring) and emitter
        self.win_buf = current_buffers - 1   # the first window goes to buffer 0
        self.busy = [False] * current_buffers
        self.done = [[False] * len(self.banks) for _ in range(current_buffers)]
        self.emit_active = False
        self.emit_buf = 0
        self.t = 0
        self.charged = False   # NeuronStages = 2: the beat's charge half is registered
        self.chain = [False] * timesteps   # WideBeat: stage t holds a pixel

    def out_valid(self) -> bool:
        if self.wide_beat:
            return self.chain[-1]
        return self.emit_active and (self.neuron_stages == 1 or self.charged)

    def _chain_moves(self, out_ready: bool) -> bool:
        return not (self.chain[-1] and not out_ready)

    def _emit_fire(self, out_ready: bool) -> bool:
        """The emitter hands its beat on: to the output, or (WideBeat) into the chain."""
        if self.wide_beat:
            return self.emit_active and self._chain_moves(out_ready)
        return self.out_valid() and out_ready

    def in_ready(self, out_ready: bool = True) -> bool:
        return self.line_buffer.in_ready()

    def _emit_free(self, out_ready: bool) -> bool:
        return self._emit_fire(out_ready) and (self.wide_beat or self.t == self.timesteps - 1)

    def _ring_next(self, buf: int) -> int:
        return (buf + 1) % self.current_buffers

    def _take(self, out_ready: bool) -> bool:
        next_buf = self._ring_next(self.win_buf)
        return (self.line_buffer.window_valid()
                and all(b.fed_after_edge() for b in self.banks)
                and not (self.busy[next_buf]
                         and not (self._emit_free(out_ready) and self.emit_buf == next_buf)))

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        in_fire = in_valid and self.in_ready()
        if in_fire:
            if self.accepted == len(self.window_costs):
                raise ValueError(f"pixel {self.accepted} accepted, but only "
                                 f"{self.accepted // (self.height * self.width)} frames given")
            self.accepted += 1
        out_fire = self.out_valid() and out_ready
        emit_fire = self._emit_fire(out_ready)
        emit_free = self._emit_free(out_ready)
        take = self._take(out_ready)
        if self.wide_beat and self._chain_moves(out_ready):
            self.chain = [self.emit_active] + self.chain[:-1]
        next_buf = self._ring_next(self.win_buf)
        ring = range(self.current_buffers)
        # full[b]: allocated and every bank done, counting the banks' pix_done of this cycle.
        done_now = [[b.pix_done and b.pix_done_buf == buf for b in self.banks] for buf in ring]
        self.done = [[d or n for d, n in zip(self.done[buf], done_now[buf])] for buf in ring]
        full = [self.busy[buf] and all(self.done[buf]) for buf in ring]
        # p_buffers
        if emit_free:
            self.busy[self.emit_buf] = False
        if take:
            self.busy[next_buf] = True
            self.done[next_buf] = [False] * len(self.banks)
        # p_emit
        if self.emit_active and not self.charged:
            self.charged = True
        if emit_fire:
            self.charged = False
            self.t += 1
            if emit_free:
                self.emit_active, self.emit_buf = False, self._ring_next(self.emit_buf)
        if not self.emit_active and full[self.emit_buf]:
            self.emit_active, self.t = True, 0
        # banks (dense_bank: start_i = take, buf_i = win_buf_q)
        starts = self.window_costs[self.taken] if take else [None] * len(self.banks)
        for bank, start in zip(self.banks, starts):
            bank.clock(start, self.win_buf)
        if take:
            self.win_buf = next_buf
            self.taken += 1
        self.line_buffer.clock(in_fire, take)
        return in_fire, out_fire


def pixel_frame(frame, shape: tuple[int, ...], timesteps: int, name: str) -> np.ndarray:
    """A pixel frame of ``shape`` from ``frame`` given as that shape (in any layout of the same
    order, e.g. flat) or, as ``run_network`` gives a layer's input, repeated over the T
    timesteps (``[T, ...]``, the same pixels at every t)."""
    frame = np.asarray(frame, dtype=np.int64)
    size = int(np.prod(shape))
    if frame.size == size:
        return frame.reshape(shape)
    if frame.size == timesteps * size:
        per_step = frame.reshape(timesteps, *shape)
        if (per_step == per_step[0]).all():
            return per_step[0]
        raise ValueError(f"{name}: the pixel frame differs between timesteps")
    raise ValueError(f"{name}: shape {frame.shape}, expected {shape} or {(timesteps, *shape)}")


def stepped(parameters: dict, weight, frames, timesteps: int) -> DenseInputStepped:
    """The stepped model of a dense input core from its HDL parameters (network.json), its
    ``[Co, C, K, K]`` weight and the pixel frames it will be fed (``[C, H, W]``, or
    ``[T, C, H, W]`` as ``run_network`` gives layer 0's input). ``CurrentBuffers``,
    ``NeuronStages`` or ``WideBeat`` absent from ``parameters`` means the RTL default, 2, 1 or 0."""
    p = parameters
    if timesteps != p["Timesteps"]:
        raise ValueError(f"timesteps {timesteps} != the core's Timesteps {p['Timesteps']}")
    want = (p["OutChannels"], p["InChannels"], p["Kernel"], p["Kernel"])
    if np.shape(weight) != want:
        raise ValueError(f"weight: shape {np.shape(weight)}, expected {want}")
    shape = (p["InChannels"], p["Height"], p["Width"])
    frames = [pixel_frame(frame, shape, timesteps, f"frames[{i}]")
              for i, frame in enumerate(frames)]
    costs = window_beats(weight, frames, parallel=p["Parallel"], lanes=p["Lanes"],
                         group=p["GroupWidth"])
    return DenseInputStepped(costs, p["Height"], p["Width"], p["Kernel"], timesteps,
                             current_buffers=p.get("CurrentBuffers", 2),
                             neuron_stages=p.get("NeuronStages", 1),
                             wide_beat=bool(p.get("WideBeat", 0)))


def layer_model(index: int, parameters: dict, weight, samples, inputs, steps: int) -> LayerModel:
    """The core alone fed the network's ``samples`` back to back with free-running streams
    (golden.cycles.layer; ``inputs``, the same pixels, kept for the figures)."""
    timing = frame_timing(weight, samples, parallel=parameters["Parallel"],
                          lanes=parameters["Lanes"], group=parameters["GroupWidth"],
                          timesteps=steps, current_buffers=parameters.get("CurrentBuffers", 2),
                          neuron_stages=parameters.get("NeuronStages", 1),
                          wide_beat=bool(parameters.get("WideBeat", 0)))
    return LayerModel(index, "dense_input_core", timing.cycles,
                      timing.last_out[-1] - timing.first_in[0] + 1,
                      steady(timing.last_out, timing.cycles[0]), inputs)
