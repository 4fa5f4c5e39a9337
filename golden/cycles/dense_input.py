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
  ``Tk[n] = max(In[need(n)] + 1, max_p LastAcc[p][n-1], EmitEnd[n-2])`` with
  ``need(n)`` the pixel ``(min(y+P, H-1), min(x+P, W-1))`` of its frame;
- bank p accepts its groups of window n back to back from
  ``max(Tk[n] + 1, Free_p)`` (``Free_p``: its detector's last beat of window n-1), group i+1
  ``beats(i)`` edges after group i; ``LastAcc`` is its last group's acceptance;
- the pixel's currents are complete at ``Full[n] = max_p (LastAcc + beats(last)) + 1``;
- its T beats leave at ``EmitStart + 1 .. EmitStart + T`` with
  ``EmitStart[n] = max(Full[n], EmitEnd[n-1])``, ``EmitEnd[n] = EmitStart[n] + T``.

``recompute_per_timestep=True`` models the same core walking every group T times per pixel (the
current recomputed at every timestep, as the DATE'25 paper's RTL does), for the speed-up figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.sparsity import bitmap_of, effectual_ops, fanin_weights, group_count, groups


@dataclass(frozen=True)
class DenseInputTiming:
    """Model output: per frame the predicted cycles and the edges they span."""

    cycles: tuple[int, ...]
    first_in: tuple[int, ...]
    last_out: tuple[int, ...]


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


def frame_timing(weight, frames, *, parallel: int, lanes: int, group: int, timesteps: int,
                 recompute_per_timestep: bool = False) -> DenseInputTiming:
    """Predicted cycles of each frame of ``frames`` (a list of ``[C, H, W]`` pixel frames),
    streamed back to back into a core with the given hardware knobs; ``weight`` is
    ``[Co, C, K, K]``."""
    weight = np.asarray(weight, dtype=np.int64)
    out_channels, in_channels, kernel, _ = weight.shape
    frames = [np.asarray(f, dtype=np.int64) for f in frames]
    _, height, width = frames[0].shape
    pad = kernel // 2
    slots = kernel
    rows_w = fanin_weights(weight)
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
        if n >= 2:
            edge = max(edge, emit_end[n - 2])
        taken[n] = edge
        released.append((released[-1] if released else 0) + releases(n))
        f, k = divmod(n, per_frame)
        y, x = divmod(k, width)
        field = _receptive_field(frames[f], kernel, y, x)
        beats = _pixel_beats(rows_w, field, banks, group, lanes)
        full = 0
        for b, bank_beats in enumerate(beats):
            if recompute_per_timestep:
                bank_beats = bank_beats * timesteps
            acc = max(edge + 1, det_free[b])
            for count in bank_beats[:-1]:
                acc += count
            last_acc[b] = acc
            det_free[b] = acc + bank_beats[-1]
            full = max(full, det_free[b] + 1)
        start = max(full, emit_end[n - 1]) if n else full
        emit_end[n] = start + timesteps
        n += 1

    first_in = tuple(accepted[f * per_frame] for f in range(len(frames)))
    last_out = tuple(emit_end[(f + 1) * per_frame - 1] for f in range(len(frames)))
    return DenseInputTiming(tuple(lo - fi + 1 for fi, lo in zip(first_in, last_out)),
                            first_in, last_out)


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
