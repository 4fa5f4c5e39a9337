"""Layer arithmetic of SPEC section 2 for one sample with an explicit time axis.

Every tensor is ``[T, ...]``: the same code serves spikes (0/1) and the pixels of a direct-coded
first layer (broadcast to every timestep by the caller). All sums are exact int64
(see ``golden/neuron.py`` for the headroom argument).
"""

from __future__ import annotations

import numpy as np


def _int64_tensor(name: str, x, ndim: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: must be integers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: must have {ndim} dimensions, got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def conv_currents(inp, weight, bias) -> np.ndarray:
    """Convolution currents, stride 1, zero padding ``P = K // 2`` (output keeps H and W).

    ``I[t][co][y][x] = b[co] + sum_{ci,ky,kx} w[co][ci][ky][kx] * in[t][ci][y+ky-P][x+kx-P]``,
    terms outside the frame being 0. ``inp [T, Ci, H, W]``, ``weight [Co, Ci, K, K]`` (K odd),
    ``bias [Co]``; returns ``[T, Co, H, W]`` int64.
    """
    inp = _int64_tensor("inp", inp, 4)
    weight = _int64_tensor("weight", weight, 4)
    bias = _int64_tensor("bias", bias, 1)
    steps, in_channels, height, width = inp.shape
    out_channels, w_in_channels, k_rows, k_cols = weight.shape
    if w_in_channels != in_channels or k_rows != k_cols or k_rows % 2 == 0:
        raise ValueError(f"weight: shape must be [Co, {in_channels}, K, K] with K odd, "
                         f"got {weight.shape}")
    if bias.shape != (out_channels,):
        raise ValueError(f"bias: shape must be ({out_channels},), got {bias.shape}")
    kernel = k_rows
    pad = kernel // 2
    padded = np.pad(inp, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # Sum over the K*K taps; each tap is one channel-mixing product on a shifted view of the
    # padded frame: padded[.., y+ky, x+kx] == in[.., y+ky-P, x+kx-P].
    out = np.zeros((steps, height, width, out_channels), dtype=np.int64)
    for ky in range(kernel):
        for kx in range(kernel):
            window = padded[:, :, ky:ky + height, kx:kx + width]        # [T, Ci, H, W]
            tap = weight[:, :, ky, kx]                                  # [Co, Ci]
            out += np.tensordot(window, tap, axes=([1], [1]))           # [T, H, W, Co]
    out += bias
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def linear_currents(inp, weight, bias) -> np.ndarray:
    """Fully connected currents: ``I[t][o] = b[o] + sum_i w[o][i] * in[t][i]``.

    ``inp [T, I]``, ``weight [O, I]``, ``bias [O]``; returns ``[T, O]`` int64.
    """
    inp = _int64_tensor("inp", inp, 2)
    weight = _int64_tensor("weight", weight, 2)
    bias = _int64_tensor("bias", bias, 1)
    if weight.shape[1] != inp.shape[1]:
        raise ValueError(f"weight: shape must be [O, {inp.shape[1]}], got {weight.shape}")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"bias: shape must be ({weight.shape[0]},), got {bias.shape}")
    return inp @ weight.T + bias


def flatten_chw(x) -> np.ndarray:
    """Flatten every timestep in ``(c, y, x)`` order: ``[T, C, H, W] -> [T, C*H*W]``,
    element ``c*H*W + y*W + x``. A ``[T, F]`` tensor is returned unchanged."""
    arr = np.asarray(x)
    if arr.ndim < 2:
        raise ValueError(f"x: must be [T, ...], got shape {arr.shape}")
    return arr.reshape(arr.shape[0], -1)


def maxpool_spikes(spikes, stride: int) -> np.ndarray:
    """Spike max-pool, kernel = stride = S:
    ``out[t][c][y][x] = OR_{dy,dx < S} in[t][c][S*y+dy][S*x+dx]``.

    ``spikes [T, C, H, W]`` in {0, 1} with H, W divisible by S; returns ``[T, C, H/S, W/S]``
    uint8.
    """
    arr = np.asarray(spikes)
    if arr.ndim != 4:
        raise ValueError(f"spikes: must be [T, C, H, W], got shape {arr.shape}")
    steps, channels, height, width = arr.shape
    if stride < 1 or height % stride or width % stride:
        raise ValueError(f"stride: must divide H={height} and W={width}, got {stride}")
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError("spikes: max-pool acts only on binary spikes")
    blocks = arr.reshape(steps, channels, height // stride, stride, width // stride, stride)
    return blocks.max(axis=(3, 5)).astype(np.uint8)


def readout_accumulate(currents) -> np.ndarray:
    """Accumulate readout (no neuron, no saturation): ``out[...] = sum_t I[t][...]`` (int64)."""
    arr = np.asarray(currents)
    if arr.ndim < 1:
        raise ValueError("currents: must have a leading time axis")
    return arr.astype(np.int64, copy=False).sum(axis=0, dtype=np.int64)


def readout_count(spikes) -> np.ndarray:
    """Spike-count readout: ``out[...] = sum_t s[t][...]`` (int64)."""
    arr = np.asarray(spikes)
    if arr.ndim < 1:
        raise ValueError("spikes: must have a leading time axis")
    return arr.astype(np.int64).sum(axis=0, dtype=np.int64)


def predict(readout) -> int:
    """Prediction: the index of the largest readout value, flattened in ``(c, y, x)`` order;
    ties go to the lowest index (``np.argmax`` returns the first maximum)."""
    flat = np.asarray(readout).reshape(-1)
    if flat.size == 0:
        raise ValueError("readout: empty")
    return int(np.argmax(flat))
