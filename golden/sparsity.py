"""Dual-side sparsity with bitmaps (SPEC section 3): the reference for the RTL detector.

An output neuron's fan-in is ordered canonically (conv ``j = (ci*K + ky)*K + kx``, linear
``j = i``) and cut into groups of G positions, the last one padded with zeros. Per group the
weight bitmap is ANDed with the spike bitmap; the set bits of the result, in increasing
position order, are the *effectual pairs*, and the prefix popcount of the weight bitmap below a
position addresses the packed non-zero weights. Bitmaps are Python ints, bit p = position p.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def fanin_weights(weight) -> np.ndarray:
    """Weights as ``[Nout, fanin]`` rows in canonical order.

    conv ``[Co, Ci, K, K] -> [Co, Ci*K*K]`` with ``j = (ci*K + ky)*K + kx``;
    linear ``[O, I]`` is already ``j = i``.
    """
    arr = np.asarray(weight, dtype=np.int64)
    if arr.ndim == 4:
        return arr.reshape(arr.shape[0], -1)
    if arr.ndim == 2:
        return arr.copy()
    raise ValueError(f"weight: must be conv [Co, Ci, K, K] or linear [O, I], got {arr.shape}")


def conv_receptive_field(inp_t, kernel: int, y: int, x: int) -> np.ndarray:
    """Fan-in input vector of output pixel (y, x) for one timestep, canonical order.

    ``vec[(ci*K + ky)*K + kx] = in[ci][y+ky-P][x+kx-P]`` (0 outside the frame), P = K // 2.
    Written with explicit loops on purpose: it is the readable reference that
    ``conv_fanin_inputs`` is tested against.
    """
    frame = np.asarray(inp_t, dtype=np.int64)
    channels, height, width = frame.shape
    pad = kernel // 2
    vec = np.zeros(channels * kernel * kernel, dtype=np.int64)
    for ci in range(channels):
        for ky in range(kernel):
            for kx in range(kernel):
                src_y, src_x = y + ky - pad, x + kx - pad
                if 0 <= src_y < height and 0 <= src_x < width:
                    vec[(ci * kernel + ky) * kernel + kx] = frame[ci, src_y, src_x]
    return vec


def conv_fanin_inputs(inp, kernel: int) -> np.ndarray:
    """All receptive fields at once (im2col): ``[T, Ci, H, W] -> [T, H, W, Ci*K*K]``,
    ``out[t, y, x] = conv_receptive_field(inp[t], K, y, x)``."""
    arr = np.asarray(inp, dtype=np.int64)
    if arr.ndim != 4:
        raise ValueError(f"inp: must be [T, Ci, H, W], got {arr.shape}")
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel: must be odd and >= 1, got {kernel}")
    steps, channels, height, width = arr.shape
    pad = kernel // 2
    padded = np.pad(arr, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(padded, (kernel, kernel), axis=(2, 3))  # [T, Ci, H, W, K, K]
    return np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5)).reshape(
        steps, height, width, channels * kernel * kernel)


def group_count(fanin: int, group: int) -> int:
    """Number of bitmap groups of a fan-in: ``ceil(fanin / G)``."""
    if group < 1:
        raise ValueError(f"group: must be >= 1, got {group}")
    return -(-fanin // group)


def bitmap_of(vector) -> int:
    """Bitmap of a group: ``sum_p (vector[p] != 0) << p``."""
    bitmap = 0
    for position, value in enumerate(np.asarray(vector).reshape(-1).tolist()):
        if value != 0:
            bitmap |= 1 << position
    return bitmap


def groups(vector, group: int) -> list[np.ndarray]:
    """Cut a fan-in vector into ``ceil(len/G)`` slices of exactly G, the last padded with 0."""
    arr = np.asarray(vector, dtype=np.int64).reshape(-1)
    count = group_count(arr.size, group)
    padded = np.zeros(count * group, dtype=np.int64)
    padded[:arr.size] = arr
    return [padded[g * group:(g + 1) * group] for g in range(count)]


def weight_bitmaps(row, group: int) -> list[int]:
    """Weight bitmap of every group of one output neuron's fan-in row."""
    return [bitmap_of(g) for g in groups(row, group)]


def packed_weights(row, group: int) -> list[list[int]]:
    """Per group, its non-zero weights in increasing position order."""
    return [[int(w) for w in g.tolist() if w != 0] for g in groups(row, group)]


def effectual_pairs(wbitmap: int, sbitmap: int) -> list[tuple[int, int]]:
    """Effectual pairs of a group: the set bits p of ``e = wbitmap & sbitmap``, ascending, each
    with its packed-weight index ``popcount(wbitmap & ((1 << p) - 1))``."""
    if wbitmap < 0 or sbitmap < 0:
        raise ValueError("bitmaps: must be non-negative")
    effectual = wbitmap & sbitmap
    pairs = []
    position = 0
    while effectual >> position:
        if (effectual >> position) & 1:
            pairs.append((position, (wbitmap & ((1 << position) - 1)).bit_count()))
        position += 1
    return pairs


def detector_beats(wbitmap: int, sbitmap: int, group: int, lanes: int):
    """What the RTL detector emits for one group: beats of up to L effectual pairs.

    The pairs of ``effectual_pairs`` in ascending order, L per beat; each beat is
    ``(pairs: tuple[(pos, packed_idx), ...], last: bool)`` and only the final beat has
    ``last=True``. A group with no effectual pair still yields exactly one beat ``((), True)``,
    so the consumer always sees the end of every group.
    """
    if group < 1 or lanes < 1:
        raise ValueError(f"group and lanes: must be >= 1, got G={group}, L={lanes}")
    if wbitmap >> group or sbitmap >> group:
        raise ValueError(f"bitmaps: must fit in G={group} bits")
    pairs = effectual_pairs(wbitmap, sbitmap)
    if not pairs:
        return [((), True)]
    chunks = [tuple(pairs[start:start + lanes]) for start in range(0, len(pairs), lanes)]
    return [(chunk, index == len(chunks) - 1) for index, chunk in enumerate(chunks)]


