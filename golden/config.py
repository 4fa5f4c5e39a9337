"""Network configs, weights and inputs: parsing and validation (SPEC section 1).

``load_config`` refuses every rule of SPEC section 1 with a message that starts with the field's
path (``layers[2].kernel: must be odd, got 4``) and returns a normalised deep copy.
``validate_weights`` and ``validate_input`` check the integer tensors of SPEC section 4 against a
config. Decisions SPEC leaves open are listed in ``docs/golden.md``.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from golden.arith import sat_bounds


class ConfigError(ValueError):
    """A config breaks a rule of SPEC section 1; the message starts with the field's path."""


class WeightError(ValueError):
    """A weight or bias tensor does not match its config; the message starts with the key."""


class InputError(ConfigError):
    """An input sample does not match its config (shape, dtype or value range)."""


LAYER_KINDS = ("conv", "linear", "maxpool")
NEURON_MODELS = ("if", "lif")
RESET_MODES = ("hard", "soft")
INPUT_KINDS = ("pixels", "spikes")
READOUT_MODES = ("accumulate",)
#: Per-layer hardware knobs (SPEC 1 "hw") and their defaults: output channels in parallel (P),
#: effectual pairs per bank and cycle (L), bitmap group width (G). docs/network.md.
HW_KNOBS = {"parallel": 2, "lanes": 2, "group": 16}
#: On/off hardware knobs (booleans, off when absent): ``wide_beat``, a pixel per beat out of
#: the dense input core (docs/dense_input_core.md, "A pixel per beat").
HW_FLAGS = ("wide_beat",)
HW_GROUP_MAX = 32

TIMESTEPS_MIN = 1
WEIGHT_BITS_RANGE = (2, 8)
MEMBRANE_BITS_RANGE = (4, 32)
PIXEL_BITS_RANGE = (1, 16)

INT64_MAX = (1 << 63) - 1

_TOP_REQUIRED = ("timesteps", "input", "weight_bits", "membrane_bits", "layers")
_TOP_OPTIONAL = ("name",)
_LAYER_KEYS = {
    "conv": (("kind", "out_channels", "kernel"), ("neuron", "readout", "hw")),
    "linear": (("kind", "out_features"), ("neuron", "readout", "hw")),
    "maxpool": (("kind", "kernel"), ("hw",)),
}
_NEURON_REQUIRED = ("model", "threshold", "reset")
_NEURON_OPTIONAL = ("leak_shift",)
DEFAULT_NAME = "unnamed"


def _fail(field: str, rule: str, *got) -> None:
    """Raise ConfigError('field: rule, got value'); ``got`` is optional (zero or one value)."""
    suffix = f", got {got[0]!r}" if got else ""
    raise ConfigError(f"{field}: {rule}{suffix}")


def _describe_type(value) -> str:
    return type(value).__name__


