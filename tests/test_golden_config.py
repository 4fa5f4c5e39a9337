"""golden.config: SPEC section 1 rules, normalisation, weights and inputs."""

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.config import (
    ConfigError,
    InputError,
    WeightError,
    current_bounds,
    fan_in,
    layer_shapes,
    load_config,
    validate_input,
    validate_weights,
    weight_shapes,
)
from golden.network import random_weights
from golden.strategies import invalid_configs, networks, small_configs

SPEC_EXAMPLE = {
    "name": "digits-c16-c32-fc10",
    "timesteps": 4,
    "input": {"kind": "pixels", "shape": [1, 8, 8], "bits": 8},
    "weight_bits": 4,
    "membrane_bits": 16,
    "layers": [
        {"kind": "conv", "out_channels": 16, "kernel": 3,
         "neuron": {"model": "lif", "leak_shift": 1, "threshold": 24, "reset": "hard"}},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "conv", "out_channels": 32, "kernel": 3,
         "neuron": {"model": "if", "threshold": 9, "reset": "soft"}},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "linear", "out_features": 10, "readout": "accumulate"},
    ],
}


def _example(**changes):
    cfg = copy.deepcopy(SPEC_EXAMPLE)
    cfg.update(changes)
    return cfg


def _refusal(cfg) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    return str(info.value)


# ---------------------------------------------------------------------------------------------
# loading and normalising

def test_spec_example_loads_and_is_normalised():
    cfg = load_config(SPEC_EXAMPLE)
    assert cfg["name"] == "digits-c16-c32-fc10"
    assert all(layer["hw"] == {} for layer in cfg["layers"])
    assert cfg["layers"][2]["neuron"] == {"model": "if", "threshold": 9, "reset": "soft"}
    assert cfg["layers"][0]["neuron"]["leak_shift"] == 1
    assert "hw" not in SPEC_EXAMPLE["layers"][0]      # the source is not modified
    assert load_config(cfg) == cfg                    # idempotent


def test_sources_path_json_string_and_dict_agree(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(SPEC_EXAMPLE))
    from_dict = load_config(SPEC_EXAMPLE)
    assert load_config(path) == from_dict
    assert load_config(str(path)) == from_dict
    assert load_config(json.dumps(SPEC_EXAMPLE, indent=2)) == from_dict
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="invalid JSON"):
        load_config('{"timesteps": 4,')
    with pytest.raises(ConfigError, match="must be a dict"):
        load_config(42)


def test_result_is_a_deep_copy():
    source = copy.deepcopy(SPEC_EXAMPLE)
    source["layers"][0]["hw"] = {"parallel": 4}
    cfg = load_config(source)
    cfg["layers"][0]["hw"]["parallel"] = 8
    cfg["layers"][0]["neuron"]["threshold"] = 1
    assert source["layers"][0]["hw"] == {"parallel": 4}
    assert source["layers"][0]["neuron"]["threshold"] == 24


def test_defaults_name_spike_bits_and_hw():
    cfg = copy.deepcopy(SPEC_EXAMPLE)
    del cfg["name"]
    cfg["input"] = {"kind": "spikes", "shape": [2, 8, 8]}
    loaded = load_config(cfg)
    assert loaded["name"] == "unnamed"
    assert loaded["input"] == {"kind": "spikes", "shape": [2, 8, 8], "bits": 1}
    cfg["input"]["bits"] = 1                           # explicit 1 is accepted for spikes
    assert load_config(cfg)["input"]["bits"] == 1


def test_numpy_integers_and_tuples_are_accepted_in_a_dict():
    cfg = _example(timesteps=np.int64(4))
    cfg["input"]["shape"] = (1, np.int32(8), 8)
    loaded = load_config(cfg)
    assert loaded["timesteps"] == 4 and type(loaded["timesteps"]) is int
    assert loaded["input"]["shape"] == [1, 8, 8]


def test_layer_shapes_of_spec_example():
    assert layer_shapes(SPEC_EXAMPLE) == [
        ((1, 8, 8), (16, 8, 8)),
        ((16, 8, 8), (16, 4, 4)),
        ((16, 4, 4), (32, 4, 4)),
        ((32, 4, 4), (32, 2, 2)),
        ((32, 2, 2), (10,)),
    ]
    assert weight_shapes(SPEC_EXAMPLE) == {
        "L0.weight": (16, 1, 3, 3), "L0.bias": (16,),
        "L2.weight": (32, 16, 3, 3), "L2.bias": (32,),
        "L4.weight": (10, 128), "L4.bias": (10,),
    }
    assert [fan_in(SPEC_EXAMPLE, i) for i in (0, 2, 4)] == [9, 144, 128]
    # 2^(V-1) + fanin * 2^(B-1) * in_max: 32768 + 9*8*255, 32768 + 144*8, 32768 + 128*8.
    assert current_bounds(SPEC_EXAMPLE) == [32768 + 9 * 8 * 255, None, 32768 + 1152, None,
                                            32768 + 1024]


