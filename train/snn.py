"""Spiking conv nets whose quantized forward pass *is* the integer network of SPEC 1-2.

Pieces (each small, each tested in ``tests/test_train_export.py``):

- ``SpikeFn``: fire ``s = 1 if u >= theta`` (the SPEC comparison, ``>=``) with an arctan
  surrogate gradient on the threshold-normalised distance ``x = (u - theta) / theta``:
  ``ds/du = (alpha/2) / (1 + (pi/2 * alpha * x)^2) / theta`` (spikingjelly's ATan, alpha = 2).
- ``run_neuron``: the SPEC neuron over ``T`` steps, ``v = 0`` at the start of a frame,
  ``if: u = v + I``, ``lif: u = v + (I - v) / 2^k``, fire ``u >= theta``, reset hard ``v = 0`` /
  soft ``v = u - theta`` in the same step. In *integer mode* (the quantized network, whose
  currents, thresholds and membranes are integers in units of the layer's step) the leak is
  floored, ``v + floor((I - v) / 2^k)`` = SPEC's ``v + ((I - v) >>> k)``, and ``u`` is clamped
  to V bits, ``sat_V``; both use straight-through gradients. In float mode there is no integer
  grid, so the leak is the exact division and there is no clamp.
- ``rewire``: Grad R's reparametrisation ``w = sign * relu(strength)`` (Chen et al., IJCAI 2021)
  with the *rewired* gradient ``dL/dstrength = sign * dL/dw`` (the ReLU's zero derivative is
  dropped, so a pruned connection, strength < 0, keeps receiving gradient and can regrow).
- ``lsq_int``: LSQ (Esser et al., ICLR 2020) fake quantization ``w_q = s * round(clamp(w/s,
  -Qn, Qp))`` with its step gradient and gradient scale ``g = 1/sqrt(N * Qp)``, returned in
  *integer units*: the value is exactly the integer ``q`` (a float tensor holding integers),
  the gradient is LSQ's divided by ``s``.
- ``int_param``: a bias or threshold folded onto the layer's integer grid: value
  ``clamp(round(p / unit), lo, hi)``, straight-through gradient ``1 / unit``.

SNN modification of LSQ (see docs/training.md): the weight step of a layer is shared by that
layer's bias, threshold and membrane (as MINT shares the scale of weights and membrane
potentials, Yin et al., arXiv 2305.09850), so the neuron runs on integers and the threshold
absorbs the step: ``theta_int = round(theta / unit)``, ``b_int = round(b / unit)``, with
``unit = s`` (and ``unit = s * input_scale`` for the pixel layer).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SURROGATE_ALPHA = 2.0


# ----------------------------------------------------------------------------- straight-through

def ste_round(x: torch.Tensor) -> torch.Tensor:
    """``round(x)`` (half to even) forward, identity gradient."""
    return x + (torch.round(x) - x).detach()


def ste_floor(x: torch.Tensor) -> torch.Tensor:
    """``floor(x)`` forward, identity gradient."""
    return x + (torch.floor(x) - x).detach()


def ste_clamp(x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """``clamp(x, lo, hi)`` forward, identity gradient."""
    return x + (x.clamp(lo, hi) - x).detach()


def grad_scale(x: torch.Tensor, g: float) -> torch.Tensor:
    """LSQ's gradient scaling: (about) the value of ``x``, gradient ``g * dL/dx``. Only used on
    gradient paths: integer values are always computed from detached tensors."""
    return (x - x * g).detach() + x * g


def bounds(bits: int) -> tuple[int, int]:
    """``(-2^(bits-1), 2^(bits-1)-1)``."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


# ----------------------------------------------------------------------------- spikes / neuron

class SpikeFn(torch.autograd.Function):
    """``s = (u >= theta)`` with the arctan surrogate on ``x = (u - theta) / theta``."""

    @staticmethod
    def forward(ctx, u, theta, alpha):
        ctx.save_for_backward(u, theta)
        ctx.alpha = alpha
        return (u >= theta).to(u.dtype)

    @staticmethod
    def backward(ctx, grad):
        u, theta = ctx.saved_tensors
        x = (u - theta) / theta
        sg = (ctx.alpha / 2) / (1 + (math.pi / 2 * ctx.alpha * x) ** 2)
        grad_u = grad * sg / theta
        grad_theta = None
        if ctx.needs_input_grad[1]:
            grad_theta = (-(grad * sg * u) / theta ** 2).sum().reshape(theta.shape)
        return grad_u, grad_theta, None


def spike(u: torch.Tensor, theta: torch.Tensor, alpha: float = SURROGATE_ALPHA) -> torch.Tensor:
    return SpikeFn.apply(u, theta, alpha)