def bitmap_current(row_weights, inputs, bias: int, group: int) -> int:
    """Current of one output neuron at one position and timestep through the bitmap path.

    ``I = b + sum_groups sum_{(p, idx) in effectual_pairs(wb, sb)} packed[idx] * in[p]``, where
    ``sb`` marks the non-zero inputs. For spikes ``in[p] = 1`` at every effectual pair (SPEC 3);
    the factor makes the same path exact for the multi-bit pixels of a dense first layer.
    Equals the dense ``b + sum_j w[j] * in[j]``.
    """
    weight_groups = groups(row_weights, group)
    input_groups = groups(inputs, group)
    if len(weight_groups) != len(input_groups):
        raise ValueError("row_weights and inputs: must have the same fan-in")
    total = int(bias)
    for w_group, in_group in zip(weight_groups, input_groups):
        packed = [int(w) for w in w_group.tolist() if w != 0]
        values = in_group.tolist()
        for position, packed_index in effectual_pairs(bitmap_of(w_group), bitmap_of(in_group)):
            total += packed[packed_index] * values[position]
    return total


def layer_currents_via_bitmaps(kind: str, inp, weight, bias, group: int) -> np.ndarray:
    """A layer's currents computed neuron by neuron with ``bitmap_current`` (slow reference).

    conv: ``inp [T, Ci, H, W] -> [T, Co, H, W]``; linear: ``inp [T, I]`` (or ``[T, C, H, W]``,
    flattened in (c, y, x) order) ``-> [T, O]``. Equals ``conv_currents``/``linear_currents``.
    """
    inp = np.asarray(inp, dtype=np.int64)
    rows = fanin_weights(weight)
    bias = np.asarray(bias, dtype=np.int64)
    if kind == "conv":
        kernel = np.asarray(weight).shape[-1]
        steps, _, height, width = inp.shape
        out = np.zeros((steps, rows.shape[0], height, width), dtype=np.int64)
        for t in range(steps):
            for y in range(height):
                for x in range(width):
                    field = conv_receptive_field(inp[t], kernel, y, x)
                    for co, row in enumerate(rows):
                        out[t, co, y, x] = bitmap_current(row, field, bias[co], group)
        return out
    if kind == "linear":
        flat = inp.reshape(inp.shape[0], -1)
        out = np.zeros((flat.shape[0], rows.shape[0]), dtype=np.int64)
        for t in range(flat.shape[0]):
            for o, row in enumerate(rows):
                out[t, o] = bitmap_current(row, flat[t], bias[o], group)
        return out
    raise ValueError(f"kind: must be 'conv' or 'linear', got {kind!r}")


def _fanin_inputs(kind: str, inp, kernel: int) -> np.ndarray:
    """Fan-in input vectors of every (t, position): ``[T, positions, fanin]``."""
    arr = np.asarray(inp, dtype=np.int64)
    if kind == "conv":
        fields = conv_fanin_inputs(arr, kernel)
        return fields.reshape(fields.shape[0], -1, fields.shape[-1])
    if kind == "linear":
        return arr.reshape(arr.shape[0], 1, -1)
    raise ValueError(f"kind: must be 'conv' or 'linear', got {kind!r}")


def effectual_ops(kind: str, inp, weight) -> int:
    """Effectual-op count of a layer for a frame (SPEC 3): the number of (neuron, position,
    timestep, fan-in j) with ``w[j] != 0`` and ``in[j] != 0``.

    Equation: ``sum_{t,pos,n,j} [w[n][j] != 0][in[t][pos][j] != 0]``
    ``= sum_j (#non-zero inputs at j over t, pos) * (#non-zero weights at j over n)``.
    Padding (conv borders, the zero tail of the last group) contributes nothing.
    """
    rows = fanin_weights(weight)
    kernel = np.asarray(weight).shape[-1]
    fields = _fanin_inputs(kind, inp, kernel)
    if fields.shape[-1] != rows.shape[1]:
        raise ValueError(f"inp: fan-in {fields.shape[-1]} does not match weight {rows.shape[1]}")
    active_inputs = (fields != 0).sum(axis=(0, 1), dtype=np.int64)   # [fanin]
    nonzero_weights = (rows != 0).sum(axis=0, dtype=np.int64)        # [fanin]
    return int(active_inputs @ nonzero_weights)


def dense_ops(kind: str, in_shape, weight, steps: int) -> int:
    """Dense op count: fan-in positions x output neurons x output positions x T.

    conv ``T * H * W * Co * Ci*K*K``; linear ``T * O * I``.
    """
    rows = fanin_weights(weight)
    n_out, fanin = rows.shape
    if kind == "conv":
        channels, height, width = in_shape
        kernel = np.asarray(weight).shape[-1]
        if channels * kernel * kernel != fanin:
            raise ValueError(f"in_shape: {in_shape} does not match weight fan-in {fanin}")
        return int(steps * height * width * n_out * fanin)
    if kind == "linear":
        if int(np.prod(in_shape)) != fanin:
            raise ValueError(f"in_shape: {in_shape} does not match weight fan-in {fanin}")
        return int(steps * n_out * fanin)
    raise ValueError(f"kind: must be 'conv' or 'linear', got {kind!r}")
