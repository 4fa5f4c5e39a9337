"""Whole-network golden model: one sample (``run_network``), a batch in the SPEC section 4
layout (``run_batch``), and random parameters/inputs for tests and bundles.

Every intermediate tensor is kept (FINN-style) so a mismatch points at the first layer that
diverges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from golden.arith import sat_bounds
from golden.config import load_config, validate_input, validate_weights, weight_shapes
from golden.layers import (
    conv_currents,
    flatten_chw,
    linear_currents,
    maxpool_spikes,
    predict,
    readout_accumulate,
    readout_count,
)
from golden.neuron import NeuronParams, run_neuron


@dataclass
class LayerResult:
    """What one layer computed for one sample; every tensor is time-first ``[T, ...]``.

    ``inp``: the input it received (spikes, or the pixel frame repeated at every t; a linear
    layer's input is already flattened). ``current``: synaptic currents (None for maxpool).
    ``spikes`` uint8 and ``membranes`` (v after reset) for a layer with a neuron (spikes also for
    maxpool). ``readout``: the last layer's readout, else None.
    """

    kind: str
    current: np.ndarray | None = None
    spikes: np.ndarray | None = None
    membranes: np.ndarray | None = None
    readout: np.ndarray | None = None
    inp: np.ndarray | None = None


@dataclass
class NetworkContext:
    """All layers' results of one sample, the final readout and the prediction."""

    layers: list[LayerResult] = field(default_factory=list)
    readout: np.ndarray | None = None
    prediction: int = -1


def _run_validated(cfg: dict, weights: dict[str, np.ndarray], x: np.ndarray) -> NetworkContext:
    steps = cfg["timesteps"]
    bits = cfg["membrane_bits"]
    if cfg["input"]["kind"] == "pixels":
        # Direct coding: the same frame is presented at every timestep (SPEC 1).
        inp = np.broadcast_to(x, (steps, *x.shape)).copy()
    else:
        inp = x
    last = len(cfg["layers"]) - 1
    results = []
    for i, layer in enumerate(cfg["layers"]):
        kind = layer["kind"]
        result = LayerResult(kind=kind)
        if kind == "maxpool":
            result.inp = inp
            result.spikes = maxpool_spikes(inp, layer["kernel"])
            inp = result.spikes
            results.append(result)
            continue
        if kind == "conv":
            result.inp = inp
            result.current = conv_currents(inp, weights[f"L{i}.weight"], weights[f"L{i}.bias"])
        else:
            result.inp = flatten_chw(inp)
            result.current = linear_currents(result.inp, weights[f"L{i}.weight"],
                                             weights[f"L{i}.bias"])
        if "neuron" in layer:
            params = NeuronParams.from_config(layer["neuron"])
            result.spikes, result.membranes = run_neuron(result.current, params, bits)
            inp = result.spikes
        if i == last:
            result.readout = (readout_count(result.spikes) if "neuron" in layer
                              else readout_accumulate(result.current))
        results.append(result)
    readout = results[-1].readout
    return NetworkContext(layers=results, readout=readout, prediction=predict(readout))


def run_network(cfg, weights, x) -> NetworkContext:
    """Run one sample through the network (SPEC section 2), layer by layer.

    Layer 0 of a pixels network sees ``in[t] = x`` for every t; a linear layer sees its input
    flattened in ``(c, y, x)`` order; the last layer's readout is ``sum_t s[t]`` (neuron) or
    ``sum_t I[t]`` (``"readout": "accumulate"``); ``prediction = argmax`` with ties to the
    lowest flattened index. The config, weights and input are validated first.
    """
    cfg = load_config(cfg)
    weights = validate_weights(cfg, weights)
    x = validate_input(cfg, x)
    return _run_validated(cfg, weights, x)


def input_dtype(cfg) -> np.dtype:
    """dtype of the bundle's ``input`` array: uint8 for spikes and pixels of <= 8 bits,
    uint16 for wider pixels (SPEC 4 says "unsigned")."""
    cfg = load_config(cfg)
    return np.dtype(np.uint8 if cfg["input"]["bits"] <= 8 else np.uint16)


def run_batch(cfg, weights, samples) -> dict[str, np.ndarray]:
    """Run N samples and return exactly the arrays of SPEC section 4's ``golden.npz``.

    ``input`` (pixels ``[N, C, H, W]`` uint8/uint16, spikes ``[N, T, C, H, W]`` uint8),
    ``L{i}.weight``/``L{i}.bias`` (int64), ``L{i}.out`` (a layer with a neuron or a maxpool:
    ``[N, T, ...]`` uint8 spikes; the last layer: its readout ``[N, ...]`` int64, plus
    ``L{i}.spikes`` when it has a neuron) and ``prediction`` ``[N]`` int64.
    ``samples`` is an array whose first axis is N, or a sequence of samples.
    """
    cfg = load_config(cfg)
    weights = validate_weights(cfg, weights)
    samples = [validate_input(cfg, x) for x in samples]
    if not samples:
        raise ValueError("samples: need at least one sample")
    contexts = [_run_validated(cfg, weights, x) for x in samples]
    last = len(cfg["layers"]) - 1
    arrays: dict[str, np.ndarray] = {"input": np.stack(samples).astype(input_dtype(cfg))}
    for key in weight_shapes(cfg):
        arrays[key] = weights[key]
    for i, layer in enumerate(cfg["layers"]):
        per_sample = [ctx.layers[i] for ctx in contexts]
        if i == last:
            arrays[f"L{i}.out"] = np.stack([r.readout for r in per_sample]).astype(np.int64)
            if "neuron" in layer:
                arrays[f"L{i}.spikes"] = np.stack([r.spikes for r in per_sample]).astype(np.uint8)
        else:
            arrays[f"L{i}.out"] = np.stack([r.spikes for r in per_sample]).astype(np.uint8)
    arrays["prediction"] = np.array([ctx.prediction for ctx in contexts], dtype=np.int64)
    return arrays


def run_traces(cfg, weights, samples) -> dict[str, np.ndarray]:
    """Every neuron layer's internals for N samples, for debugging a diverging neuron (the
    bundle's ``traces.npz``, docs/vectors.md): ``L{i}.current`` (synaptic currents) and, for a
    layer with a neuron, ``L{i}.membrane`` (v after reset), both int64 ``[N, T, C, H, W]``
    (conv) or ``[N, T, F]`` (linear), in the same order as run_batch's ``L{i}.out``."""
    cfg = load_config(cfg)
    weights = validate_weights(cfg, weights)
    contexts = [_run_validated(cfg, weights, validate_input(cfg, x)) for x in samples]
    if not contexts:
        raise ValueError("samples: need at least one sample")
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(cfg["layers"]):
        if layer["kind"] == "maxpool":
            continue
        arrays[f"L{i}.current"] = np.stack([c.layers[i].current for c in contexts]
                                           ).astype(np.int64)
        if "neuron" in layer:
            arrays[f"L{i}.membrane"] = np.stack([c.layers[i].membranes for c in contexts]
                                                ).astype(np.int64)
    return arrays


def _nonzero_uniform(rng: np.random.Generator, lo: int, hi: int, shape) -> np.ndarray:
    """Uniform over ``[lo, hi]`` without 0 (lo < 0 < hi): draw among the hi - lo values and
    skip 0 by shifting the non-negative half up by one."""
    drawn = rng.integers(lo, hi, size=shape, endpoint=False, dtype=np.int64)   # [lo, hi-1]
    return np.where(drawn >= 0, drawn + 1, drawn)


def random_weights(cfg, rng: np.random.Generator, sparsity: float) -> dict[str, np.ndarray]:
    """Random integer parameters for a config.

    Each weight is 0 with probability ``sparsity``, else uniform over the non-zero values of
    ``[-2^(B-1), 2^(B-1)-1]``; biases are uniform over ``[-2^(B+1), 2^(B+1)]`` clipped to V
    bits (small, so thresholds rather than biases decide the spikes).
    """
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity: must be in [0, 1], got {sparsity}")
    cfg = load_config(cfg)
    w_lo, w_hi = sat_bounds(cfg["weight_bits"])
    b_lo, b_hi = sat_bounds(cfg["membrane_bits"])
    bias_span = 1 << (cfg["weight_bits"] + 1)
    weights = {}
    for key, shape in weight_shapes(cfg).items():
        if key.endswith(".weight"):
            values = _nonzero_uniform(rng, w_lo, w_hi, shape)
            keep = rng.random(shape) >= sparsity
            weights[key] = np.where(keep, values, 0).astype(np.int64)
        else:
            bias = rng.integers(-bias_span, bias_span, size=shape, endpoint=True, dtype=np.int64)
            weights[key] = np.clip(bias, b_lo, b_hi)
    return weights


def random_input(cfg, rng: np.random.Generator, density: float = 0.3) -> np.ndarray:
    """One random sample: pixels uniform over ``[0, 2^A - 1]`` (int64 ``[C, H, W]``), or spikes
    Bernoulli(``density``) (uint8 ``[T, C, H, W]``)."""
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density: must be in [0, 1], got {density}")
    cfg = load_config(cfg)
    shape = tuple(cfg["input"]["shape"])
    if cfg["input"]["kind"] == "pixels":
        return rng.integers(0, (1 << cfg["input"]["bits"]) - 1, size=shape, endpoint=True,
                            dtype=np.int64)
    return (rng.random((cfg["timesteps"], *shape)) < density).astype(np.uint8)
