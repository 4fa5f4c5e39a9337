"""Import a NIR graph (``.nir``, HDF5) into a SPEC config + integer weights.

``python -m train.nir_import FILE.nir --out DIR --timesteps T --input pixels:BITS[:SCALE]|spikes
--weight-bits B [...]`` (``make import-nir``; ``--help``). It reads the graph with ``nir.read``
(nested subgraphs flattened), maps it onto SPEC section 1, chooses integer weights, biases and
thresholds, and writes ``config.json`` and ``weights.npz`` (the layout ``train.export.save``
writes) and ``import.json`` (the source's sha256, the nir version, every option, and per layer
every decision and approximation). The mapping, the semantic differences and the refusals are
in docs/nir.md; every refusal is one ``error: ...`` line naming the node, the rule and the
value, exit status 2, and nothing is written.

Mapping in one breath: forward-Euler ``LIF`` with ``tau/dt = 2^k`` is ``lif`` with
``leak_shift = k``; ``IF`` and ``LIF`` with ``tau = r = inf`` are ``if``; the input gain
(``r``, ``dt * r`` for ``IF``, times ``w_in`` for ``CubaLIF``) and ``v_leak`` fold into weights
and bias; a per-channel threshold folds into that channel's weights; ``SumPool2d``/``AvgPool2d``
followed by ``Threshold`` is a max-pool on spikes; a source that fires on ``>`` gets
``theta_int = floor(theta / u) + 1`` (``u``: the float value of one integer step).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nir
import numpy as np

from golden.arith import sat_bounds
from golden.config import (
    MEMBRANE_BITS_RANGE,
    PIXEL_BITS_RANGE,
    WEIGHT_BITS_RANGE,
    ConfigError,
    WeightError,
    load_config,
    validate_weights,
)

# Exporters write float32 parameters (snnTorch: tau = dt / (1 - beta) in float32), so tau/r,
# tau/dt and powers of two are compared with this relative tolerance.
REL_TOL = 1e-5
FIRE_RULES = (">", ">=")
RESETS = ("hard", "soft")
SYNAPSES = (nir.Conv2d, nir.Affine, nir.Linear)
NEURONS = (nir.LIF, nir.IF, nir.CubaLIF)
POOLS = (nir.SumPool2d, nir.AvgPool2d)
PASS_THROUGH = (nir.Input, nir.Output, nir.ir.graph.Identity)


class NirImportError(ValueError):
    """The graph (or an option) cannot be mapped onto SPEC; the message names the node, the
    rule and the value."""


def _fail(message: str) -> None:
    raise NirImportError(message)


@dataclass
class Options:
    """What NIR cannot supply (docs/nir.md, "Options")."""

    timesteps: int
    input_kind: str                       # "pixels" | "spikes"
    weight_bits: int
    input_bits: int | None = None         # pixels: A
    input_scale: float = 1.0              # pixels: the float value the source sees per integer
    dt: float | None = None               # None: auto (the common tau / r of every LIF)
    membrane_bits: int | None = None      # None: auto
    fire: str = ">"                       # the source's fire rule (NIR: >)
    resets: dict[str, str] = field(default_factory=dict)   # node -> "hard" | "soft"
    approx_leak: bool = False
    name: str | None = None

    def check(self) -> None:
        if self.timesteps < 1:
            _fail(f"--timesteps: must be >= 1, got {self.timesteps}")
        lo, hi = WEIGHT_BITS_RANGE
        if not lo <= self.weight_bits <= hi:
            _fail(f"--weight-bits: must be in [{lo}, {hi}], got {self.weight_bits}")
        if self.membrane_bits is not None:
            lo, hi = MEMBRANE_BITS_RANGE
            if not lo <= self.membrane_bits <= hi:
                _fail(f"--membrane-bits: must be in [{lo}, {hi}] or auto, "
                      f"got {self.membrane_bits}")
        if self.input_kind == "pixels":
            lo, hi = PIXEL_BITS_RANGE
            if self.input_bits is None or not lo <= self.input_bits <= hi:
                _fail(f"--input: pixel bits must be in [{lo}, {hi}], got {self.input_bits}")
            if not (math.isfinite(self.input_scale) and self.input_scale > 0):
                _fail(f"--input: pixel scale must be a positive number, got {self.input_scale}")
        elif self.input_kind != "spikes":
            _fail(f"--input: must be pixels:BITS[:SCALE] or spikes, got {self.input_kind!r}")
        if self.dt is not None and not (math.isfinite(self.dt) and self.dt > 0):
            _fail(f"--dt: must be a positive number of seconds or auto, got {self.dt}")
        if self.fire not in FIRE_RULES:
            _fail(f"--fire: must be one of {', '.join(FIRE_RULES)}, got {self.fire!r}")
        for node, reset in self.resets.items():
            if reset not in RESETS:
                _fail(f"--reset {node}={reset}: the reset must be hard or soft")


# ----------------------------------------------------------------------------- graph structure

def _flatten(graph: nir.NIRGraph, prefix: str = "") -> tuple[dict, list]:
    """Nodes and edges with every nested subgraph inlined: its nodes are named
    ``<subgraph>.<node>``, edges into the subgraph go to its Input nodes and edges out of it
    leave from its Output nodes (both become pass-through nodes)."""
    nodes: dict[str, nir.NIRNode] = {}
    entries: dict[str, list[str]] = {}   # subgraph name -> its Input nodes (flattened names)
    exits: dict[str, list[str]] = {}
    edges: list[tuple[str, str]] = []
    for name, node in graph.nodes.items():
        full = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            if not node.nodes:
                _fail(f"node '{full}': empty node (an exporter could not convert its module; "
                      "snnTorch's MaxPool2d does this: export with train.nir_export)")
            inner_nodes, inner_edges = _flatten(node, f"{full}.")
            nodes.update(inner_nodes)
            edges.extend(inner_edges)
            entries[name] = [f"{full}.{k}" for k, v in node.nodes.items()
                             if isinstance(v, nir.Input)]
            exits[name] = [f"{full}.{k}" for k, v in node.nodes.items()
                           if isinstance(v, nir.Output)]
            if not entries[name] or not exits[name]:
                _fail(f"node '{full}': a subgraph needs an Input and an Output node")
        else:
            nodes[full] = node
    for src, dst in graph.edges:
        sources = exits.get(src, [f"{prefix}{src}"])
        targets = entries.get(dst, [f"{prefix}{dst}"])
        edges.extend((s, t) for s in sources for t in targets)
    for src, dst in edges:
        for end in (src, dst):
            if end not in nodes:
                _fail(f"edge '{src}' -> '{dst}': node '{end}' does not exist")
    return nodes, edges


def _find_cycle(nodes: dict, successors: dict) -> list[str] | None:
    state: dict[str, int] = {}   # 1: on the stack, 2: done
    for start in nodes:
        if state.get(start):
            continue
        stack = [(start, iter(successors[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(successors[nxt])))
                path.append(nxt)
    return None


def chain(graph: nir.NIRGraph) -> tuple[list[tuple[str, nir.NIRNode]], np.ndarray]:
    """The graph as one feed-forward chain ``[(name, node), ...]`` (pass-through nodes dropped)
    and the shape of its input; recurrence, branches, skip connections and stray nodes are
    refused."""
    nodes, edges = _flatten(graph)
    successors = {n: [] for n in nodes}
    predecessors = {n: [] for n in nodes}
    for src, dst in edges:
        successors[src].append(dst)
        predecessors[dst].append(src)
    cycle = _find_cycle(nodes, successors)
    if cycle:
        _fail(f"node '{cycle[0]}': recurrence (the cycle {' -> '.join(cycle)}); SPEC layers are "
              "feed-forward")
    top_inputs = [n for n, node in graph.nodes.items() if isinstance(node, nir.Input)]
    top_outputs = [n for n, node in graph.nodes.items() if isinstance(node, nir.Output)]
    if len(top_inputs) != 1 or len(top_outputs) != 1:
        _fail(f"graph: needs exactly one Input and one Output node, got inputs {top_inputs} and "
              f"outputs {top_outputs}")
    for name in nodes:
        if len(successors[name]) > 1:
            _fail(f"node '{name}': branch (it feeds {', '.join(successors[name])}); SPEC layers "
                  "form one chain")
        if len(predecessors[name]) > 1:
            _fail(f"node '{name}': skip connection or merge (it is fed by "
                  f"{', '.join(predecessors[name])}); SPEC layers form one chain")
    order = [top_inputs[0]]
    while successors[order[-1]]:
        order.append(successors[order[-1]][0])
    stray = [n for n in nodes if n not in order]
    if stray:
        _fail(f"node '{stray[0]}': not on the path from the input to the output")
    if order[-1] != top_outputs[0]:
        _fail(f"node '{order[-1]}': the chain from the input ends here, not at the output")
    input_shape = np.asarray(graph.nodes[top_inputs[0]].input_type["input"])
    return [(n, nodes[n]) for n in order if not isinstance(nodes[n], PASS_THROUGH)], input_shape


# ----------------------------------------------------------------------------- helpers

def _arr(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _pair(value, node: str, what: str) -> tuple[int, int]:
    arr = np.asarray(value).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, 2)
    if arr.size != 2:
        _fail(f"node '{node}': {what} must have 1 or 2 entries, got {arr.tolist()}")
    return int(arr[0]), int(arr[1])


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def _per_channel(node: str, what: str, value, out_shape: tuple[int, ...]) -> np.ndarray:
    """A neuron parameter as one value per output channel (conv) or feature (linear); refused
    when it varies within a channel (nothing there to fold it into)."""
    arr = _arr(value)
    try:
        arr = np.broadcast_to(arr, out_shape)
    except ValueError:
        _fail(f"node '{node}': {what} has shape {list(arr.shape)}, the layer's neurons "
              f"{list(out_shape)}")
    per = arr.reshape(out_shape[0], -1)
    differs = ~((per == per[:, :1]) | (np.isnan(per) & np.isnan(per[:, :1])))
    if differs.any():
        channel = int(np.argwhere(differs)[0][0])
        row = per[channel]
        _fail(f"node '{node}': {what} differs within channel {channel} ({row.min():g} .. "
              f"{row.max():g}); only one value per channel can be folded")
    return per[:, 0].copy()


def _uniform(node: str, what: str, values: np.ndarray) -> float:
    first = float(values[0])
    for v in values:
        if not (_close(float(v), first) or (math.isinf(v) and v == first)):
            _fail(f"node '{node}': {what} differs within the layer ({float(values.min()):g} .. "
                  f"{float(values.max()):g}); SPEC has one per layer and it cannot be folded")
    return first


def _bits_for(magnitude: int) -> int:
    """The smallest V with ``magnitude <= 2^(V-1) - 1``."""
    return max(1, int(magnitude).bit_length() + 1)


# ----------------------------------------------------------------------------- layers

@dataclass
class _Neuron:
    node: str
    model: str                  # "lif" | "if"
    leak_shift: int | None
    tau_over_dt: float | None
    leak_approximated: bool
    gain: np.ndarray            # per channel: current = gain * synapse + offset
    offset: np.ndarray          # per channel (v_leak)
    threshold: np.ndarray       # per channel, float
    reset: str
    reset_from: str


def _dt_auto(items) -> tuple[float | None, list]:
    """The common tau / r of every LIF / CubaLIF with finite tau (snnTorch writes
    r = tau / dt); None when there is none."""
    seen = []
    for name, node in items:
        if isinstance(node, (nir.LIF, nir.CubaLIF)):
            tau = _arr(node.tau if isinstance(node, nir.LIF) else node.tau_mem).reshape(-1)
            r = _arr(node.r).reshape(-1)
            for t, rr in zip(np.broadcast_to(tau, np.broadcast_shapes(tau.shape, r.shape)),
                             np.broadcast_to(r, np.broadcast_shapes(tau.shape, r.shape))):
                if math.isfinite(t) and math.isfinite(rr) and rr > 0:
                    seen.append((name, float(t / rr)))
    if not seen:
        return None, []
    first_name, first = seen[0]
    for name, value in seen:
        if not _close(value, first):
            _fail(f"--dt auto: the LIF nodes give different tau/r ('{first_name}': {first:g}, "
                  f"'{name}': {value:g}); pass --dt SECONDS")
    return first, sorted({n for n, _ in seen})


def _neuron(name: str, node, out_shape, dt: float | None, opts: Options) -> _Neuron:
    channels = out_shape[0]
    v_reset = _arr(node.v_reset).reshape(-1)
    if np.any(v_reset != 0):
        _fail(f"node '{name}': v_reset must be 0, got {float(v_reset[v_reset != 0][0]):g} "
              "(SPEC resets to 0 or subtracts the threshold)")
    threshold = _per_channel(name, "v_threshold", node.v_threshold, out_shape)
    if np.any(~np.isfinite(threshold)) or np.any(threshold <= 0):
        bad = threshold[~(np.isfinite(threshold) & (threshold > 0))][0]
        _fail(f"node '{name}': v_threshold must be finite and > 0, got {bad:g}")
    r = _per_channel(name, "r", node.r, out_shape)
    offset = np.zeros(channels)
    gain_extra = np.ones(channels)
    if isinstance(node, nir.CubaLIF):
        tau_syn = _per_channel(name, "tau_syn", node.tau_syn, out_shape)
        if dt is None:
            _fail(f"node '{name}': a CubaLIF needs dt to check its synapse; pass --dt")
        if not all(_close(float(t), dt) for t in tau_syn):
            _fail(f"node '{name}': synaptic state (tau_syn/dt = {float(tau_syn[0]) / dt:g}, a "
                  "synapse with memory; only tau_syn = dt, I = w_in * input, maps to SPEC)")
        gain_extra = _per_channel(name, "w_in", node.w_in, out_shape)
        tau = _per_channel(name, "tau_mem", node.tau_mem, out_shape)
    elif isinstance(node, nir.LIF):
        tau = _per_channel(name, "tau", node.tau, out_shape)
    else:
        tau = None

    leak_shift = tau_over_dt = None
    approximated = False
    if isinstance(node, nir.IF):
        if dt is None:
            _fail(f"node '{name}': an IF neuron's input gain is dt * r and dt is unknown "
                  "(no LIF to infer it from); pass --dt SECONDS")
        model, gain = "if", dt * r
    else:
        inf_tau, inf_r = np.isinf(tau), np.isinf(r)
        if inf_tau.all() and inf_r.all():
            # tau = r = inf: no leak; the Euler step (dt/tau) * r I is the limit r/tau = 1/dt
            # of the snnTorch convention r = tau/dt, so the gain is 1 (docs/nir.md).
            model, gain = "if", np.ones(channels)
        elif inf_tau.any() or inf_r.any():
            _fail(f"node '{name}': tau and r must be both finite or both inf, got tau "
                  f"{float(tau[0]):g}, r {float(r[0]):g}")
        else:
            if dt is None:
                _fail(f"node '{name}': dt is unknown; pass --dt SECONDS")
            model = "lif"
            tau_over_dt = _uniform(name, "tau", tau) / dt
            if tau_over_dt <= 0:
                _fail(f"node '{name}': tau must be > 0, got {tau_over_dt * dt:g}")
            exact = round(math.log2(tau_over_dt))
            if not _close(tau_over_dt, 2.0 ** exact):
                if not opts.approx_leak:
                    _fail(f"node '{name}': tau/dt = {tau_over_dt:g} is not a power of two "
                          f"(pass --approx-leak to use the nearest, 2^{exact})")
                approximated = True
            if exact < 1:
                _fail(f"node '{name}': tau/dt = {tau_over_dt:g} gives leak_shift {exact}; SPEC "
                      "needs leak_shift >= 1 (tau >= 2 dt)")
            leak_shift = exact
            gain = r
            offset = _per_channel(name, "v_leak", node.v_leak, out_shape)
    if np.any(~np.isfinite(gain)) or np.any(gain <= 0):
        _fail(f"node '{name}': the input gain (r) must be finite and > 0, got "
              f"{float(gain[~(np.isfinite(gain) & (gain > 0))][0]):g}")
    reset = opts.resets.get(name, "hard")
    return _Neuron(name, model, leak_shift, tau_over_dt, approximated, gain * gain_extra, offset,
                   threshold, reset, "--reset" if name in opts.resets else "default (NIR: v_reset)")


def _synapse(name: str, node, shape: tuple[int, ...], flat: bool):
    """``(kind, weight, bias, out_shape, kernel)`` of a Conv2d / Affine / Linear in float64."""
    weight = _arr(node.weight)
    if isinstance(node, nir.Conv2d):
        if flat:
            _fail(f"node '{name}': a Conv2d after a Flatten (SPEC: only linear after linear)")
        if weight.ndim != 4:
            _fail(f"node '{name}': weight must be [Co, Ci, K, K], got shape {list(weight.shape)}")
        co, ci, kh, kw = weight.shape
        if ci != shape[0]:
            _fail(f"node '{name}': weight has {ci} input channels, its input has {shape[0]}")
        if kh != kw:
            _fail(f"node '{name}': kernel {kh}x{kw} is not square")
        if kh % 2 == 0:
            _fail(f"node '{name}': kernel {kh} is even (SPEC: odd, padding K//2)")
        for what in ("stride", "dilation"):
            value = _pair(getattr(node, what), name, what)
            if value != (1, 1):
                _fail(f"node '{name}': {what} must be 1, got {list(value)}")
        if int(np.asarray(node.groups).reshape(-1)[0]) != 1:
            _fail(f"node '{name}': groups must be 1, got {int(np.asarray(node.groups))}")
        padding = node.padding
        if isinstance(padding, (bytes, np.bytes_)):
            padding = padding.decode()
        if isinstance(padding, str):
            padding = {"same": (kh // 2, kh // 2), "valid": (0, 0)}.get(padding, padding)
        padding = _pair(padding, name, "padding")
        if padding != (kh // 2, kh // 2):
            _fail(f"node '{name}': padding must be K//2 = {kh // 2}, got {list(padding)}")
        bias = _arr(node.bias).reshape(-1)
        if bias.size != co:
            _fail(f"node '{name}': bias has {bias.size} entries, the layer {co} channels")
        return "conv", weight, bias, (co, shape[1], shape[2]), kh
    if weight.ndim != 2:
        _fail(f"node '{name}': weight must be [out, in], got shape {list(weight.shape)}")
    if not flat and shape[1:] != (1, 1):
        _fail(f"node '{name}': a {type(node).__name__} on a {list(shape)} input needs a "
              "Flatten before it")
    fan_in = int(np.prod(shape))
    if weight.shape[1] != fan_in:
        _fail(f"node '{name}': weight has {weight.shape[1]} inputs, its input has {fan_in}")
    bias = (_arr(node.bias).reshape(-1) if isinstance(node, nir.Affine)
            else np.zeros(weight.shape[0]))
    if bias.size != weight.shape[0]:
        _fail(f"node '{name}': bias has {bias.size} entries, the layer {weight.shape[0]} "
              "outputs")
    return "linear", weight, bias, (weight.shape[0],), None


def _maxpool(name: str, node, thr_name: str, thr_node, shape, opts: Options) -> int:
    kernel = _pair(node.kernel_size, name, "kernel_size")
    stride = _pair(node.stride, name, "stride")
    padding = _pair(node.padding, name, "padding")
    if kernel[0] != kernel[1]:
        _fail(f"node '{name}': pool kernel {kernel[0]}x{kernel[1]} is not square")
    if stride != kernel:
        _fail(f"node '{name}': pool stride {list(stride)} must equal the kernel {list(kernel)}")
    if padding != (0, 0):
        _fail(f"node '{name}': pool padding must be 0, got {list(padding)}")
    k = kernel[0]
    if shape[1] % k or shape[2] % k:
        _fail(f"node '{name}': pool kernel {k} must divide the input {shape[1]}x{shape[2]}")
    # On spikes the pooled value is n (sum) or n / K^2 (average), n = spikes in the window;
    # the threshold must separate n = 0 from n = 1 for the pair to be an OR.
    one = 1.0 if isinstance(node, nir.SumPool2d) else 1.0 / (k * k)
    thr = _arr(thr_node.threshold).reshape(-1)
    if opts.fire == ">":
        ok, needs = (thr >= 0) & (thr < one), f"0 <= thr < {one:g}"
    else:
        ok, needs = (thr > 0) & (thr <= one), f"0 < thr <= {one:g}"
    if not ok.all():
        _fail(f"node '{thr_name}': threshold {float(thr[~ok][0]):g} after the {k}x{k} "
              f"{type(node).__name__} '{name}' does not fire on exactly one spike (needs "
              f"{needs} with fire {opts.fire}): not a max-pool")
    return k


_UNSUPPORTED = {
    nir.Delay: "delays (a Delay node; SPEC has none)",
    nir.Conv1d: "1-D convolution (SPEC has conv2d only)",
    nir.LI: "non-spiking neuron (LI)",
    nir.CubaLI: "non-spiking neuron (CubaLI)",
    nir.I: "non-spiking neuron (I)",
    nir.Scale: "Scale node (no SPEC equivalent between layers)",
}


def _unsupported(name: str, node) -> None:
    for cls, why in _UNSUPPORTED.items():
        if isinstance(node, cls):
            _fail(f"node '{name}': {why}")
    _fail(f"node '{name}': unknown node type {type(node).__name__}")


# ----------------------------------------------------------------------------- quantization

def _choose_step(weights: np.ndarray, bits: int) -> tuple[float, str]:
    """The unit of a layer: the finest power of two whose range holds every weight when that
    is lossless (weights on that grid), else the max-abs step that uses the full range."""
    w_lo, w_hi = sat_bounds(bits)
    need = max(float(weights.max(initial=0.0)) / w_hi, float(-weights.min(initial=0.0)) / -w_lo)
    if need == 0:
        return 1.0, "all weights are 0 (unit 1)"
    pow2 = 2.0 ** math.ceil(math.log2(need))
    if np.array_equal(weights / pow2, np.rint(weights / pow2)):
        return pow2, "power of two, lossless (every weight on the grid)"
    return need, "max-abs (largest |weight| on the largest integer)"


def _quantize_layer(weight: np.ndarray, bias: np.ndarray, neuron: _Neuron | None,
                    in_scale: float, opts: Options) -> dict:
    """Integer weights, bias and neuron of one conv/linear layer, and what was decided."""
    channels = weight.shape[0]
    gain = neuron.gain if neuron else np.ones(channels)
    offset = neuron.offset if neuron else np.zeros(channels)
    if neuron:
        theta_ref = float(neuron.threshold.max())
        ratio = theta_ref / neuron.threshold
    else:
        theta_ref, ratio = None, np.ones(channels)
    scale = (gain * ratio).reshape((-1,) + (1,) * (weight.ndim - 1))
    w_eff = weight * scale * in_scale
    b_eff = (bias * gain + offset) * ratio
    unit, step_kind = _choose_step(w_eff, opts.weight_bits)
    w_lo, w_hi = sat_bounds(opts.weight_bits)
    exact = w_eff / unit
    q = np.clip(np.rint(exact), w_lo, w_hi).astype(np.int64)
    b_int = np.rint(b_eff / unit).astype(np.int64)
    info = {
        "unit": unit,
        "step": {"kind": step_kind,
                 "weight_step": (unit / (in_scale * float(gain[0] * ratio[0]))
                                 if np.allclose(gain * ratio, gain[0] * ratio[0]) else
                                 "per channel: unit / (input gain x threshold ratio)")},
        "input_gain": _compact(gain),
        "input_scale": in_scale,
        "threshold_ratio": _compact(ratio),
        "weights": {
            "count": int(q.size),
            "nonzero_source": int(np.count_nonzero(weight)),
            "rounded_to_zero": int(np.count_nonzero((q == 0) & (w_eff != 0))),
            "clipped": int(np.count_nonzero((exact < w_lo - 0.5) | (exact > w_hi + 0.5))),
            "max_abs_error_units": float(np.max(np.abs(q - exact), initial=0.0)),
        },
        "bias": {"max_abs_error_units": float(np.max(np.abs(b_int - b_eff / unit),
                                                     initial=0.0)),
                 "v_leak_folded": bool(np.any(offset != 0))},
    }
    spec_neuron = None
    if neuron:
        ratio_units = theta_ref / unit
        if opts.fire == ">":
            theta_int = math.floor(ratio_units) + 1
            rule = "floor(theta / unit) + 1 (source fires on >)"
        else:
            theta_int = max(1, math.ceil(ratio_units))
            rule = "ceil(theta / unit) (source fires on >=)"
        spec_neuron = {"model": neuron.model}
        if neuron.model == "lif":
            spec_neuron["leak_shift"] = neuron.leak_shift
        spec_neuron["threshold"] = int(theta_int)
        spec_neuron["reset"] = neuron.reset
        approximations = []
        if neuron.leak_approximated:
            approximations.append(f"tau/dt = {neuron.tau_over_dt:g} taken as 2^{neuron.leak_shift}"
                                  " (--approx-leak)")
        if neuron.reset == "soft" and (opts.fire == ">" or ratio_units != math.ceil(ratio_units)):
            approximations.append(f"soft reset subtracts theta_int = {theta_int} units, the "
                                  f"source {ratio_units:g}")
        if neuron.model == "lif":
            approximations.append("the leak (I - v) >>> k is floored (< 1 unit per step)")
        info["neuron"] = {
            "node": neuron.node,
            "model": neuron.model,
            "tau_over_dt": neuron.tau_over_dt,
            "leak_shift": neuron.leak_shift,
            "threshold": {"source": theta_ref, "in_units": ratio_units, "int": int(theta_int),
                          "rule": rule},
            "reset": {"kind": neuron.reset, "from": neuron.reset_from},
        }
        info["approximations"] = approximations
    return {"weight": q, "bias": b_int, "neuron": spec_neuron, "info": info}


def _compact(values: np.ndarray):
    values = np.asarray(values, dtype=np.float64)
    if np.all(values == values[0]):
        return float(values[0])
    return [float(v) for v in values]


# ----------------------------------------------------------------------------- the import

def import_graph(graph: nir.NIRGraph, opts: Options) -> tuple[dict, dict, dict]:
    """``(config, weights, report)``: the SPEC network of ``graph``; ``report`` is what
    ``import.json`` holds per layer plus the dt and membrane-bit decisions."""
    opts.check()
    items, input_shape = chain(graph)
    neuron_names = [n for n, node in items if isinstance(node, NEURONS)]
    for node in opts.resets:
        if node not in neuron_names:
            _fail(f"--reset {node}={opts.resets[node]}: no neuron node named '{node}' (neuron "
                  f"nodes: {', '.join(neuron_names) or 'none'})")
    if opts.dt is None:
        dt, dt_nodes = _dt_auto(items)
        dt_report = {"value": dt, "from": "auto: the common tau / r of " + (
            ", ".join(dt_nodes) if dt_nodes else "no LIF (unknown)")}
    else:
        dt = opts.dt
        dt_report = {"value": dt, "from": "--dt"}

    dims = [int(d) for d in np.asarray(input_shape).reshape(-1)]
    if len(dims) == 3:
        shape, flat = tuple(dims), False
    elif len(dims) == 1:
        shape, flat = (dims[0], 1, 1), True
    else:
        _fail(f"input: shape must be [C, H, W] or [F], got {dims}")
    in_shape = list(shape)

    layers, weights, reports = [], {}, []
    i, n = 0, len(items)
    spikes_in = opts.input_kind == "spikes"
    pending: list[str] = []
    while i < n:
        name, node = items[i]
        if isinstance(node, nir.Flatten):
            dims_in = int(np.prod(shape))
            out = nir.ir.utils.calc_flatten_output(list(shape) if not flat else [dims_in],
                                                   int(node.start_dim), int(node.end_dim))
            out = [int(d) for d in np.asarray(out).reshape(-1)]
            if len(out) != 1:
                _fail(f"node '{name}': Flatten(start_dim={int(node.start_dim)}, "
                      f"end_dim={int(node.end_dim)}) of {list(shape)} gives {out}; SPEC "
                      "flattens the whole (c, y, x) frame")
            flat = True
            pending.append(name)
            i += 1
            continue
        if isinstance(node, SYNAPSES):
            index = len(layers)
            kind, weight, bias, out_shape, kernel = _synapse(name, node, shape, flat)
            nodes_used = pending + [name]
            pending = []
            i += 1
            neuron = None
            if i < n and isinstance(items[i][1], NEURONS):
                neuron = _neuron(items[i][0], items[i][1], out_shape, dt, opts)
                nodes_used.append(items[i][0])
                i += 1
            elif i < n:
                nxt_name, nxt = items[i]
                if not isinstance(nxt, (*SYNAPSES, *POOLS, nir.Flatten, nir.Threshold)):
                    _unsupported(nxt_name, nxt)
                _fail(f"node '{name}': followed by '{nxt_name}' ({type(nxt).__name__}); every "
                      "conv/linear but the last needs a spiking neuron (LIF, IF, CubaLIF) next")
            in_scale = opts.input_scale if (index == 0 and not spikes_in) else 1.0
            result = _quantize_layer(weight, bias, neuron, in_scale, opts)
            layer = {"kind": kind}
            if kind == "conv":
                layer["out_channels"] = int(out_shape[0])
                layer["kernel"] = int(kernel)
            else:
                layer["out_features"] = int(out_shape[0])
            if neuron is None:
                layer["readout"] = "accumulate"
            else:
                layer["neuron"] = result["neuron"]
            layers.append(layer)
            weights[f"L{index}.weight"] = result["weight"]
            weights[f"L{index}.bias"] = result["bias"]
            info = {"index": index, "kind": kind, "nodes": nodes_used, **result["info"]}
            if neuron is None:
                info["readout"] = "accumulate (no neuron after the last synapse)"
            reports.append(info)
            shape = (out_shape[0], shape[1], shape[2]) if kind == "conv" else (out_shape[0], 1, 1)
            flat = flat or kind == "linear"
            continue
        if isinstance(node, POOLS):
            if i + 1 >= n or not isinstance(items[i + 1][1], nir.Threshold):
                nxt = items[i + 1][0] if i + 1 < n else "the output"
                _fail(f"node '{name}': a {type(node).__name__} without a Threshold after it "
                      f"(followed by {nxt}); only pool + Threshold is a max-pool on spikes")
            if not layers or "neuron" not in layers[-1]:
                _fail(f"node '{name}': a pool must follow a spiking layer (SPEC: max-pool only "
                      "on spikes, never first)")
            if flat:
                _fail(f"node '{name}': a pool on a flattened input")
            thr_name, thr_node = items[i + 1]
            k = _maxpool(name, node, thr_name, thr_node, shape, opts)
            layers.append({"kind": "maxpool", "kernel": k})
            reports.append({"index": len(layers) - 1, "kind": "maxpool", "nodes": [name, thr_name],
                            "rule": f"{type(node).__name__} {k}x{k} + Threshold on spikes = OR"})
            shape = (shape[0], shape[1] // k, shape[2] // k)
            i += 2
            continue
        if isinstance(node, nir.Threshold):
            _fail(f"node '{name}': a Threshold that does not follow a SumPool2d/AvgPool2d")
        if isinstance(node, NEURONS):
            _fail(f"node '{name}': a neuron without a Conv2d/Affine/Linear before it")
        _unsupported(name, node)
    if pending:
        _fail(f"node '{pending[0]}': a Flatten at the end of the graph")
    if not layers:
        _fail("graph: no Conv2d, Affine or Linear node")
    if layers[-1]["kind"] == "maxpool":
        _fail(f"node '{reports[-1]['nodes'][0]}': the last layer must be conv or linear, not a "
              "pool")

    membrane = _membrane_bits(layers, weights, in_shape, opts, reports)
    cfg = {
        "name": opts.name or "nir-import",
        "timesteps": opts.timesteps,
        "input": ({"kind": "pixels", "shape": in_shape, "bits": opts.input_bits}
                  if opts.input_kind == "pixels" else {"kind": "spikes", "shape": in_shape}),
        "weight_bits": opts.weight_bits,
        "membrane_bits": membrane["value"],
        "layers": layers,
    }
    try:
        cfg = load_config(cfg)
        weights = validate_weights(cfg, weights)
    except (ConfigError, WeightError) as err:
        _fail(f"the imported network breaks SPEC 1: {err}")
    report = {"dt": dt_report, "membrane_bits": membrane, "layers": reports}
    return cfg, weights, report


def _membrane_bits(layers, weights, in_shape, opts: Options, reports) -> dict:
    """V: ``--membrane-bits`` (refusing a threshold, bias, leak shift or worst-case current that
    does not fit), or auto: the smallest V where none saturates (a hard limit at 32)."""
    in_max = (1 << opts.input_bits) - 1 if opts.input_kind == "pixels" else 1
    need_hard, need_free = 4, 4
    per_layer = []
    for i, layer in enumerate(layers):
        if layer["kind"] == "maxpool":
            continue
        w, b = weights[f"L{i}.weight"], weights[f"L{i}.bias"]
        current = int((np.abs(w).reshape(w.shape[0], -1).sum(1) * (in_max if i == 0 else 1)
                       + np.abs(b)).max())
        neuron = layer.get("neuron")
        theta = neuron["threshold"] if neuron else 0
        hard = {"threshold": theta, "bias": int(np.abs(b).max(initial=0)), "current": current}
        if neuron and neuron["model"] == "lif":
            hard["leak_shift + 1"] = (1 << neuron["leak_shift"]) - 1   # V >= k + 1
            free = current + 1
        elif neuron:
            free = max(theta + current, opts.timesteps * current)
        else:
            free = 0                    # an accumulate readout does not saturate
        per_layer.append((i, layer, hard, free))
        need_hard = max(need_hard, *(_bits_for(v) for v in hard.values()))
        need_free = max(need_free, _bits_for(free))
    hi = MEMBRANE_BITS_RANGE[1]
    if opts.membrane_bits is None:
        if need_hard > hi:
            _fail_fit(per_layer, hi, reports)
        value = max(need_hard, min(need_free, hi))
        source = "auto: the smallest V where no membrane saturates" + (
            "" if need_free <= hi else f" (capped at {hi}; saturation possible)")
    else:
        value = opts.membrane_bits
        _fail_fit(per_layer, value, reports)
        source = "--membrane-bits"
    return {"value": value, "from": source, "saturation_possible": need_free > value}


def _fail_fit(per_layer, bits: int, reports) -> None:
    _, v_max = sat_bounds(bits)
    for i, layer, hard, _ in per_layer:
        node = next(r["nodes"][-1] for r in reports if r["index"] == i)
        for what, value in hard.items():
            if value > v_max:
                if what == "leak_shift + 1":
                    _fail(f"node '{node}': leak_shift {layer['neuron']['leak_shift']} does not "
                          f"fit {bits} membrane bits (needs <= {bits - 1})")
                label = "worst-case current" if what == "current" else what
                _fail(f"node '{node}': {label} {value} does not fit {bits} membrane bits "
                      f"(max {v_max}); raise --membrane-bits (or auto)")


# ----------------------------------------------------------------------------- files and CLI

def read(path: Path) -> nir.NIRGraph:
    """``nir.read`` with NIR's own type check; a graph that fails it is refused (docs/nir.md:
    snnTorch's scalar parameters; export with train.nir_export)."""
    if not path.is_file():
        _fail(f"{path}: no such file")
    try:
        return nir.read(str(path))
    except Exception as err:  # noqa: BLE001 - nir/h5py raise many kinds; one line for each
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        _fail(f"{path}: NIR cannot read it ({type(err).__name__}: {first}); a graph exported "
              "from snnTorch with scalar parameters or a MaxPool2d fails here: export it with "
              "train.nir_export (docs/nir.md)")


