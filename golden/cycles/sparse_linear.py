"""Cycle model of the sparse linear core (rtl/sparse_linear_core.sv, docs/sparse_linear_core.md).

Schedule (R = ceil(O/P) rows of P features, NG = ceil(F/G) groups, F = C*H*W):

- input: one beat per cycle into a double-buffered frame store; timestep t of a frame is complete
  ``AVAIL_LATENCY`` (2) cycles after the last pixel's beat of timestep t was accepted (early
  start; the frame buffer's read register holds the store as it was a cycle before);
- for t, r, g in that order: group g enters the group stage (the bitmaps and the effectual bits
  registered), then goes to the P bank detectors at once and costs
  ``max_p max(1, ceil(e[p] / L))`` cycles, ``e[p] = popcount(wbitmap[p][r][g] & sbitmap[t][g])``
  (the fan-in cut into groups in the core's pixel-major order: ``core_order``);
  it enters the stage at ``S = max(previous group's detector entry, timestep t complete)`` and
  the detectors at ``max(previous group's entry + its cost, S + STAGE_LATENCY)``;
- a **silent** timestep (no spike in any of its beats) with NG > 1 walks only the first group
  of each row (one cycle, taken as the row's last: its groups have no effectual pair), and after
  its last row the next group enters the stage ``REFILL`` (2) edges after that row's, not one
  (the frame buffer's and the bitmaps' read registers reload from the new position): R + 1
  cycles instead of R * NG (``walk``); without a neuron (``HasNeuron`` 0) it walks only the
  first row's first group, taken as the timestep's last row (its output beat is the biases):
  2 cycles;
- a **silent frame** (no spike in any timestep) is replayed when its beats are known
  (``replay_known``: without a neuron, with one row, or after a silent frame walked since the
  configuration) and NG > 1, R > 1 or T = 1 (``replays``): it issues one token a timestep, a
  group of cost 1 taken as the timestep's last row, with no refill between or after: T cycles;
  the first token frees its buffer. Its first group waits for the frame to be complete (the edge after its last beat
  was accepted: ``COMPLETE_LATENCY``, a cycle before timestep T-1 is available), and so does the
  first group of any frame whose timestep 0 is silent while a silent frame would be replayed
  (the core cannot tell it from a silent frame before its end);
- the output beat of a timestep leaves ``4 + NeuronStages`` cycles after the last beat of its
  last group (address stage, weight stage, sum stage, row register, with ``NeuronStages`` 2 the
  fire register, output register);
- frame k's first beat is accepted one cycle after frame k-1's last beat, or, when both buffers
  are full, one cycle after frame k-2's last group entered the group stage (its buffer is freed).

With free-running streams (source always valid, sink always ready) the model is exact: the
cycles of a frame are counted from the edge that accepts its first input beat to the edge that
sends its last output beat.

Reported with it (docs/cores.md section 4): the effectual-op lower bound
``golden.sparsity.effectual_ops / (P*L)`` and the dense cost ``ceil(O/P) * ceil(F/L) * T``.
``model`` also gives the absolute edges under free-running streams: every frame's first input
beat (its H*W*T beats are accepted back to back) and every output beat.

Stepped model (``SteppedLinear``, factory ``stepped``; protocol: ``golden.cycles.stepped``): the
same core under any input pacing and output backpressure, one clock edge at a time. Its state
mirrors the RTL's control registers: the frame buffer's ``full_q[2]``, ``wsel_q``, ``rsel_q``,
``wpix_q``, ``wt_q`` (``in_ready_o = !full_q[wsel_q]``) and their copies a cycle late, from which
``rd_avail_o`` (the early start) is decided; the issue
position ``iss_t/r/g_q``; the group stage (``stg_valid_q`` and the held group's cost and tags,
``stg_last_g_q`` / ``stg_last_r_q``: it takes the issue position's group when it is empty or its
group enters the detectors, ``stg_free``); the P detectors in lock-step as the beats left of the held group (the
group's cost from ``group_costs``, computed up front per frame; ``all_free`` when at most one is
left and the row register can take it) with ``grp_last_g_q`` / ``grp_last_r_q``; the address,
weight and sum stages (``ast_/wst_/sst_row_end_q``, ``ast_/wst_/sst_last_r_q``: the beat whose
weight addresses are registered, one cycle behind the detectors, the beat whose weights are
read, two cycles behind, and the beat whose weights are registered and summed, three behind;
all stalled with the detectors, which stall while the skid register is full:
``row_ready = !sk_valid_q``); the row register (``row_valid_q``, ``row_last_q``, held by a held
output beat when it holds a timestep's last row, or with ``NeuronStages`` 2 by the fire register
after it, ``fire_valid_q`` / ``fire_last_q``, which the output beat holds instead) and its skid
register (``sk_valid_q``,
``sk_last_q``: a row loaded while the row register is held; it moves up first); the output
register (``out_valid_q``). ``HasNeuron`` changes the data path and, for a silent timestep, the
walk (one group for the timestep without a neuron), so one model serves both (spike or current
stream out, ``has_neuron``). Checked against the DUT cycle by cycle in
tb/sparse_linear_core, and against ``model`` in tests/test_cycles_stepped_sparse_linear.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from golden.cores import pixel_major_order
from golden.cycles.layer import LayerModel
from golden.memory_images import layer_images
from golden.sparsity import effectual_ops, group_count

#: Cycles from the edge at which a row's last detector beat fires to the edge at which the
#: output beat of that timestep is sent (address stage + weight stage + sum stage + row register
#: + output register), with ``NeuronStages`` 1; ``output_tail`` gives it for either.
OUTPUT_TAIL = 5


def output_tail(neuron_stages: int = 1) -> int:
    """The tail with ``NeuronStages`` 1 or 2 (the fire register a cycle more)."""
    if neuron_stages not in (1, 2):
        raise ValueError(f"NeuronStages must be 1 or 2, got {neuron_stages}")
    return OUTPUT_TAIL + neuron_stages - 1
#: Cycles from the edge accepting the last pixel's beat of timestep t to the first edge at which a
#: group of t can enter the group stage (rtl/linear_frame_buffer.sv: its state a cycle late).
AVAIL_LATENCY = 2
#: Cycles from the edge accepting a frame's last beat to the first edge at which the core may
#: replay it or end its wait (rtl/linear_frame_buffer.sv: rd_complete_o from full_q).
COMPLETE_LATENCY = 1
#: Cycles from the edge a group enters the group stage to the first edge it can enter the
#: detectors (rtl/sparse_linear_core.sv: stg_wbitmap_q, stg_eff_q).
STAGE_LATENCY = 1
#: Edges from the stage load of a silent timestep's last row to the next stage load
#: (rtl/sparse_linear_core.sv: refill_q).
REFILL = 2


def _flat_frames(frames, fan_in: int) -> list[np.ndarray]:
    flat = []
    for frame in frames:
        arr = np.asarray(frame)
        arr = arr.reshape(arr.shape[0], -1)
        if arr.shape[1] != fan_in:
            raise ValueError(f"frame: fan-in {arr.shape[1]} does not match the weights' {fan_in}")
        flat.append(arr != 0)
    return flat


def core_order(weight, frames: Sequence, pixels: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """``weight [O, F]`` and ``frames`` (each ``[T, C, H, W]`` or ``[T, F]``, SPEC order) with
    the fan-in in the core's order (golden.cores.pixel_major_order, ``pixels = H*W``): the
    groups the core walks. Frames come back flat, ``[T, F]`` booleans."""
    w = np.asarray(weight)
    fan_in = w.shape[1]
    if fan_in % pixels:
        raise ValueError(f"fan-in {fan_in} is not a multiple of the pixels {pixels}")
    order = pixel_major_order(fan_in // pixels, pixels)
    return w[:, order], [flat[:, order] for flat in _flat_frames(frames, fan_in)]


def _bitmap(bits: np.ndarray) -> int:
    return int(sum(1 << int(q) for q in np.flatnonzero(bits)))


@dataclass(frozen=True)
class LinearCycles:
    """Model figures of a sequence of frames."""

    #: Per frame: cycles from its first input beat accepted to its last output beat sent.
    frame_cycles: tuple[int, ...]
    #: Per frame: the walk's cycles alone (``walk_cycles``): sum over the issued groups of their
    #: cost, and a refill cycle per skipped timestep.
    compute_cycles: tuple[int, ...]
    #: Per frame: effectual ops / (P * L).
    lower_bound: tuple[float, ...]
    #: Per frame: ceil(O/P) * ceil(F/L) * T.
    dense_cost: tuple[int, ...]
    #: Per frame: the edge accepting its first input beat (frame 0's is edge 0); its H*W*T
    #: beats are accepted on consecutive edges from there.
    first_input: tuple[int, ...] = ()
    #: Per frame: the edge sending each of its T output beats.
    output_cycles: tuple[tuple[int, ...], ...] = ()


def group_costs(weight, frame, parallel: int, lanes: int, group: int) -> np.ndarray:
    """Cycles of every group of a frame, ``[T, R, NG]``: ``max_p max(1, ceil(e[p] / L))``;
    ``weight`` and ``frame`` with the fan-in in the core's order (``core_order``)."""
    w = np.asarray(weight)
    out_features, fan_in = w.shape
    images = layer_images(w, np.zeros(out_features, dtype=np.int64), None, group, parallel)
    rows, groups = images.rows, images.groups
    spikes = _flat_frames([frame], fan_in)[0]
    steps = spikes.shape[0]
    padded = np.zeros((steps, groups * group), dtype=bool)
    padded[:, :fan_in] = spikes
    sbitmaps = [[_bitmap(padded[t, g * group:(g + 1) * group]) for g in range(groups)]
                for t in range(steps)]
    costs = np.zeros((steps, rows, groups), dtype=np.int64)
    for t in range(steps):
        for r in range(rows):
            for g in range(groups):
                worst = 1
                for bank in range(parallel):
                    pairs = (images.bitmap[bank][r * groups + g] & sbitmaps[t][g]).bit_count()
                    worst = max(worst, -(-pairs // lanes))
                costs[t, r, g] = worst
    return costs


def silent_steps(frame, fan_in: int) -> np.ndarray:
    """Per timestep of a frame (``[T, C, H, W]`` or ``[T, F]``): no input spike at all."""
    return ~_flat_frames([frame], fan_in)[0].any(axis=1)


def replays(rows: int, groups: int, steps: int) -> bool:
    """Whether the core replays silent frames (else a silent frame costs T cycles anyway:
    one group of one row a timestep; with T = 1 the replay still starts a cycle sooner)."""
    return groups > 1 or rows > 1 or steps == 1


def replay_known(has_neuron: bool, rows: int, earlier_silent: bool) -> bool:
    """Whether a silent frame's beats are known without a walk: without a neuron (the biases),
    with one row (a token steps every feature), or once a silent frame was walked since the
    configuration (``earlier_silent``; its beats were kept)."""
    return not has_neuron or rows == 1 or earlier_silent


def walk(costs: np.ndarray, silent: np.ndarray, has_neuron: bool = True,
         replayed: bool = False) -> list[tuple[np.ndarray, bool]]:
    """Per timestep: the costs of the groups the core issues, in order, and whether a refill
    follows (a silent timestep with NG > 1 issues one group per row, each costing one cycle;
    without a neuron one group for the whole timestep; a replayed frame one token, no
    refill)."""
    steps, rows, groups = costs.shape
    if replayed:
        return [(np.ones(1, dtype=np.int64), False) for _ in range(steps)]
    out = []
    for t in range(steps):
        skipped = bool(silent[t]) and groups > 1
        issued = np.ones(rows if has_neuron else 1, dtype=np.int64)
        out.append((issued if skipped else costs[t].reshape(-1), skipped))
    return out


def walk_cycles(costs: np.ndarray, silent: np.ndarray, has_neuron: bool = True,
                replayed: bool = False) -> int:
    """Cycles of a frame's walk: the issued groups' costs, and a refill cycle per skipped
    timestep."""
    return sum(int(c.sum()) + (REFILL - 1) * skipped
               for c, skipped in walk(costs, silent, has_neuron, replayed))


def dense_cost(out_features: int, fan_in: int, steps: int, parallel: int, lanes: int) -> int:
    """Dense cost of a frame: ``ceil(O/P) * ceil(F/L)`` per timestep, summed over T."""
    return -(-out_features // parallel) * -(-fan_in // lanes) * steps


def lower_bound(weight, frame, parallel: int, lanes: int) -> float:
    """Effectual-op lower bound of a frame: ``effectual_ops / (P * L)``."""
    flat = np.asarray(frame).reshape(np.asarray(frame).shape[0], -1)
    return effectual_ops("linear", flat, weight) / (parallel * lanes)


def model(weight, frames: Sequence, pixels: int, parallel: int, lanes: int,
          group: int, neuron_stages: int = 1, has_neuron: bool = True) -> LinearCycles:
    """Cycles of ``frames`` (each ``[T, C, H, W]`` or ``[T, F]``, sent back to back) through a
    core with weights ``weight [O, F]``; ``pixels = H*W`` beats per timestep of the input;
    ``has_neuron``: the core's ``HasNeuron`` (without one a silent timestep is one group)."""
    tail = output_tail(neuron_stages)
    w, frames = core_order(weight, frames, pixels)
    out_features, fan_in = w.shape
    frame_cycles, compute, bounds, dense, firsts, outputs = [], [], [], [], [], []
    cur = 0                       # earliest edge at which the next group can enter
    last_beat_prev = None         # edge of the previous frame's last input beat
    released: list[int] = []      # per frame: edge at which its last group entered the stage
    entered = None                # edge at which the previous group entered the detectors
    refill = 0                    # earliest stage load after a skipped timestep
    earlier_silent = False        # a silent frame was walked (its beats kept)
    for k, frame in enumerate(frames):
        costs = group_costs(w, frame, parallel, lanes, group)
        silent = silent_steps(frame, fan_in)
        steps, rows, groups = costs.shape
        known = replays(rows, groups, steps) and replay_known(has_neuron, rows, earlier_silent)
        replayed = known and bool(silent.all())
        # A frame that may be silent is told at its end: its first group waits for it.
        held = known and bool(silent[0])
        earlier_silent = earlier_silent or bool(silent.all())
        first = 0
        if last_beat_prev is not None:
            first = last_beat_prev + 1
        if k >= 2:
            first = max(first, released[k - 2] + 1)
        last_beat_prev = first + pixels * steps - 1
        sends = []
        for t, (issued, skipped) in enumerate(walk(costs, silent, has_neuron, replayed)):
            # A held frame starts when complete: the edge after its last beat's.
            ready = (first + pixels * steps - 1 + COMPLETE_LATENCY if held
                     else first + (pixels - 1) * steps + t + AVAIL_LATENCY)
            for cost in issued:
                # The stage holds the previous group until the detectors take it.
                staged = max(ready, refill) if entered is None else max(ready, refill, entered)
                entered = max(cur, staged + STAGE_LATENCY)
                cur = entered + int(cost)
            if skipped:
                refill = staged + REFILL
            if t == 0 and replayed:
                release = staged  # the first token frees the buffer
            sends.append(cur + tail)
        released.append(release if replayed else staged)
        firsts.append(first)
        outputs.append(tuple(sends))
        frame_cycles.append(cur + tail - first)
        compute.append(walk_cycles(costs, silent, has_neuron, replayed))
        bounds.append(lower_bound(w, frame, parallel, lanes))
        dense.append(dense_cost(out_features, fan_in, steps, parallel, lanes))
    return LinearCycles(tuple(frame_cycles), tuple(compute), tuple(bounds), tuple(dense),
                        tuple(firsts), tuple(outputs))


def groups_of(fan_in: int, group: int) -> int:
    """NG = ceil(F / G) (re-exported for the testbench)."""
    return group_count(fan_in, group)


def rows_of(out_features: int, parallel: int) -> int:
    """R = ceil(O / P)."""
    return math.ceil(out_features / parallel)


class SteppedLinear:
    """The linear core's handshakes one clock edge at a time (protocol: ``golden.cycles.stepped``).

    Control state only, each field named after the RTL register it mirrors; the data enters
    as ``costs``: per frame, ``group_costs`` ``[T, R, NG]`` (the detector beats of every group).
    """

    def __init__(self, costs: Sequence[np.ndarray], pixels: int, steps: int, rows: int,
                 groups: int, neuron_stages: int = 1,
                 silent: Sequence[np.ndarray] | None = None, has_neuron: bool = True) -> None:
        output_tail(neuron_stages)  # checks it
        if neuron_stages == 2 and rows < 2:
            raise ValueError("NeuronStages 2 needs R >= 2 rows")
        self.neuron_stages = neuron_stages
        # HasNeuron 0: a silent timestep's first row's skip is taken as its last row
        # (skip_last_r in g_skip_timestep).
        self.has_neuron = bool(has_neuron)
        self.costs = [np.asarray(c, dtype=np.int64) for c in costs]
        for k, c in enumerate(self.costs):
            if c.shape != (steps, rows, groups):
                raise ValueError(f"costs[{k}]: shape {c.shape}, expected (T, R, NG) = "
                                 f"{(steps, rows, groups)}")
        self.pixels, self.steps, self.rows, self.groups = pixels, steps, rows, groups
        # Per frame: its silent timesteps (``silent_steps``; none when not given).
        if silent is None:
            silent = [np.zeros(steps, dtype=bool) for _ in self.costs]
        self.silent = [np.asarray(q, dtype=bool) for q in silent]
        if len(self.silent) != len(self.costs) or any(q.shape != (steps,) for q in self.silent):
            raise ValueError(f"silent: one flag per timestep of each of {len(self.costs)} frames")
        # refill_q: the stage load after a skipped timestep's last row waits a cycle.
        self.refill = False
        # rp_q: the issue is inside a replayed frame; silent_valid_q: a silent frame was walked.
        self.replaying = False
        self.silent_kept = False
        # linear_frame_buffer: full_q, wsel_q, rsel_q, wpix_q, wt_q; plus the frames accepted.
        self.full = [False, False]
        self.write_buffer = self.read_buffer = 0
        self.write_pixel = self.write_step = 0
        self.frames_in = 0
        # The same a cycle late (full_dly_q, wsel_dly_q, wpix_dly_q, wt_dly_q): rd_avail_o.
        self.late = ([False, False], 0, 0, 0)
        # Issue position iss_t_q / iss_r_q / iss_g_q and the frame being read (releases so far).
        self.issue_t = self.issue_r = self.issue_g = 0
        self.frame_read = 0
        # The group stage: stg_valid_q, the held group's cost and its tags stg_last_g_q /
        # stg_last_r_q.
        self.stage_valid = False
        self.stage_cost = 0
        self.stage_last_g = self.stage_last_r = False
        # The detectors in lock-step: beats left of the held group (0: grp_busy_q = 0), and its
        # tags grp_last_g_q / grp_last_r_q.
        self.beats_left = 0
        self.group_last_g = self.group_last_r = False
        # Address, weight and sum stages: ast_/wst_/sst_row_end_q (the stage holds a row's last
        # beat), ast_/wst_/sst_last_r_q.
        self.ast_row_end = self.ast_last_r = False
        self.wst_row_end = self.wst_last_r = False
        self.sst_row_end = self.sst_last_r = False
        # Row register (row_valid_q, row_last_q), skid register (sk_valid_q, sk_last_q) and
        # output register (out_valid_q).
        self.row_valid = self.row_last = False
        self.skid_valid = self.skid_last = False
        # NeuronStages 2: the fire register (fire_valid_q, fire_last_q).
        self.fire_valid = self.fire_last = False
        self.out_valid_q = False

    def out_valid(self) -> bool:
        return self.out_valid_q

    def in_ready(self, out_ready: bool) -> bool:
        return not self.full[self.write_buffer]

    def _avail(self) -> bool:
        """rd_avail_o: timestep issue_t of the read buffer was complete in the previous cycle
        (early start)."""
        full, write_buffer, write_pixel, write_step = self.late
        return full[self.read_buffer] or (
            write_buffer == self.read_buffer and write_pixel == self.pixels - 1
            and write_step > self.issue_t)

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        writer = (list(self.full), self.write_buffer, self.write_pixel, self.write_step)
        in_fire = bool(in_valid) and not self.full[self.write_buffer]
        out_fire = self.out_valid_q and bool(out_ready)
        out_free = not self.out_valid_q or bool(out_ready)
        # The row going into the output beat: the row register's, or the fire register's.
        if self.neuron_stages == 2:
            emit_valid, emit_last = self.fire_valid, self.fire_last
        else:
            emit_valid, emit_last = self.row_valid, self.row_last
        emit_fire = emit_valid and (not emit_last or out_free)
        if self.neuron_stages == 2:
            row_fire = self.row_valid and (not self.fire_valid or emit_fire)
        else:
            row_fire = emit_fire
        row_free = not self.row_valid or row_fire
        row_ready = not self.skid_valid
        all_free = self.beats_left == 0 or (self.beats_left == 1 and row_ready)
        row_done = self.beats_left == 1 and row_ready and self.group_last_g
        accept = self.stage_valid and all_free
        # Silent frames: at a frame's first group, replay a complete silent frame (rp_go) or
        # wait for the end of a frame whose timestep 0 is silent (hold), when the beats of a
        # silent frame are known.
        reading = self.frame_read < len(self.silent)
        silent = self.silent[self.frame_read] if reading else np.zeros(self.steps, dtype=bool)
        known = (replays(self.rows, self.groups, self.steps)
                 and replay_known(self.has_neuron, self.rows, self.silent_kept))
        frame_start = self.issue_t == 0 and self.issue_r == 0 and self.issue_g == 0
        complete = self.full[self.read_buffer]  # full_q: from the cycle after the last beat
        replay_go = known and frame_start and complete and reading and bool(silent.all())
        hold = known and frame_start and reading and bool(silent[0]) and not complete
        # A token needs no input: the first comes once the frame is complete (before timestep
        # T-1 is available) and releases the buffer.
        replay = self.replaying or replay_go
        stage_load = ((self._avail() or replay) and (not self.stage_valid or all_free)
                      and not self.refill and not hold)
        token = stage_load and replay
        # skip: the first group of a silent timestep's row stands for the whole row.
        skip = (stage_load and not token and self.groups > 1 and self.issue_g == 0 and reading
                and bool(silent[self.issue_t]))
        last_g = self.issue_g == self.groups - 1 or skip or token
        last_r = self.issue_r == self.rows - 1 or (skip and not self.has_neuron) or token
        # A replayed frame is released at its first token.
        release = stage_load and not self.replaying and (
            token or (last_g and last_r and self.issue_t == self.steps - 1))
        self.refill = skip and last_r
        if release and bool(silent.all()):
            self.silent_kept = True

        # Output register, the row and skid registers (loaded from the sum stage), the sum,
        # weight and address stages (move with the detectors: all stall while the skid is full).
        if out_fire:
            self.out_valid_q = False
        if emit_fire and emit_last:
            self.out_valid_q = True
        if self.neuron_stages == 2:
            if emit_fire:
                self.fire_valid = False
            if row_fire:
                self.fire_valid, self.fire_last = True, self.row_last
        if row_fire:
            self.row_valid = False
        row_load = row_ready and self.sst_row_end
        if row_free and self.skid_valid:
            self.row_valid, self.row_last = True, self.skid_last
            self.skid_valid = False
        elif row_free and row_load:
            self.row_valid, self.row_last = True, self.sst_last_r
        elif row_load:
            self.skid_valid, self.skid_last = True, self.sst_last_r
        if row_ready:
            self.sst_row_end, self.sst_last_r = self.wst_row_end, self.wst_last_r
            self.wst_row_end, self.wst_last_r = self.ast_row_end, self.ast_last_r
            self.ast_row_end, self.ast_last_r = row_done, self.group_last_r
        # Detectors, group stage and issue.
        if self.beats_left and row_ready:
            self.beats_left -= 1
        if accept:
            self.beats_left = self.stage_cost
            self.group_last_g, self.group_last_r = self.stage_last_g, self.stage_last_r
        self.stage_valid = stage_load or (self.stage_valid and not all_free)
        if stage_load:
            # (The tokens after a replayed frame's first come after its release.)
            if self.frame_read >= len(self.costs) and not self.replaying:
                raise ValueError(f"frame {self.frame_read} issued, only {len(self.costs)} given")
            self.stage_cost = 1 if token else int(
                self.costs[self.frame_read][self.issue_t, self.issue_r, self.issue_g])
            if token:
                self.replaying = self.issue_t != self.steps - 1
            self.stage_last_g, self.stage_last_r = last_g, last_r
            self.issue_g += 1
            if last_g:
                self.issue_g = 0
                self.issue_r += 1
                if last_r:
                    self.issue_r = 0
                    self.issue_t = (self.issue_t + 1) % self.steps
        # Frame buffer: write one beat (time inner), then the release (clears after the set).
        if in_fire:
            if self.frames_in >= len(self.costs):
                raise ValueError(f"input beat of frame {self.frames_in}, only "
                                 f"{len(self.costs)} frames given")
            self.write_step += 1
            if self.write_step == self.steps:
                self.write_step = 0
                self.write_pixel += 1
                if self.write_pixel == self.pixels:
                    self.write_pixel = 0
                    self.full[self.write_buffer] = True
                    self.write_buffer ^= 1
                    self.frames_in += 1
        if release:
            self.full[self.read_buffer] = False
            self.read_buffer ^= 1
            self.frame_read += 1
        self.late = writer
        return in_fire, out_fire


def stepped(parameters: dict, weight, frames, timesteps: int) -> SteppedLinear:
    """The stepped model of a ``sparse_linear_core`` with HDL ``parameters`` (as in network.json;
    both ``HasNeuron`` values: without a neuron a silent timestep is one group) fed ``frames``
    (each ``[T, C, H, W]`` or ``[T, F]``) through a layer of weights ``weight [O, F]``."""
    p = parameters
    w = np.asarray(weight)
    fan_in = p["InChannels"] * p["InHeight"] * p["InWidth"]
    if w.shape != (p["OutFeatures"], fan_in):
        raise ValueError(f"weight: shape {w.shape}, parameters give ({p['OutFeatures']}, {fan_in})")
    if p["Timesteps"] != timesteps:
        raise ValueError(f"timesteps: {timesteps}, parameters give Timesteps {p['Timesteps']}")
    w, frames = core_order(w, frames, p["InHeight"] * p["InWidth"])
    costs = [group_costs(w, frame, p["Parallel"], p["Lanes"], p["GroupWidth"])
             for frame in frames]
    silent = [silent_steps(frame, fan_in) for frame in frames]
    return SteppedLinear(costs, p["InHeight"] * p["InWidth"], timesteps,
                         rows_of(p["OutFeatures"], p["Parallel"]),
                         groups_of(fan_in, p["GroupWidth"]), p.get("NeuronStages", 1), silent,
                         bool(p.get("HasNeuron", 1)))


def layer_model(index: int, parameters: dict, weight, samples, inputs, steps: int) -> LayerModel:
    """The core alone fed ``inputs`` back to back with free-running streams (golden.cycles.layer):
    no absolute edges, so the span is the lower bound of its input beats and output tail, and the
    steady state its detector-busy cycles or its input beats, whichever is larger."""
    pixels_in = parameters["InHeight"] * parameters["InWidth"]
    stages = parameters.get("NeuronStages", 1)
    linear = model(weight, inputs, pixels_in, parameters["Parallel"], parameters["Lanes"],
                   parameters["GroupWidth"], stages, bool(parameters.get("HasNeuron", 1)))
    return LayerModel(index, "sparse_linear_core", linear.frame_cycles,
                      len(inputs) * pixels_in * steps + output_tail(stages),
                      float(max(np.mean(linear.compute_cycles), pixels_in * steps)), inputs,
                      tuple(frame[-1] for frame in linear.output_cycles))
