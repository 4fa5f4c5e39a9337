"""Known answers (derived by hand from SPEC section 2) and properties of golden.layers and
golden.network."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.config import WeightError, layer_shapes, load_config, weight_shapes
from golden.layers import (
    conv_currents,
    flatten_chw,
    linear_currents,
    maxpool_spikes,
    predict,
    readout_accumulate,
    readout_count,
)
from golden.network import random_input, random_weights, run_batch, run_network
from golden.strategies import networks

FRAME_3X3 = np.array([[1, 2, 3],
                      [4, 5, 6],
                      [7, 8, 9]], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# conv: known answers

def test_conv_3x3_padding_at_every_border():
    # Output channel 0 has positional weights w[ky][kx] = 10^(3*ky + kx): with single-digit
    # inputs, decimal digit 3*ky+kx of I[y][x] is the input under tap (ky, kx), 0 in the
    # padding. So I[y][x] written in decimal is the 3x3 receptive field read backwards
    # (bottom-right tap first). E.g. the top-left corner sees [0,0,0, 0,1,2, 0,4,5] -> 540210000.
    # Output channel 1 has all-ones weights and bias -45: the field's sum minus 45.
    positional = np.array([[10 ** (3 * ky + kx) for kx in range(3)] for ky in range(3)])
    weight = np.stack([positional, np.ones((3, 3), dtype=np.int64)])[:, None]   # [2, 1, 3, 3]
    bias = np.array([0, -45])
    out = conv_currents(FRAME_3X3[None, None], weight, bias)
    assert out.shape == (1, 2, 3, 3) and out.dtype == np.int64
    assert out[0, 0].tolist() == [
        [540210000, 654321000, 65032000],    # top-left corner, top edge, top-right corner
        [870540210, 987654321, 98065032],    # left edge, centre (no padding), right edge
        [870540, 987654, 98065],             # bottom-left corner, bottom edge, bottom-right
    ]
    # Field sums: corners 1+2+4+5=12, 2+3+5+6=16, 4+5+7+8=24, 5+6+8+9=28; edges
    # 1..6=21, 1+2+4+5+7+8=27, 2+3+5+6+8+9=33, 4..9=39; centre 45.
    assert out[0, 1].tolist() == [[12 - 45, 21 - 45, 16 - 45],
                                  [27 - 45, 0, 33 - 45],
                                  [24 - 45, 39 - 45, 28 - 45]]


def test_conv_5x5_impulses_in_opposite_corners():
    # K = 5, P = 2, w[ky][kx] = 10*ky + kx, a 4x4 frame holding one spike.
    # A spike at (iy, ix) reaches I[y][x] through tap (iy - y + 2, ix - x + 2) when both are in
    # 0..4, so I[y][x] = 10*(iy - y + 2) + (ix - x + 2) there and 0 elsewhere.
    # t0: spike at (0, 3) (top-right): I = 10*(2-y) + (5-x) for y <= 2, x >= 1.
    # t1: spike at (3, 0) (bottom-left): I = 10*(5-y) + (2-x) for y >= 1, x <= 2.
    weight = np.array([[10 * ky + kx for kx in range(5)] for ky in range(5)])[None, None]
    frames = np.zeros((2, 1, 4, 4), dtype=np.int64)
    frames[0, 0, 0, 3] = 1
    frames[1, 0, 3, 0] = 1
    out = conv_currents(frames, weight, np.array([0]))
    assert out[0, 0].tolist() == [[0, 24, 23, 22],
                                  [0, 14, 13, 12],
                                  [0, 4, 3, 2],
                                  [0, 0, 0, 0]]
    assert out[1, 0].tolist() == [[0, 0, 0, 0],
                                  [42, 41, 40, 0],
                                  [32, 31, 30, 0],
                                  [22, 21, 20, 0]]


def test_conv_k1_mixes_channels_per_pixel():
    # I[co] = b[co] + sum_ci w[co][ci] * in[ci] at each pixel.
    # ch0 = [[1,0],[0,1]], ch1 = [[0,1],[1,1]]; w = [[3,-2],[-1,5]], b = [1, 0].
    # out0 = 1 + 3*ch0 - 2*ch1 = [[4,-1],[-1,2]]; out1 = -ch0 + 5*ch1 = [[-1,5],[5,4]].
    inp = np.array([[[[1, 0], [0, 1]], [[0, 1], [1, 1]]]])
    weight = np.array([[3, -2], [-1, 5]])[:, :, None, None]
    out = conv_currents(inp, weight, np.array([1, 0]))
    assert out[0].tolist() == [[[4, -1], [-1, 2]], [[-1, 5], [5, 4]]]


def test_conv_refuses_even_kernel_and_channel_mismatch():
    with pytest.raises(ValueError, match="K odd"):
        conv_currents(np.zeros((1, 1, 3, 3)).astype(int), np.zeros((1, 1, 2, 2)).astype(int),
                      np.zeros(1).astype(int))
    with pytest.raises(ValueError, match="weight"):
        conv_currents(np.zeros((1, 2, 3, 3)).astype(int), np.zeros((1, 1, 3, 3)).astype(int),
                      np.zeros(1).astype(int))


# ---------------------------------------------------------------------------------------------
# linear, flatten, maxpool, readouts, prediction: known answers

def test_linear_known_answer():
    # t0: in [1,0,1] -> [-1 + 2 + 4, 5 + 1 + 1] = [5, 7]; t1: in [0,1,1] -> [-1 - 3 + 4, 7].
    inp = np.array([[1, 0, 1], [0, 1, 1]])
    out = linear_currents(inp, np.array([[2, -3, 4], [1, 1, 1]]), np.array([-1, 5]))
    assert out.tolist() == [[5, 7], [0, 7]]


def test_flatten_order_is_c_y_x():
    # x[t, c, y, x] = 100c + 10y + x with C=2, H=2, W=3: element index c*H*W + y*W + x.
    c, y, x = np.meshgrid(np.arange(2), np.arange(2), np.arange(3), indexing="ij")
    frame = (100 * c + 10 * y + x)[None]
    flat = flatten_chw(frame)
    assert flat.tolist() == [[0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]]
    assert flat[0, 1 * 6 + 1 * 3 + 2] == 112


def test_maxpool_is_or_over_windows():
    # t0: spikes at (0,0) and (3,3) -> top-left and bottom-right windows fire.
    # t1: the top-right window is full, the bottom-left has one spike at (3,1), the rest empty.
    spikes = np.zeros((2, 1, 4, 4), dtype=np.uint8)
    spikes[0, 0, 0, 0] = spikes[0, 0, 3, 3] = 1
    spikes[1, 0, 0:2, 2:4] = 1
    spikes[1, 0, 3, 1] = 1
    assert maxpool_spikes(spikes, 2)[:, 0].tolist() == [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]
    assert maxpool_spikes(spikes, 4)[:, 0].tolist() == [[[1]], [[1]]]
    assert np.array_equal(maxpool_spikes(spikes, 1), spikes)
    assert maxpool_spikes(spikes, 2).dtype == np.uint8
    with pytest.raises(ValueError, match="divide"):
        maxpool_spikes(spikes, 3)
    with pytest.raises(ValueError, match="binary"):
        maxpool_spikes(spikes * 2, 2)


def test_readout_accumulate_versus_count():
    # accumulate: [3-1... ] column sums of I: [3+2-4, -1+5+1] = [1, 5] (no saturation).
    # count: column sums of s: [1+1+0, 0+1+1] = [2, 2].
    assert readout_accumulate(np.array([[3, -1], [2, 5], [-4, 1]])).tolist() == [1, 5]
    assert readout_count(np.array([[1, 0], [1, 1], [0, 1]], dtype=np.uint8)).tolist() == [2, 2]
    assert readout_count(np.ones((300, 1), dtype=np.uint8)).tolist() == [300]   # no uint8 wrap
    big = np.full((4, 1), 2**40)
    assert readout_accumulate(big).tolist() == [2**42]


def test_prediction_ties_go_to_lowest_index():
    assert predict(np.array([3, 7, 7, 1])) == 1
    assert predict(np.array([-5, -3, -3])) == 1
    assert predict(np.zeros(4, dtype=np.int64)) == 0
    # [C, H, W] readouts flatten in (c, y, x): [[5,2],[5,9]] -> [5,2,5,9] -> index 3.
    assert predict(np.array([[5, 2], [5, 9]])) == 3
    # [2, 2, 2]: flat [4,1,0,4, 4,0,0,0]: the three 4s tie, the first (index 0) wins.
    assert predict(np.array([[[4, 1], [0, 4]], [[4, 0], [0, 0]]])) == 0


# ---------------------------------------------------------------------------------------------
# run_network: hand-computed networks

TINY_LINEAR_NET = {
    "name": "tiny-linear",
    "timesteps": 3,
    "input": {"kind": "pixels", "shape": [1, 1, 3], "bits": 2},
    "weight_bits": 4,
    "membrane_bits": 8,
    "layers": [
        {"kind": "linear", "out_features": 2,
         "neuron": {"model": "if", "threshold": 4, "reset": "soft"}},
        {"kind": "linear", "out_features": 2, "readout": "accumulate"},
    ],
}


def test_run_network_tiny_pixels_net_by_hand():
    # x = [1, 2, 3] at every t. L0: W=[[1,1,0],[0,-1,1]], b=0 -> I = [3, 1] at every t.
    #   n0 (if, theta 4, soft): u 3 -> v3; u 6 -> s, v2; u 5 -> s, v1: spikes [0,1,1].
    #   n1: u 1, 2, 3, never fires: membranes [1, 2, 3].
    # L1: W=[[2,-1],[-3,4]], b=[1,8]: s=[0,0] -> [1,8]; s=[1,0] -> [3,5]; again [3,5].
    #   accumulate: [1+3+3, 8+5+5] = [7, 18] -> prediction 1.
    weights = {"L0.weight": np.array([[1, 1, 0], [0, -1, 1]]), "L0.bias": np.array([0, 0]),
               "L1.weight": np.array([[2, -1], [-3, 4]]), "L1.bias": np.array([1, 8])}
    ctx = run_network(TINY_LINEAR_NET, weights, np.array([[[1, 2, 3]]]))
    first, second = ctx.layers
    assert first.inp.tolist() == [[1, 2, 3]] * 3
    assert first.current.tolist() == [[3, 1]] * 3
    assert first.spikes.tolist() == [[0, 0], [1, 0], [1, 0]]
    assert first.membranes.tolist() == [[3, 1], [2, 2], [1, 3]]
    assert first.readout is None
    assert second.current.tolist() == [[1, 8], [3, 5], [3, 5]]
    assert second.spikes is None and second.membranes is None
    assert ctx.readout.tolist() == [7, 18] and second.readout.tolist() == [7, 18]
    assert ctx.prediction == 1


def test_run_network_spiking_conv_then_counting_linear_by_hand():
    # Spikes [T=2, 1, 2, 2]: t0 [[1,0],[0,1]], t1 [[1,1],[0,0]].
    # L0 conv K=1, w=4, b=-1: I = 4s - 1 -> t0 [[3,-1],[-1,3]], t1 [[3,3],[-1,-1]].
    #   lif k=1 theta 1 hard, u = (v + I) >>> 1:
    #   (0,0): (0+3)>>>1=1 s, v0; (0+3)>>>1=1 s, v0       -> spikes [1,1], v [0,0]
    #   (0,1): (0-1)>>>1=-1, v-1; (-1+3)>>>1=1 s, v0      -> spikes [0,1], v [-1,0]
    #   (1,0): -1, v-1; (-1-1)>>>1=-1, v-1                -> spikes [0,0], v [-1,-1]
    #   (1,1): 1 s, v0; (0-1)>>>1=-1, v-1                 -> spikes [1,0], v [0,-1]
    # L1 linear on the (c,y,x) flattening: t0 [1,0,0,1], t1 [1,1,0,0];
    #   W=[[1,2,3,4],[0,4,0,5]], b=0, if theta 3 hard:
    #   o0: I 5 -> s, v0; I 3 -> s -> count 2.   o1: I 5 -> s; I 4 -> s -> count 2.
    #   readout [2, 2]: a tie, prediction 0.
    cfg = {
        "timesteps": 2, "input": {"kind": "spikes", "shape": [1, 2, 2]},
        "weight_bits": 4, "membrane_bits": 8,
        "layers": [
            {"kind": "conv", "out_channels": 1, "kernel": 1,
             "neuron": {"model": "lif", "threshold": 1, "reset": "hard", "leak_shift": 1}},
            {"kind": "linear", "out_features": 2,
             "neuron": {"model": "if", "threshold": 3, "reset": "hard"}},
        ],
    }
    weights = {"L0.weight": np.array([[[[4]]]]), "L0.bias": np.array([-1]),
               "L1.weight": np.array([[1, 2, 3, 4], [0, 4, 0, 5]]), "L1.bias": np.array([0, 0])}
    x = np.array([[[[1, 0], [0, 1]]], [[[1, 1], [0, 0]]]], dtype=np.uint8)
    ctx = run_network(cfg, weights, x)
    conv, linear = ctx.layers
    assert conv.current[:, 0].tolist() == [[[3, -1], [-1, 3]], [[3, 3], [-1, -1]]]
    assert conv.spikes[:, 0].tolist() == [[[1, 0], [0, 1]], [[1, 1], [0, 0]]]
    assert conv.membranes[:, 0].tolist() == [[[0, -1], [-1, 0]], [[0, 0], [-1, -1]]]
    assert linear.inp.tolist() == [[1, 0, 0, 1], [1, 1, 0, 0]]
    assert linear.current.tolist() == [[5, 5], [3, 4]]
    assert linear.spikes.tolist() == [[1, 1], [1, 1]]
    assert ctx.readout.tolist() == [2, 2]
    assert ctx.prediction == 0


def test_accumulate_readout_is_not_saturated_in_a_network():
    # V = 4 ([-8, 7]) but no neuron: I = 3 + 7 * 255 = 1788 at every t, far beyond 4 bits;
    # the readout is the exact 3 * 1788 = 5364 (and the second output 3 * (-8 * 255 - 8)).
    cfg = {"timesteps": 3, "input": {"kind": "pixels", "shape": [1, 1, 1], "bits": 8},
           "weight_bits": 4, "membrane_bits": 4,
           "layers": [{"kind": "linear", "out_features": 2, "readout": "accumulate"}]}
    weights = {"L0.weight": np.array([[7], [-8]]), "L0.bias": np.array([3, -8])}
    ctx = run_network(cfg, weights, np.full((1, 1, 1), 255))
    assert ctx.layers[0].current.tolist() == [[1788, -2048]] * 3
    assert ctx.readout.tolist() == [5364, -6144]
    assert ctx.prediction == 0


def test_run_network_validates_its_arguments():
    weights = {"L0.weight": np.zeros((2, 3), dtype=np.int64), "L0.bias": np.zeros(2, np.int64),
               "L1.weight": np.zeros((2, 2), dtype=np.int64), "L1.bias": np.zeros(2, np.int64)}
    run_network(TINY_LINEAR_NET, weights, np.zeros((1, 1, 3), dtype=np.int64))
    with pytest.raises(WeightError, match="L1.weight"):
        run_network(TINY_LINEAR_NET, {**weights, "L1.weight": np.full((2, 2), 8)},
                    np.zeros((1, 1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="input"):
        run_network(TINY_LINEAR_NET, weights, np.full((1, 1, 3), 4))


# ---------------------------------------------------------------------------------------------
# references written straight from the SPEC formulas, for the properties below

def _conv_by_formula(inp, weight, bias):
    steps, in_channels, height, width = inp.shape
    out_channels, _, kernel, _ = weight.shape
    pad = kernel // 2
    out = np.zeros((steps, out_channels, height, width), dtype=np.int64)
    for t in range(steps):
        for co in range(out_channels):
            for y in range(height):
                for x in range(width):
                    total = int(bias[co])
                    for ci in range(in_channels):
                        for ky in range(kernel):
                            for kx in range(kernel):
                                yy, xx = y + ky - pad, x + kx - pad
                                if 0 <= yy < height and 0 <= xx < width:
                                    total += int(weight[co, ci, ky, kx]) * int(inp[t, ci, yy, xx])
                    out[t, co, y, x] = total
    return out


@st.composite
def _conv_cases(draw):
    steps, in_ch, out_ch = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kernel = draw(st.sampled_from((1, 3, 5, 7)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    in_max = draw(st.sampled_from((1, 255, 65535)))
    inp = rng.integers(0, in_max, (steps, in_ch, height, width), endpoint=True)
    weight = rng.integers(-128, 127, (out_ch, in_ch, kernel, kernel), endpoint=True)
    weight[rng.random(weight.shape) < draw(st.floats(0, 1))] = 0
    bias = rng.integers(-(2**31), 2**31 - 1, out_ch, endpoint=True)
    return inp, weight, bias


@settings(max_examples=60)
@given(case=_conv_cases())
def test_conv_matches_the_spec_formula(case):
    inp, weight, bias = case
    assert np.array_equal(conv_currents(inp, weight, bias), _conv_by_formula(inp, weight, bias))


@settings(max_examples=100)
@given(steps=st.integers(1, 4), n_in=st.integers(1, 12), n_out=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1))
def test_linear_matches_the_spec_formula(steps, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    inp = rng.integers(0, 2, (steps, n_in))
    weight = rng.integers(-8, 7, (n_out, n_in), endpoint=True)
    bias = rng.integers(-100, 100, n_out)
    expected = [[int(bias[o]) + sum(int(weight[o, i]) * int(inp[t, i]) for i in range(n_in))
                 for o in range(n_out)] for t in range(steps)]
    assert linear_currents(inp, weight, bias).tolist() == expected


@settings(max_examples=100)
@given(steps=st.integers(1, 3), channels=st.integers(1, 3), blocks=st.integers(1, 3),
       stride=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_maxpool_matches_the_spec_formula(steps, channels, blocks, stride, seed):
    rng = np.random.default_rng(seed)
    size = blocks * stride
    spikes = (rng.random((steps, channels, size, size)) < 0.2).astype(np.uint8)
    out = maxpool_spikes(spikes, stride)
    for t, c, y, x in np.ndindex(out.shape):
        expected = any(spikes[t, c, stride * y + dy, stride * x + dx]
                       for dy in range(stride) for dx in range(stride))
        assert out[t, c, y, x] == int(expected)


# ---------------------------------------------------------------------------------------------
# network-level properties

@settings(max_examples=50)
@given(net=networks())
def test_network_spikes_are_binary_and_membranes_in_range(net):
    cfg, weights, x = net
    ctx = run_network(cfg, weights, x)
    lo, hi = sat_bounds(cfg["membrane_bits"])
    steps = cfg["timesteps"]
    for layer_cfg, result in zip(cfg["layers"], ctx.layers):
        assert result.inp.shape[0] == steps
        if result.spikes is not None:
            assert result.spikes.dtype == np.uint8
            assert set(np.unique(result.spikes).tolist()) <= {0, 1}
        if "neuron" in layer_cfg:
            assert result.membranes.dtype == np.int64
            assert lo <= result.membranes.min() and result.membranes.max() <= hi
    last_cfg, last = cfg["layers"][-1], ctx.layers[-1]
    expected = last.spikes.sum(axis=0) if "neuron" in last_cfg else last.current.sum(axis=0)
    assert np.array_equal(ctx.readout, expected) and ctx.readout.dtype == np.int64
    assert ctx.prediction == int(np.argmax(ctx.readout.reshape(-1)))


@st.composite
def _batches(draw):
    cfg, weights, _ = draw(networks(max_layers=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_samples = draw(st.integers(1, 3))
    return cfg, weights, [random_input(cfg, rng, 0.4) for _ in range(n_samples)]


@settings(max_examples=30)
@given(batch=_batches())
def test_run_batch_matches_spec_section_4(batch):
    cfg, weights, samples = batch
    arrays = run_batch(cfg, weights, samples)
    n_samples, steps = len(samples), cfg["timesteps"]
    last = len(cfg["layers"]) - 1
    channels, height, width = cfg["input"]["shape"]
    expected_keys = {"input", "prediction", *weight_shapes(cfg)}
    if cfg["input"]["kind"] == "pixels":
        assert arrays["input"].shape == (n_samples, channels, height, width)
        assert arrays["input"].dtype == (np.uint8 if cfg["input"]["bits"] <= 8 else np.uint16)
    else:
        assert arrays["input"].shape == (n_samples, steps, channels, height, width)
        assert arrays["input"].dtype == np.uint8
    for key, shape in weight_shapes(cfg).items():
        assert arrays[key].shape == shape and arrays[key].dtype == np.int64
    contexts = [run_network(cfg, weights, x) for x in samples]
    shapes = layer_shapes(cfg)
    for i, layer in enumerate(cfg["layers"]):
        out = arrays[f"L{i}.out"]
        expected_keys.add(f"L{i}.out")
        if i == last:
            assert out.dtype == np.int64
            assert out.shape == (n_samples, *shapes[i][1])
            if "neuron" in layer:
                expected_keys.add(f"L{i}.spikes")
                assert arrays[f"L{i}.spikes"].dtype == np.uint8
                assert arrays[f"L{i}.spikes"].shape == (n_samples, steps, *out.shape[1:])
        else:
            assert out.dtype == np.uint8 and out.shape == (n_samples, steps, *shapes[i][1])
        for n, ctx in enumerate(contexts):
            reference = ctx.layers[i].readout if i == last else ctx.layers[i].spikes
            assert np.array_equal(out[n], reference)
    assert set(arrays) == expected_keys
    assert arrays["prediction"].dtype == np.int64
    assert arrays["prediction"].tolist() == [ctx.prediction for ctx in contexts]


# ---------------------------------------------------------------------------------------------
# random parameters

def test_random_weights_sparsity_extremes_and_ranges():
    cfg = load_config({**TINY_LINEAR_NET, "weight_bits": 3})
    rng = np.random.default_rng(1)
    dense = random_weights(cfg, rng, 0.0)
    assert all((dense[k] != 0).all() for k in dense if k.endswith(".weight"))
    assert all(dense[k].min() >= -4 and dense[k].max() <= 3 for k in dense if k.endswith(".weight"))
    empty = random_weights(cfg, rng, 1.0)
    assert all((empty[k] == 0).all() for k in empty if k.endswith(".weight"))
    # Every bias within +-2^(B+1) = +-16, then clipped to V bits.
    assert all(np.abs(dense[k]).max() <= 16 for k in dense if k.endswith(".bias"))


def test_random_weights_draws_every_nonzero_value():
    cfg = load_config({**TINY_LINEAR_NET, "weight_bits": 2,
                       "layers": [{"kind": "linear", "out_features": 200,
                                   "readout": "accumulate"}]})
    values = random_weights(cfg, np.random.default_rng(2), 0.5)["L0.weight"]
    # B = 2: [-2, 1] without 0 is {-2, -1, 1}; about half the weights are 0.
    assert set(np.unique(values).tolist()) == {-2, -1, 0, 1}
    assert 0.4 < (values == 0).mean() < 0.6
    # Biases: uniform over [-2^(B+1), 2^(B+1)] = [-8, 8]; 200 draws reach both ends' sides.
    bias = random_weights(cfg, np.random.default_rng(3), 0.5)["L0.bias"]
    assert bias.min() < 0 < bias.max() and np.abs(bias).max() <= 8


def test_random_input_ranges():
    rng = np.random.default_rng(3)
    pixels = random_input(TINY_LINEAR_NET, rng)
    assert pixels.shape == (1, 1, 3) and pixels.min() >= 0 and pixels.max() <= 3
    spiking = {**TINY_LINEAR_NET, "input": {"kind": "spikes", "shape": [2, 4, 4]}}
    assert random_input(spiking, rng, 0.0).sum() == 0
    assert (random_input(spiking, rng, 1.0) == 1).all()
    assert random_input(spiking, rng).shape == (3, 2, 4, 4)