def _file_version(path: Path) -> str | None:
    """The nir version a file was written with (``nir.read_version`` fails on the str that
    h5py 3 returns, so it is read here); None for files that carry none."""
    import h5py  # noqa: PLC0415 - nir reads through it too

    with h5py.File(path, "r") as f:
        if "version" not in f:
            return None
        value = f["version"][()]
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def import_file(path: Path, out: Path, opts: Options) -> dict:
    """Import ``path`` and write ``config.json``, ``weights.npz`` and ``import.json`` into
    ``out`` (all or nothing). Returns the import report."""
    from train.export import save  # noqa: PLC0415 - torch is imported only for the files

    path = Path(path)
    graph = read(path)
    if opts.name is None:
        opts.name = path.stem
    cfg, weights, report = import_graph(graph, opts)
    options = asdict(opts)
    options["dt"] = "auto" if opts.dt is None else opts.dt
    options["membrane_bits"] = "auto" if opts.membrane_bits is None else opts.membrane_bits
    full = {
        "source": {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                   "nir_version_of_file": _file_version(path), "nir_version": nir.version},
        "options": options,
        **report,
    }
    out = Path(out)
    if out.exists() and not out.is_dir():
        _fail(f"--out {out}: exists and is not a folder")
    staging = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.import."))
        save(staging, cfg, weights)
        (staging / "import.json").write_text(json.dumps(full, indent=2) + "\n")
        out.mkdir(exist_ok=True)
        for name in ("config.json", "weights.npz", "import.json"):
            os.replace(staging / name, out / name)
    except OSError as err:
        _fail(f"--out {out}: cannot write ({err.strerror or err})")
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return full


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every refusal
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parse_input(text: str) -> tuple[str, int | None, float]:
    if text == "spikes":
        return "spikes", None, 1.0
    parts = text.split(":")
    if parts[0] != "pixels" or len(parts) not in (2, 3):
        _fail(f"--input: must be pixels:BITS[:SCALE] or spikes, got {text!r}")
    try:
        bits = int(parts[1])
        scale = float(parts[2]) if len(parts) == 3 else 1.0
    except ValueError:
        _fail(f"--input: must be pixels:BITS[:SCALE] (BITS an integer, SCALE a number), "
              f"got {text!r}")
    return "pixels", bits, scale