# ---------------------------------------------------------------------------------------------
# refusals, one rule at a time (messages name the field)

def _with_layer(index, **changes):
    cfg = copy.deepcopy(SPEC_EXAMPLE)
    cfg["layers"][index].update(changes)
    return cfg


def _without(cfg, *path):
    *parents, key = path
    node = cfg
    for step in parents:
        node = node[step]
    del node[key]
    return cfg


REFUSALS = [
    (_example(timesteps=0), "timesteps: must be >= 1, got 0"),
    (_example(timesteps=True), "timesteps: must be an integer, not bool"),
    (_example(timesteps=4.0), "timesteps: must be an integer, not float"),
    (_example(weight_bits=1), "weight_bits: must be in [2, 8], got 1"),
    (_example(weight_bits=9), "weight_bits: must be in [2, 8], got 9"),
    (_example(membrane_bits=3), "membrane_bits: must be in [4, 32], got 3"),
    (_example(membrane_bits=33), "membrane_bits: must be in [4, 32], got 33"),
    (_example(input={"kind": "rate", "shape": [1, 8, 8]}), "input.kind: must be one of"),
    (_example(input={"kind": "pixels", "shape": [8, 8], "bits": 8}), "input.shape: must have 3"),
    (_example(input={"kind": "pixels", "shape": [1, 0, 8], "bits": 8}), "input.shape[1]"),
    (_example(input={"kind": "pixels", "shape": [1, 8, 8], "bits": 17}), "input.bits"),
    (_example(input={"kind": "pixels", "shape": [1, 8, 8], "bits": 0}), "input.bits"),
    (_example(input={"kind": "pixels", "shape": [1, 8, 8]}), "input.bits: required"),
    (_example(input={"kind": "spikes", "shape": [1, 8, 8], "bits": 8}), "input.bits: must be 1"),
    (_example(clock=1), "clock: unknown key"),
    (_without(_example(), "layers"), "layers: required"),
    (_example(layers=[]), "layers: must contain at least one layer"),
    (_with_layer(2, kernel=4), "layers[2].kernel: must be odd, got 4"),
    (_with_layer(1, kernel=3), "layers[1].kernel: must divide the input height 8 and width 8"),
    (_with_layer(0, kind="dense"), "layers[0].kind: must be one of"),
    (_with_layer(0, stride=1), "layers[0].stride: unknown key"),
    (_with_layer(0, out_channels=0), "layers[0].out_channels: must be >= 1"),
    (_with_layer(4, out_features=0), "layers[4].out_features: must be >= 1"),
    (_with_layer(4, readout="count"), "layers[4].readout: must be one of 'accumulate'"),
    (_with_layer(4, neuron={"model": "if", "threshold": 1, "reset": "hard"}),
     "layers[4].readout: a layer has either a neuron or a readout, not both"),
    (_with_layer(2, readout="accumulate"), "layers[2].readout: only the last layer"),
    (_without(_example(), "layers", 2, "neuron"), "layers[2].neuron: required"),
    (_without(_example(), "layers", 4, "readout"), "layers[4].neuron: required: the last layer"),
    (_with_layer(0, neuron={"model": "lif", "threshold": 24, "reset": "hard"}),
     "layers[0].neuron.leak_shift: required for model 'lif'"),
    (_with_layer(2, neuron={"model": "if", "threshold": 9, "reset": "soft", "leak_shift": 1}),
     "layers[2].neuron.leak_shift: only allowed with model 'lif'"),
    (_with_layer(0, neuron={"model": "lif", "threshold": 24, "reset": "hard", "leak_shift": 16}),
     "layers[0].neuron.leak_shift: must be in [1, 15], got 16"),
    (_with_layer(0, neuron={"model": "lif", "threshold": 24, "reset": "hard", "leak_shift": 0}),
     "layers[0].neuron.leak_shift: must be in [1, 15], got 0"),
    (_with_layer(2, neuron={"model": "if", "threshold": 32768, "reset": "soft"}),
     "layers[2].neuron.threshold: must be in [1, 32767], got 32768"),
    (_with_layer(2, neuron={"model": "if", "threshold": 0, "reset": "soft"}),
     "layers[2].neuron.threshold: must be in [1, 32767], got 0"),
    (_with_layer(2, neuron={"model": "if", "threshold": 9, "reset": "zero"}),
     "layers[2].neuron.reset: must be one of"),
    (_with_layer(2, hw=[4]), "layers[2].hw: must be an object"),
    (_with_layer(0, hw={"wide_beat": 1}),
     "layers[0].hw.wide_beat: must be true or false, not int, got 1"),
    (_example(layers=[{"kind": "maxpool", "kernel": 2}] + SPEC_EXAMPLE["layers"]),
     "layers[0].kind: the first layer must be conv or linear"),
    (_example(layers=SPEC_EXAMPLE["layers"][:4]), "layers[3].kind: the last layer must be"),
    (_example(layers=[{"kind": "linear", "out_features": 4,
                       "neuron": {"model": "if", "threshold": 1, "reset": "hard"}},
                      {"kind": "conv", "out_channels": 1, "kernel": 1,
                       "readout": "accumulate"}]),
     "layers[1].kind: only linear layers may follow the linear layers[0]"),
]


