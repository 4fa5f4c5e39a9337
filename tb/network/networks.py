"""The networks of the regression, and how each is generated and run.

- ``digits``: conv SNN on the 8x8 UCI digits (the trained model of models/digits when it exists,
  else random sparse weights), run on real test images;
- ``digits28``: an MNIST-sized 28x28 network on the digits resampled to 28x28;
- ``events``: a spike-input network, event-camera-like frames with 2 polarity channels, T = 8;
- ``digits-mlp``: an MLP on the 8x8 digits (linear first layer on pixels: the dense linear core);
- ``random-<seed>``: small networks of mixed kinds drawn by Hypothesis (golden.strategies).

``prepare(network, out_dir)`` writes the generated top, the memory images and ``samples.npz``;
``run(network, sim)`` builds and runs tb/network on it.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golden import inputs
from golden.config import load_config
from golden.network import random_weights
from tb.harness.runner import BUILD_ROOT, REPO_ROOT, RTL_DIR, TestbenchResult, run_testbench
from vectors.network_top import generate

MODELS = REPO_ROOT / "models"


@dataclass
class Network:
    name: str
    config: dict
    #: Path of a trained weights.npz, or None for random sparse weights from ``seed``.
    weights_path: Path | None = None
    sparsity: float = 0.85
    seed: int = 1
    #: Where the real samples come from: "digits", "digits28", "events" or "random".
    data: str = "random"
    samples: int = 4
    #: Weights drawn per Hypothesis example too (random networks).
    random_weights_per_example: bool = False
    examples: int = 10
    #: Icarus runs these networks 10-50x slower than Verilator (it interprets the design;
    #: docs/network.md has the measurements), so ``make sim SIM=icarus`` gives each network a
    #: smaller budget: fewer Hypothesis examples and fewer real samples back to back.
    icarus_examples: int = 3
    icarus_samples: int = 2
    extra: dict = field(default_factory=dict)


def _lif(threshold: int, leak: int = 1, reset: str = "hard") -> dict:
    return {"model": "lif", "leak_shift": leak, "threshold": threshold, "reset": reset}


def _if(threshold: int, reset: str = "soft") -> dict:
    return {"model": "if", "threshold": threshold, "reset": reset}


def _balance(config: dict, knobs: dict[int, dict]) -> None:
    """Hardware knobs change timing only (SPEC 1): balance the cores of a trained model whose
    config carries none (more parallel channels where the fan-in is largest)."""
    for index, hw in knobs.items():
        if index < len(config["layers"]) and config["layers"][index]["kind"] != "maxpool":
            config["layers"][index].setdefault("hw", hw)


#: Knobs of the trained models (conv, pool, conv, pool, linear), docs/network.md "Knobs of the
#: trained networks". digits, to fit and route on the ECP5-85F (`make pnr`'s design): `make knobs
#: NETWORK=digits ADDERS=28 MAX_PARALLEL=2 MAX_LANES=4` (layer 2 at P2 L4, utilisation 0.92 at
#: 3381 cycles/frame), with layer 0 given P2 L2 instead of P1 L2 so that it runs at half the
#: bottleneck rather than beside it. More row banks on layer 2 do not fit the part
#: (docs/network.md, "Knobs of the trained networks").
#: digits28, for throughput within area: layer 2 from `make knobs NETWORK=digits28 ADDERS=82
#: MAX_PARALLEL=10 MAX_LANES=4` (P10 L4, utilisation 0.82; P16 L3 was 17 % faster with 16 row
#: banks, 1.6x the banks' area, docs/synthesis.md); layer 0 a pixel per beat
#: (docs/dense_input_core.md, "A pixel per beat": no emission floor of H x W x T cycles) at P8
#: L4 with its channels placed, and layer 4 at P2, so that both run under layer 2, which sets
#: the rate. 74 adders.
TRAINED_KNOBS = {
    "digits": {0: {"parallel": 2, "lanes": 2, "group": 9},
               2: {"parallel": 2, "lanes": 4, "group": 32},
               4: {"parallel": 1, "lanes": 1, "group": 32}},
    "digits28": {0: {"parallel": 8, "lanes": 4, "group": 9, "wide_beat": True},
                 2: {"parallel": 10, "lanes": 4, "group": 32},
                 4: {"parallel": 2, "lanes": 1, "group": 32}},
}


def _trained_digits(name: str, samples: int) -> Network | None:
    """The trained model ``models/<name>`` (conv, pool, conv, pool, linear), balanced, if it
    was exported; else None."""
    trained = MODELS / name
    if not ((trained / "config.json").exists() and (trained / "weights.npz").exists()):
        return None
    config = json.loads((trained / "config.json").read_text())
    _balance(config, TRAINED_KNOBS[name])
    return Network(name, config, trained / "weights.npz", data=name, samples=samples)


def digits_network() -> Network:
    trained = _trained_digits("digits", samples=8)
    if trained is not None:
        return trained
    config = {
        "name": "digits-c8-c16-fc10", "timesteps": 4,
        "input": {"kind": "pixels", "shape": [1, 8, 8], "bits": 5},
        "weight_bits": 4, "membrane_bits": 16,
        "layers": [
            {"kind": "conv", "out_channels": 8, "kernel": 3, "neuron": _lif(12),
             "hw": {"parallel": 4, "lanes": 2, "group": 9}},
            {"kind": "maxpool", "kernel": 2},
            {"kind": "conv", "out_channels": 16, "kernel": 3, "neuron": _if(3),
             "hw": {"parallel": 4, "lanes": 2, "group": 16}},
            {"kind": "maxpool", "kernel": 2},
            {"kind": "linear", "out_features": 10, "readout": "accumulate",
             "hw": {"parallel": 2, "lanes": 2, "group": 16}},
        ],
    }
    return Network("digits", config, data="digits", samples=8)


def digits28_network() -> Network:
    trained = _trained_digits("digits28", samples=4)
    if trained is not None:
        return trained
    config = {
        "name": "digits28-c4-c8-fc10", "timesteps": 2,
        "input": {"kind": "pixels", "shape": [1, 28, 28], "bits": 8},
        "weight_bits": 4, "membrane_bits": 16,
        "layers": [
            {"kind": "conv", "out_channels": 4, "kernel": 3, "neuron": _lif(200, 1),
             "hw": {"parallel": 4, "lanes": 2, "group": 9}},
            {"kind": "maxpool", "kernel": 2},
            {"kind": "conv", "out_channels": 8, "kernel": 3, "neuron": _if(2),
             "hw": {"parallel": 4, "lanes": 4, "group": 18}},
            {"kind": "maxpool", "kernel": 7},
            {"kind": "linear", "out_features": 10, "readout": "accumulate",
             "hw": {"parallel": 2, "lanes": 2, "group": 16}},
        ],
    }
    return Network("digits28", config, data="digits28", samples=2, sparsity=0.85)


def events_network() -> Network:
    config = {
        "name": "events-c8-fc10", "timesteps": 8,
        "input": {"kind": "spikes", "shape": [2, 12, 12]},
        "weight_bits": 4, "membrane_bits": 12,
        "layers": [
            # Two rows per bank (P = Co / 2): the scan and the neuron stage take both rows of a
            # timestep per cycle, so they keep up with the input stream (T beats per pixel),
            # and 4 adders do the work of the 8 of P8 L1 that waited on the stream.
            {"kind": "conv", "out_channels": 8, "kernel": 5, "neuron": _lif(3, 2, "soft"),
             "hw": {"parallel": 4, "lanes": 1, "group": 25}},
            {"kind": "maxpool", "kernel": 3},
            # One bank, one lane (`make knobs NETWORK=events ADDERS=12` picks it too): 995
            # cycles/frame, under the 1488 of layer 0, so the network's rate is unchanged with 1
            # adder instead of 20; and one bank has no lockstep acceptance across banks, the
            # network's critical path with P5 L4 on two of three placement seeds
            # (docs/synthesis.md).
            {"kind": "linear", "out_features": 10, "neuron": _if(2, "hard"),
             "hw": {"parallel": 1, "lanes": 1, "group": 32}},
        ],
    }
    return Network("events", config, data="events", samples=3, sparsity=0.8)


def fifo_pressure_network() -> Network:
    """A small spike network whose second conv core is far slower than the first (one adder
    against eight over a 4x larger fan-in), so the FIFO between them fills within a frame: the
    smallest network on which a FIFO that mishandles a full state can show it."""
    config = {
        "name": "fifo-pressure-c4-c8-fc10", "timesteps": 2,
        "input": {"kind": "spikes", "shape": [2, 6, 6]},
        "weight_bits": 4, "membrane_bits": 12,
        "layers": [
            {"kind": "conv", "out_channels": 4, "kernel": 3, "neuron": _if(2),
             "hw": {"parallel": 4, "lanes": 2, "group": 9}},
            {"kind": "conv", "out_channels": 8, "kernel": 3, "neuron": _if(2),
             "hw": {"parallel": 1, "lanes": 1, "group": 9}},
            {"kind": "linear", "out_features": 10, "readout": "accumulate",
             "hw": {"parallel": 2, "lanes": 2, "group": 16}},
        ],
    }
    return Network("fifo-pressure", config, data="random", samples=3, sparsity=0.3)


def digits_mlp_network() -> Network:
    """An MLP on images: the 8x8 digits straight into a linear layer (the dense linear core),
    then a linear readout layer; random sparse weights, real test images."""
    config = {
        "name": "digits-mlp-fc32-fc10", "timesteps": 4,
        "input": {"kind": "pixels", "shape": [1, 8, 8], "bits": 5},
        "weight_bits": 4, "membrane_bits": 16,
        "layers": [
            {"kind": "linear", "out_features": 32, "neuron": _lif(40),
             "hw": {"parallel": 8, "lanes": 2, "group": 16}},
            {"kind": "linear", "out_features": 10, "readout": "accumulate",
             "hw": {"parallel": 10, "lanes": 1, "group": 32}},
        ],
    }
    return Network("digits-mlp", config, data="digits", samples=8, sparsity=0.8)


def wide_beat_network() -> Network:
    """The smallest network with a pixel per beat (``wide_beat``): a dense input core giving
    its pixels' T timesteps in one beat, the max-pool over those beats and its spike_unpack,
    then sparse cores (docs/dense_input_core.md, "A pixel per beat")."""
    config = {
        "name": "wide-beat-c3-pool-c2-fc4", "timesteps": 3,
        "input": {"kind": "pixels", "shape": [1, 6, 6], "bits": 4},
        "weight_bits": 4, "membrane_bits": 8,
        "layers": [
            {"kind": "conv", "out_channels": 3, "kernel": 3, "neuron": _if(3, "hard"),
             "hw": {"parallel": 2, "lanes": 2, "group": 9, "wide_beat": True}},
            {"kind": "maxpool", "kernel": 2},
            {"kind": "conv", "out_channels": 2, "kernel": 3, "neuron": _if(3, "hard"),
             "hw": {"parallel": 2, "lanes": 2, "group": 9}},
            {"kind": "linear", "out_features": 4, "readout": "accumulate",
             "hw": {"parallel": 2, "lanes": 2, "group": 16}},
        ],
    }
    return Network("wide-beat", config, data="random", samples=3, sparsity=0.5)


def regression_networks() -> list[Network]:
    return [digits_network(), digits28_network(), events_network(), digits_mlp_network()]


def random_network(seed: int) -> Network:
    """A small network of mixed kinds drawn by Hypothesis from ``seed`` (reproducible)."""
    from golden.strategies import small_configs  # noqa: PLC0415 - Hypothesis only here

    rng = random.Random(seed)
    candidates = [c for c in _draw_configs(small_configs(), seed, 40) if _buildable(c)]
    if not candidates:
        raise RuntimeError(f"random network {seed}: no buildable config in 40 draws")
    config = rng.choice(candidates)
    config["name"] = f"random-{seed}"
    for layer in config["layers"]:
        if layer["kind"] != "maxpool":
            layer["hw"] = {"parallel": rng.randint(1, 3), "lanes": rng.randint(1, 3),
                           "group": rng.choice([3, 5, 8, 9, 16])}
    layers = config["layers"]
    if (config["input"]["kind"] == "pixels" and layers[0]["kind"] == "conv"
            and "neuron" in layers[0] and len(layers) > 1 and layers[1]["kind"] == "maxpool"
            and rng.random() < 0.5):
        layers[0]["hw"]["wide_beat"] = True  # a pixel per beat into the max-pool
    return Network(f"random-{seed}", config, seed=seed, data="random", samples=2,
                   random_weights_per_example=True, examples=8, icarus_examples=8)


def _draw_configs(strategy, seed: int, count: int) -> list[dict]:
    """``count`` configs from a seeded Hypothesis run (its first draws are the simplest, so a
    caller picks among all of them)."""
    from hypothesis import given, settings  # noqa: PLC0415
    from hypothesis import seed as hseed  # noqa: PLC0415

    found = []

    @hseed(seed)
    @settings(max_examples=count, database=None, deadline=None)
    @given(strategy)
    def collect(cfg):
        found.append(copy.deepcopy(load_config(cfg)))

    collect()
    return found


def _buildable(cfg: dict) -> bool:
    """2-5 layers (the regression wants real chains); the cores cover every legal config."""
    return len(cfg["layers"]) >= 2


def network_samples(network: Network, cfg: dict) -> np.ndarray:
    """The real samples of ``network`` (golden.inputs, the one input path): the first test images
    of the trained model's data set (train/data.py's split), event frames, or random input."""
    rng = np.random.default_rng(network.seed)
    if network.data in ("digits", "digits28"):
        from train.data import load  # noqa: PLC0415 - torch import only when needed

        return load(network.data).x_test[: network.samples]
    if network.data == "events":
        return inputs.event_inputs(cfg, network.samples, rng)
    if cfg["input"]["kind"] == "pixels":
        return inputs.random_pixels(cfg, network.samples, rng)
    return inputs.spike_inputs(cfg, network.samples, rng, 0.3).astype(np.int64)


def network_weights(network: Network, cfg: dict) -> dict:
    """The trained weights of ``network``, or its random sparse weights drawn from its seed."""
    if network.weights_path is not None:
        with np.load(network.weights_path) as archive:
            return {k: archive[k] for k in archive.files}
    return random_weights(cfg, np.random.default_rng(network.seed), network.sparsity)


def prepare(network: Network, out_dir: Path, wiring_bug: str | None = None) -> Path:
    """Generates the network into ``out_dir`` (top, images, plan) and writes samples.npz."""
    cfg = load_config(network.config)
    weights = network_weights(network, cfg)
    generate(cfg, weights, out_dir, wiring_bug=wiring_bug, overwrite=True)
    np.savez(out_dir / "samples.npz", x=network_samples(network, cfg))
    return out_dir


def network_dir(tag: str, simulator: str) -> Path:
    """Where :func:`run` generates a network for ``simulator``: a folder per simulator, so two
    test workers running one network on both simulators never rewrite each other's files (the
    FIFO-pressure test's two runs did: one replaced the folder while the other read it)."""
    return BUILD_ROOT / "networks" / simulator / tag