def _parse_auto(option: str, text: str, kind):
    if text == "auto":
        return None
    try:
        return kind(text)
    except ValueError:
        _fail(f"{option}: must be a {kind.__name__} or auto, got {text!r}")


def _parse_resets(values: list[str]) -> dict[str, str]:
    resets = {}
    for item in values:
        node, sep, reset = item.rpartition("=")
        if not sep or not node:
            _fail(f"--reset: must be NODE=soft or NODE=hard, got {item!r}")
        if reset not in RESETS:
            _fail(f"--reset {item}: the reset must be hard or soft")
        resets[node] = reset
    return resets


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m train.nir_import", description=__doc__.split("\n\n")[0],
                     epilog="Mapping, semantic differences and refusals: docs/nir.md.")
    parser.add_argument("nir_file", type=Path, help="the NIR graph (.nir, HDF5)")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder: config.json, weights.npz, import.json")
    parser.add_argument("--timesteps", type=int, required=True, help="T (NIR has no notion of it)")
    parser.add_argument("--input", required=True, metavar="pixels:BITS[:SCALE]|spikes",
                        help="pixels of BITS bits, each integer p seen by the source as "
                        "p * SCALE (default 1), or binary spikes [T, C, H, W]")
    parser.add_argument("--weight-bits", type=int, required=True, metavar="B",
                        help="integer weight width, 2..8")
    parser.add_argument("--membrane-bits", default="auto", metavar="N|auto",
                        help="membrane width V (auto: the smallest where no membrane "
                        "saturates; default)")
    parser.add_argument("--dt", default="auto", metavar="SECONDS|auto",
                        help="the time step (auto: the common tau/r of every LIF, the snnTorch "
                        "convention r = tau/dt; default)")
    parser.add_argument("--fire", choices=FIRE_RULES, default=">",
                        help="the source's fire rule (default >, NIR's meaning)")
    parser.add_argument("--reset", action="append", default=[], metavar="NODE=soft",
                        help="reset of a neuron node (default hard, NIR's meaning); repeatable")
    parser.add_argument("--approx-leak", action="store_true",
                        help="accept a tau/dt that is not a power of two: the nearest one")
    parser.add_argument("--name", help="config name (default: the file's stem)")
    args = parser.parse_args(argv)
    try:
        kind, bits, scale = _parse_input(args.input)
        opts = Options(timesteps=args.timesteps, input_kind=kind, input_bits=bits,
                       input_scale=scale, weight_bits=args.weight_bits,
                       membrane_bits=_parse_auto("--membrane-bits", args.membrane_bits, int),
                       dt=_parse_auto("--dt", args.dt, float), fire=args.fire,
                       resets=_parse_resets(args.reset), approx_leak=args.approx_leak,
                       name=args.name)
        opts.check()
        report = import_file(args.nir_file, args.out, opts)
    except NirImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    _print_summary(report, args.out)
    return 0


def _print_summary(report: dict, out: Path) -> None:
    print(f"wrote {out}/config.json, weights.npz, import.json "
          f"(V = {report['membrane_bits']['value']}, dt = {report['dt']['value']})")
    for layer in report["layers"]:
        if layer["kind"] == "maxpool":
            print(f"  L{layer['index']} maxpool   {' + '.join(layer['nodes'])}")
            continue
        neuron = layer.get("neuron")
        what = "accumulate readout"
        if neuron:
            leak = f" k={neuron['leak_shift']}" if neuron["leak_shift"] else ""
            what = (f"{neuron['model']}{leak} theta {neuron['threshold']['int']} "
                    f"{neuron['reset']['kind']}")
        w = layer["weights"]
        print(f"  L{layer['index']} {layer['kind']:<9} {' + '.join(layer['nodes'])}: {what}; "
              f"unit {layer['unit']:.6g} ({layer['step']['kind'].split(' (')[0]}); "
              f"{w['rounded_to_zero']} of {w['nonzero_source']} non-zero weights rounded to 0")


if __name__ == "__main__":
    sys.exit(main())
