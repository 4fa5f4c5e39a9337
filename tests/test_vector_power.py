"""Vectors that test (vectors/power.py, vectors/sensitivity.py, golden/inputs.py; docs/vectors.md):
random weights are calibrated until every layer spikes at a useful rate and the readouts differ
(or refused, the layer named), the reported spike rates are the golden model's, a bundle catches
a planted RTL bug, and one input path feeds bundles, training and the network testbench."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from golden.config import load_config
from golden.inputs import digit_images, digit_pixels, spike_inputs
from golden.network import random_weights, run_batch, run_network
from vectors import bundle as B
from vectors import power as P
from vectors import sensitivity as S

REPO = Path(__file__).resolve().parent.parent

#: The reported case: a four-layer spike network whose random draw (seed 1) leaves layer 0
#: silent for every sample and gives 4 identical readouts.
SPIKE4 = {
    "name": "spike4", "timesteps": 4, "input": {"kind": "spikes", "shape": [2, 8, 8]},
    "weight_bits": 4, "membrane_bits": 12,
    "layers": [
        {"kind": "conv", "out_channels": 4, "kernel": 3,
         "neuron": {"model": "lif", "leak_shift": 1, "threshold": 60, "reset": "hard"}},
        {"kind": "conv", "out_channels": 8, "kernel": 3,
         "neuron": {"model": "if", "threshold": 60, "reset": "soft"}},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "linear", "out_features": 10,
         "neuron": {"model": "if", "threshold": 4, "reset": "hard"}},
    ],
}
SPIKE4_SEED = 1

#: A LIF layer that cannot reach its threshold in T = 2 whatever its bias (leak shift 11 of 12
#: bits: u <= I >>> 11 <= 1 after one step, <= 2 after two): no calibration can help.
DEAD_LAYER = {
    "name": "dead-lif", "timesteps": 2, "input": {"kind": "spikes", "shape": [1, 4, 4]},
    "weight_bits": 4, "membrane_bits": 12,
    "layers": [
        {"kind": "conv", "out_channels": 2, "kernel": 3,
         "neuron": {"model": "lif", "leak_shift": 11, "threshold": 3, "reset": "hard"}},
        {"kind": "linear", "out_features": 3,
         "neuron": {"model": "if", "threshold": 2, "reset": "hard"}},
    ],
}

#: Small enough for one Icarus replay in seconds: the sensitivity test.
TINY = {
    "name": "tiny-lif", "timesteps": 2, "input": {"kind": "spikes", "shape": [1, 4, 4]},
    "weight_bits": 4, "membrane_bits": 10,
    "layers": [
        {"kind": "conv", "out_channels": 2, "kernel": 3,
         "neuron": {"model": "if", "threshold": 2, "reset": "hard"},
         "hw": {"parallel": 2, "lanes": 2, "group": 9}},
        {"kind": "linear", "out_features": 3, "readout": "accumulate",
         "hw": {"parallel": 3, "lanes": 2, "group": 8}},
    ],
}


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_four_layer_spike_case_is_repaired(tmp_path):
    cfg = load_config(SPIKE4)
    # The draw make_bundle starts from (weights, then inputs, from the seed) is degenerate.
    rng = np.random.default_rng(SPIKE4_SEED)
    raw = random_weights(cfg, rng, 0.8)
    x = spike_inputs(cfg, 4, rng, B.DEFAULT_DENSITY)
    raw_power = P.measure(cfg, run_batch(cfg, raw, x))
    assert raw_power.rates[0] == 0.0 and raw_power.distinct_readouts == 1

    folder = B.make_bundle(SPIKE4, "random", sparsity=0.8, samples=4, seed=SPIKE4_SEED,
                           out=tmp_path / "b")
    power = manifest(folder)["power"]
    assert power["degenerate"] == []
    for i, layer in enumerate(SPIKE4["layers"]):
        assert P.MIN_RATE <= power["spike_rate"][f"L{i}"] <= P.MAX_RATE, (i, power)
    assert power["distinct_readouts"] >= 2
    assert "L0" in power["calibration"]["recalibrated_biases"]
    assert B.verify_bundle(folder).startswith("OK")
    # Deterministic from the seed.
    again = B.make_bundle(SPIKE4, "random", sparsity=0.8, samples=4, seed=SPIKE4_SEED,
                          out=tmp_path / "c")
    assert (again / "config_writes.mem").read_text() == (folder / "config_writes.mem").read_text()


def test_uncalibratable_layer_refused_by_name(tmp_path):
    with pytest.raises(B.BundleError, match=r"power: layer L0 \(conv\) spikes in 0\.0 %"):
        B.make_bundle(DEAD_LAYER, "random", samples=3, seed=2, out=tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_allow_degenerate_keeps_bundle_with_warning(tmp_path):
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(SPIKE4))
    out = tmp_path / "b"
    # No input spike at all: every sample is the same, so are the readouts.
    args = [sys.executable, "-m", "vectors.bundle", "make", "--config", str(cfg_path),
            "--samples", "2", "--density", "0", "--out", str(out)]
    refused = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: power: all 2 readouts are identical")
    assert not out.exists()
    kept = subprocess.run(args + ["--allow-degenerate"], cwd=REPO, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stderr
    assert "warning: degenerate bundle" in kept.stderr
    assert manifest(out)["power"]["degenerate"] == ["all 2 readouts are identical"]


def test_trained_weights_never_changed(tmp_path):
    cfg = load_config(SPIKE4)
    weights = random_weights(cfg, np.random.default_rng(SPIKE4_SEED), 0.8)  # degenerate
    folder = B.make_bundle(SPIKE4, weights, samples=4, seed=SPIKE4_SEED, out=tmp_path / "b")
    with np.load(folder / "golden.npz") as golden:
        for key, value in weights.items():
            assert np.array_equal(golden[key], value), key
    power = manifest(folder)["power"]
    assert power["degenerate"] and "calibration" not in power


def test_reported_rates_equal_golden_model(tmp_path):
    folder = B.make_bundle(SPIKE4, "random", sparsity=0.7, samples=3, seed=4,
                           out=tmp_path / "b")
    record = manifest(folder)["power"]
    with np.load(folder / "golden.npz") as golden:
        weights = {k: golden[k] for k in golden.files if k.endswith((".weight", ".bias"))}
        samples = golden["input"]
    contexts = [run_network(SPIKE4, weights, x) for x in samples]
    for i in range(len(SPIKE4["layers"])):
        spikes = np.stack([c.layers[i].spikes for c in contexts])
        direct = int(spikes.sum()) / spikes.size
        assert record["spike_rate"][f"L{i}"] == round(direct, 6), i
    distinct = len({c.readout.tobytes() for c in contexts})
    assert record["distinct_readouts"] == distinct


def test_sensitivity_catches_planted_lif_bug(tmp_path):
    folder = B.make_bundle(TINY, "random", sparsity=0.3, samples=3, seed=3, out=tmp_path / "b")
    bugs = {define for define, _, _ in S.planted_bugs(folder)}
    assert "DUALSPIKE_BUG_LIF_FIRE_GT" in bugs          # lif_unit, inside the conv core
    assert "DUALSPIKE_BUG_DENSE_LOST_LAST_TIMESTEP" not in bugs  # no dense core here
    entry = S.run_sensitivity(folder, "icarus", only=("DUALSPIKE_BUG_LIF_FIRE_GT",),
                              log=lambda line: None)
    assert entry["baseline"].startswith("PASS"), entry
    assert [b["define"] for b in entry["bugs"]] == ["DUALSPIKE_BUG_LIF_FIRE_GT"]
    assert entry["bugs"][0]["caught"] and entry["bugs"][0]["verdict"].startswith("FAIL"), entry
    recorded = json.loads((folder / S.SENSITIVITY_FILE).read_text())
    assert recorded["icarus"]["caught"] == 1
    listed = {f["name"] for f in manifest(folder)["files"]}
    assert S.SENSITIVITY_FILE in listed
    assert B.verify_bundle(folder).startswith("OK")


def test_one_input_path_digits28(tmp_path):
    """The bundle's digits28 inputs are exactly training's preprocessing of the same images."""
    from train.data import load  # noqa: PLC0415 - torch

    cfg = json.loads((REPO / "models" / "digits28" / "config.json").read_text())
    folder = B.make_bundle(cfg, REPO / "models" / "digits28" / "weights.npz", samples=3,
                           seed=5, out=tmp_path / "b")
    with np.load(folder / "golden.npz") as golden:
        bundle_inputs = golden["input"].astype(np.int64)
    split = load("digits28")
    trained_on = {img.tobytes() for img in np.concatenate([split.x_train, split.x_test])}
    for image in bundle_inputs:
        assert image.tobytes() in trained_on
    # They are among the candidates the shared function draws from the seed (choose_digits).
    images, _ = digit_images()
    pick = np.random.default_rng(5).choice(len(images), size=3 * P.CANDIDATES_PER_SAMPLE,
                                           replace=False)
    candidates = {img.tobytes() for img in digit_pixels(images[pick], (1, 28, 28), 8)}
    assert all(image.tobytes() in candidates for image in bundle_inputs)
    # Bilinear, full 8-bit range: not the old nearest-neighbour x15 (multiples of 15 only).
    assert np.any(bundle_inputs % 15 != 0)


def test_network_testbench_draws_from_golden_inputs():
    from tb.network import networks as N  # noqa: PLC0415
    from golden import inputs  # noqa: PLC0415

    events = N.events_network()
    cfg = load_config(events.config)
    want = inputs.event_inputs(cfg, events.samples, np.random.default_rng(events.seed))
    assert np.array_equal(N.network_samples(events, cfg), want)


def _pixel_mlp(channels: int) -> dict:
    return {"name": f"mlp-c{channels}", "timesteps": 2,
            "input": {"kind": "pixels", "shape": [channels, 3, 3], "bits": 4},
            "weight_bits": 4, "membrane_bits": 12,
            "layers": [{"kind": "linear", "out_features": 4,
                        "neuron": {"model": "if", "threshold": 8, "reset": "hard"}},
                       {"kind": "linear", "out_features": 3, "readout": "accumulate"}]}


@pytest.mark.parametrize("channels", [1, 2])
def test_a_bug_the_network_cannot_show_is_not_counted(tmp_path, channels):
    """With one input channel, flattening (y, x, c) is (c, y, x): the gather's pixel-major
    bug is the design itself there, so the bundle is not asked to catch it (tb/registry.py
    ``planted_bug_invisible``); with two channels it is."""
    folder = B.make_bundle(_pixel_mlp(channels), "random", sparsity=0.3, samples=2, seed=1,
                           out=tmp_path / "b", allow_degenerate=True)
    define = "DUALSPIKE_BUG_GATHER_PIXEL_MAJOR"
    assert define in {d for d, _, _ in S.planted_bugs(folder)}
    reason = S.invisible_reason(folder, define, "dense_linear_core")
    if channels == 1:
        assert reason == "L0: one input channel: (y, x, c) and (c, y, x) are the same order"
    else:
        assert reason is None
    assert S.invisible_reason(folder, "DUALSPIKE_BUG_GATHER_DROP_LAST_PIXEL",
                              "dense_linear_core") is None