@pytest.mark.parametrize("cfg, message", REFUSALS, ids=[m.split(":")[0] for _, m in REFUSALS])
def test_each_rule_is_refused_with_its_field(cfg, message):
    assert message in _refusal(cfg)
    # The same document as JSON text is refused the same way.
    assert message in _refusal(json.dumps(cfg))


def test_maxpool_directly_on_pixels_is_refused():
    # A maxpool can only act on spikes; as layer 0 of a pixels network it would see pixels.
    cfg = _example(layers=[{"kind": "maxpool", "kernel": 1},
                           {"kind": "linear", "out_features": 2, "readout": "accumulate"}])
    assert "layers[0].kind: the first layer must be conv or linear (a maxpool acts only on " \
           "spikes)" in _refusal(cfg)


def test_json_specific_refusals():
    text = json.dumps(SPEC_EXAMPLE)
    assert "timesteps: must be an integer, not float" in _refusal(
        text.replace('"timesteps": 4', '"timesteps": 4.0'))
    assert "timesteps: must be an integer, not float" in _refusal(
        text.replace('"timesteps": 4', '"timesteps": 4e0'))
    assert "timesteps: duplicate key" in _refusal(text[:-1] + ', "timesteps": 2}')
    assert "NaN" in _refusal(text.replace('"timesteps": 4', '"timesteps": NaN'))


def test_int64_headroom_rule():
    # One linear neuron over 2^40 pixels of 16 bits with 8-bit weights:
    # |I| <= 2^31 + 2^40 * 2^7 * (2^16 - 1) ~ 2^63 - 2^47: one timestep fits int64, two do not.
    cfg = {"timesteps": 1, "input": {"kind": "pixels", "shape": [1, 2**20, 2**20], "bits": 16},
           "weight_bits": 8, "membrane_bits": 32,
           "layers": [{"kind": "linear", "out_features": 1, "readout": "accumulate"}]}
    load_config(cfg)
    cfg["timesteps"] = 2
    assert "layers[0]: worst-case |current| times timesteps must fit int64" in _refusal(cfg)


@settings(max_examples=400)
@given(case=invalid_configs())
def test_any_broken_config_is_refused_naming_the_field(case):
    cfg, field = case
    assert field in _refusal(cfg)
    assert field in _refusal(json.dumps(cfg))


@settings(max_examples=150)
@given(cfg=small_configs())
def test_valid_configs_round_trip_through_json(cfg):
    assert load_config(json.dumps(cfg)) == cfg
    assert load_config(cfg) == cfg
    shapes = layer_shapes(cfg)
    assert shapes[0][0] == tuple(cfg["input"]["shape"])
    assert all(shapes[i][1] == shapes[i + 1][0] for i in range(len(shapes) - 1))


# ---------------------------------------------------------------------------------------------
# weights

def _spec_weights():
    return random_weights(SPEC_EXAMPLE, np.random.default_rng(7), 0.5)


def test_validate_weights_accepts_and_copies():
    weights = _spec_weights()
    weights["L0.weight"] = weights["L0.weight"].astype(np.int8)
    original_bias = int(weights["L0.bias"][0])
    checked = validate_weights(SPEC_EXAMPLE, weights)
    assert set(checked) == set(weight_shapes(SPEC_EXAMPLE))
    assert all(v.dtype == np.int64 for v in checked.values())
    assert np.array_equal(checked["L0.weight"], weights["L0.weight"])
    checked["L0.bias"][0] = original_bias + 1          # already int64: still a copy
    assert weights["L0.bias"][0] == original_bias


CONV0 = (16, 1, 3, 3)


