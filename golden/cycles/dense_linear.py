"""Cycle model of the dense linear core (rtl/dense_linear_core.sv, docs/dense_linear_core.md).

The core is ``pixel_frame_gather`` (H*W pixel beats -> one beat of the flattened frame) in front
of the dense input core built as a 1x1 conv on a 1x1 image with C*H*W channels. This module
predicts, for frames streamed back to back with free-running streams, the cycles from a frame's
first pixel accepted to its last output beat sent, inclusive: ``last_out - first_in + 1``.

Event recurrences (edges are integers; edge 0 accepts the first pixel; ``HW = H*W``; for bank
``p``, ``beats`` are ``max(1, ceil(popcount(wbitmap & pixel_bitmap) / L))`` of its groups in
(row, group) order, as in :mod:`golden.cycles.dense_input`):

- gather: pixel j of frame f is accepted at ``A[f][j] = A[f][j-1] + 1``, the first at
  ``A[f][0] = max(A[f-1][HW-1] + 1, D[f-1])`` (the held frame leaves in the same cycle);
- the flattened frame enters the dense core's one-row line buffer at
  ``D[f] = max(A[f][HW-1] + 1, Tk[f-1] + 1)`` (the slot is freed by the previous take);
- it is taken at ``Tk[f] = max(D[f] + 1, max_p LastAcc[p][f-1], EmitEnd[f-2])``;
- bank p accepts its groups back to back from ``max(Tk[f] + 1, Free_p)`` (``Free_p``: its
  detector's last beat of frame f-1); ``LastAcc`` is its last group's acceptance;
- the currents are complete at ``Full[f] = max_p (LastAcc + beats(last)) + BANK_TAIL``
  (:data:`golden.cycles.dense_input.BANK_TAIL`);
- the T beats leave at ``EmitStart + 1 .. EmitStart + T``, ``EmitStart[f] = max(Full[f],
  EmitEnd[f-1])``, ``EmitEnd[f] = EmitStart[f] + T``.

The dense core's own recurrences (take, banks, emission) are those of dense_input.py for
H = W = K = 1; the testbench asserts measured == model on both simulators.

:class:`DenseLinearStepped` (factory :func:`stepped`) is the core's stepped model
(golden.cycles.stepped), exact under any pacing: the gather's ``count_q`` and ``held_q``
(``in_ready_o = !held || frame_ready``) in front of the dense input core's stepped model for
H = W = K = 1 (:class:`golden.cycles.dense_input.DenseInputStepped`, which gives ``out_valid_o``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cycles.dense_input import BANK_TAIL, DenseInputStepped, pixel_frame, window_beats
from golden.cycles.layer import LayerModel, steady
from golden.sparsity import effectual_ops, fanin_weights, group_count


@dataclass(frozen=True)
class DenseLinearTiming:
    """Model output: per frame the predicted cycles and the edges they span; every pixel's
    acceptance edge and every output beat's edge (all frames, in stream order)."""

    cycles: tuple[int, ...]
    first_in: tuple[int, ...]
    last_out: tuple[int, ...]
    accepts: tuple[int, ...] = ()
    sends: tuple[int, ...] = ()


def frame_beats(weight, frames, *, parallel: int, lanes: int, group: int) -> list[list[list[int]]]:
    """Per frame and per bank holding a feature, the beat count of each of the bank's groups in
    (row, group) order: the dense input core's windows of the 1x1 conv on the flattened frame."""
    rows_w = fanin_weights(weight)
    flat = [np.asarray(f, dtype=np.int64).reshape(-1, 1, 1) for f in frames]
    return window_beats(rows_w.reshape(*rows_w.shape, 1, 1), flat, parallel=parallel,
                        lanes=lanes, group=group)


def frame_timing(weight, frames, *, parallel: int, lanes: int, group: int,
                 timesteps: int) -> DenseLinearTiming:
    """Predicted cycles of each frame of ``frames`` (``[C, H, W]`` pixel frames) streamed back to
    back; ``weight`` is the linear ``[O, C*H*W]``."""
    frames = [np.asarray(f, dtype=np.int64) for f in frames]
    pixels = frames[0].shape[1] * frames[0].shape[2]
    costs = frame_beats(weight, frames, parallel=parallel, lanes=lanes, group=group)
    first_in, last_out = [], []
    gathered_prev = entered_prev = taken_prev = None
    emit_end = [0, 0]                        # EmitEnd of frames f-2, f-1
    last_acc = [0] * len(costs[0])
    det_free = [0] * len(costs[0])
    for f, beats in enumerate(costs):
        start = 0 if f == 0 else max(gathered_prev + 1, entered_prev)
        gathered = start + pixels - 1            # A[f][HW-1]
        entered = gathered + 1 if f == 0 else max(gathered + 1, taken_prev + 1)
        taken = entered + 1
        if f:
            taken = max(taken, *last_acc)
        if f >= 2:
            taken = max(taken, emit_end[0])
        full = 0
        for b, bank_beats in enumerate(beats):
            acc = max(taken + 1, det_free[b]) + sum(bank_beats[:-1])
            last_acc[b] = acc
            det_free[b] = acc + bank_beats[-1]
            full = max(full, det_free[b] + BANK_TAIL)
        end = max(full, emit_end[1]) + timesteps if f else full + timesteps
        emit_end = [emit_end[1], end]
        first_in.append(start)
        last_out.append(end)
        gathered_prev, entered_prev, taken_prev = gathered, entered, taken
    accepts = tuple(start + j for start in first_in for j in range(pixels))
    sends = tuple(end - timesteps + 1 + t for end in last_out for t in range(timesteps))
    return DenseLinearTiming(tuple(lo - fi + 1 for fi, lo in zip(first_in, last_out)),
                             tuple(first_in), tuple(last_out), accepts, sends)


