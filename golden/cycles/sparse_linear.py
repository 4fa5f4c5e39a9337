"""Cycle model of the sparse linear core (rtl/sparse_linear_core.sv, docs/sparse_linear_core.md).

Schedule (R = ceil(O/P) rows of P features, NG = ceil(F/G) groups, F = C*H*W):

- input: one beat per cycle into a double-buffered frame store; timestep t of a frame is complete
  one cycle after the last pixel's beat of timestep t was accepted (early start);
- for t, r, g in that order: group g goes to the P bank detectors at once and costs
  ``max_p max(1, ceil(e[p] / L))`` cycles, ``e[p] = popcount(wbitmap[p][r][g] & sbitmap[t][g])``;
  it enters at ``max(previous group's entry + its cost, timestep t complete)``;
- the output beat of a timestep leaves 2 cycles after the last beat of its last group (row
  register, output register);
- frame k's first beat is accepted one cycle after frame k-1's last beat, or, when both buffers
  are full, one cycle after frame k-2's last group entered the detectors (its buffer is freed).

With free-running streams (source always valid, sink always ready) the model is exact: the
cycles of a frame are counted from the edge that accepts its first input beat to the edge that
sends its last output beat.

Reported with it (docs/cores.md section 4): the effectual-op lower bound
``golden.sparsity.effectual_ops / (P*L)`` and the dense cost ``ceil(O/P) * ceil(F/L) * T``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from golden.memory_images import layer_images
from golden.sparsity import effectual_ops, group_count

#: Cycles from the edge at which a row's last detector beat fires to the edge at which the
#: output beat of that timestep is sent (row register + output register).
OUTPUT_TAIL = 2


def current_bits(membrane_bits: int, weight_bits: int, fan_in: int) -> int:
    """Width of the exact synaptic current of a layer (the ``CurrentBits`` of the cores).

    ``|I| <= M = 2^(V-1) + F * 2^(B-1)`` (bias in V bits, F weights of B bits, spikes 0/1; the
    same bound as ``golden.config.current_bounds``); ``-M`` is reachable and needs
    ``clog2(M) + 1`` signed bits, and ``M - 1`` (the largest value) fits in them.
    """
    bound = (1 << (membrane_bits - 1)) + fan_in * (1 << (weight_bits - 1))
    return (bound - 1).bit_length() + 1


def _flat_frames(frames, fan_in: int) -> list[np.ndarray]:
    flat = []
    for frame in frames:
        arr = np.asarray(frame)
        arr = arr.reshape(arr.shape[0], -1)
        if arr.shape[1] != fan_in:
            raise ValueError(f"frame: fan-in {arr.shape[1]} does not match the weights' {fan_in}")
        flat.append(arr != 0)
    return flat


def _bitmap(bits: np.ndarray) -> int:
    return int(sum(1 << int(q) for q in np.flatnonzero(bits)))


@dataclass(frozen=True)
class LinearCycles:
    """Model figures of a sequence of frames."""

    #: Per frame: cycles from its first input beat accepted to its last output beat sent.
    frame_cycles: tuple[int, ...]
    #: Per frame: the detector cycles alone, sum over (t, r, g) of the group cost.
    compute_cycles: tuple[int, ...]
    #: Per frame: effectual ops / (P * L).
    lower_bound: tuple[float, ...]
    #: Per frame: ceil(O/P) * ceil(F/L) * T.
    dense_cost: tuple[int, ...]


def group_costs(weight, frame, parallel: int, lanes: int, group: int) -> np.ndarray:
    """Cycles of every group of a frame, ``[T, R, NG]``: ``max_p max(1, ceil(e[p] / L))``."""
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


def dense_cost(out_features: int, fan_in: int, steps: int, parallel: int, lanes: int) -> int:
    """Dense cost of a frame: ``ceil(O/P) * ceil(F/L)`` per timestep, summed over T."""
    return -(-out_features // parallel) * -(-fan_in // lanes) * steps


def lower_bound(weight, frame, parallel: int, lanes: int) -> float:
    """Effectual-op lower bound of a frame: ``effectual_ops / (P * L)``."""
    flat = np.asarray(frame).reshape(np.asarray(frame).shape[0], -1)
    return effectual_ops("linear", flat, weight) / (parallel * lanes)


def model(weight, frames: Sequence, pixels: int, parallel: int, lanes: int,
          group: int) -> LinearCycles:
    """Cycles of ``frames`` (each ``[T, C, H, W]`` or ``[T, F]``, sent back to back) through a
    core with weights ``weight [O, F]``; ``pixels = H*W`` beats per timestep of the input."""
    w = np.asarray(weight)
    out_features, fan_in = w.shape
    frame_cycles, compute, bounds, dense = [], [], [], []
    cur = 0                       # earliest edge at which the next group can enter
    last_beat_prev = None         # edge of the previous frame's last input beat
    released: list[int] = []      # per frame: edge at which its last group entered
    for k, frame in enumerate(frames):
        costs = group_costs(w, frame, parallel, lanes, group)
        steps = costs.shape[0]
        first = 0
        if last_beat_prev is not None:
            first = last_beat_prev + 1
        if k >= 2:
            first = max(first, released[k - 2] + 1)
        last_beat_prev = first + pixels * steps - 1
        for t in range(steps):
            ready = first + (pixels - 1) * steps + t + 1
            for cost in costs[t].reshape(-1):
                start = max(cur, ready)
                cur = start + int(cost)
        released.append(start)
        frame_cycles.append(cur + OUTPUT_TAIL - first)
        compute.append(int(costs.sum()))
        bounds.append(lower_bound(w, frame, parallel, lanes))
        dense.append(dense_cost(out_features, fan_in, steps, parallel, lanes))
    return LinearCycles(tuple(frame_cycles), tuple(compute), tuple(bounds), tuple(dense))


def groups_of(fan_in: int, group: int) -> int:
    """NG = ceil(F / G) (re-exported for the testbench)."""
    return group_count(fan_in, group)


def rows_of(out_features: int, parallel: int) -> int:
    """R = ceil(O / P)."""
    return math.ceil(out_features / parallel)