def run_neuron(currents: torch.Tensor, neuron: dict, theta: torch.Tensor, *, integer: bool,
               membrane_bits: int, alpha: float = SURROGATE_ALPHA,
               membranes: list | None = None) -> torch.Tensor:
    """The SPEC 2 neuron over ``currents [T, ...]``; returns spikes ``[T, ...]`` (0./1.).

    ``neuron`` is a SPEC neuron dict without threshold (``model``, ``reset``, ``leak_shift``);
    ``theta`` a scalar tensor. ``integer``: floor the lif leak and saturate to V bits (the
    currents and theta must then hold integers). ``membranes``: if a list, v after each reset
    is appended (for tests).
    """
    lo, hi = bounds(membrane_bits)
    leak = neuron["model"] == "lif"
    div = float(1 << neuron.get("leak_shift", 1))
    hard = neuron["reset"] == "hard"
    v = torch.zeros_like(currents[0])
    out = []
    for current in currents:
        if leak:
            delta = (current - v) / div
            u = v + (ste_floor(delta) if integer else delta)
        else:
            u = v + current
        if integer:
            u = ste_clamp(u, lo, hi)
        s = spike(u, theta, alpha)
        v = u * (1 - s) if hard else u - s * theta
        out.append(s)
        if membranes is not None:
            membranes.append(v.detach().clone())
    return torch.stack(out)


# ----------------------------------------------------------------------------- Grad R

class RewireFn(torch.autograd.Function):
    """``w = sign * relu(strength)``; backward ``dL/dstrength = sign * dL/dw`` (Grad R)."""

    @staticmethod
    def forward(ctx, sign, strength):
        ctx.save_for_backward(sign)
        return sign * strength.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        return None, grad * sign