def run(network: Network, simulator: str, examples: int | None = None,
        wiring_bug: str | None = None, defines=(), samples: int | None = None,
        seed: int | None = None, shrink: bool = True,
        quick_build: bool | None = None) -> TestbenchResult:
    """Generates and simulates ``network``; returns the testbench result. ``quick_build``: see
    :func:`tb.harness.runner.run_testbench`."""
    tag = network.name + (f"+{wiring_bug}" if wiring_bug else "") + "".join(
        f"+{d.removeprefix('DUALSPIKE_BUG_')}" for d in defines)
    out_dir = network_dir(tag, simulator)
    prepare(network, out_dir, wiring_bug)
    plan = json.loads((out_dir / "network.json").read_text())
    sources = [str(RTL_DIR / s) for s in plan["sources"]] + [str(out_dir / "dualspike_top.sv")]
    env = {"DUALSPIKE_NETWORK_DIR": str(out_dir),
           "DUALSPIKE_NETWORK_WEIGHTS": "random" if network.random_weights_per_example
           else "fixed"}
    if samples is None and simulator == "icarus":
        samples = network.icarus_samples
    if examples is None:
        examples = network.icarus_examples if simulator == "icarus" else network.examples
    if samples is not None:
        env["DUALSPIKE_NETWORK_SAMPLES"] = str(samples)
    if not shrink:
        env["DUALSPIKE_SKIP_SHRINK"] = "1"
    return run_testbench("network", "dualspike_top", sources, simulator, defines=defines,
                         examples=examples,
                         extra_env=env, tag=tag, seed=seed, quick_build=quick_build)