def _int_field(field: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """An integer field: Python/NumPy integers only; bool, float (even 3.0) and str are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        _fail(field, f"must be an integer, not {_describe_type(value)}", value)
    value = int(value)
    if lo is not None and hi is not None and not lo <= value <= hi:
        _fail(field, f"must be in [{lo}, {hi}]", value)
    if lo is not None and hi is None and value < lo:
        _fail(field, f"must be >= {lo}", value)
    return value


def _str_field(field: str, value, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str):
        _fail(field, f"must be a string, not {_describe_type(value)}", value)
    if choices is not None and value not in choices:
        _fail(field, "must be one of " + ", ".join(repr(c) for c in choices), value)
    return value


def _check_object(field: str, value, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    """A JSON object with exactly the allowed keys; unknown keys are refused by name."""
    if not isinstance(value, Mapping):
        _fail(field or "config", f"must be an object, not {_describe_type(value)}")
    allowed = required + optional
    prefix = f"{field}." if field else ""
    for key in value:
        if key not in allowed:
            _fail(f"{prefix}{key}", "unknown key (allowed: " + ", ".join(allowed) + ")")
    for key in required:
        if key not in value:
            _fail(f"{prefix}{key}", "required")
    return dict(value)


def _refuse_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            _fail(str(key), "duplicate key in JSON")
        result[key] = value
    return result


def _refuse_constant(name):
    _fail("config", f"non-standard JSON constant {name} is not allowed")


def _parse_json(text: str, origin: str) -> dict:
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicate_keys,
                          parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise ConfigError(f"config: invalid JSON in {origin}: {err}") from None


def _read_source(source) -> Mapping:
    """Accept a dict, a JSON string (first non-blank character ``{``) or a path to a JSON file."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return _parse_json(source, "string")
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"config: cannot read {path}: {err}") from None
        return _parse_json(text, str(path))
    raise ConfigError("config: must be a dict, a JSON string or a path, not "
                      f"{_describe_type(source)}")


def _validate_neuron(field: str, neuron, membrane_bits: int) -> dict:
    neuron = _check_object(field, neuron, _NEURON_REQUIRED, _NEURON_OPTIONAL)
    model = _str_field(f"{field}.model", neuron["model"], NEURON_MODELS)
    _, v_max = sat_bounds(membrane_bits)
    out = {
        "model": model,
        "threshold": _int_field(f"{field}.threshold", neuron["threshold"], 1, v_max),
        "reset": _str_field(f"{field}.reset", neuron["reset"], RESET_MODES),
    }
    if model == "lif":
        if "leak_shift" not in neuron:
            _fail(f"{field}.leak_shift", "required for model 'lif'")
        out["leak_shift"] = _int_field(f"{field}.leak_shift", neuron["leak_shift"], 1,
                                       membrane_bits - 1)
    elif "leak_shift" in neuron:
        # A leak on an integrate-and-fire neuron would be silently ignored: refuse it instead.
        _fail(f"{field}.leak_shift", "only allowed with model 'lif'", neuron["leak_shift"])
    return out


def check_hw_knobs(field: str, hw) -> dict:
    """The one rule for a layer's ``hw`` knobs, whatever the layer kind: an object whose keys are
    known knobs (``HW_KNOBS``), each an integer >= 1, ``group`` at most ``HW_GROUP_MAX``, or
    flags (``HW_FLAGS``), each true or false.
    Knobs larger than the layer are clipped by the generator (``vectors.network_top._hw``,
    docs/network.md), not here: the golden model does not know the cores."""
    if not isinstance(hw, Mapping):
        _fail(field, f"must be an object, not {_describe_type(hw)}")
    for key, value in hw.items():
        if key in HW_FLAGS:
            if not isinstance(value, bool):
                _fail(f"{field}.{key}", f"must be true or false, not {_describe_type(value)}",
                      value)
            continue
        if key not in HW_KNOBS:
            _fail(field, f"unknown knob {key!r} (known: " + ", ".join((*HW_KNOBS, *HW_FLAGS))
                  + ")")
        _int_field(f"{field}.{key}", value, 1)
    if hw.get("group", 1) > HW_GROUP_MAX:
        _fail(f"{field}.group", f"at most {HW_GROUP_MAX} (a bitmap word travels in the 32-bit "
                                "configuration port)", hw["group"])
    return {key: (value if key in HW_FLAGS else int(value)) for key, value in hw.items()}


def _validate_hw(field: str, hw) -> dict:
    # Hardware knobs change timing only (SPEC 1); still, a misspelt or nonsensical knob is
    # refused here, on every layer kind, so no tool accepts a config another refuses.
    return check_hw_knobs(field, hw)


def _validate_input(inp) -> dict:
    inp = _check_object("input", inp, ("kind", "shape"), ("bits",))
    kind = _str_field("input.kind", inp["kind"], INPUT_KINDS)
    shape = inp["shape"]
    if not isinstance(shape, (list, tuple)):
        _fail("input.shape", f"must be a list [C, H, W], not {_describe_type(shape)}", shape)
    if len(shape) != 3:
        _fail("input.shape", "must have 3 entries [C, H, W]", list(shape))
    shape = [_int_field(f"input.shape[{k}]", s, 1) for k, s in enumerate(shape)]
    if kind == "pixels":
        if "bits" not in inp:
            _fail("input.bits", "required for kind 'pixels'")
        bits = _int_field("input.bits", inp["bits"], *PIXEL_BITS_RANGE)
    else:
        # Spikes are one bit; an explicit "bits" is tolerated only when it says so.
        bits = _int_field("input.bits", inp.get("bits", 1))
        if bits != 1:
            _fail("input.bits", "must be 1 for kind 'spikes'", bits)
    return {"kind": kind, "shape": shape, "bits": bits}


def _validate_layers(layers, input_cfg: dict, membrane_bits: int) -> list[dict]:
    if not isinstance(layers, list):
        _fail("layers", f"must be a list, not {_describe_type(layers)}")
    if not layers:
        _fail("layers", "must contain at least one layer")
    last = len(layers) - 1
    shape: tuple[int, ...] = tuple(input_cfg["shape"])
    first_linear: int | None = None
    out_layers = []
    for i, layer in enumerate(layers):
        f = f"layers[{i}]"
        if not isinstance(layer, Mapping):
            _fail(f, f"must be an object, not {_describe_type(layer)}")
        if "kind" not in layer:
            _fail(f"{f}.kind", "required")
        kind = _str_field(f"{f}.kind", layer["kind"], LAYER_KINDS)
        required, optional = _LAYER_KEYS[kind]
        layer = _check_object(f, layer, required, optional)

        # Position rules (SPEC 1): first and last are conv/linear, only linear after linear.
        if i == 0 and kind not in ("conv", "linear"):
            _fail(f"{f}.kind", "the first layer must be conv or linear "
                               "(a maxpool acts only on spikes)", kind)
        if i == last and kind not in ("conv", "linear"):
            _fail(f"{f}.kind", "the last layer must be conv or linear", kind)
        if first_linear is not None and kind != "linear":
            _fail(f"{f}.kind", f"only linear layers may follow the linear layers[{first_linear}]",
                  kind)

        out: dict = {"kind": kind}
        if kind == "conv":
            out["out_channels"] = _int_field(f"{f}.out_channels", layer["out_channels"], 1)
            kernel = _int_field(f"{f}.kernel", layer["kernel"], 1)
            if kernel % 2 == 0:
                _fail(f"{f}.kernel", "must be odd", kernel)
            out["kernel"] = kernel
            shape = (out["out_channels"], shape[1], shape[2])
        elif kind == "linear":
            out["out_features"] = _int_field(f"{f}.out_features", layer["out_features"], 1)
            if first_linear is None:
                first_linear = i
            shape = (out["out_features"],)
        else:
            stride = _int_field(f"{f}.kernel", layer["kernel"], 1)
            _, height, width = shape
            if height % stride or width % stride:
                _fail(f"{f}.kernel", f"must divide the input height {height} and width {width}",
                      stride)
            out["kernel"] = stride
            shape = (shape[0], height // stride, width // stride)

        if kind in ("conv", "linear"):
            has_neuron = "neuron" in layer
            if "readout" in layer:
                if i != last:
                    _fail(f"{f}.readout", "only the last layer may carry a readout")
                if has_neuron:
                    _fail(f"{f}.readout", "a layer has either a neuron or a readout, not both")
                out["readout"] = _str_field(f"{f}.readout", layer["readout"], READOUT_MODES)
            elif not has_neuron:
                if i == last:
                    _fail(f"{f}.neuron", "required: the last layer needs a neuron or "
                                         "\"readout\": \"accumulate\"")
                _fail(f"{f}.neuron", "required: every conv/linear layer but the last has a neuron")
            if has_neuron:
                out["neuron"] = _validate_neuron(f"{f}.neuron", layer["neuron"], membrane_bits)
        out["hw"] = _validate_hw(f"{f}.hw", layer.get("hw", {}))
        out_layers.append(out)
    return out_layers


def _check_int64_headroom(cfg: dict) -> None:
    """Project rule: every exact intermediate of the golden model must fit int64 (docs/golden.md).

    The largest one is the accumulate readout, ``T * max|I|``; the membrane update adds at most
    ``2^(V-1)`` to a current. Realistic networks are ~2^40 below this limit.
    """
    timesteps = cfg["timesteps"]
    v_half = 1 << (cfg["membrane_bits"] - 1)
    for i, bound in enumerate(_current_bounds_of_valid(cfg)):
        if bound is not None and timesteps * (bound + v_half) > INT64_MAX:
            _fail(f"layers[{i}]", "worst-case |current| times timesteps must fit int64",
                  bound)


def load_config(source) -> dict:
    """Parse and validate a network config (SPEC section 1); return a normalised deep copy.

    ``source`` is a dict, a JSON string or a path (``str``/``Path``) to a JSON file. Rules:
    ``T >= 1``; ``B in 2..8``; ``V in 4..32``; pixels ``A in 1..16``; layer kinds conv/linear/
    maxpool; first and last layer conv/linear; only linear after linear; odd conv kernel; maxpool
    kernel divides H and W; every conv/linear has a ``neuron`` except that the last may carry
    ``"readout": "accumulate"`` instead; ``threshold in [1, 2^(V-1)-1]``; lif ``leak_shift in
    [1, V-1]``; unknown keys and wrong types (bool is not int, 3.0 is not int) are refused.
    Normalisation: ``name`` defaults to ``"unnamed"``, every layer gets ``"hw": {}`` when absent,
    a spikes input gets ``"bits": 1``, integers become Python ``int`` and shapes lists.
    Raises ConfigError whose message starts with the offending field.
    """
    raw = _read_source(source)
    raw = _check_object("", raw, _TOP_REQUIRED, _TOP_OPTIONAL)
    name = _str_field("name", raw["name"]) if "name" in raw else DEFAULT_NAME
    timesteps = _int_field("timesteps", raw["timesteps"], TIMESTEPS_MIN)
    weight_bits = _int_field("weight_bits", raw["weight_bits"], *WEIGHT_BITS_RANGE)
    membrane_bits = _int_field("membrane_bits", raw["membrane_bits"], *MEMBRANE_BITS_RANGE)
    input_cfg = _validate_input(raw["input"])
    layers = _validate_layers(raw["layers"], input_cfg, membrane_bits)
    cfg = {
        "name": name,
        "timesteps": timesteps,
        "input": input_cfg,
        "weight_bits": weight_bits,
        "membrane_bits": membrane_bits,
        "layers": layers,
    }
    _check_int64_headroom(cfg)
    return cfg


def _shapes_of_valid(cfg: dict) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    shape = tuple(cfg["input"]["shape"])
    result = []
    for layer in cfg["layers"]:
        if layer["kind"] == "conv":
            out = (layer["out_channels"], shape[1], shape[2])
        elif layer["kind"] == "linear":
            out = (layer["out_features"],)
        else:
            stride = layer["kernel"]
            out = (shape[0], shape[1] // stride, shape[2] // stride)
        result.append((shape, out))
        shape = out
    return result


def layer_shapes(cfg) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per layer ``(in_shape, out_shape)``, without the time axis.

    conv ``(C, H, W) -> (Co, H, W)``; maxpool ``(C, H, W) -> (C, H/S, W/S)``;
    linear ``anything -> (F,)`` (its input is flattened in ``(c, y, x)`` order).
    """
    return _shapes_of_valid(load_config(cfg))


def fan_in(cfg, index: int) -> int:
    """Fan-in of one output neuron of layer ``index``: conv ``Ci*K*K``, linear
    ``prod(in_shape)``."""
    cfg = load_config(cfg)
    return _fan_in_of_valid(cfg, _shapes_of_valid(cfg), index)


def _fan_in_of_valid(cfg: dict, shapes, index: int) -> int:
    layer = cfg["layers"][index]
    in_shape = shapes[index][0]
    if layer["kind"] == "conv":
        return in_shape[0] * layer["kernel"] * layer["kernel"]
    if layer["kind"] == "linear":
        return math.prod(in_shape)
    raise ValueError(f"layers[{index}]: a {layer['kind']} layer has no weights")


def current_bounds(cfg) -> list[int | None]:
    """Per layer, an upper bound of ``|I[t]|`` (None for maxpool), for sizing accumulators.

    Equation: ``2^(V-1) + fanin * 2^(B-1) * in_max`` with ``in_max = 2^A - 1`` for the first
    layer of a pixels network and 1 for spikes (``|b| <= 2^(V-1)``, ``|w| <= 2^(B-1)``).
    """
    return _current_bounds_of_valid(load_config(cfg))


def _current_bounds_of_valid(cfg: dict) -> list[int | None]:
    shapes = _shapes_of_valid(cfg)
    bounds: list[int | None] = []
    for i, layer in enumerate(cfg["layers"]):
        if layer["kind"] == "maxpool":
            bounds.append(None)
            continue
        in_max = (1 << cfg["input"]["bits"]) - 1 if i == 0 else 1
        bounds.append((1 << (cfg["membrane_bits"] - 1))
                      + _fan_in_of_valid(cfg, shapes, i) * (1 << (cfg["weight_bits"] - 1)) * in_max)
    return bounds


def weight_shapes(cfg) -> dict[str, tuple[int, ...]]:
    """Expected parameter tensors (SPEC 4): ``L{i}.weight`` conv ``[Co, Ci, K, K]`` / linear
    ``[O, I]`` and ``L{i}.bias`` ``[Co]`` / ``[O]`` for every conv and linear layer ``i``."""
    cfg = load_config(cfg)
    shapes = _shapes_of_valid(cfg)
    expected: dict[str, tuple[int, ...]] = {}
    for i, layer in enumerate(cfg["layers"]):
        in_shape = shapes[i][0]
        if layer["kind"] == "conv":
            k = layer["kernel"]
            expected[f"L{i}.weight"] = (layer["out_channels"], in_shape[0], k, k)
            expected[f"L{i}.bias"] = (layer["out_channels"],)
        elif layer["kind"] == "linear":
            expected[f"L{i}.weight"] = (layer["out_features"], math.prod(in_shape))
            expected[f"L{i}.bias"] = (layer["out_features"],)
    return expected


def _integer_array(key: str, value, error: type[ValueError]) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise error(f"{key}: must have an integer dtype, got {arr.dtype}")
    return arr


def _range_check(key: str, arr: np.ndarray, lo: int, hi: int, what: str,
                 error: type[ValueError]) -> None:
    if arr.size == 0:
        return
    # Python ints so a uint64 or int64 extreme compares exactly.
    a_min, a_max = int(arr.min()), int(arr.max())
    if a_min < lo or a_max > hi:
        bad = a_min if a_min < lo else a_max
        raise error(f"{key}: {what} must be in [{lo}, {hi}], got {bad}")


def validate_weights(cfg, weights: Mapping) -> dict[str, np.ndarray]:
    """Check the parameters of a network against its config; return int64 copies.

    Keys are exactly ``L{i}.weight`` and ``L{i}.bias`` for the conv/linear layers (SPEC 4);
    weights are integers in ``[-2^(B-1), 2^(B-1)-1]``, biases integers in
    ``[-2^(V-1), 2^(V-1)-1]``. Raises WeightError naming the key (missing, unexpected, dtype,
    shape or range).
    """
    cfg = load_config(cfg)
    if not isinstance(weights, Mapping):
        raise WeightError(f"weights: must be a mapping of name -> array, not "
                          f"{_describe_type(weights)}")
    expected = weight_shapes(cfg)
    unexpected = sorted(set(weights) - set(expected), key=str)
    if unexpected:
        raise WeightError(f"{unexpected[0]}: unexpected key (expected: "
                          + ", ".join(expected) + ")")
    w_lo, w_hi = sat_bounds(cfg["weight_bits"])
    b_lo, b_hi = sat_bounds(cfg["membrane_bits"])
    checked = {}
    for key, shape in expected.items():
        if key not in weights:
            raise WeightError(f"{key}: missing")
        arr = _integer_array(key, weights[key], WeightError)
        if arr.shape != shape:
            raise WeightError(f"{key}: shape must be {shape}, got {arr.shape}")
        if key.endswith(".weight"):
            _range_check(key, arr, w_lo, w_hi, f"weights ({cfg['weight_bits']} bits)", WeightError)
        else:
            _range_check(key, arr, b_lo, b_hi, f"biases ({cfg['membrane_bits']} bits)",
                         WeightError)
        checked[key] = arr.astype(np.int64, copy=True)
    return checked


def validate_input(cfg, x) -> np.ndarray:
    """Check one input sample against its config; return it as an int64 copy.

    pixels: shape ``[C, H, W]``, integer dtype, values in ``[0, 2^A - 1]``.
    spikes: shape ``[T, C, H, W]``, integer or bool dtype, values in ``{0, 1}``.
    Raises InputError naming the problem.
    """
    cfg = load_config(cfg)
    inp = cfg["input"]
    arr = np.asarray(x)
    if inp["kind"] == "pixels":
        shape = tuple(inp["shape"])
        if arr.shape != shape:
            raise InputError(f"input: pixels shape must be {shape} ([C, H, W]), got {arr.shape}")
        arr = _integer_array("input", arr, InputError)
        _range_check("input", arr, 0, (1 << inp["bits"]) - 1,
                     f"pixel values ({inp['bits']} bits)", InputError)
    else:
        shape = (cfg["timesteps"], *inp["shape"])
        if arr.shape != shape:
            raise InputError(f"input: spikes shape must be {shape} ([T, C, H, W]), got {arr.shape}")
        if arr.dtype != np.bool_:
            arr = _integer_array("input", arr, InputError)
            _range_check("input", arr, 0, 1, "spike values", InputError)
    return arr.astype(np.int64, copy=True)
