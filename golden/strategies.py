"""Hypothesis strategies shared by the golden tests and the RTL testbenches.

- ``membrane_bits()``, ``neuron_params(V)``: neuron parameters within SPEC section 1.
- ``small_configs()``: valid random networks of mixed kinds, small enough to simulate fast.
- ``networks()``: ``(cfg, weights, x)`` with weight sparsity and spike density drawn in [0, 1].
- ``invalid_configs()``: a valid config with exactly one rule broken, and the field that the
  refusal message must name.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import strategies as st

from golden.config import (
    INPUT_KINDS,
    MEMBRANE_BITS_RANGE,
    PIXEL_BITS_RANGE,
    WEIGHT_BITS_RANGE,
    load_config,
)
from golden.network import random_input, random_weights
from golden.neuron import NeuronParams

#: Kernels drawn for conv layers by default; on frames of <= 8 pixels a 7x7 kernel is mostly
#: padding, so callers that want it pass ``kernels=`` explicitly.
CONV_KERNELS = (1, 3, 5)


def membrane_bits() -> st.SearchStrategy[int]:
    """Membrane width V in 4..32 (SPEC 1)."""
    return st.integers(*MEMBRANE_BITS_RANGE)


def _thresholds(bits: int) -> st.SearchStrategy[int]:
    v_max = (1 << (bits - 1)) - 1
    # Small thresholds make neurons fire in small networks (random currents are a few times
    # 2^(B-1)); the wide range and the two extremes still cover the whole of [1, 2^(V-1)-1].
    return st.one_of(st.integers(1, min(v_max, 4)), st.integers(1, min(v_max, 8)),
                     st.integers(1, min(v_max, 32)), st.integers(1, v_max),
                     st.sampled_from((1, v_max)))


def neuron_params(membrane_bits: int) -> st.SearchStrategy[NeuronParams]:
    """Any NeuronParams valid for width V: model, reset, ``threshold in [1, 2^(V-1)-1]``,
    ``leak_shift in [1, V-1]``."""
    return st.builds(NeuronParams,
                     model=st.sampled_from(("if", "lif")),
                     threshold=_thresholds(membrane_bits),
                     reset=st.sampled_from(("hard", "soft")),
                     # A long leak (large k) divides the current by 2^k: mostly keep it short.
                     leak_shift=st.one_of(st.integers(1, min(3, membrane_bits - 1)),
                                          st.integers(1, membrane_bits - 1)))


@st.composite
def _neuron_dicts(draw, bits: int) -> dict:
    params = draw(neuron_params(bits))
    neuron = {"model": params.model, "threshold": params.threshold, "reset": params.reset}
    if params.model == "lif":
        neuron["leak_shift"] = params.leak_shift
    return neuron


def _common_divisors(height: int, width: int) -> list[int]:
    return [s for s in range(2, min(height, width) + 1) if height % s == 0 and width % s == 0]


_hw_knobs = st.one_of(
    st.none(),
    st.just({}),
    st.fixed_dictionaries({}, optional={"parallel": st.integers(1, 4),
                                        "lanes": st.integers(1, 4),
                                        "group": st.integers(1, 16)}),
)


@st.composite
def small_configs(draw, max_layers: int = 5, max_channels: int = 4, max_size: int = 8,
                  max_timesteps: int = 6, max_features: int = 8,
                  input_kinds: tuple[str, ...] = INPUT_KINDS,
                  kernels: tuple[int, ...] = CONV_KERNELS) -> dict:
    """A valid random network (already normalised by ``load_config``).

    Mixed conv / maxpool / linear stacks of 1..max_layers layers with every neuron option, a
    pixels or spikes input of ``C <= max_channels``, ``H, W <= max_size``, ``T <= max_timesteps``
    and a last layer with a neuron or an accumulate readout.
    """
    bits = draw(membrane_bits())
    input_kind = draw(st.sampled_from(input_kinds))
    # Even sizes half of the time, so that max-pool layers have a divisor to work with.
    sizes = st.one_of(st.integers(1, max_size),
                      st.sampled_from(list(range(2, max_size + 1, 2)) or [1]))
    shape = [draw(st.integers(1, max_channels)), draw(sizes), draw(sizes)]
    input_cfg: dict = {"kind": input_kind, "shape": shape}
    if input_kind == "pixels":
        input_cfg["bits"] = draw(st.one_of(st.integers(*PIXEL_BITS_RANGE),
                                           st.sampled_from((1, 8))))
    n_layers = draw(st.integers(1, max_layers))
    layers = []
    height, width = shape[1], shape[2]
    after_linear = False
    for i in range(n_layers):
        is_last = i == n_layers - 1
        if after_linear:
            options = ["linear"]
        else:
            # Weighted towards conv and maxpool: a linear layer ends the spatial part.
            options = ["conv", "conv", "linear"]
            if 0 < i and not is_last and _common_divisors(height, width):
                options += ["maxpool", "maxpool"]
        kind = draw(st.sampled_from(options))
        layer: dict = {"kind": kind}
        if kind == "conv":
            layer["out_channels"] = draw(st.integers(1, max_channels))
            layer["kernel"] = draw(st.sampled_from(kernels))
        elif kind == "linear":
            layer["out_features"] = draw(st.integers(1, max_features))
            after_linear = True
        else:
            stride = draw(st.sampled_from(_common_divisors(height, width)))
            layer["kernel"] = stride
            height, width = height // stride, width // stride
        if kind != "maxpool":
            if is_last and draw(st.booleans()):
                layer["readout"] = "accumulate"
            else:
                layer["neuron"] = draw(_neuron_dicts(bits))
        hw = draw(_hw_knobs)
        if hw is not None:
            layer["hw"] = hw
        layers.append(layer)
    cfg = {
        "name": draw(st.sampled_from(("net", "hypothesis-net", "a b c"))),
        "timesteps": draw(st.integers(1, max_timesteps)),
        "input": input_cfg,
        "weight_bits": draw(st.integers(*WEIGHT_BITS_RANGE)),
        "membrane_bits": bits,
        "layers": layers,
    }
    return load_config(cfg)


#: A fraction in [0, 1]; the ends (all zero / all non-zero) one draw in ten each way.
_fractions = st.integers(0, 9).flatmap(
    lambda pick: st.just(0.0) if pick == 0 else st.just(1.0) if pick == 1 else st.floats(0.0, 1.0))


@st.composite
def networks(draw, **config_kwargs):
    """``(cfg, weights, x)``: a ``small_configs`` network, random weights with a sparsity drawn
    in [0, 1] (0 and 1 included) and one input sample with a spike density drawn in [0, 1]."""
    cfg = draw(small_configs(**config_kwargs))
    sparsity = draw(_fractions)
    density = draw(_fractions)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return cfg, random_weights(cfg, rng, sparsity), random_input(cfg, rng, density)


# ---------------------------------------------------------------------------------------------
# Breaking exactly one rule. Each breaker mutates a deep copy of a valid config and returns the
# field path the refusal must name. Structural breakers that need a particular layer pattern
# build a small layer list of their own so that they always apply.

def _valid_neuron() -> dict:
    return {"model": "if", "threshold": 1, "reset": "hard"}


def _neuron_layers(cfg: dict) -> list[int]:
    return [i for i, layer in enumerate(cfg["layers"]) if "neuron" in layer]


def _ensure_neuron_layer(draw, cfg: dict) -> int:
    """Index of a layer with a neuron, giving the last layer one if no layer has any."""
    candidates = _neuron_layers(cfg)
    if candidates:
        return draw(st.sampled_from(candidates))
    last = cfg["layers"][-1]
    last.pop("readout", None)
    last["neuron"] = _valid_neuron()
    return len(cfg["layers"]) - 1


def _spatial_prefix() -> list[dict]:
    """A valid conv + neuron layer that keeps H and W (for breakers that build a layer list)."""
    return [{"kind": "conv", "out_channels": 1, "kernel": 1, "neuron": _valid_neuron()}]


def _break_missing_top_key(draw, cfg):
    key = draw(st.sampled_from(("timesteps", "input", "weight_bits", "membrane_bits", "layers")))
    del cfg[key]
    return key


def _break_unknown_top_key(draw, cfg):
    key = draw(st.sampled_from(("clock_mhz", "Timesteps", "hw")))
    cfg[key] = 1
    return key


def _break_timesteps(draw, cfg):
    cfg["timesteps"] = draw(st.sampled_from((0, -1, True, 2.0, "4", None)))
    return "timesteps"


def _break_weight_bits(draw, cfg):
    cfg["weight_bits"] = draw(st.sampled_from((0, 1, 9, 16, 4.0, True, "4")))
    return "weight_bits"


def _break_membrane_bits(draw, cfg):
    cfg["membrane_bits"] = draw(st.sampled_from((0, 3, 33, 64, 16.0, False)))
    return "membrane_bits"


def _break_name(draw, cfg):
    cfg["name"] = draw(st.sampled_from((5, None, ["net"])))
    return "name"


def _break_input_kind(draw, cfg):
    cfg["input"]["kind"] = draw(st.sampled_from(("rate", "Pixels", 1, None)))
    return "input.kind"


def _break_input_shape(draw, cfg):
    c, h, w = cfg["input"]["shape"]
    cfg["input"]["shape"] = draw(st.sampled_from(
        ([c, h], [c, h, w, 1], [0, h, w], [c, -1, w], [c, h, 0], [c, h, float(w)],
         [c, True, w], "8x8", None)))
    return "input.shape"


def _break_input_bits(draw, cfg):
    if cfg["input"]["kind"] == "pixels":
        choice = draw(st.sampled_from((0, 17, 8.0, True, "missing")))
        if choice == "missing":
            del cfg["input"]["bits"]
        else:
            cfg["input"]["bits"] = choice
    else:
        cfg["input"]["bits"] = draw(st.sampled_from((0, 2, 8)))
    return "input.bits"


def _break_input_unknown_key(draw, cfg):
    cfg["input"]["encoding"] = "rate"
    return "input.encoding"


def _break_layers_container(draw, cfg):
    cfg["layers"] = draw(st.sampled_from(([], {}, None, "conv")))
    return "layers"


def _break_layer_unknown_key(draw, cfg):
    i = draw(st.integers(0, len(cfg["layers"]) - 1))
    key = draw(st.sampled_from(("stride", "padding", "Neuron")))
    cfg["layers"][i][key] = 1
    return f"layers[{i}].{key}"


def _break_layer_kind(draw, cfg):
    i = draw(st.integers(0, len(cfg["layers"]) - 1))
    choice = draw(st.sampled_from(("pool", "Conv", 3, "missing")))
    if choice == "missing":
        del cfg["layers"][i]["kind"]
    else:
        cfg["layers"][i]["kind"] = choice
    return f"layers[{i}].kind"


def _break_layer_not_object(draw, cfg):
    i = draw(st.integers(0, len(cfg["layers"]) - 1))
    cfg["layers"][i] = draw(st.sampled_from(("conv", 3, None, ["conv"])))
    return f"layers[{i}]"


def _break_conv_kernel(draw, cfg):
    convs = [i for i, layer in enumerate(cfg["layers"]) if layer["kind"] == "conv"]
    if not convs:
        cfg["layers"] = [{"kind": "conv", "out_channels": 2, "kernel": 3,
                          "readout": "accumulate"}]
        convs = [0]
    i = draw(st.sampled_from(convs))
    cfg["layers"][i]["kernel"] = draw(st.sampled_from((2, 4, 0, -1, 3.0, True, "3")))
    return f"layers[{i}].kernel"


def _break_width_field(draw, cfg):
    wide = [i for i, layer in enumerate(cfg["layers"]) if layer["kind"] in ("conv", "linear")]
    i = draw(st.sampled_from(wide))
    key = "out_channels" if cfg["layers"][i]["kind"] == "conv" else "out_features"
    choice = draw(st.sampled_from((0, -3, 2.0, True, "4", "missing")))
    if choice == "missing":
        del cfg["layers"][i][key]
    else:
        cfg["layers"][i][key] = choice
    return f"layers[{i}].{key}"


def _break_threshold(draw, cfg):
    i = _ensure_neuron_layer(draw, cfg)
    v_max = (1 << (cfg["membrane_bits"] - 1)) - 1
    choice = draw(st.sampled_from((0, -1, v_max + 1, 1 << 40, 1.5, True, "missing")))
    if choice == "missing":
        del cfg["layers"][i]["neuron"]["threshold"]
    else:
        cfg["layers"][i]["neuron"]["threshold"] = choice
    return f"layers[{i}].neuron.threshold"


def _break_leak_shift(draw, cfg):
    i = _ensure_neuron_layer(draw, cfg)
    neuron = cfg["layers"][i]["neuron"]
    choice = draw(st.sampled_from(("range_low", "range_high", "lif_missing", "on_if", "float")))
    if choice == "on_if":
        neuron["model"] = "if"
        neuron["leak_shift"] = 1
    else:
        neuron["model"] = "lif"
        neuron["leak_shift"] = {"range_low": 0, "range_high": cfg["membrane_bits"],
                                "float": 1.0, "lif_missing": 1}[choice]
        if choice == "lif_missing":
            del neuron["leak_shift"]
    return f"layers[{i}].neuron.leak_shift"


def _break_neuron_enum(draw, cfg):
    i = _ensure_neuron_layer(draw, cfg)
    key = draw(st.sampled_from(("model", "reset")))
    cfg["layers"][i]["neuron"][key] = draw(st.sampled_from(("izhikevich", "zero", "", 1, None)))
    return f"layers[{i}].neuron.{key}"


def _break_neuron_object(draw, cfg):
    i = _ensure_neuron_layer(draw, cfg)
    choice = draw(st.sampled_from(("unknown_key", "not_object", "missing_model", "missing_reset")))
    neuron = cfg["layers"][i]["neuron"]
    if choice == "unknown_key":
        neuron["tau"] = 2
        return f"layers[{i}].neuron.tau"
    if choice == "not_object":
        cfg["layers"][i]["neuron"] = "lif"
        return f"layers[{i}].neuron"
    key = choice.removeprefix("missing_")
    del neuron[key]
    return f"layers[{i}].neuron.{key}"


def _break_missing_neuron(draw, cfg):
    wide = [i for i, layer in enumerate(cfg["layers"])
            if layer["kind"] in ("conv", "linear") and "neuron" in layer]
    if not wide:
        wide = [_ensure_neuron_layer(draw, cfg)]
    i = draw(st.sampled_from(wide))
    del cfg["layers"][i]["neuron"]
    return f"layers[{i}].neuron"


def _break_readout_not_last(draw, cfg):
    if len(cfg["layers"]) < 2:
        cfg["layers"] = _spatial_prefix() + cfg["layers"]
    i = draw(st.integers(0, len(cfg["layers"]) - 2))
    while cfg["layers"][i]["kind"] == "maxpool":
        i -= 1        # layer 0 is never a maxpool, so this stops
    cfg["layers"][i]["readout"] = "accumulate"
    return f"layers[{i}].readout"


def _break_readout_value(draw, cfg):
    last = cfg["layers"][-1]
    choice = draw(st.sampled_from(("count", "both")))
    if choice == "both":
        last.setdefault("neuron", _valid_neuron())
        last["readout"] = "accumulate"
    else:
        last.pop("neuron", None)
        last["readout"] = draw(st.sampled_from(("count", "spikes", "", 1, None)))
    return f"layers[{len(cfg['layers']) - 1}].readout"


def _break_first_layer(draw, cfg):
    cfg["layers"].insert(0, {"kind": "maxpool", "kernel": 1})
    return "layers[0].kind"


def _break_last_layer(draw, cfg):
    last = cfg["layers"][-1]
    if last["kind"] == "linear":
        # A maxpool after a linear layer would break two rules: build a spatial net instead.
        cfg["layers"] = _spatial_prefix()
    else:
        last.pop("readout", None)
        last.setdefault("neuron", _valid_neuron())
    cfg["layers"].append({"kind": "maxpool", "kernel": 1})
    return f"layers[{len(cfg['layers']) - 1}].kind"


def _break_after_linear(draw, cfg):
    kind = draw(st.sampled_from(("conv", "maxpool")))
    cfg["layers"] = [{"kind": "linear", "out_features": 4, "neuron": _valid_neuron()}]
    if kind == "conv":
        cfg["layers"].append({"kind": "conv", "out_channels": 1, "kernel": 1,
                              "readout": "accumulate"})
    else:
        cfg["layers"] += [{"kind": "maxpool", "kernel": 1},
                          {"kind": "linear", "out_features": 2, "readout": "accumulate"}]
    return "layers[1].kind"


def _break_maxpool_kernel(draw, cfg):
    _, height, width = cfg["input"]["shape"]
    choice = draw(st.sampled_from(("indivisible", "zero", "string")))
    stride = {"indivisible": max(height, width) + 1, "zero": 0, "string": "2"}[choice]
    cfg["layers"] = _spatial_prefix() + [
        {"kind": "maxpool", "kernel": stride},
        {"kind": "linear", "out_features": 2, "readout": "accumulate"}]
    return "layers[1].kernel"


def _break_hw(draw, cfg):
    i = draw(st.integers(0, len(cfg["layers"]) - 1))
    cfg["layers"][i]["hw"] = draw(st.sampled_from(([1, 2], "P4", 4, None)))
    return f"layers[{i}].hw"


_BREAKERS = (
    _break_missing_top_key, _break_unknown_top_key, _break_timesteps, _break_weight_bits,
    _break_membrane_bits, _break_name, _break_input_kind, _break_input_shape, _break_input_bits,
    _break_input_unknown_key, _break_layers_container, _break_layer_unknown_key,
    _break_layer_kind, _break_layer_not_object, _break_conv_kernel, _break_width_field,
    _break_threshold, _break_leak_shift, _break_neuron_enum, _break_neuron_object,
    _break_missing_neuron, _break_readout_not_last, _break_readout_value, _break_first_layer,
    _break_last_layer, _break_after_linear, _break_maxpool_kernel, _break_hw,
)


@st.composite
def invalid_configs(draw):
    """``(cfg, field)``: a valid ``small_configs`` network with exactly one SPEC 1 rule broken,
    and the field path (e.g. ``"layers[2].kernel"``) the refusal message must contain."""
    cfg = copy.deepcopy(draw(small_configs(max_layers=4, max_size=6)))
    breaker = draw(st.sampled_from(_BREAKERS))
    field = breaker(draw, cfg)
    return cfg, field


#: A percentage; exactly 0 and 100 one draw in ten each (all zero / all non-zero).
percentages = st.integers(0, 9).flatmap(
    lambda pick: st.just(0) if pick == 8 else st.just(100) if pick == 9 else st.integers(0, 100))


def sparse_values(draw, count: int, values: st.SearchStrategy[int]) -> np.ndarray:
    """``count`` values (for ``st.composite`` strategies: ``draw`` is theirs), non-zero (drawn
    from ``values``) with a drawn probability (``percentages``); every one shrinks to 0."""
    percent = draw(percentages)
    units = draw(st.lists(st.integers(0, 99), min_size=count, max_size=count))
    return np.array([draw(values) if u >= 100 - percent else 0 for u in units],
                    dtype=np.int64)
