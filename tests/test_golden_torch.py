"""golden.torch_model must agree bit for bit (values and dtypes) with golden.network."""

import numpy as np
from hypothesis import given, settings

from golden.network import random_input, random_weights, run_network
from golden.strategies import networks
from golden.torch_model import run_network_torch

FIELDS = ("inp", "current", "spikes", "membranes", "readout")


def assert_same_context(numpy_ctx, torch_ctx):
    assert numpy_ctx.prediction == torch_ctx.prediction
    assert np.array_equal(numpy_ctx.readout, torch_ctx.readout)
    assert numpy_ctx.readout.dtype == torch_ctx.readout.dtype == np.int64
    assert len(numpy_ctx.layers) == len(torch_ctx.layers)
    for index, (a, b) in enumerate(zip(numpy_ctx.layers, torch_ctx.layers)):
        assert a.kind == b.kind
        for name in FIELDS:
            left, right = getattr(a, name), getattr(b, name)
            assert (left is None) == (right is None), f"layer {index} {name}"
            if left is not None:
                assert left.shape == right.shape, f"layer {index} {name}"
                assert np.array_equal(left, right), f"layer {index} {name}"
                assert left.dtype == right.dtype, f"layer {index} {name}"


def test_lif_floor_shift_on_negative_currents_in_both():
    # One lif neuron (k=1, theta 1, V=8) fed I = -3 at every t (pixel 1, weight -3, bias 0):
    # t0: 0 + (-3 >>> 1) = -2; t1: -2 + ((-3 + 2) >>> 1) = -2 - 1 = -3;
    # t2: -3 + ((-3 + 3) >>> 1) = -3. Truncating shifts would give -1, -2, ... instead.
    cfg = {"timesteps": 3, "input": {"kind": "pixels", "shape": [1, 1, 1], "bits": 1},
           "weight_bits": 4, "membrane_bits": 8,
           "layers": [{"kind": "linear", "out_features": 1,
                       "neuron": {"model": "lif", "threshold": 1, "reset": "hard",
                                  "leak_shift": 1}}]}
    weights = {"L0.weight": np.array([[-3]]), "L0.bias": np.array([0])}
    x = np.ones((1, 1, 1), dtype=np.int64)
    for ctx in (run_network(cfg, weights, x), run_network_torch(cfg, weights, x)):
        assert ctx.layers[0].membranes[:, 0].tolist() == [-2, -3, -3]
        assert ctx.readout.tolist() == [0]


def test_mnist_sized_network_agrees():
    # The size the accelerator targets: 28x28 pixels, conv16-pool-conv32-pool-fc10, T=4.
    cfg = {"name": "mnist-c16-c32-fc10", "timesteps": 4,
           "input": {"kind": "pixels", "shape": [1, 28, 28], "bits": 8},
           "weight_bits": 4, "membrane_bits": 16,
           "layers": [
               {"kind": "conv", "out_channels": 16, "kernel": 3,
                "neuron": {"model": "lif", "leak_shift": 1, "threshold": 48, "reset": "hard"}},
               {"kind": "maxpool", "kernel": 2},
               {"kind": "conv", "out_channels": 32, "kernel": 3,
                "neuron": {"model": "if", "threshold": 3, "reset": "soft"}},
               {"kind": "maxpool", "kernel": 2},
               {"kind": "linear", "out_features": 10, "readout": "accumulate"}]}
    rng = np.random.default_rng(2024)
    weights = random_weights(cfg, rng, 0.85)
    x = random_input(cfg, rng)
    numpy_ctx = run_network(cfg, weights, x)
    assert_same_context(numpy_ctx, run_network_torch(cfg, weights, x))
    # The example is not degenerate: both spiking layers fire, but not everywhere.
    for index in (0, 2):
        assert 0.0 < numpy_ctx.layers[index].spikes.mean() < 1.0


@settings(max_examples=50)
@given(net=networks())
def test_numpy_and_torch_agree_on_random_networks(net):
    cfg, weights, x = net
    assert_same_context(run_network(cfg, weights, x), run_network_torch(cfg, weights, x))


@settings(max_examples=20)
@given(net=networks(max_size=12, max_channels=6, max_timesteps=8, kernels=(3, 5, 7)))
def test_numpy_and_torch_agree_on_larger_networks(net):
    cfg, weights, x = net
    assert_same_context(run_network(cfg, weights, x), run_network_torch(cfg, weights, x))
