"""The stepped model of the sparse conv core (golden.cycles.sparse_conv.SparseConvStepped)
against its closed-form trace under free-running streams.

The testbench (tb/sparse_conv_core) checks the stepped model against the DUT cycle by cycle
under drawn pacing; here, with a beat offered every cycle and the output always ready, the
stepped model's accept edge of every input beat and send edge of every output beat must equal
the closed form's (``trace``: input pixel q's beats at ``first_accept[q] + t``, the output beats
at ``outputs``). Layers come two ways: drawn directly (the cycle model tests' cases: odd sizes,
K > H, W, empty and dense layers) and as every sparse conv layer of whole networks drawn by
``small_configs`` through ``plan_network`` and ``run_network`` (the call the network model
makes: network.json's parameters, the layer inputs). Under drawn pacing the stepped model must
keep an offered beat offered, deliver every beat and never be earlier than free-running.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.cycles import sparse_conv
from golden.cycles.stepped import free_running
from golden.network import random_input, random_weights, run_network
from golden.strategies import small_configs
from tests.test_cycles_sparse_conv import layers
from vectors.network_top import plan_network


def _parameters(weight, frames, hw: sparse_conv.ConvHw) -> dict:
    out_channels, channels, kernel, _ = weight.shape
    steps, _, height, width = frames[0].shape
    return {"InChannels": channels, "OutChannels": out_channels, "Height": height,
            "Width": width, "Kernel": kernel, "Timesteps": steps, "Parallel": hw.parallel,
            "Lanes": hw.lanes, "GroupWidth": hw.group}


def _check_free_running(parameters: dict, weight, frames) -> int:
    """Stepped (from the factory) == closed form, every beat; returns the beats compared."""
    steps = parameters["Timesteps"]
    hw = sparse_conv.ConvHw(parameters["Parallel"], parameters["Lanes"],
                            parameters["GroupWidth"])
    closed = sparse_conv.trace(weight, frames, hw)
    model = sparse_conv.stepped(parameters, weight, frames, steps)
    beats = len(closed.outputs)
    accepts, sends = free_running(model, beats, beats)
    assert accepts == [first + t for first in closed.first_accept for t in range(steps)]
    assert [accepts[q * steps + steps - 1] for q in range(len(closed.last_accept))] \
        == list(closed.last_accept)
    assert tuple(sends) == closed.outputs
    return beats


@settings(max_examples=150, deadline=None)
@given(layers())
def test_free_running_equals_the_closed_form(case):
    weight, frames, hw = case
    _check_free_running(_parameters(weight, frames, hw), weight, frames)


@pytest.mark.parametrize("height,width,kernel", [(1, 1, 5), (1, 6, 5), (6, 1, 5), (2, 2, 3),
                                                 (4, 4, 1), (3, 7, 3)])
def test_degenerate_shapes_free_running_equal_the_closed_form(height, width, kernel):
    """K > H or W, one-pixel frames, K = 1; three dense frames back to back."""
    weight = np.ones((2, 1, kernel, kernel), dtype=np.int64)
    frames = [np.ones((2, 1, height, width), dtype=np.uint8)] * 3
    hw = sparse_conv.ConvHw(1, 1, 4)
    assert _check_free_running(_parameters(weight, frames, hw), weight, frames) \
        == 3 * 2 * height * width


@settings(max_examples=25, deadline=None)
@given(cfg=small_configs(max_layers=3, max_size=5, max_timesteps=3),
       seed=st.integers(0, 10_000), samples=st.integers(1, 3))
def test_network_layers_free_running_equal_the_closed_form(cfg, seed, samples):
    """Every sparse conv layer of a network (layer 0 of a spikes network, or a later layer)
    as ``plan_network`` builds it: network.json's parameters, ``weights[f"L{i}.weight"]``, the
    layer inputs ``run_network`` gives."""
    rng = np.random.default_rng(seed)
    weights = random_weights(cfg, rng, 0.5)
    samples = [random_input(cfg, rng) for _ in range(samples)]
    contexts = [run_network(cfg, weights, x) for x in samples]
    for core in plan_network(cfg).layers:
        if core.module == "sparse_conv_core":
            inputs = [c.layers[core.index].inp for c in contexts]
            _check_free_running(core.parameters, weights[f"L{core.index}.weight"], inputs)


@settings(max_examples=60, deadline=None)
@given(case=layers(), valid=st.lists(st.booleans(), min_size=1, max_size=6),
       ready=st.lists(st.booleans(), min_size=1, max_size=6))
def test_paced_runs_hold_offered_beats_and_deliver_every_beat(case, valid, ready):
    """Drawn input pacing and output backpressure (each pattern repeated, with at least one
    active cycle): an offered output beat stays offered until it is taken, every beat moves,
    and no beat is accepted or sent earlier than with free-running streams."""
    weight, frames, hw = case
    parameters = _parameters(weight, frames, hw)
    valid, ready = valid + [True], ready + [True]
    free = sparse_conv.trace(weight, frames, hw)
    steps = parameters["Timesteps"]
    model = sparse_conv.stepped(parameters, weight, frames, steps)
    beats = len(free.outputs)
    accepts: list[int] = []
    sends: list[int] = []
    offered = False
    cycle = 0
    while len(sends) < beats:
        assert cycle < 20 * (free.outputs[-1] + 1) * len(valid) * len(ready), "no progress"
        out_ready = ready[cycle % len(ready)]
        assert not offered or model.out_valid(), f"cycle {cycle}: offered beat withdrawn"
        offered = model.out_valid() and not out_ready
        in_fire, out_fire = model.clock(len(accepts) < beats and valid[cycle % len(valid)],
                                        out_ready)
        if in_fire:
            accepts.append(cycle)
        if out_fire:
            sends.append(cycle)
        cycle += 1
    assert len(accepts) == beats
    free_accepts = [first + t for first in free.first_accept for t in range(steps)]
    assert all(a >= f for a, f in zip(accepts, free_accepts))
    assert all(s >= f for s, f in zip(sends, free.outputs))


def test_factory_rejects_frames_that_do_not_fit_the_parameters():
    weight = np.ones((2, 1, 3, 3), dtype=np.int64)
    frames = [np.ones((2, 1, 3, 4), dtype=np.uint8)]
    parameters = _parameters(weight, frames, sparse_conv.ConvHw(1, 1, 4))
    with pytest.raises(ValueError, match="frames\\[0\\]"):
        sparse_conv.stepped({**parameters, "Width": 5}, weight, frames, 2)
    with pytest.raises(ValueError, match="Timesteps"):
        sparse_conv.stepped({**parameters, "Timesteps": 3}, weight,
                            [np.ones((2, 1, 3, 4), dtype=np.uint8)], 2)