def rewire(sign: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
    return RewireFn.apply(sign, strength)


def laplace_center(target: float, alpha: float) -> float:
    """Center mu of Grad R's Laplace prior ``p(theta) = alpha/2 exp(-alpha |theta - mu|)`` such
    that the prior puts mass ``target`` on ``theta < 0`` (a pruned connection):
    ``mu = ln(2 (1 - p)) / alpha`` for p >= 1/2 (the paper's case), ``-ln(2 p) / alpha`` below."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"target: must be in (0, 1), got {target}")
    if target >= 0.5:
        return math.log(2.0 * (1.0 - target)) / alpha
    return -math.log(2.0 * target) / alpha


# ----------------------------------------------------------------------------- LSQ

def lsq_int(w: torch.Tensor, step: torch.Tensor, bits: int) -> torch.Tensor:
    """LSQ weight quantization to ``bits`` (signed: Qn = 2^(B-1), Qp = 2^(B-1)-1), in integer
    units. Value: exactly ``round(clamp(w / s, -Qn, Qp))``. Gradient: that of LSQ's
    ``s * round(clamp(w / s))`` (straight-through in range, zero outside; the step gets
    ``round(w/s) - w/s`` in range, ``-Qn``/``Qp`` at the clip, scaled by ``1/sqrt(N Qp)``),
    divided by the (detached) step."""
    qn, qp = 1 << (bits - 1), (1 << (bits - 1)) - 1
    with torch.no_grad():
        q = torch.round(torch.clamp(w / step, -qn, qp))
    s = grad_scale(step, 1.0 / math.sqrt(w.numel() * qp))
    wq = ste_round(torch.clamp(w / s, -qn, qp)) * s
    g = wq / step.detach()
    return q + (g - g.detach())


def lsq_init_step(w: torch.Tensor, bits: int) -> float:
    """LSQ's initial step ``2 <|w|> / sqrt(Qp)``, the mean taken over the non-zero weights (a
    Grad R layer starts QAT with its pruned weights at exactly 0)."""
    qp = (1 << (bits - 1)) - 1
    nz = w[w != 0].abs()
    mean = float(nz.mean()) if nz.numel() else 1.0
    return 2.0 * mean / math.sqrt(qp)


def int_param(p: torch.Tensor, unit: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
    """A bias or threshold on the integer grid of ``unit``: value ``clamp(round(p/unit), lo,
    hi)`` (exact integers), straight-through gradient ``1/unit`` (unit is detached)."""
    unit = unit.detach()
    with torch.no_grad():
        n = torch.clamp(torch.round(p / unit), lo, hi)
    g = p / unit
    return n + (g - g.detach())


# ----------------------------------------------------------------------------- layers

class SynapticLayer(nn.Module):
    """A conv (stride 1, padding K//2) or linear layer with its neuron (or accumulate readout).

    Parameters: the weight (dense ``weight``, or Grad R's fixed ``sign`` buffer and learned
    ``strength``), ``bias`` and ``step`` (LSQ step); ``theta`` is the fixed float threshold.
    ``input_scale`` multiplies the input in float mode (1/16 for 0..16 pixels) so every layer's
    float weights have the same order of magnitude; in integer mode it folds into the unit.
    """

    def __init__(self, spec: dict, in_shape: tuple[int, ...], *, gradr: bool, input_scale: float,
                 generator: torch.Generator, gain: float = 2.0, theta0: float = 1.0):
        super().__init__()
        self.kind = spec["kind"]
        self.neuron = dict(spec["neuron"]) if "neuron" in spec else None
        self.readout = spec.get("readout")
        self.input_scale = float(input_scale)
        if self.kind == "conv":
            self.kernel = int(spec["kernel"])
            shape = (int(spec["out_channels"]), int(in_shape[0]), self.kernel, self.kernel)
        else:
            self.kernel = None
            shape = (int(spec["out_features"]), int(math.prod(in_shape)))
        fan_in = math.prod(shape[1:])
        bound = gain * math.sqrt(3.0 / fan_in)
        w0 = (torch.rand(shape, generator=generator) * 2 - 1) * bound
        self.gradr = gradr
        if gradr:
            self.register_buffer("sign", torch.where(w0 >= 0, 1.0, -1.0))
            self.strength = nn.Parameter(w0.abs())
        else:
            self.weight = nn.Parameter(w0)
        self.bias = nn.Parameter(torch.zeros(shape[0]))
        # The float threshold is fixed (a buffer, not learned): spiking is invariant to scaling
        # w, b and theta together, and a learned theta follows Grad R's prior down to 0 and
        # below (seen: the network then fires everywhere). The integer threshold still adapts,
        # through the LSQ step: theta_int = round(theta / unit).
        if self.neuron:
            self.register_buffer("theta", torch.tensor(float(theta0)))
        else:
            self.theta = None
        self.step = nn.Parameter(torch.tensor(1.0))

    # -- weights
    def float_weight(self) -> torch.Tensor:
        return rewire(self.sign, self.strength) if self.gradr else self.weight

    def unit(self) -> torch.Tensor:
        """One integer of this layer's current, in float units: ``step * input_scale``."""
        return self.step.detach() * self.input_scale

    def int_weight(self, bits: int) -> torch.Tensor:
        return lsq_int(self.float_weight(), self.step, bits)

    def int_bias(self, membrane_bits: int) -> torch.Tensor:
        return int_param(self.bias, self.unit(), *bounds(membrane_bits))

    def int_theta(self, membrane_bits: int) -> torch.Tensor:
        return int_param(self.theta, self.unit(), 1, bounds(membrane_bits)[1])

    def init_step(self, bits: int) -> None:
        with torch.no_grad():
            self.step.fill_(lsq_init_step(self.float_weight(), bits))

    # -- currents: x is [M, C, H, W] or [M, F]
    def currents(self, x: torch.Tensor, bits: int | None, membrane_bits: int) -> torch.Tensor:
        if bits is None:
            w, b, scale = self.float_weight(), self.bias, self.input_scale
        else:
            w, b, scale = self.int_weight(bits), self.int_bias(membrane_bits), 1.0
        if self.kind == "conv":
            out = F.conv2d(x, w, padding=self.kernel // 2)
            if scale != 1.0:
                out = out * scale
            return out + b[:, None, None]
        out = x @ w.T
        if scale != 1.0:
            out = out * scale
        return out + b


class SNN(nn.Module):
    """A SPEC-shaped spiking network (``arch``: SPEC layer dicts without thresholds).

    ``bits = None``: float forward. ``bits = B``: the quantized forward, in integer units; its
    spikes, membranes and readout are exactly those of the exported integer network
    (``train.export``). ``forward`` returns float-unit logits ``[N, classes]`` (the
    accumulate readout ``sum_t I[t]`` times ``unit / T``, or spike counts / T).
    """

    def __init__(self, arch: list[dict], in_shape: tuple[int, int, int], *, timesteps: int,
                 membrane_bits: int, input_scale: float, gradr: bool, seed: int,
                 gain: float = 2.0):
        super().__init__()
        self.arch = [dict(layer) for layer in arch]
        self.in_shape = tuple(in_shape)
        self.timesteps = int(timesteps)
        self.membrane_bits = int(membrane_bits)
        self.input_scale = float(input_scale)
        self.bits: int | None = None
        # False: the "fake-quant" reference of a quantized model, i.e. the same integer weights,
        # biases and thresholds scaled back to float units (s * q) with the float neuron (exact
        # leak, no saturation), as a float QAT framework would run it. Only for reports.
        self.integer_neuron = True
        gen = torch.Generator().manual_seed(seed)
        layers = nn.ModuleList()
        self.kinds: list[str] = []
        shape = self.in_shape
        first = True
        for spec in arch:
            self.kinds.append(spec["kind"])
            if spec["kind"] == "maxpool":
                layers.append(nn.Identity())
                k = int(spec["kernel"])
                shape = (shape[0], shape[1] // k, shape[2] // k)
                continue
            layer = SynapticLayer(spec, shape, gradr=gradr, generator=gen, gain=gain,
                                  input_scale=self.input_scale if first else 1.0)
            layers.append(layer)
            first = False
            shape = ((layer.float_weight().shape[0], shape[1], shape[2])
                     if spec["kind"] == "conv" else (layer.float_weight().shape[0],))
        self.layers = layers

    def synaptic(self) -> list[tuple[int, SynapticLayer]]:
        return [(i, m) for i, m in enumerate(self.layers) if isinstance(m, SynapticLayer)]

    def set_bits(self, bits: int | None, init_step: bool = True) -> None:
        """Switch to the B-bit quantized forward (initialising LSQ steps) or back to float."""
        self.bits = bits
        if bits is not None and init_step:
            for _, layer in self.synaptic():
                layer.init_step(bits)

    def forward(self, x: torch.Tensor, record: dict | None = None) -> torch.Tensor:
        """``x``: integer pixels ``[N, C, H, W]`` as floats. ``record``: if a dict, it receives
        per layer index the layer's input (``in{i}``, ``[T, N, ...]``) and output spikes
        (``out{i}``), and ``readout`` (integer units in integer mode)."""
        bits, vbits, steps = self.bits, self.membrane_bits, self.timesteps
        integer = bits is not None and self.integer_neuron
        fake = bits is not None and not self.integer_neuron
        n = x.shape[0]
        inp = None                          # [T, N, ...] spikes after the first layer
        last = len(self.layers) - 1
        for i, (kind, layer) in enumerate(zip(self.kinds, self.layers)):
            if kind == "maxpool":
                k = int(self.arch[i]["kernel"])
                pooled = F.max_pool2d(inp.flatten(0, 1), k)
                out = pooled.reshape(steps, n, *pooled.shape[1:])
                if record is not None:
                    record[f"in{i}"], record[f"out{i}"] = inp.detach(), out.detach()
                inp = out
                continue
            if inp is None:                 # pixels: the same frame at every t
                cur = layer.currents(x if kind == "conv" else x.flatten(1), bits, vbits)
                cur = cur.unsqueeze(0).expand(steps, *cur.shape)
                if record is not None:
                    record[f"in{i}"] = x.detach().unsqueeze(0).expand(steps, *x.shape)
            else:
                src = inp if kind == "conv" else inp.flatten(2)
                cur = layer.currents(src.flatten(0, 1), bits, vbits)
                cur = cur.reshape(steps, n, *cur.shape[1:])
                if record is not None:
                    record[f"in{i}"] = src.detach()
            if fake:
                cur = cur * layer.unit()
            if layer.neuron is not None:
                if bits is None:
                    theta = layer.theta
                else:
                    theta = layer.int_theta(vbits) * (layer.unit() if fake else 1.0)
                out = run_neuron(cur, layer.neuron, theta, integer=integer, membrane_bits=vbits)
                if record is not None:
                    record[f"out{i}"] = out.detach()
                inp = out
            if i == last:
                readout = out.sum(0) if layer.neuron is not None else cur.sum(0)
                if record is not None:
                    record["readout"] = readout.detach()
                if layer.neuron is not None:
                    return readout / steps
                scale = layer.unit() if integer else 1.0
                return readout * scale / steps
        raise ValueError("arch: the last layer must be conv or linear")

    # -- sparsity
    def weight_tensors(self) -> dict[int, torch.Tensor]:
        """Per synaptic layer index: the integer weights (quantized mode) or the float weights."""
        with torch.no_grad():
            if self.bits is None:
                return {i: m.float_weight().detach().clone() for i, m in self.synaptic()}
            return {i: m.int_weight(self.bits).detach().clone() for i, m in self.synaptic()}

    def weight_sparsity(self) -> tuple[float, dict[int, float]]:
        """Fraction of zero weights over all conv/linear layers, and per layer."""
        weights = self.weight_tensors()
        zeros = sum(int((w == 0).sum()) for w in weights.values())
        total = sum(w.numel() for w in weights.values())
        return zeros / total, {i: float((w == 0).float().mean()) for i, w in weights.items()}
