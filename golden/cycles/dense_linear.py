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
- the currents are complete at ``Full[f] = max_p (LastAcc + beats(last)) + 1``;
- the T beats leave at ``EmitStart + 1 .. EmitStart + T``, ``EmitStart[f] = max(Full[f],
  EmitEnd[f-1])``, ``EmitEnd[f] = EmitStart[f] + T``.

The dense core's own recurrences (take, banks, emission) are those of dense_input.py for
H = W = K = 1; the testbench asserts measured == model on both simulators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cycles.dense_input import _bank_rows, _pixel_beats
from golden.sparsity import effectual_ops, fanin_weights, group_count


@dataclass(frozen=True)
class DenseLinearTiming:
    """Model output: per frame the predicted cycles and the edges they span."""

    cycles: tuple[int, ...]
    first_in: tuple[int, ...]
    last_out: tuple[int, ...]


def frame_timing(weight, frames, *, parallel: int, lanes: int, group: int,
                 timesteps: int) -> DenseLinearTiming:
    """Predicted cycles of each frame of ``frames`` (``[C, H, W]`` pixel frames) streamed back to
    back; ``weight`` is the linear ``[O, C*H*W]``."""
    rows_w = fanin_weights(weight)
    banks = [b for b in _bank_rows(rows_w.shape[0], parallel) if b]
    frames = [np.asarray(f, dtype=np.int64) for f in frames]
    pixels = frames[0].shape[1] * frames[0].shape[2]
    first_in, last_out = [], []
    gathered_prev = entered_prev = taken_prev = None
    emit_end = [0, 0]                        # EmitEnd of frames f-2, f-1
    last_acc = [0] * len(banks)
    det_free = [0] * len(banks)
    for f, frame in enumerate(frames):
        start = 0 if f == 0 else max(gathered_prev + 1, entered_prev)
        gathered = start + pixels - 1            # A[f][HW-1]
        entered = gathered + 1 if f == 0 else max(gathered + 1, taken_prev + 1)
        taken = entered + 1
        if f:
            taken = max(taken, *last_acc)
        if f >= 2:
            taken = max(taken, emit_end[0])
        beats = _pixel_beats(rows_w, frame.reshape(-1), banks, group, lanes)
        full = 0
        for b, bank_beats in enumerate(beats):
            acc = max(taken + 1, det_free[b]) + sum(bank_beats[:-1])
            last_acc[b] = acc
            det_free[b] = acc + bank_beats[-1]
            full = max(full, det_free[b] + 1)
        end = max(full, emit_end[1]) + timesteps if f else full + timesteps
        emit_end = [emit_end[1], end]
        first_in.append(start)
        last_out.append(end)
        gathered_prev, entered_prev, taken_prev = gathered, entered, taken
    return DenseLinearTiming(tuple(lo - fi + 1 for fi, lo in zip(first_in, last_out)),
                             tuple(first_in), tuple(last_out))


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


def current_bits(fan_in: int, pixel_bits: int, weight_bits: int, membrane_bits: int) -> int:
    """CurrentBits of the core: ``$clog2(M) + 1``, ``M = 2^(V-1) + F * (2^A - 1) * 2^(B-1)``."""
    bound = (1 << (membrane_bits - 1)) + fan_in * ((1 << pixel_bits) - 1) \
        * (1 << (weight_bits - 1))
    return (bound - 1).bit_length() + 1
