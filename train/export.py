"""Export a quantized ``SNN`` to a SPEC config + integer weights, and check it exactly.

The folding rule (docs/training.md): layer l has the LSQ step ``s_l`` and the unit
``u_l = s_l * c_l`` (``c_0 = 1/max_pixel`` for the pixel layer, 1 otherwise). Its float current
is ``I = u_l * (sum q * in + b_int)``, so dividing the whole neuron by ``u_l`` gives

    weight    q      = round(clamp(w / s_l, -2^(B-1), 2^(B-1)-1))
    bias      b_int  = clamp(round(b / u_l), -2^(V-1), 2^(V-1)-1)
    threshold th_int = clamp(round(theta / u_l), 1, 2^(V-1)-1)

and the membrane, in units of ``u_l``, is an integer. The quantized forward of ``SNN`` already
runs on exactly these integers (and floors the lif leak, saturates to V bits), so the export
only reads them out; ``check`` proves it on real inputs against both golden implementations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from golden.config import load_config, validate_weights
from golden.network import run_batch
from golden.torch_model import run_network_torch
from train.snn import SNN


def export(model: SNN, input_bits: int, name: str) -> tuple[dict, dict[str, np.ndarray]]:
    """SPEC config (validated by ``golden.config.load_config``) and ``L{i}.weight/bias`` int64
    arrays (validated by ``validate_weights``) of a model in its quantized mode."""
    if model.bits is None:
        raise ValueError("model: export needs the quantized mode (set_bits(B))")
    vbits = model.membrane_bits
    layers, weights = [], {}
    with torch.no_grad():
        for i, spec in enumerate(model.arch):
            layer = {k: v for k, v in spec.items() if k != "neuron"}
            module = model.layers[i]
            if spec["kind"] != "maxpool":
                weights[f"L{i}.weight"] = _as_int(module.int_weight(model.bits))
                weights[f"L{i}.bias"] = _as_int(module.int_bias(vbits))
            if "neuron" in spec:
                neuron = {"model": spec["neuron"]["model"]}
                if spec["neuron"]["model"] == "lif":
                    neuron["leak_shift"] = int(spec["neuron"]["leak_shift"])
                neuron["threshold"] = int(_as_int(module.int_theta(vbits)))
                neuron["reset"] = spec["neuron"]["reset"]
                layer["neuron"] = neuron
            layers.append(layer)
    cfg = {
        "name": name,
        "timesteps": model.timesteps,
        "input": {"kind": "pixels", "shape": list(model.in_shape), "bits": int(input_bits)},
        "weight_bits": int(model.bits),
        "membrane_bits": vbits,
        "layers": layers,
    }
    load_config(cfg)
    weights = validate_weights(cfg, weights)
    return cfg, weights


def _as_int(t: torch.Tensor) -> np.ndarray:
    arr = t.detach().cpu().numpy()
    out = np.rint(arr).astype(np.int64)
    if not np.array_equal(out, arr):
        raise AssertionError("a folded parameter is not an integer")
    return out


def save(out_dir: Path, cfg: dict, weights: dict[str, np.ndarray]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    np.savez_compressed(out_dir / "weights.npz", **{k: v.astype(np.int64)
                                                    for k, v in weights.items()})


def load(model_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(config, weights)`` of an exported model folder, both validated."""
    model_dir = Path(model_dir)
    cfg = load_config(model_dir / "config.json")
    with np.load(model_dir / "weights.npz") as data:
        weights = validate_weights(cfg, {k: data[k] for k in data.files})
    return cfg, weights


@torch.no_grad()
def torch_integer_forward(model: SNN, x: np.ndarray, batch: int = 512) -> dict[str, np.ndarray]:
    """The training model's quantized forward on ``x``: ``prediction [N]``, integer
    ``readout [N, ...]`` and per layer ``out{i}`` spikes ``[N, T, ...]`` (SPEC 4 layout)."""
    model.eval()
    parts: dict[str, list] = {}
    for start in range(0, len(x), batch):
        rec: dict = {}
        logits = model(torch.as_tensor(x[start:start + batch], dtype=torch.float32), record=rec)
        parts.setdefault("prediction", []).append(logits.argmax(1).numpy())
        parts.setdefault("readout", []).append(rec["readout"].numpy())
        for key, val in rec.items():
            if key.startswith("out"):
                parts.setdefault(key, []).append(val.transpose(0, 1).numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


def check(model: SNN, cfg: dict, weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
          with_torch_golden: bool = True) -> dict:
    """Run ``x`` through the exported network with ``golden.network.run_batch`` (and
    ``golden.torch_model``) and compare with the training model's integer forward: predictions,
    readouts and every layer's spikes must be equal. Also reports how often the float model
    (same latent weights, no quantization) predicts the same. Raises AssertionError on any
    mismatch."""
    bits = model.bits
    ours = torch_integer_forward(model, x)
    gold = run_batch(cfg, weights, x)
    last = len(cfg["layers"]) - 1
    mismatches = []
    if not np.array_equal(gold["prediction"], ours["prediction"]):
        mismatches.append("prediction")
    readout = ours["readout"]
    if not np.array_equal(gold[f"L{last}.out"], np.rint(readout).astype(np.int64)) \
            or not np.array_equal(np.rint(readout), readout):
        mismatches.append("readout")
    for i in range(last):
        if not np.array_equal(gold[f"L{i}.out"], ours[f"out{i}"].astype(np.uint8)):
            mismatches.append(f"L{i}.out")
    torch_golden_equal = None
    if with_torch_golden:
        tpred = np.array([run_network_torch(cfg, weights, sample).prediction for sample in x])
        torch_golden_equal = bool(np.array_equal(tpred, gold["prediction"]))
        if not torch_golden_equal:
            mismatches.append("golden.torch_model prediction")
    if mismatches:
        raise AssertionError("exported network differs from the torch integer forward: "
                             + ", ".join(mismatches))
    model.integer_neuron = False
    try:
        fake_pred = torch_integer_forward(model, x)["prediction"]
    finally:
        model.integer_neuron = True
    model.set_bits(None, init_step=False)
    try:
        float_pred = torch_integer_forward(model, x)["prediction"]
    finally:
        model.set_bits(bits, init_step=False)
    pred = gold["prediction"]
    return {
        "samples": int(len(x)),
        "golden_equals_torch_integer": True,
        "golden_torch_model_equal": torch_golden_equal,
        "integer_accuracy": float((pred == y).mean()),
        "fake_quant_accuracy": float((fake_pred == y).mean()),
        "float_accuracy": float((float_pred == y).mean()),
        "integer_vs_fake_quant_agreement": float((pred == fake_pred).mean()),
        "integer_vs_float_agreement": float((pred == float_pred).mean()),
    }