def frame_cycles(weight, frames, **knobs) -> list[int]:
    """Predicted cycles per frame (see :func:`frame_timing`)."""
    return list(frame_timing(weight, frames, **knobs).cycles)


def lower_bound(weight, frame, *, parallel: int, lanes: int) -> float:
    """Effectual ops of a frame counted once (the current does not depend on t): non-zero weight
    x non-zero pixel products over all features, divided by P*L."""
    flat = np.asarray(frame, dtype=np.int64).reshape(1, -1)
    return effectual_ops("linear", flat, weight) / (parallel * lanes)


def dense_cost(weight, *, parallel: int, lanes: int, timesteps: int = 1) -> int:
    """Dense cost ``T * ceil(O/P) * ceil(F/L)`` (docs/cores.md section 4; ``timesteps = 1``: the
    current computed once per frame, as this core does)."""
    out_features, fan_in = fanin_weights(weight).shape
    return timesteps * (-(-out_features // parallel)) * (-(-fan_in // lanes))


def group_walk_floor(weight, *, parallel: int, group: int) -> int:
    """The floor of this schedule's compute: every group of every row walked once per frame
    (one cycle each even when empty): ``ceil(O/P) * ceil(F/G)``."""
    out_features, fan_in = fanin_weights(weight).shape
    return (-(-out_features // parallel)) * group_count(fan_in, group)


class DenseLinearStepped:
    """Stepped model (golden.cycles.stepped) of rtl/dense_linear_core.sv: see the module
    docstring. ``frame_costs[f][b]``: the beats of bank b's groups for frame f
    (:func:`frame_beats`)."""

    def __init__(self, frame_costs: list[list[list[int]]], pixels: int, timesteps: int) -> None:
        self.core = DenseInputStepped(frame_costs, 1, 1, 1, timesteps)
        self.pixels = pixels
        self.frames = len(frame_costs)
        self.accepted = 0     # pixels accepted
        self.count = 0        # pixel_frame_gather count_q
        self.held = False     # held_q: a gathered frame is offered to the dense core

    def out_valid(self) -> bool:
        return self.core.out_valid()

    def in_ready(self, out_ready: bool = True) -> bool:
        return not self.held or self.core.in_ready(out_ready)

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        in_fire = in_valid and self.in_ready(out_ready)
        if in_fire:
            if self.accepted == self.frames * self.pixels:
                raise ValueError(f"pixel {self.accepted} accepted, but only {self.frames} "
                                 "frames given")
            self.accepted += 1
        frame_fire, out_fire = self.core.clock(self.held, out_ready)
        if frame_fire:
            self.held = False
        if in_fire:
            self.count += 1
            if self.count == self.pixels:
                self.count, self.held = 0, True
        return in_fire, out_fire


def stepped(parameters: dict, weight, frames, timesteps: int) -> DenseLinearStepped:
    """The stepped model of a dense linear core from its HDL parameters (network.json), its
    ``[O, C*H*W]`` weight and the pixel frames it will be fed (``[C, H, W]`` or flat, or
    repeated over T as ``run_network`` gives layer 0's input: ``[T, C*H*W]``)."""
    p = parameters
    if timesteps != p["Timesteps"]:
        raise ValueError(f"timesteps {timesteps} != the core's Timesteps {p['Timesteps']}")
    fan_in = p["InChannels"] * p["InHeight"] * p["InWidth"]
    if np.shape(weight) != (p["OutFeatures"], fan_in):
        raise ValueError(f"weight: shape {np.shape(weight)}, expected "
                         f"{(p['OutFeatures'], fan_in)}")
    shape = (p["InChannels"], p["InHeight"], p["InWidth"])
    frames = [pixel_frame(frame, shape, timesteps, f"frames[{i}]")
              for i, frame in enumerate(frames)]
    costs = frame_beats(weight, frames, parallel=p["Parallel"], lanes=p["Lanes"],
                        group=p["GroupWidth"])
    return DenseLinearStepped(costs, p["InHeight"] * p["InWidth"], timesteps)


def layer_model(index: int, parameters: dict, weight, samples, inputs, steps: int) -> LayerModel:
    """The core alone fed the network's ``samples`` back to back with free-running streams
    (golden.cycles.layer)."""
    timing = frame_timing(weight, samples, parallel=parameters["Parallel"],
                          lanes=parameters["Lanes"], group=parameters["GroupWidth"],
                          timesteps=steps)
    return LayerModel(index, "dense_linear_core", timing.cycles,
                      timing.last_out[-1] - timing.first_in[0] + 1,
                      steady(timing.last_out, timing.cycles[0]), inputs)