@pytest.mark.parametrize("key, value, message", [
    ("L0.weight", np.full(CONV0, 8), "L0.weight: weights (4 bits) must be in [-8, 7], got 8"),
    ("L0.weight", np.full(CONV0, -9), "L0.weight: weights (4 bits) must be in [-8, 7], got -9"),
    ("L0.weight", np.zeros(CONV0, dtype=np.float32), "L0.weight: must have an integer dtype"),
    ("L0.weight", np.zeros(CONV0, dtype=bool), "L0.weight: must have an integer dtype"),
    ("L0.weight", np.zeros((16, 1, 5, 5), dtype=np.int64), "L0.weight: shape must be (16, 1, 3, 3)"),
    ("L4.weight", np.zeros((10, 127), dtype=np.int64), "L4.weight: shape must be (10, 128)"),
    ("L2.bias", np.full(32, 2**15), "L2.bias: biases (16 bits) must be in [-32768, 32767]"),
    ("L2.bias", np.full(32, 2**63 - 1, dtype=np.uint64) + np.uint64(5), "L2.bias: biases"),
    ("L1.weight", np.zeros((1,), dtype=np.int64), "L1.weight: unexpected key"),
])
def test_validate_weights_refusals(key, value, message):
    weights = _spec_weights()
    weights[key] = value
    with pytest.raises(WeightError) as info:
        validate_weights(SPEC_EXAMPLE, weights)
    assert message in str(info.value)


def test_validate_weights_boundaries_and_missing():
    weights = _spec_weights()
    weights["L0.weight"][0, 0, 0, :] = [-8, 7, 0]
    weights["L2.bias"][:2] = [-32768, 32767]
    validate_weights(SPEC_EXAMPLE, weights)
    del weights["L4.bias"]
    with pytest.raises(WeightError, match="L4.bias: missing"):
        validate_weights(SPEC_EXAMPLE, weights)
    with pytest.raises(WeightError, match="weights: must be a mapping"):
        validate_weights(SPEC_EXAMPLE, [1, 2])


@st.composite
def _corrupted_weights(draw):
    cfg, weights, _ = draw(networks(max_layers=3))
    key = draw(st.sampled_from(sorted(weights)))
    kind = draw(st.sampled_from(("high", "low", "shape", "float", "missing", "extra")))
    bits = cfg["weight_bits"] if key.endswith(".weight") else cfg["membrane_bits"]
    arr = weights[key].copy()
    flat_index = draw(st.integers(0, arr.size - 1))
    if kind == "high":
        arr.reshape(-1)[flat_index] = 2 ** (bits - 1)
    elif kind == "low":
        arr.reshape(-1)[flat_index] = -(2 ** (bits - 1)) - 1
    elif kind == "shape":
        arr = np.zeros((*arr.shape[:-1], arr.shape[-1] + 1), dtype=np.int64)
    elif kind == "float":
        arr = arr.astype(np.float64)
    weights = dict(weights)
    if kind == "missing":
        del weights[key]
    elif kind == "extra":
        key = f"L{len(cfg['layers'])}.weight"
        weights[key] = np.zeros(1, dtype=np.int64)
    else:
        weights[key] = arr
    return cfg, weights, key


@settings(max_examples=100)
@given(case=_corrupted_weights())
def test_validate_weights_refuses_any_corruption(case):
    cfg, weights, key = case
    with pytest.raises(WeightError) as info:
        validate_weights(cfg, weights)
    assert str(info.value).startswith(f"{key}: ")


# ---------------------------------------------------------------------------------------------
# inputs

def test_validate_input_pixels():
    ok = np.full((1, 8, 8), 255, dtype=np.uint8)
    assert validate_input(SPEC_EXAMPLE, ok).dtype == np.int64
    for bad, message in [
        (np.full((1, 8, 8), 256), "input: pixel values (8 bits) must be in [0, 255], got 256"),
        (np.full((1, 8, 8), -1), "got -1"),
        (np.zeros((8, 8), dtype=np.int64), "input: pixels shape must be (1, 8, 8)"),
        (np.zeros((4, 1, 8, 8), dtype=np.int64), "input: pixels shape"),
        (np.zeros((1, 8, 8)), "input: must have an integer dtype"),
    ]:
        with pytest.raises(InputError) as info:
            validate_input(SPEC_EXAMPLE, bad)
        assert message in str(info.value)


def test_validate_input_spikes():
    cfg = _example(input={"kind": "spikes", "shape": [1, 8, 8]})
    assert validate_input(cfg, np.ones((4, 1, 8, 8), dtype=bool)).sum() == 256
    assert validate_input(cfg, np.zeros((4, 1, 8, 8), dtype=np.uint8)).dtype == np.int64
    for bad, message in [
        (np.full((4, 1, 8, 8), 2), "input: spike values must be in [0, 1], got 2"),
        (np.zeros((1, 8, 8), dtype=np.int64), "input: spikes shape must be (4, 1, 8, 8)"),
        (np.zeros((3, 1, 8, 8), dtype=np.int64), "input: spikes shape"),
    ]:
        with pytest.raises(InputError) as info:
            validate_input(cfg, bad)
        assert message in str(info.value)
    assert issubclass(InputError, ValueError) and issubclass(InputError, ConfigError)
