"""Golden tensors <-> stream beats of a generated network (docs/cores.md section 1).

Pure Python (no simulator): the network testbench and the vector bundles both use it, and
``tests/test_network_generator.py`` checks that every encoding decodes back. It lives beside
the generator (vectors/network_top.py), which defines the streams it encodes.
"""

from __future__ import annotations

import numpy as np

from golden.network import NetworkContext
from vectors.network_top import CorePlan, NetworkPlan


def _pack(values, width: int) -> int:
    """Channel c's value (two's complement in ``width`` bits) at ``[c*width +: width]``."""
    mask = (1 << width) - 1
    word = 0
    for c, value in enumerate(values):
        word |= (int(value) & mask) << (c * width)
    return word


def _unpack(word: int, count: int, width: int, signed: bool) -> list[int]:
    mask = (1 << width) - 1
    out = []
    for c in range(count):
        value = (word >> (c * width)) & mask
        if signed and width > 1 and value >> (width - 1):
            value -= 1 << width
        out.append(value)
    return out


def input_beats(plan: NetworkPlan, x: np.ndarray, pixel_bits: int) -> list[dict]:
    """The input stream of one sample: pixels ``[C, H, W]`` (one beat per pixel) or spikes
    ``[T, C, H, W]`` (one beat per pixel and timestep, time inner)."""
    first = plan.layers[0]
    beats = []
    if first.in_format == "pixels":
        channels, height, width = x.shape
        for y in range(height):
            for xx in range(width):
                beats.append({"data": _pack(x[:, y, xx], pixel_bits), "last": 0})
    else:
        steps, channels, height, width = x.shape
        for y in range(height):
            for xx in range(width):
                for t in range(steps):
                    beats.append({"data": _pack(x[t, :, y, xx], 1), "last": 0})
    beats[-1]["last"] = 1
    return beats


def _as_tchw(tensor: np.ndarray) -> np.ndarray:
    """``[T, C, H, W]`` or ``[T, F]`` (a linear layer: one pixel) as ``[T, C, H, W]``."""
    return tensor if tensor.ndim == 4 else tensor.reshape(tensor.shape[0], -1, 1, 1)


def _spiking(core: CorePlan) -> bool:
    return core.out_format in ("spikes", "pixel_spikes")


def beats_per_pixel(core: CorePlan, steps: int) -> int:
    """Output beats per pixel: T, or one for a pixel per beat (``pixel_spikes``)."""
    return 1 if core.out_format == "pixel_spikes" else steps


def layer_tensor(core: CorePlan, result) -> np.ndarray:
    """What layer ``core`` puts on its output stream, time-first ``[T, C, H, W]``."""
    return _as_tchw(result.spikes if _spiking(core) else result.current)


def tensor_beats(core: CorePlan, tensor: np.ndarray) -> list[int]:
    """Beats' data words of a ``[T, C, H, W]`` tensor: pixel raster, time inner (a pixel per
    beat: its T timesteps in one word, timestep t's channels at ``[t*C +: C]``)."""
    steps, channels, height, width = tensor.shape
    if core.out_format == "pixel_spikes":
        return [_pack(tensor[:, :, y, x].reshape(-1), 1)
                for y in range(height) for x in range(width)]
    bits = 1 if core.out_format == "spikes" else core.current_bits
    return [_pack(tensor[t, :, y, x], bits)
            for y in range(height) for x in range(width) for t in range(steps)]


def beats_tensor(core: CorePlan, words: list[int], steps: int) -> np.ndarray:
    """Inverse of :func:`tensor_beats` (missing beats are left as 0)."""
    shape = core.out_shape if len(core.out_shape) == 3 else (core.out_shape[0], 1, 1)
    channels, height, width = shape
    spikes = _spiking(core)
    out = np.zeros((steps, channels, height, width), dtype=np.int64)
    if core.out_format == "pixel_spikes":
        for pixel, word in enumerate(words[: height * width]):
            y, x = divmod(pixel, width)
            out[:, :, y, x] = np.reshape(_unpack(word, steps * channels, 1, signed=False),
                                         (steps, channels))
        return out
    for index, word in enumerate(words[: steps * height * width]):
        pixel, t = divmod(index, steps)
        y, x = divmod(pixel, width)
        out[t, :, y, x] = _unpack(word, channels, 1 if spikes else core.current_bits,
                                  signed=not spikes)
    return out


def readout_beats(plan: NetworkPlan, readout: np.ndarray) -> list[int]:
    """The readout stream: one beat per pixel (linear: one), channel c at ``[c*R +: R]``."""
    bits = plan.readout["readout_bits"]
    arr = readout.reshape(readout.shape[0], -1)  # [C, pixels]
    return [_pack(arr[:, p], bits) for p in range(arr.shape[1])]


def beats_readout(plan: NetworkPlan, words: list[int], shape: tuple) -> np.ndarray:
    bits = plan.readout["readout_bits"]
    channels = plan.readout["channels"]
    pixels = plan.readout["pixels"]
    out = np.zeros((channels, pixels), dtype=np.int64)
    for p, word in enumerate(words[:pixels]):
        out[:, p] = _unpack(word, channels, bits, signed=True)
    return out.reshape(shape)


def locate(core: CorePlan, index: int, steps: int, want: int, got: int) -> dict:
    """Where beat ``index`` of a layer's stream sits, and the first channel that differs."""
    shape = core.out_shape if len(core.out_shape) == 3 else (core.out_shape[0], 1, 1)
    channels, _, width = shape
    if core.out_format == "pixel_spikes":
        # A pixel per beat: the first differing (t, c) of its T x C bits.
        y, x = divmod(index, width)
        w_vals = _unpack(want, steps * channels, 1, False)
        g_vals = _unpack(got, steps * channels, 1, False)
        bit = next((b for b in range(steps * channels) if w_vals[b] != g_vals[b]), None)
        t, channel = divmod(bit, channels) if bit is not None else (None, None)
        where = {"t": t, "y": y, "x": x, "channel": channel}
        if bit is not None:
            where.update(expected=w_vals[bit], got=g_vals[bit])
        return where
    pixel, t = divmod(index, steps)
    y, x = divmod(pixel, width)
    bits = 1 if core.out_format == "spikes" else core.current_bits
    spikes = core.out_format == "spikes"
    w_vals = _unpack(want, channels, bits, not spikes)
    g_vals = _unpack(got, channels, bits, not spikes)
    channel = next((c for c in range(channels) if w_vals[c] != g_vals[c]), None)
    where = {"t": t, "y": y, "x": x, "channel": channel}
    if channel is not None:
        where.update(expected=w_vals[channel], got=g_vals[channel])
    return where


def expected_streams(plan: NetworkPlan, context: NetworkContext) -> dict[str, list[int]]:
    """Every tap's words and the readout's words of one sample."""
    streams = {f"tap{core.index}": tensor_beats(core, layer_tensor(core, context.layers[core.index]))
               for core in plan.layers}
    streams["out"] = readout_beats(plan, context.readout)
    return streams
