"""The stepped models of the dense input core and the dense linear core
(golden.cycles.dense_input.DenseInputStepped, golden.cycles.dense_linear.DenseLinearStepped)
against their closed-form schedules (``frame_timing``) under free-running streams.

The testbenches (tb/dense_input_core, tb/dense_linear_core) check the stepped models against the
DUT cycle by cycle under drawn pacing; here, with a pixel offered every cycle and the output
always ready, the stepped model's accept edge of every pixel and send edge of every output beat
must equal the closed form's (``accepts`` and ``sends``, hence ``first_in``, ``last_out`` and
the frame cycles). The dense input core's models are checked with 2, 3 and 4 current buffers.
Layers come two ways: drawn directly (the dense model tests' cases, odd sizes, empty banks,
K > H) and as the first layer of whole pixels networks drawn by ``small_configs`` through
``plan_network`` and ``run_network`` (the call the network model makes). Under drawn
pacing the stepped models must keep an offered beat offered and deliver every beat.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.cycles import dense_input, dense_linear
from golden.cycles.stepped import free_running
from golden.network import random_input, random_weights, run_network
from golden.strategies import small_configs
from tests.test_cycles_dense_maxpool import _cases as dense_cases
from vectors.network_top import plan_network

MODELS = {"dense_input_core": dense_input, "dense_linear_core": dense_linear}

#: CurrentBuffers of the dense input core (2: the ping-pong default).
CURRENT_BUFFERS = st.sampled_from([2, 3, 4])
#: NeuronStages of the dense input core (1: the default, a beat per cycle).
NEURON_STAGES = st.sampled_from([1, 2])


def _conv_parameters(weight, frames, knobs, current_buffers: int = 2,
                     neuron_stages: int = 1) -> dict:
    out_channels, channels, kernel, _ = weight.shape
    _, height, width = frames[0].shape
    return {"InChannels": channels, "OutChannels": out_channels, "Height": height,
            "Width": width, "Kernel": kernel, "Timesteps": knobs["timesteps"],
            "Parallel": knobs["parallel"], "Lanes": knobs["lanes"],
            "GroupWidth": knobs["group"], "CurrentBuffers": current_buffers,
            "NeuronStages": neuron_stages}


@st.composite
def linear_cases(draw):
    """(parameters, ``[O, C*H*W]`` weight, 1-3 ``[C, H, W]`` frames) with drawn sparsity."""
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    outs = draw(st.integers(1, 7))
    parameters = {"InChannels": c, "InHeight": h, "InWidth": w, "OutFeatures": outs,
                  "Timesteps": draw(st.integers(1, 4)), "Parallel": draw(st.integers(1, 4)),
                  "Lanes": draw(st.integers(1, 4)), "GroupWidth": draw(st.integers(1, 12))}
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sparsity = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    weight = np.where(rng.random((outs, c * h * w)) < sparsity, 0,
                      rng.integers(-8, 8, size=(outs, c * h * w)))
    frames = [rng.integers(0, 4, size=(c, h, w)) for _ in range(draw(st.integers(1, 3)))]
    return parameters, weight, frames


def _pixels(module: str, parameters: dict) -> int:
    if module == "dense_input_core":
        return parameters["Height"] * parameters["Width"]
    return parameters["InHeight"] * parameters["InWidth"]


def _check_free_running(module: str, parameters: dict, weight, frames,
                        layer_inputs=None) -> None:
    """``frames``: ``[C, H, W]`` (the closed form's); ``layer_inputs``: the stepped model's, if
    not the same (``run_network``'s ``[T, ...]``)."""
    steps = parameters["Timesteps"]
    model_module = MODELS[module]
    knobs = {"parallel": parameters["Parallel"], "lanes": parameters["Lanes"],
             "group": parameters["GroupWidth"], "timesteps": steps}
    if module == "dense_input_core":
        knobs["current_buffers"] = parameters.get("CurrentBuffers", 2)
        knobs["neuron_stages"] = parameters.get("NeuronStages", 1)
    closed = model_module.frame_timing(weight, frames, **knobs)
    model = model_module.stepped(parameters, weight,
                                 frames if layer_inputs is None else layer_inputs, steps)
    outputs_per_frame = steps * (parameters["Height"] * parameters["Width"]
                                 if module == "dense_input_core" else 1)
    accepts, sends = free_running(model, len(frames) * _pixels(module, parameters),
                                  len(frames) * outputs_per_frame)
    assert tuple(accepts) == closed.accepts
    assert tuple(sends) == closed.sends


@given(dense_cases(), CURRENT_BUFFERS, NEURON_STAGES)
def test_dense_input_free_running_equals_the_closed_form(case, current_buffers, neuron_stages):
    weight, frames, knobs = case
    _check_free_running("dense_input_core",
                        _conv_parameters(weight, frames, knobs, current_buffers, neuron_stages),
                        weight, frames)


def test_two_neuron_stages_offer_a_beat_every_other_cycle():
    """Known answer. One pixel, one channel, K = 1, one effectual pair (P = L = G = 1), T = 3:
    pixel accepted at 0, window taken at 1, group accepted at 2, its beat at 2, the currents
    complete at 2 + 1 + BANK_TAIL = 6, the emission starts there: with one neuron stage the
    beats leave at 7, 8, 9; with two, each beat's charge half takes the cycle before it: 8, 10,
    12. The stepped model agrees."""
    weight = np.ones((1, 1, 1, 1), dtype=np.int64)
    frame = np.ones((1, 1, 1), dtype=np.int64)
    knobs = {"parallel": 1, "lanes": 1, "group": 1, "timesteps": 3}
    for stages, sends in {1: (7, 8, 9), 2: (8, 10, 12)}.items():
        timing = dense_input.frame_timing(weight, [frame], **knobs, neuron_stages=stages)
        assert timing.sends == sends, stages
        assert timing.cycles == (sends[-1] + 1,)
        _check_free_running("dense_input_core",
                            _conv_parameters(weight, [frame], knobs, 2, stages), weight, [frame])


def test_other_neuron_stage_counts_are_refused():
    weight = np.ones((1, 1, 1, 1), dtype=np.int64)
    frame = np.ones((1, 1, 1), dtype=np.int64)
    knobs = {"parallel": 1, "lanes": 1, "group": 1, "timesteps": 1}
    for stages in (0, 3):
        with pytest.raises(ValueError, match="neuron_stages must be 1 or 2"):
            dense_input.frame_timing(weight, [frame], **knobs, neuron_stages=stages)
        with pytest.raises(ValueError, match="neuron_stages must be 1 or 2"):
            dense_input.stepped(_conv_parameters(weight, [frame], knobs, 2, stages), weight,
                                [frame], 1)


@given(dense_cases(), st.integers(2, 5))
def test_a_further_current_buffer_never_delays_a_beat(case, current_buffers):
    """Every constraint of the schedule is monotone in the buffer count (a take waits for
    EmitEnd[n - N], non-decreasing in n): one buffer more sends every beat no later."""
    weight, frames, knobs = case
    fewer = dense_input.frame_timing(weight, frames, **knobs, current_buffers=current_buffers)
    more = dense_input.frame_timing(weight, frames, **knobs,
                                    current_buffers=current_buffers + 1)
    assert all(m <= f for m, f in zip(more.sends, fewer.sends, strict=True))
    assert all(m <= f for m, f in zip(more.accepts, fewer.accepts, strict=True))


def test_more_buffers_let_fast_pixels_run_ahead_of_a_slow_one():
    """Known answer. One row of 4 pixels, K = 1, one channel, C = 4 in one group (G = 4), L = 1,
    P = 1, T = 1: pixel 0 has 4 effectual pairs (group accepted at 2, beats 2..5, complete at 9
    after the bank's address, weight and write registers, sent at 10); pixels 1..3 have none
    (one beat each). Pixel 1 is taken at 2 and queues behind pixel 0 in the detector (accepted
    6, complete 10, sent 11). With 2 buffers pixel 2 waits for buffer 0, freed by pixel 0's beat
    at 10: taken 10, accepted 11, complete 15, sent 16; pixel 3 waits for buffer 1 (freed at
    11): sent 17. With 3 buffers pixel 2 is taken at 6, sent 12; pixel 3 waits for buffer 0
    (freed at 10): sent 16. With 4 every pixel has a buffer and the beats leave back to back.
    The stepped model agrees at each count."""
    weight = np.ones((1, 4, 1, 1), dtype=np.int64)
    frame = np.zeros((4, 1, 4), dtype=np.int64)
    frame[:, 0, 0] = 1
    knobs = {"parallel": 1, "lanes": 1, "group": 4, "timesteps": 1}
    expected_sends = {2: (10, 11, 16, 17), 3: (10, 11, 12, 16), 4: (10, 11, 12, 13)}
    for buffers, sends in expected_sends.items():
        timing = dense_input.frame_timing(weight, [frame], **knobs, current_buffers=buffers)
        assert timing.sends == sends, buffers
        _check_free_running("dense_input_core", _conv_parameters(weight, [frame], knobs, buffers),
                            weight, [frame])


def test_fewer_than_two_buffers_are_refused():
    weight = np.ones((1, 1, 1, 1), dtype=np.int64)
    frame = np.ones((1, 1, 1), dtype=np.int64)
    knobs = {"parallel": 1, "lanes": 1, "group": 1, "timesteps": 1}
    with pytest.raises(ValueError, match="current_buffers must be >= 2"):
        dense_input.frame_timing(weight, [frame], **knobs, current_buffers=1)
    with pytest.raises(ValueError, match="current_buffers must be >= 2"):
        dense_input.stepped(_conv_parameters(weight, [frame], knobs, 1), weight, [frame], 1)


@settings(max_examples=30)
@given(cfg=small_configs(max_layers=2, max_size=5, max_timesteps=4, input_kinds=("pixels",)),
       seed=st.integers(0, 10_000), samples=st.integers(1, 3), current_buffers=CURRENT_BUFFERS)
def test_network_first_layer_free_running_equals_the_closed_form(cfg, seed, samples,
                                                                  current_buffers):
    """Layer 0 of a pixels network as ``plan_network`` builds it (network.json's parameters,
    ``weights["L0.weight"]``, the layer inputs ``run_network`` gives); a dense input core's
    CurrentBuffers drawn (the plan leaves it at the default)."""
    core = plan_network(cfg).layers[0]
    parameters = dict(core.parameters)
    if core.module == "dense_input_core":
        parameters.setdefault("CurrentBuffers", current_buffers)
    rng = np.random.default_rng(seed)
    weights = random_weights(cfg, rng, 0.5)
    samples = [random_input(cfg, rng) for _ in range(samples)]
    inputs = [run_network(cfg, weights, x).layers[0].inp for x in samples]
    _check_free_running(core.module, parameters, weights["L0.weight"], samples, inputs)


@settings(max_examples=40)
@given(case=dense_cases(), valid=st.lists(st.booleans(), min_size=1, max_size=6),
       ready=st.lists(st.booleans(), min_size=1, max_size=6), current_buffers=CURRENT_BUFFERS,
       neuron_stages=NEURON_STAGES)
def test_paced_runs_hold_offered_beats_and_deliver_every_beat(case, valid, ready,
                                                              current_buffers, neuron_stages):
    """Drawn input pacing and output backpressure (each pattern repeated, with at least one
    active cycle): an offered output beat stays offered until it is taken, and every pixel in
    and every beat out moves."""
    weight, frames, knobs = case
    parameters = _conv_parameters(weight, frames, knobs, current_buffers, neuron_stages)
    valid, ready = valid + [True], ready + [True]
    model = dense_input.stepped(parameters, weight, frames, knobs["timesteps"])
    pixels = len(frames) * frames[0].shape[1] * frames[0].shape[2]
    beats = pixels * knobs["timesteps"]
    accepted = sent = cycle = 0
    offered = False
    while sent < beats:
        cycle += 1
        assert cycle < 100 * (pixels + beats) * len(valid) * len(ready), "no progress"
        out_ready = ready[cycle % len(ready)]
        assert not offered or model.out_valid(), f"cycle {cycle}: offered beat withdrawn"
        offered = model.out_valid() and not out_ready
        in_fire, out_fire = model.clock(accepted < pixels and valid[cycle % len(valid)],
                                        out_ready)
        accepted += in_fire
        sent += out_fire
    assert accepted == pixels


def _linear_parameters() -> dict:
    return {"InChannels": 1, "InHeight": 1, "InWidth": 2, "OutFeatures": 1, "Timesteps": 2,
            "Parallel": 1, "Lanes": 1, "GroupWidth": 2}


def test_known_answer_with_the_output_stalled():
    """dense_linear_core, 2 pixels, one feature, one group of one beat, T = 2, the output
    never ready (cycle i ends at edge i). Frame 0: pixels at edges 0, 1; gathered frame into the
    one-row line buffer at 2, window taken into buffer 0 at 3, group at 4, its address
    registered at 5, its weight at 6, its sum at 7 (the bank's write stage), currents complete
    in cycle 8: out_valid from cycle 9 on, held. Frame 1: pixels at 2, 3, into the line
    buffer at 4, taken into buffer 1 at 5 (complete, then waiting). Frame 2: pixels at 4, 5,
    held by the gather; into the line buffer at 6, which then stays full (both buffers busy);
    frame 3's pixels at 6, 7 fill the gather, and from cycle 8 on the input is not ready."""
    parameters = _linear_parameters()
    frames = [np.ones((1, 1, 2), dtype=np.int64)] * 5
    model = dense_linear.stepped(parameters, np.zeros((1, 2), dtype=np.int64), frames, 2)
    readies, valids = [], []
    for _ in range(14):
        readies.append(model.in_ready(False))
        valids.append(model.out_valid())
        model.clock(True, False)
    assert valids == [False] * 9 + [True] * 5
    assert readies == [True] * 8 + [False] * 6


def test_more_pixels_than_frames_are_refused():
    parameters = _linear_parameters()
    model = dense_linear.stepped(parameters, np.ones((1, 2)), [np.ones((1, 1, 2))], 2)
    model.clock(True, True)
    model.clock(True, True)
    with pytest.raises(ValueError, match="only 1 frames given"):
        model.clock(True, True)
    conv = {"InChannels": 1, "OutChannels": 1, "Height": 1, "Width": 1, "Kernel": 1,
            "Timesteps": 1, "Parallel": 1, "Lanes": 1, "GroupWidth": 1}
    model = dense_input.stepped(conv, np.ones((1, 1, 1, 1)), [np.ones((1, 1, 1))], 1)
    with pytest.raises(ValueError, match="only 1 frames given"):
        for _ in range(10):     # the one-row line buffer frees its row once the window is taken
            model.clock(True, True)


def test_mismatched_parameters_are_refused():
    parameters = _linear_parameters()
    with pytest.raises(ValueError, match="weight: shape"):
        dense_linear.stepped(parameters, np.ones((1, 3)), [], 2)
    with pytest.raises(ValueError, match="Timesteps 2"):
        dense_linear.stepped(parameters, np.ones((1, 2)), [], 3)
    with pytest.raises(ValueError, match=r"frames\[0\]: shape"):
        dense_linear.stepped(parameters, np.ones((1, 2)), [np.ones((3, 2))], 2)
    conv = {"InChannels": 2, "OutChannels": 1, "Height": 2, "Width": 2, "Kernel": 3,
            "Timesteps": 1, "Parallel": 1, "Lanes": 1, "GroupWidth": 4}
    with pytest.raises(ValueError, match="weight: shape"):
        dense_input.stepped(conv, np.ones((1, 1, 3, 3)), [], 1)
    with pytest.raises(ValueError, match=r"frames\[0\]: shape"):
        dense_input.stepped(conv, np.ones((1, 2, 3, 3)), [np.ones((2, 2, 3))], 1)
    frames = np.ones((2, 2, 2, 2))
    frames[1, 0, 0, 0] = 0
    with pytest.raises(ValueError, match="differs between timesteps"):
        dense_input.stepped({**conv, "Timesteps": 2}, np.ones((1, 2, 3, 3)), [frames], 2)
