"""The stepped model of the sparse conv core (golden.cycles.sparse_conv.SparseConvStepped)
under the network's calls and under drawn pacing.

The testbench (tb/sparse_conv_core) checks the stepped model against the DUT cycle by cycle
under drawn pacing. Here: the factory ``stepped`` (the call the network model makes with
network.json's parameters and the layer inputs ``run_network`` gives) builds the same model as
the class and delivers every beat of every sparse conv layer of networks drawn by
``small_configs``; under drawn pacing the model keeps an offered beat offered, delivers every
beat and is never earlier than with free-running streams (``schedule``).
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
    """The factory's model == the class's (``schedule``) under free-running streams, every
    beat; returns the beats compared."""
    steps = parameters["Timesteps"]
    hw = sparse_conv.ConvHw(parameters["Parallel"], parameters["Lanes"],
                            parameters["GroupWidth"])
    timings = sparse_conv.schedule(weight, frames, hw)
    model = sparse_conv.stepped(parameters, weight, frames, steps)
    beats = sum(len(t.output_cycles) for t in timings)
    _, sends = free_running(model, beats, beats)
    assert tuple(sends) == tuple(c for t in timings for c in t.output_cycles)
    assert [model.accept_cycles[f * beats // len(frames)] for f in range(len(frames))] \
        == [t.first_input for t in timings]
    return beats


@settings(max_examples=60, deadline=None)
@given(layers())
def test_factory_equals_the_class(case):
    weight, frames, hw = case
    _check_free_running(_parameters(weight, frames, hw), weight, frames)


@settings(max_examples=25, deadline=None)
@given(cfg=small_configs(max_layers=3, max_size=5, max_timesteps=3),
       seed=st.integers(0, 10_000), samples=st.integers(1, 3))
def test_network_layers_deliver_every_beat(cfg, seed, samples):
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
    free = sparse_conv.SparseConvStepped(weight, frames, hw)
    steps = parameters["Timesteps"]
    beats = steps * parameters["Height"] * parameters["Width"] * len(frames)
    _, free_sends = free_running(free, beats, beats)
    model = sparse_conv.stepped(parameters, weight, frames, steps)
    accepts: list[int] = []
    sends: list[int] = []
    offered = False
    cycle = 0
    while len(sends) < beats:
        assert cycle < 20 * (free_sends[-1] + 1) * len(valid) * len(ready), "no progress"
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
    assert all(a >= f for a, f in zip(accepts, free.accept_cycles))
    assert all(s >= f for s, f in zip(sends, free_sends))


def test_factory_rejects_frames_that_do_not_fit_the_parameters():
    weight = np.ones((2, 1, 3, 3), dtype=np.int64)
    frames = [np.ones((2, 1, 3, 4), dtype=np.uint8)]
    parameters = _parameters(weight, frames, sparse_conv.ConvHw(1, 1, 4))
    with pytest.raises(ValueError, match="frames\\[0\\]"):
        sparse_conv.stepped({**parameters, "Width": 5}, weight, frames, 2)
    with pytest.raises(ValueError, match="Timesteps"):
        sparse_conv.stepped({**parameters, "Timesteps": 3}, weight,
                            [np.ones((2, 1, 3, 4), dtype=np.uint8)], 2)
