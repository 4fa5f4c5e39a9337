"""The silent-frame figure of ``make sim`` (golden/cycles/network.py, printed by
tb/network/figures.py): each layer fed spikes, alone with all-silent frames back to back, against
its input beats per frame (issue 12: a silent layer should cost no more than its input stream)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from golden.config import load_config
from golden.cycles.network import silent_frame
from golden.network import random_weights
from vectors.network_top import plan_network

CONFIG = {
    "name": "silent-figure", "timesteps": 3,
    "input": {"kind": "pixels", "shape": [1, 6, 6], "bits": 4},
    "weight_bits": 4, "membrane_bits": 10,
    "layers": [
        {"kind": "conv", "out_channels": 4, "kernel": 3,
         "neuron": {"model": "if", "threshold": 3, "reset": "hard"},
         "hw": {"parallel": 2, "lanes": 2, "group": 9}},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "conv", "out_channels": 6, "kernel": 3,
         "neuron": {"model": "if", "threshold": 3, "reset": "hard"},
         "hw": {"parallel": 1, "lanes": 2, "group": 8}},
        {"kind": "linear", "out_features": 5, "readout": "accumulate",
         "hw": {"parallel": 1, "lanes": 1, "group": 8}},
    ],
}


def test_silent_frame_per_layer():
    cfg = load_config(CONFIG)
    weights = random_weights(cfg, np.random.default_rng(0), 0.5)
    plan = plan_network(cfg)
    figures = [silent_frame(asdict(core), weights, cfg["timesteps"]) for core in plan.layers]
    # The dense input core takes pixels: no figure.
    assert figures[0] is None
    # The max-pool passes its 6x6 pixels' beats at the stream's pace.
    assert figures[1] == {"cycles": 6 * 6 * 3.0, "beats": 6 * 6 * 3}
    # Conv layer 2 (3x3 pixels, R = 6 rows at P1): a silent window's timestep is one scan
    # cycle, and after the first silent pixel of the run (which steps its 6 x 3 neurons, two
    # rows a cycle) every silent pixel reuses its beats, a neuron-stage cycle per timestep: the
    # stream paces the frames (81 cycles against 27 beats before session 33).
    assert figures[2] == {"cycles": 27.0, "beats": 27}
    # The neuron-less linear layer (F = 54, NG = 7): a silent timestep is one group and a
    # refill, 6 cycles a frame, under its 9 x 3 = 27 input beats, so the stream paces it.
    assert figures[3] == {"cycles": 27.0, "beats": 27}
