"""Pure-Python tests of the cycle models of the sparse linear and readout cores and of the
widths they derive (golden/cycles/sparse_linear.py, golden/cycles/readout.py).

The models are compared with RTL measurements in the cores' testbenches; here their closed-form
corners and their relation to the lower bound and the dense cost are pinned down.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from golden.config import current_bounds
from golden.cores import spike_current_bits
from golden.cycles import readout as readout_model
from golden.cycles import sparse_linear as linear_model
from golden.cycles.stepped import free_running
from golden.layers import linear_currents, readout_accumulate, readout_count


def _cfg(fan_in: int, weight_bits: int, membrane_bits: int) -> dict:
    return {"timesteps": 1, "input": {"kind": "spikes", "shape": [fan_in, 1, 1]},
            "weight_bits": weight_bits, "membrane_bits": membrane_bits,
            "layers": [{"kind": "linear", "out_features": 1, "readout": "accumulate"}]}


@given(fan_in=st.integers(1, 5000), weight_bits=st.integers(2, 8),
       membrane_bits=st.integers(4, 32))
def test_current_bits_is_the_tight_width_of_the_golden_bound(fan_in, weight_bits, membrane_bits):
    bits = spike_current_bits(fan_in, weight_bits, membrane_bits)
    bound = current_bounds(_cfg(fan_in, weight_bits, membrane_bits))[0]
    assert -(1 << (bits - 1)) <= -bound and bound - 1 <= (1 << (bits - 1)) - 1
    assert -(1 << (bits - 2)) > -bound   # one bit fewer cannot hold -bound


def test_current_bits_extremes_are_reachable():
    """The most negative current (all weights and bias at their minimum, every input spiking)
    needs every bit of CurrentBits."""
    fan_in, wb, vb = 12, 4, 8
    bits = spike_current_bits(fan_in, wb, vb)
    low = linear_currents(np.ones((1, fan_in), dtype=np.int64),
                          np.full((1, fan_in), -(1 << (wb - 1))), np.array([-(1 << (vb - 1))]))
    assert int(low[0, 0]) >= -(1 << (bits - 1))
    assert int(low[0, 0]) < -(1 << (bits - 2))


def test_dense_layer_all_spikes_costs_ceil_of_pairs_over_lanes_per_group():
    o, f, steps, p, lanes, g = 5, 12, 3, 2, 3, 5
    weight = np.ones((o, f), dtype=np.int64)
    frame = np.ones((steps, f), dtype=np.int64)
    costs = linear_model.group_costs(weight, frame, p, lanes, g)
    # groups hold 5, 5, 2 positions: ceil(5/3) = 2, 2, 1 per row and timestep
    assert costs.shape == (steps, 3, 3)
    assert (costs[:, :, 0] == 2).all() and (costs[:, :, 1] == 2).all()
    assert (costs[:, :, 2] == 1).all()


def test_empty_layer_costs_one_cycle_per_group():
    o, f, steps = 7, 20, 4
    result = linear_model.model(np.zeros((o, f), dtype=np.int64),
                                [np.ones((steps, f), dtype=np.int64)], pixels=1, parallel=3,
                                lanes=2, group=6)
    rows, groups = 3, 4
    assert result.compute_cycles == (steps * rows * groups,)
    assert result.lower_bound == (0.0,)
    assert result.dense_cost == (rows * 10 * steps,)


def test_silent_timestep_costs_one_cycle_per_row_and_a_refill():
    """A timestep without spikes walks the first group of each row (NG > 1) and waits a refill
    cycle after its last row: R + 1 cycles where a timestep with spikes walks R * NG groups."""
    o, f, steps, p, g = 7, 20, 4, 3, 6
    rows, groups = 3, 4
    frame = np.ones((steps, f), dtype=np.int64)
    frame[1] = frame[2] = 0
    costs = linear_model.group_costs(np.zeros((o, f), dtype=np.int64), frame, p, 2, g)
    silent = linear_model.silent_steps(frame, f)
    assert silent.tolist() == [False, True, True, False]
    assert linear_model.walk_cycles(costs, silent) == 2 * rows * groups + 2 * (rows + 1)
    # One group per row: nothing to skip, a silent timestep costs its R groups.
    one = linear_model.group_costs(np.zeros((o, 5), dtype=np.int64), frame[:, :5], p, 2, 8)
    assert linear_model.walk_cycles(one, silent) == steps * rows
    # Without a neuron (HasNeuron 0) the timestep is its first row's first group and a refill.
    assert linear_model.walk_cycles(costs, silent, has_neuron=False) == 2 * rows * groups + 2 * 2
    assert linear_model.walk_cycles(one, silent, has_neuron=False) == steps * rows


def test_silent_frames_are_replayed_a_cycle_a_timestep():
    """Issue 12 on digits' layer 4 (F = 16 x 2 x 2 = 64, O = 10, T = 4, P1 L1 G32): a silent
    frame is replayed, one token a timestep (T cycles), once its beats are known: with a
    neuron after the first silent frame walked (T * (R + 1) = 44 cycles: its beats are kept),
    without one (the readout accumulate of digits, whose beats are the biases) from the first.
    Back to back they are paced by their 16 input beats."""
    c, h, w, o, steps = 16, 2, 2, 10, 4
    frames = [np.zeros((steps, c, h, w), dtype=np.int64) for _ in range(6)]
    weight = np.ones((o, c * h * w), dtype=np.int64)
    with_neuron = linear_model.model(weight, frames, h * w, 1, 1, 32)
    assert with_neuron.compute_cycles == (steps * (o + 1),) + (steps,) * 5
    result = linear_model.model(weight, frames, h * w, 1, 1, 32, has_neuron=False)
    assert result.compute_cycles == (steps,) * 6
    beats = h * w * steps
    for model in (with_neuron, result):
        steady = [b[-1] - a[-1] for a, b in zip(model.output_cycles, model.output_cycles[1:])]
        assert steady[3:] == [beats] * 2


def _one_pixel(fan_in: int, outs: int, steps: int, has_neuron: int) -> dict:
    """The HDL parameters of the silent-frame tests' layer: one pixel of ``fan_in`` channels,
    P3 L2 G3 (R = 2 rows of three groups for six features)."""
    return {"InChannels": fan_in, "InHeight": 1, "InWidth": 1, "OutFeatures": outs,
            "Timesteps": steps, "Parallel": 3, "Lanes": 2, "GroupWidth": 3, "WeightBits": 4,
            "MembraneBits": 8, "HasNeuron": has_neuron}


@pytest.mark.parametrize("steps", [5, 2, 1])
def test_silent_frames_of_one_pixel_cost_their_stream(steps):
    """A layer after a linear layer (one pixel: T input beats a frame), R = 2 rows of three
    groups with a neuron: silent frames back to back, once replayed, are paced by their T
    beats (15 cycles a frame at T = 5 before the replay: T * (R + 1)), T = 1 included (a frame
    a cycle: the replay starts the cycle after the frame's beat and frees its buffer at once)."""
    o, f = 6, 7
    frames = [np.zeros((steps, f), dtype=np.int64) for _ in range(6)]
    weight = np.ones((o, f), dtype=np.int64)
    result = linear_model.model(weight, frames, 1, 3, 2, 3)
    assert result.compute_cycles[0] == steps * (2 + 1)
    steady = [b[-1] - a[-1] for a, b in zip(result.output_cycles, result.output_cycles[1:])]
    assert steady[2:] == [steps] * 3
    stepped = linear_model.stepped(_one_pixel(f, o, steps, has_neuron=1), weight, frames, steps)
    _, sends = free_running(stepped, len(frames) * steps, len(frames) * steps)
    assert sends == [edge for frame in result.output_cycles for edge in frame]


def test_a_frame_that_may_be_silent_waits_for_its_end():
    """Where silent frames are replayed from the first (no neuron: their beats are the biases),
    a frame whose timestep 0 is silent waits for its last timestep before its first group (the
    core cannot tell it from a silent frame before): one pixel, T = 4, R = 2, NG = 3, a spike
    in timestep 2 only. Its first group enters the stage the edge after its last beat, not when
    timestep 0 is available (two edges after its beat): its first beat leaves T - 2 cycles
    later than the early start would send it (the skip of timestep 0: one group)."""
    o, f, steps = 6, 7, 4
    weight = np.ones((o, f), dtype=np.int64)
    frame = np.zeros((steps, f), dtype=np.int64)
    frame[2, 0] = 1
    result = linear_model.model(weight, [frame], 1, 3, 2, 3, has_neuron=False)
    early = linear_model.AVAIL_LATENCY + linear_model.STAGE_LATENCY + 1 + linear_model.OUTPUT_TAIL
    assert result.output_cycles[0][0] == early + steps - 2
    stepped = linear_model.stepped(_one_pixel(f, o, steps, has_neuron=0), weight, [frame], steps)
    _, sends = free_running(stepped, steps, steps)
    assert sends == list(result.output_cycles[0])


def test_single_frame_closed_form():
    """One pixel, one group, one row: into the group stage two edges after beat t, into the
    detector one edge later, one cycle per group, 5-cycle tail."""
    steps = 4
    result = linear_model.model(np.zeros((1, 3), dtype=np.int64),
                                [np.zeros((steps, 3), dtype=np.int64)], pixels=1, parallel=1,
                                lanes=1, group=8)
    # beat t is accepted at edge t, so timestep t enters the group stage at edge t+2
    # (AVAIL_LATENCY), the detector at edge t+3 (STAGE_LATENCY) and its one-cycle group ends at
    # edge t+4; the last (t = T-1) ends at edge T+3, its beat leaves 5 later (address stage,
    # weight stage, sum stage, row register, output register).
    assert result.frame_cycles == (steps + 8,)


@given(seed=st.integers(0, 2**32 - 1), pixels=st.integers(1, 4), frames=st.integers(1, 3))
def test_model_between_lower_bound_and_a_dense_schedule(seed, pixels, frames):
    rng = np.random.default_rng(seed)
    o, f, steps, p, lanes, g = 6, 8 * pixels, 3, 2, 2, 4
    weight = rng.integers(-3, 4, size=(o, f)) * (rng.random((o, f)) < 0.5)
    spikes = [(rng.random((steps, f)) < 0.5).astype(np.int64) for _ in range(frames)]
    result = linear_model.model(weight, spikes, pixels, p, lanes, g)
    rows, groups = 3, f // g
    for k in range(frames):
        # a timestep walks every group, or one per row and a refill when it is silent
        silent = int(linear_model.silent_steps(spikes[k], f).sum())
        walked = (steps - silent) * rows * groups
        assert result.compute_cycles[k] >= result.lower_bound[k]
        assert result.compute_cycles[k] >= walked + silent * (rows + 1)
        assert result.compute_cycles[k] <= walked * -(-g // lanes) + silent * (rows + 1)
        # a frame takes at least its input and its compute
        assert result.frame_cycles[k] >= result.compute_cycles[k] + linear_model.OUTPUT_TAIL


def test_readout_bits_hold_the_extremes():
    for steps in range(1, 20):
        bits = readout_model.readout_bits(0, steps)
        assert steps <= (1 << (bits - 1)) - 1
        count = readout_count(np.ones((steps, 1), dtype=np.int64))
        assert int(count[0]) == steps
        for cb in (2, 9, 40):
            bits = readout_model.readout_bits(1, steps, cb)
            low = readout_accumulate(np.full((steps, 1), -(1 << (cb - 1)), dtype=np.int64))
            high = readout_accumulate(np.full((steps, 1), (1 << (cb - 1)) - 1, dtype=np.int64))
            assert int(low[0]) >= -(1 << (bits - 1)) and int(high[0]) <= (1 << (bits - 1)) - 1


def test_readout_frame_cycles():
    assert readout_model.frame_cycles(5, 3) == 15
    assert readout_model.frame_cycles(1, 1) == 1
