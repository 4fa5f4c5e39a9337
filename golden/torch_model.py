"""An independent PyTorch implementation of the golden model, on int64 tensors only.

It exists to cross-check ``golden.network.run_network`` with different code (gather-based
im2col and an integer matmul instead of NumPy tap sums) and to host future training code. No
floating point is involved anywhere: CPU ``conv2d`` does not take int64, and a float64 conv
would be exact only below 2^53, which the int64 contract does not promise.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from golden.config import load_config, validate_input, validate_weights
from golden.network import LayerResult, NetworkContext


def _conv_currents(inp: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``I[t][co][y][x] = b[co] + sum w[co][ci][ky][kx] * in[t][ci][y+ky-P][x+kx-P]`` via
    zero padding, an unfolded window view ``[T, Ci, H, W, K, K]`` and an int64 matmul."""
    steps, in_channels, height, width = inp.shape
    out_channels, _, kernel, _ = weight.shape
    pad = kernel // 2
    padded = F.pad(inp, (pad, pad, pad, pad))                         # zeros outside the frame
    windows = padded.unfold(2, kernel, 1).unfold(3, kernel, 1)         # [T, Ci, H, W, K, K]
    columns = windows.permute(0, 2, 3, 1, 4, 5).reshape(steps * height * width, -1)
    out = columns @ weight.reshape(out_channels, -1).T + bias          # [T*H*W, Co]
    return out.reshape(steps, height, width, out_channels).permute(0, 3, 1, 2).contiguous()


def _run_neuron(currents: torch.Tensor, neuron: dict, membrane_bits: int):
    """``u = sat_V(v + I)`` (if) or ``sat_V(v + ((I - v) >>> k))`` (lif); ``s = u >= theta``;
    hard ``v = 0`` / soft ``v = u - theta`` on a spike, else ``v = u``."""
    lo, hi = -(1 << (membrane_bits - 1)), (1 << (membrane_bits - 1)) - 1
    theta = neuron["threshold"]
    v = torch.zeros_like(currents[0])
    spikes, membranes = [], []
    for current in currents:
        if neuron["model"] == "if":
            u = torch.clamp(v + current, lo, hi)
        else:
            u = torch.clamp(v + torch.bitwise_right_shift(current - v, neuron["leak_shift"]),
                            lo, hi)
        fired = u >= theta
        after_spike = torch.zeros_like(u) if neuron["reset"] == "hard" else u - theta
        v = torch.where(fired, after_spike, u)
        spikes.append(fired.to(torch.uint8))
        membranes.append(v)
    return torch.stack(spikes), torch.stack(membranes)


def _maxpool(spikes: torch.Tensor, stride: int) -> torch.Tensor:
    steps, channels, height, width = spikes.shape
    blocks = spikes.reshape(steps, channels, height // stride, stride, width // stride, stride)
    return blocks.amax(dim=(3, 5))


def _first_argmax(readout: torch.Tensor) -> int:
    flat = readout.reshape(-1)
    return int(torch.nonzero(flat == flat.max())[0, 0])


def _numpy(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.numpy().copy()


def run_network_torch(cfg, weights, x) -> NetworkContext:
    """Same contract as ``golden.network.run_network`` (SPEC section 2), computed with torch
    int64 tensors; results are returned as NumPy arrays with the same dtypes."""
    cfg = load_config(cfg)
    weights = {k: torch.from_numpy(v) for k, v in validate_weights(cfg, weights).items()}
    sample = torch.from_numpy(validate_input(cfg, x))
    steps = cfg["timesteps"]
    inp = sample.expand(steps, *sample.shape).clone() if cfg["input"]["kind"] == "pixels" \
        else sample
    last = len(cfg["layers"]) - 1
    results = []
    for i, layer in enumerate(cfg["layers"]):
        kind = layer["kind"]
        if kind == "maxpool":
            pooled = _maxpool(inp, layer["kernel"])
            results.append(LayerResult(kind=kind, spikes=_numpy(pooled), inp=_numpy(inp)))
            inp = pooled
            continue
        if kind == "linear":
            inp = inp.reshape(inp.shape[0], -1)
            current = inp.to(torch.int64) @ weights[f"L{i}.weight"].T + weights[f"L{i}.bias"]
        else:
            current = _conv_currents(inp.to(torch.int64), weights[f"L{i}.weight"],
                                     weights[f"L{i}.bias"])
        result = LayerResult(kind=kind, current=_numpy(current), inp=_numpy(inp))
        if "neuron" in layer:
            spikes, membranes = _run_neuron(current, layer["neuron"], cfg["membrane_bits"])
            result.spikes, result.membranes = _numpy(spikes), _numpy(membranes)
            inp = spikes
        if i == last:
            readout = (spikes.to(torch.int64).sum(dim=0) if "neuron" in layer
                       else current.sum(dim=0))
            result.readout = _numpy(readout)
        results.append(result)
    readout_np = results[-1].readout
    return NetworkContext(layers=results, readout=readout_np,
                          prediction=_first_argmax(torch.from_numpy(readout_np)))
