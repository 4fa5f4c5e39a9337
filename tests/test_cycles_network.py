"""The network cycle model (golden.cycles.network) on drawn networks, without a simulator.

Its exactness is checked against the RTL by the replay (tests/test_replay_trust.py,
tests/test_preload.py) and by the network testbench (``back_to_back_samples`` in every
``make sim`` network run); here: the model composes every core kind without deadlock, its
edges are consistent with each other and with the closed-form bounds, and holding the output
back only delays the run.
"""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.cycles.network import network_cycles, stepped_network
from golden.network import random_input, random_weights
from golden.strategies import small_configs
from vectors.network_top import plan_network


def _case(cfg, seed: int, samples: int):
    rng = np.random.default_rng(seed)
    weights = random_weights(cfg, rng, 0.5)
    plan = json.loads(plan_network(cfg).to_json())
    return plan, weights, [random_input(cfg, rng) for _ in range(samples)]


@settings(max_examples=30, deadline=None)
@given(cfg=small_configs(max_layers=4, max_size=5, max_timesteps=3),
       seed=st.integers(0, 10_000), samples=st.integers(1, 3))
def test_edges_are_ordered_and_above_the_bounds(cfg, seed, samples):
    plan, weights, inputs = _case(cfg, seed, samples)
    facts = network_cycles(plan, cfg, weights, inputs)
    assert facts["first_in"][0] == 0
    assert facts["total_exact"] == facts["readout_last"][-1] + 1
    assert facts["total_exact"] >= facts["total_lower_bound"]
    for edges in [facts["first_in"], facts["readout_last"], *facts["tap_last"]]:
        assert edges == sorted(edges) and len(set(edges)) == len(edges)
    for s in range(samples):
        # A sample's beat leaves a layer after it entered it, and the layers in order.
        ends = [tap[s] for tap in facts["tap_last"]] + [facts["readout_last"][s]]
        assert facts["first_in"][s] < ends[0] and ends == sorted(ends)
        # Layer 0 is never faster than its closed form alone with free-running streams.
        assert ends[0] - facts["first_in"][s] + 1 >= facts["layer0_per_frame"][s]


@settings(max_examples=15, deadline=None)
@given(cfg=small_configs(max_layers=3, max_size=4, max_timesteps=2),
       seed=st.integers(0, 10_000), hold=st.integers(1, 300))
def test_holding_the_output_back_only_delays(cfg, seed, hold):
    plan, weights, inputs = _case(cfg, seed, 2)
    free = stepped_network(plan, cfg, weights, inputs)
    held = stepped_network(plan, cfg, weights, inputs, out_hold=hold)
    assert held.readout_last[-1] >= max(free.readout_last[-1], hold)
    assert all(h >= f for h, f in zip(held.readout_last, free.readout_last))
