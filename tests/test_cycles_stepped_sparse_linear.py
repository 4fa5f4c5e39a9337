"""The sparse linear core's stepped model (golden.cycles.sparse_linear.SteppedLinear) against
its closed-form schedule (``model``) under free-running streams.

The testbench (tb/sparse_linear_core) checks the stepped model against the DUT cycle by cycle
under drawn pacing; here, with a beat offered every cycle and the output always ready, every
accept edge and every send edge of the stepped model must equal the closed form's: the frames'
input beats on consecutive edges from its ``first_input``, its ``output_cycles``, and so its
``frame_cycles``. Layers come two ways: drawn directly (parameters as network.json spells them,
both ``HasNeuron`` values, odd sizes) and from whole networks drawn by ``small_configs`` through
``plan_network`` and ``run_network`` (the call the network model makes).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.cycles import sparse_linear
from golden.cycles.stepped import free_running, replay_handshakes
from golden.network import random_input, random_weights, run_network
from golden.strategies import small_configs
from vectors.network_top import plan_network


@st.composite
def layers(draw):
    """(parameters, weight, frames): a small linear layer with drawn sparsity and density, 1-3
    frames, ``[T, C, H, W]`` or ``[T, F]``."""
    c, h, w = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    outs, steps = draw(st.integers(1, 7)), draw(st.integers(1, 4))
    parameters = {"InChannels": c, "InHeight": h, "InWidth": w, "OutFeatures": outs,
                  "Timesteps": steps, "Parallel": draw(st.integers(1, 4)),
                  "Lanes": draw(st.integers(1, 4)), "GroupWidth": draw(st.integers(1, 12)),
                  "WeightBits": 4, "MembraneBits": 8, "HasNeuron": draw(st.integers(0, 1))}
    # NeuronStages 2 where the core takes it (a neuron, R >= 2 rows).
    if parameters["HasNeuron"] and outs > parameters["Parallel"] and draw(st.booleans()):
        parameters["NeuronStages"] = 2
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sparsity, density = draw(st.floats(0, 1)), draw(st.floats(0, 1))
    weight = rng.integers(-8, 8, size=(outs, c * h * w))
    weight = np.where(rng.random(weight.shape) >= sparsity, weight, 0)
    shape = (steps, c, h, w) if draw(st.booleans()) else (steps, c * h * w)
    frames = [(rng.random(shape) < density).astype(np.int64)
              for _ in range(draw(st.integers(1, 3)))]
    return parameters, weight, frames


def _check_free_running(parameters: dict, weight, frames) -> None:
    steps, pixels = parameters["Timesteps"], parameters["InHeight"] * parameters["InWidth"]
    closed = sparse_linear.model(weight, frames, pixels, parameters["Parallel"],
                                 parameters["Lanes"], parameters["GroupWidth"],
                                 parameters.get("NeuronStages", 1),
                                 bool(parameters["HasNeuron"]))
    model = sparse_linear.stepped(parameters, weight, frames, steps)
    beats_in = pixels * steps
    accepts, sends = free_running(model, len(frames) * beats_in, len(frames) * steps)
    want_accepts = [first + j for first in closed.first_input for j in range(beats_in)]
    want_sends = [edge for frame in closed.output_cycles for edge in frame]
    assert accepts == want_accepts
    assert sends == want_sends
    frame_cycles = tuple(sends[(k + 1) * steps - 1] - accepts[k * beats_in]
                         for k in range(len(frames)))
    assert frame_cycles == closed.frame_cycles


@given(layer=layers())
def test_free_running_equals_the_closed_form(layer):
    _check_free_running(*layer)


@settings(max_examples=40)
@given(cfg=small_configs(max_layers=3, max_size=4, max_timesteps=4),
       seed=st.integers(0, 10_000), samples=st.integers(1, 3))
def test_network_layers_free_running_equal_the_closed_form(cfg, seed, samples):
    """Every sparse linear core ``plan_network`` builds, with network.json's parameters and the
    layer inputs ``run_network`` gives (the network model's call)."""
    plan = plan_network(cfg)
    rng = np.random.default_rng(seed)
    weights = random_weights(cfg, rng, 0.5)
    contexts = [run_network(cfg, weights, random_input(cfg, rng, 0.4)) for _ in range(samples)]
    for core in plan.layers:
        if core.module == "sparse_linear_core":
            i = core.index
            _check_free_running(core.parameters, weights[f"L{i}.weight"],
                                [c.layers[i].inp for c in contexts])


def test_known_answer_with_the_output_stalled():
    """One pixel, one feature, one group of cost 1, T = 2, the output never ready (cycle i
    ends at edge i; a timestep enters the group stage two edges after its beat, AVAIL_LATENCY,
    and the detector one edge later, STAGE_LATENCY). Frame 0: beats at edges 0, 1; timestep 0
    enters the stage at edge 2 and the detector at edge 3, its beat is in the address stage at
    edge 4, the weight stage at edge 5, the sum stage at edge 6, its row in the row register at
    edge 7 and in the output register at edge 8 (out_valid from cycle 9 on, held). Timestep 1
    enters the stage at edge 3, which frees buffer 0, and follows one edge behind until the row
    register (edge 8), where it waits. Frame 1 (edges 2, 3): timestep 0 enters the stage at edge
    4 and the detector at 5, timestep 1 one edge later each (its stage entry at edge 5 frees
    buffer 1); timestep 0's row goes to the skid register at edge 9, and the stages stall from
    cycle 10 on. Frame 2 (edges 4, 5): timestep 0 enters the stage at edge 6, timestep 1 at
    edge 7 (which frees buffer 0) and the detector at edge 8. Frame 3 (edges 6, 7) fills buffer
    1; its timestep 0 enters the stage at edge 8 and the detector at 9, the last edge it moves,
    and its timestep 1 the stage at edge 9, which frees buffer 1. Frame 4 (edges 8, 9) fills
    buffer 0, frame 5 (edges 10, 11) buffer 1, and the input stops: in_ready low from cycle
    12."""
    parameters = {"InChannels": 1, "InHeight": 1, "InWidth": 1, "OutFeatures": 1,
                  "Timesteps": 2, "Parallel": 1, "Lanes": 1, "GroupWidth": 1,
                  "WeightBits": 2, "MembraneBits": 4, "HasNeuron": 1}
    frames = [np.zeros((2, 1), dtype=np.int64)] * 6
    model = sparse_linear.stepped(parameters, np.zeros((1, 1), dtype=np.int64), frames, 2)
    readies, valids = replay_handshakes(model, [True] * 16, [False] * 16)
    assert valids == [False] * 9 + [True] * 7
    assert readies == [True] * 12 + [False] * 4


def test_known_answer_with_two_neuron_stages_and_the_output_stalled():
    """NeuronStages 2: two features on one bank (R = 2), one pixel, one input, T = 1, groups of
    cost 1, the output never ready. A frame's beat at edge e: its row 0 enters the group stage
    at e + 2 (or when the stage frees), the detector a cycle later, row 1 a cycle behind; a row
    is in the address stage a cycle after its detector edge, the weight stage a cycle later, the
    sum stage a cycle later, the row register a cycle later, the fire register a cycle later.
    Frame 0 (beat at edge 0): rows in the detector at edges 3, 4, row registers 7, 8, fire
    registers 8, 9; row 1 (the last) is in the output register at edge 10: out_valid from cycle
    11 on, held. Frame 1 (edge 1): rows in the detector at 5, 6 (the stage is busy with frame 0
    until edge 4), fire registers 10, 11, where row 1 waits on the held beat. Frame 2 (edge 4,
    buffer 0 freed at edge 3 by frame 0's last group entering the stage): rows in the detector
    at 7, 8; row 0 in the row register at 11, where it waits; row 1 in the skid register at
    edge 12, and the stages stall from cycle 13 on. Frame 3 (edge 6) and frame 4 (edge 8) enter
    the stage and the detectors until edge 11 (frame 4's last group into the stage at 11 frees
    buffer 0); frame 5 (edge 10) and frame 6 (edge 12) fill both buffers (frame 5's row 0
    enters the stage at edge 12, its row 1 never: buffer 1 stays full): in_ready in cycles 0,
    1, 4, 6, 8, 10 and 12 only. One cycle more than NeuronStages 1 to the first beat, and one
    row more held. (Each frame's one input spikes, with a zero weight: groups of cost 1.)"""
    parameters = {"InChannels": 1, "InHeight": 1, "InWidth": 1, "OutFeatures": 2,
                  "Timesteps": 1, "Parallel": 1, "Lanes": 1, "GroupWidth": 1,
                  "WeightBits": 2, "MembraneBits": 4, "HasNeuron": 1, "NeuronStages": 2}
    # Spiking frames (a spike the zero weights never pair with): a silent frame would be
    # replayed (``test_silent_frames_are_replayed``).
    frames = [np.ones((1, 1), dtype=np.int64)] * 7
    model = sparse_linear.stepped(parameters, np.zeros((2, 1), dtype=np.int64), frames, 1)
    readies, valids = replay_handshakes(model, [True] * 16, [False] * 16)
    assert valids == [False] * 11 + [True] * 5
    assert [c for c, ready in enumerate(readies) if ready] == [0, 1, 4, 6, 8, 10, 12]


def test_two_neuron_stages_need_two_rows():
    parameters = {"InChannels": 1, "InHeight": 1, "InWidth": 1, "OutFeatures": 2,
                  "Timesteps": 1, "Parallel": 2, "Lanes": 1, "GroupWidth": 1,
                  "WeightBits": 2, "MembraneBits": 4, "HasNeuron": 1, "NeuronStages": 2}
    with pytest.raises(ValueError, match="R >= 2"):
        sparse_linear.stepped(parameters, np.zeros((2, 1), dtype=np.int64), [], 1)
    with pytest.raises(ValueError, match="NeuronStages must be 1 or 2"):
        sparse_linear.output_tail(3)


def test_more_beats_than_frames_is_refused():
    parameters = {"InChannels": 2, "InHeight": 1, "InWidth": 1, "OutFeatures": 1,
                  "Timesteps": 1, "Parallel": 1, "Lanes": 1, "GroupWidth": 2,
                  "WeightBits": 2, "MembraneBits": 4, "HasNeuron": 0}
    model = sparse_linear.stepped(parameters, np.ones((1, 2), dtype=np.int64),
                                  [np.ones((1, 2), dtype=np.int64)], 1)
    model.clock(True, True)
    with pytest.raises(ValueError, match="only 1 frames given"):
        model.clock(True, True)


def test_mismatched_parameters_are_refused():
    parameters = {"InChannels": 2, "InHeight": 1, "InWidth": 1, "OutFeatures": 1,
                  "Timesteps": 2, "Parallel": 1, "Lanes": 1, "GroupWidth": 2,
                  "WeightBits": 2, "MembraneBits": 4, "HasNeuron": 0}
    with pytest.raises(ValueError, match="weight: shape"):
        sparse_linear.stepped(parameters, np.ones((1, 3)), [], 2)
    with pytest.raises(ValueError, match="Timesteps 2"):
        sparse_linear.stepped(parameters, np.ones((1, 2)), [], 3)
    with pytest.raises(ValueError, match=r"costs\[0\]: shape"):
        sparse_linear.stepped(parameters, np.ones((1, 2)), [np.ones((3, 2))], 2)
