"""Fast tests of the training flow (train/): Grad R, LSQ, the neuron, the folding rule, the data,
and exact agreement of exported networks with both golden implementations.

Run: .venv/bin/python -m pytest tests/test_train_export.py -q -p no:cacheprovider
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from golden.config import load_config, validate_weights
from golden.network import run_network
from golden.neuron import NeuronParams, run_neuron as golden_run_neuron
from golden.sparsity import effectual_ops
from golden.torch_model import run_network_torch
from train import data
from train.export import check, export, torch_integer_forward
from train.fit import DIGITS_ARCH, FitConfig, _prior_step, fit
from train.snn import (
    SNN,
    SynapticLayer,
    laplace_center,
    lsq_init_step,
    lsq_int,
    rewire,
    run_neuron,
)
from train.study import effectual_ops_batch

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def small_arch(c1=4, c2=6, last_neuron=False, k0=1):
    arch = copy.deepcopy(DIGITS_ARCH)
    arch[0]["out_channels"], arch[2]["out_channels"] = c1, c2
    arch[0]["neuron"]["leak_shift"] = k0
    if last_neuron:
        del arch[4]["readout"]
        arch[4]["neuron"] = {"model": "if", "reset": "soft"}
    return arch


# ----------------------------------------------------------------------------- data

def test_digits_split_is_fixed_and_integer(digits):
    again = data.load("digits")
    assert digits.x_train.shape == (1437, 1, 8, 8) and digits.x_test.shape == (360, 1, 8, 8)
    assert np.array_equal(digits.x_test, again.x_test)
    assert np.array_equal(digits.y_test, again.y_test)
    assert digits.x_train.dtype == np.int64 and 0 <= digits.x_train.min()
    assert digits.x_train.max() == 16 < 2 ** digits.bits
    # stratified: every class is in the test split in proportion
    assert np.bincount(digits.y_test).min() >= 34


def test_resample28_range_and_shape():
    img = np.zeros((1, 1, 8, 8), dtype=np.int64)
    img[0, 0, 3:5, 3:5] = 16
    up = data.resample28(img)
    assert up.shape == (1, 1, 28, 28) and up.dtype == np.int64
    assert up.min() == 0 and up.max() == 255
    full = data.resample28(np.full((1, 1, 8, 8), 16))
    assert (full == 255).all()


def test_random_shift_keeps_pixels():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5)
    out = data.random_shift(x, torch.Generator().manual_seed(0), 1)
    assert out.shape == x.shape
    assert set(out.unique().tolist()) <= set(x.unique().tolist()) | {0.0}


# ----------------------------------------------------------------------------- Grad R

def test_gradr_weight_is_sign_times_relu_strength():
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0])
    strength = torch.tensor([0.5, 0.3, -0.2, -0.1], requires_grad=True)
    w = rewire(sign, strength)
    assert torch.equal(w, torch.tensor([0.5, -0.3, 0.0, 0.0]))
    # rewired gradient: sign * dL/dw, also for the pruned connections (strength < 0)
    upstream = torch.tensor([1.0, 2.0, 3.0, 4.0])
    w.backward(upstream)
    assert torch.equal(strength.grad, sign * upstream)


def test_gradr_pruned_connection_regrows():
    """A pruned weight (strength < 0) whose loss gradient keeps asking for it comes back; with
    the plain ReLU gradient it would stay dead."""
    sign = torch.tensor([-1.0])
    strength = torch.tensor([-0.05], requires_grad=True)
    opt = torch.optim.SGD([strength], lr=0.02)
    for _ in range(5):
        w = rewire(sign, strength)
        loss = (w + 1.0) ** 2              # wants w -> -1, i.e. strength -> +1
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert strength.item() > 0 and rewire(sign, strength).item() < 0
    dead = torch.tensor([-0.05], requires_grad=True)
    ((sign * torch.relu(dead) + 1.0) ** 2).sum().backward()
    assert dead.grad.item() == 0.0


@pytest.mark.parametrize("target", [0.3, 0.5, 0.85, 0.95])
def test_laplace_prior_puts_target_mass_below_zero(target):
    alpha = 0.7
    mu = laplace_center(target, alpha)
    # CDF of Laplace(mu, 1/alpha) at 0
    cdf0 = 0.5 * math.exp(alpha * (0 - mu)) if 0 < mu else 1 - 0.5 * math.exp(-alpha * (0 - mu))
    assert cdf0 == pytest.approx(target)


def test_prior_step_pulls_strengths_toward_center(digits):
    cfg = FitConfig(arch=small_arch(), sparsity=0.9)
    model = SNN(cfg.arch, digits.shape, timesteps=2, membrane_bits=16, input_scale=1 / 16,
                gradr=True, seed=0)
    layer = model.layers[0]
    with torch.no_grad():
        layer.strength.copy_(torch.linspace(-1.0, 1.0, layer.strength.numel())
                             .reshape(layer.strength.shape))
    before = layer.strength.detach().clone()
    _prior_step(model, lr=0.1, alpha=0.5, target=0.9)       # mu = ln(0.2)/0.5 = -3.2
    assert torch.allclose(before - layer.strength.detach(), torch.full_like(before, 0.05))


# ----------------------------------------------------------------------------- LSQ

@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_lsq_quantizes_to_the_integer_grid(bits):
    gen = torch.Generator().manual_seed(bits)
    w = (torch.randn(200, generator=gen) * 0.3).requires_grad_()
    step = torch.tensor(lsq_init_step(w.detach(), bits), requires_grad=True)
    q = lsq_int(w, step, bits)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    assert torch.equal(q, torch.round(q))
    assert q.min() >= lo and q.max() <= hi
    assert torch.equal(q.detach(), torch.clamp(torch.round(w.detach() / step.detach()), lo, hi))
    # gradient: straight-through 1/s in range, 0 outside; the step gets LSQ's gradient / s
    q.sum().backward()
    ratio = w.detach() / step.detach()
    inside = (ratio > lo) & (ratio < hi)
    assert torch.allclose(w.grad[inside], torch.full_like(w.grad[inside], 1 / step.item()))
    assert torch.all(w.grad[~inside] == 0)
    g = 1 / math.sqrt(w.numel() * hi)
    lsq = torch.where(inside, torch.round(ratio) - ratio, torch.clamp(ratio, lo, hi))
    assert step.grad.item() == pytest.approx(float(lsq.sum()) * g / step.item(), rel=1e-4)


def test_lsq_init_step_ignores_pruned_weights():
    w = torch.tensor([0.0, 0.0, 0.3, -0.6])
    assert lsq_init_step(w, 4) == pytest.approx(2 * 0.45 / math.sqrt(7))


# ----------------------------------------------------------------------------- folding rule

def test_fold_thresholds_and_biases_by_hand():
    """unit = step * input_scale; b_int = round(b / unit); theta_int = round(theta / unit)."""
    gen = torch.Generator().manual_seed(0)
    spec = {"kind": "conv", "out_channels": 2, "kernel": 1,
            "neuron": {"model": "if", "reset": "soft"}}
    hidden = SynapticLayer(spec, (1, 2, 2), gradr=False, input_scale=1.0, generator=gen)
    pixel = SynapticLayer(spec, (1, 2, 2), gradr=False, input_scale=1 / 16, generator=gen)
    with torch.no_grad():
        for layer in (hidden, pixel):
            layer.weight.copy_(torch.tensor([0.5, -0.3]).reshape(2, 1, 1, 1))
            layer.bias.copy_(torch.tensor([0.3, -0.9]))
        hidden.step.fill_(0.25)      # unit 0.25
        pixel.step.fill_(0.5)        # unit 0.5 / 16 = 1/32
    # hidden: q = round([2, -1.2]) = [2, -1]; b = round([1.2, -3.6]) = [1, -4]; theta = 4
    assert hidden.int_weight(4).flatten().tolist() == [2.0, -1.0]
    assert hidden.int_bias(16).tolist() == [1.0, -4.0]
    assert hidden.int_theta(16).item() == 4.0
    # pixel layer: q = round([1, -0.6]) = [1, -1]; b = round([9.6, -28.8]) = [10, -29]; 32
    assert pixel.int_weight(4).flatten().tolist() == [1.0, -1.0]
    assert pixel.int_bias(16).tolist() == [10.0, -29.0]
    assert pixel.int_theta(16).item() == 32.0
    # clamping: a threshold below one unit becomes 1, a huge bias saturates to V bits
    with torch.no_grad():
        hidden.theta.fill_(0.01)
        hidden.bias.fill_(1e6)
    assert hidden.int_theta(8).item() == 1.0
    assert hidden.int_bias(8).tolist() == [127.0, 127.0]


def test_folded_integer_neuron_fires_like_the_float_one():
    """Float units: I = s * (q.x + b_int), theta = s * theta_int; integer units: divide by s.
    Hand example: s = 0.25, q = [2, -1], b_int = 1, theta_int = 4, x = [3, 1]:
    integer I = 2*3 - 1 + 1 = 6 -> if/soft: u = 6 >= 4 -> spike, v = 2; then u = 8 -> spike,
    v = 4; then u = 10 -> spike, v = 6. Float: I = 1.5, theta = 1.0, v = 0.5, 1.0, 1.5."""
    neuron = {"model": "if", "reset": "soft"}
    cur_int = torch.full((3, 1), 6.0)
    mem_int, mem_float = [], []
    s_int = run_neuron(cur_int, neuron, torch.tensor(4.0), integer=True, membrane_bits=16,
                       membranes=mem_int)
    s_flt = run_neuron(cur_int * 0.25, neuron, torch.tensor(1.0), integer=False,
                       membrane_bits=16, membranes=mem_float)
    assert s_int.flatten().tolist() == s_flt.flatten().tolist() == [1.0, 1.0, 1.0]
    assert [m.item() for m in mem_int] == [2.0, 4.0, 6.0]
    assert [m.item() for m in mem_float] == [0.5, 1.0, 1.5]


# ----------------------------------------------------------------------------- neuron

@pytest.mark.parametrize("model,reset,k", [("if", "soft", 1), ("if", "hard", 1),
                                           ("lif", "hard", 1), ("lif", "soft", 2),
                                           ("lif", "hard", 3)])
@pytest.mark.parametrize("vbits", [6, 16])
def test_float_neuron_equals_spec_neuron_on_integers(model, reset, k, vbits):
    gen = torch.Generator().manual_seed(vbits * 10 + k)
    currents = torch.randint(-40, 60, (6, 300), generator=gen).to(torch.float32)
    theta = 7
    neuron = {"model": model, "reset": reset, "leak_shift": k}
    mems: list = []
    spikes = run_neuron(currents, neuron, torch.tensor(float(theta)), integer=True,
                        membrane_bits=vbits, membranes=mems)
    params = NeuronParams(model=model, threshold=theta, reset=reset, leak_shift=k)
    g_spikes, g_mems = golden_run_neuron(currents.to(torch.int64).numpy(), params, vbits)
    assert np.array_equal(spikes.numpy().astype(np.uint8), g_spikes)
    assert np.array_equal(torch.stack(mems).numpy().astype(np.int64), g_mems)
    if model == "if" and vbits == 16:      # no floor involved, no saturation reached
        f_spikes = run_neuron(currents, neuron, torch.tensor(float(theta)), integer=False,
                              membrane_bits=vbits)
        assert np.array_equal(f_spikes.numpy().astype(np.uint8), g_spikes)


def test_surrogate_gradient_flows_through_the_neuron():
    cur = torch.tensor([[3.0, 8.0]] * 4, requires_grad=True)
    out = run_neuron(cur, {"model": "lif", "reset": "hard", "leak_shift": 1},
                     torch.tensor(5.0), integer=True, membrane_bits=16)
    out.sum().backward()
    assert torch.all(cur.grad > 0)


# ----------------------------------------------------------------------------- export

def _random_quantized_model(digits, bits, arch, seed=0):
    model = SNN(arch, digits.shape, timesteps=3, membrane_bits=12, input_scale=1 / 16,
                gradr=True, seed=seed)
    with torch.no_grad():       # prune a third of the weights, as Grad R would
        for i, layer in model.synaptic():
            gen = torch.Generator().manual_seed(seed + layer.strength.numel())
            mask = torch.rand(layer.strength.shape, generator=gen) < 1 / 3
            layer.strength[mask] = -0.1
            layer.bias.fill_(0.9 if i == 0 else 0.4)     # keep the slow-leak variants spiking
    model.set_bits(bits)
    return model


@pytest.mark.parametrize("bits,last_neuron,k0", [(4, False, 1), (2, True, 2), (8, False, 2)])
def test_export_of_random_network_is_exact(digits, bits, last_neuron, k0):
    model = _random_quantized_model(digits, bits, small_arch(last_neuron=last_neuron, k0=k0))
    cfg, weights = export(model, digits.bits, "test")
    load_config(cfg)
    validate_weights(cfg, weights)
    assert cfg["weight_bits"] == bits
    assert any(int((w == 0).sum()) for k, w in weights.items() if k.endswith("weight"))
    x = digits.x_test[:25]
    ours = torch_integer_forward(model, x)
    spiking = [i for i, spec in enumerate(cfg["layers"]) if "neuron" in spec]
    assert all(ours[f"out{i}"].mean() > 0 for i in spiking[:2])      # not vacuous
    for n, sample in enumerate(x):
        ctx = run_network(cfg, weights, sample)
        tctx = run_network_torch(cfg, weights, sample)
        assert ctx.prediction == tctx.prediction == ours["prediction"][n]
        assert np.array_equal(ctx.readout, tctx.readout)
        assert np.array_equal(ctx.readout, ours["readout"][n])
        for i in range(len(cfg["layers"]) - 1):
            assert np.array_equal(ctx.layers[i].spikes, ours[f"out{i}"][n])


def test_quickly_trained_network_exports_exactly(digits):
    cfg = FitConfig(arch=small_arch(8, 8), bits=4, sparsity=0.5, epochs_float=2,
                    epochs_qat=1, timesteps=2)
    model, summary = fit(cfg, digits, progress=False)
    assert summary["test_acc"] > 0.2                 # learning (chance is 0.1)
    assert summary["history"][-1]["loss"] < summary["history"][0]["loss"]
    config, weights = export(model, digits.bits, "quick")
    result = check(model, config, weights, digits.x_test[:40], digits.y_test[:40],
                   with_torch_golden=True)
    assert result["golden_equals_torch_integer"] and result["golden_torch_model_equal"]
    assert 0.0 <= result["integer_vs_float_agreement"] <= 1.0


# ----------------------------------------------------------------------------- measurements

def test_effectual_ops_batch_equals_golden():
    gen = torch.Generator().manual_seed(3)
    conv_in = (torch.rand(3, 4, 2, 5, 6, generator=gen) < 0.3).float()     # [T, N, C, H, W]
    conv_w = torch.randint(-2, 2, (3, 2, 3, 3), generator=gen)
    lin_in = (torch.rand(3, 4, 20, generator=gen) < 0.4).float()
    lin_w = torch.randint(-1, 2, (5, 20), generator=gen)
    pix = torch.randint(0, 3, (1, 4, 1, 5, 6), generator=gen).float().expand(3, 4, 1, 5, 6)
    pix_w = torch.randint(-1, 2, (3, 1, 3, 3), generator=gen)
    for kind, inp, w in (("conv", conv_in, conv_w), ("linear", lin_in, lin_w),
                         ("conv", pix, pix_w)):
        ours = effectual_ops_batch(inp, w).tolist()
        ref = [effectual_ops(kind, inp[:, n].to(torch.int64).numpy(), w.numpy())
               for n in range(inp.shape[1])]
        assert ours == ref
