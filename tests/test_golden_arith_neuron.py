"""Known answers (derived by hand from SPEC) and properties of golden.arith and golden.neuron."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.arith import asr, sat, sat_bounds
from golden.neuron import NeuronParams, charge, fire, reset, run_neuron, step
from golden.strategies import membrane_bits, neuron_params

IF_HARD = NeuronParams(model="if", threshold=10, reset="hard")
IF_SOFT = NeuronParams(model="if", threshold=10, reset="soft")


# ---------------------------------------------------------------------------------------------
# arith: known answers

def test_sat_bounds_known_values():
    assert sat_bounds(4) == (-8, 7)
    assert sat_bounds(8) == (-128, 127)
    assert sat_bounds(32) == (-2147483648, 2147483647)
    assert sat_bounds(1) == (-1, 0)


def test_sat_bounds_refuses_non_positive_width():
    with pytest.raises(ValueError, match="bits"):
        sat_bounds(0)
    with pytest.raises(ValueError, match="bits"):
        sat_bounds(True)


def test_sat_clamps_scalars_at_both_ends():
    # 4 bits: [-8, 7]; the bounds themselves pass, one beyond is clamped.
    assert [sat(x, 4) for x in (-9, -8, 0, 7, 8)] == [-8, -8, 0, 7, 7]
    # Python ints stay exact far beyond 64 bits before the clamp.
    assert sat(2**70, 16) == 32767
    assert sat(-(2**70), 16) == -32768
    assert isinstance(sat(np.int64(5), 8), int)


def test_sat_on_arrays_returns_int64():
    out = sat(np.array([-9, -8, 7, 8], dtype=np.int32), 4)
    assert out.dtype == np.int64
    assert out.tolist() == [-8, -8, 7, 7]


def test_sat_refuses_float_arrays():
    with pytest.raises(TypeError):
        sat(np.array([1.5]), 8)


def test_asr_floors_negative_values():
    # floor(-3/2) = floor(-1.5) = -2; truncation toward zero would give -1.
    assert asr(-3, 1) == -2
    assert int(-3 / 2) == -1          # what the RTL must NOT do
    # floor(-1/32) = -1: a negative value never shifts to 0.
    assert asr(-1, 5) == -1
    # floor(-5/4) = floor(-1.25) = -2; floor(-4/4) = -1; floor(3/2) = 1.
    assert asr(-5, 2) == -2
    assert asr(-4, 2) == -1
    assert asr(3, 1) == 1
    assert asr(np.array([-3, -1, -5, -4, 3]), np.int64(1)).tolist() == [-2, -1, -3, -2, 1]


def test_asr_refuses_negative_shift():
    with pytest.raises(ValueError, match="k"):
        asr(4, -1)


# ---------------------------------------------------------------------------------------------
# neuron: known answers

def test_if_charge_saturates_high_and_low():
    params = NeuronParams(model="if", threshold=100, reset="hard")
    # V = 8: [-128, 127].
    assert charge(100, 27, params, 8) == 127        # 127 fits exactly
    assert charge(100, 28, params, 8) == 127        # 128 -> 127
    assert charge(100, 50, params, 8) == 127        # 150 -> 127
    assert charge(-100, -28, params, 8) == -128     # -128 fits exactly
    assert charge(-100, -29, params, 8) == -128     # -129 -> -128
    assert charge(-100, -50, params, 8) == -128     # -150 -> -128


def test_lif_charge_with_negative_current_floors():
    k1 = NeuronParams(model="lif", threshold=5, reset="hard", leak_shift=1)
    k2 = NeuronParams(model="lif", threshold=5, reset="hard", leak_shift=2)
    # v = 0, I = -3: (I - v) >>> 1 = -3 >>> 1 = -2, u = 0 + -2 = -2 (truncation: -1).
    assert charge(0, -3, k1, 8) == -2
    # v = 5, I = -6: I - v = -11, -11 >>> 2 = floor(-2.75) = -3, u = 5 - 3 = 2.
    assert charge(5, -6, k2, 8) == 2
    # v = -1, I = 0: (0 + 1) >>> 2 = 0, u = -1 (the leak never rounds a negative v up to 0).
    assert charge(-1, 0, k2, 8) == -1


def test_lif_difference_is_exact_before_saturation():
    k1 = NeuronParams(model="lif", threshold=5, reset="hard", leak_shift=1)
    # V = 4: [-8, 7]. v = 7, I = -8: I - v = -15 (needs 5 bits), -15 >>> 1 = -8, u = 7 - 8 = -1.
    # Had I - v wrapped to 4 bits (-15 -> 1), u would be 7 + 0 = 7.
    assert charge(7, -8, k1, 4) == -1
    # V = 8: v = 120, I = 1000: (880 >>> 1) = 440, 120 + 440 = 560 -> 127.
    assert charge(120, 1000, k1, 8) == 127
    # v = -128, I = -1000: (-872 >>> 1) = -436, -128 - 436 = -564 -> -128.
    assert charge(-128, -1000, k1, 8) == -128


def test_fire_at_exactly_threshold_and_not_below():
    params = NeuronParams(model="if", threshold=5, reset="hard")
    assert fire(5, params) == 1          # u == theta fires (>=, not >)
    assert fire(4, params) == 0          # theta - 1 does not
    assert fire(np.array([4, 5, 6]), params).tolist() == [0, 1, 1]
    assert fire(np.array([4, 5, 6]), params).dtype == np.uint8
    # Through a whole step from rest: I = theta fires and resets, theta - 1 stays charged.
    assert step(0, 5, params, 8) == (1, 0)
    assert step(0, 4, params, 8) == (0, 4)


def test_soft_reset_keeps_the_excess():
    soft = NeuronParams(model="if", threshold=5, reset="soft")
    hard = NeuronParams(model="if", threshold=5, reset="hard")
    # v = 3, I = 4: u = 7 >= 5 fires; soft keeps 7 - 5 = 2, hard drops to 0.
    assert step(3, 4, soft, 8) == (1, 2)
    assert step(3, 4, hard, 8) == (1, 0)
    # u = 12 is 2.4 thresholds, yet one step emits one spike: soft leaves 12 - 5 = 7, and the
    # next step with I = 0 fires again from u = 7, leaving 2.
    assert step(0, 12, soft, 8) == (1, 7)
    assert step(7, 0, soft, 8) == (1, 2)
    assert reset(np.array([7, 12, 4]), np.array([1, 1, 0]), soft).tolist() == [2, 7, 4]
    assert reset(np.array([7, 12, 4]), np.array([1, 1, 0]), hard).tolist() == [0, 0, 4]


# Trajectories over T = 4 with I = [6, 7, -4, 26] and V = 8 (no saturation), written step by
# step; membranes are v after the reset of each step.
TRAJECTORY_CURRENTS = [6, 7, -4, 26]


def test_trajectory_if_hard():
    # theta 10. t0: u=0+6=6 -> s0, v=6. t1: u=6+7=13 -> s1, v=0. t2: u=0-4=-4 -> s0, v=-4.
    # t3: u=-4+26=22 -> s1, v=0.
    spikes, membranes = run_neuron(np.array(TRAJECTORY_CURRENTS), IF_HARD, 8)
    assert spikes.tolist() == [0, 1, 0, 1]
    assert membranes.tolist() == [6, 0, -4, 0]


def test_trajectory_if_soft():
    # theta 10. t0: u=6 -> s0, v=6. t1: u=13 -> s1, v=13-10=3. t2: u=3-4=-1 -> s0, v=-1.
    # t3: u=-1+26=25 -> s1, v=15.
    spikes, membranes = run_neuron(np.array(TRAJECTORY_CURRENTS), IF_SOFT, 8)
    assert spikes.tolist() == [0, 1, 0, 1]
    assert membranes.tolist() == [6, 3, -1, 15]


def test_trajectory_lif_hard():
    # theta 4, k 1: u = v + ((I - v) >>> 1).
    # t0: 0 + (6 >>> 1) = 3 -> s0, v=3. t1: 3 + (4 >>> 1) = 5 -> s1, v=0.
    # t2: 0 + (-4 >>> 1) = -2 -> s0, v=-2. t3: -2 + (28 >>> 1) = 12 -> s1, v=0.
    params = NeuronParams(model="lif", threshold=4, reset="hard", leak_shift=1)
    spikes, membranes = run_neuron(np.array(TRAJECTORY_CURRENTS), params, 8)
    assert spikes.tolist() == [0, 1, 0, 1]
    assert membranes.tolist() == [3, 0, -2, 0]


def test_trajectory_lif_soft():
    # theta 4, k 1. t0: u=3 -> s0, v=3. t1: u=5 -> s1, v=5-4=1.
    # t2: 1 + ((-4 - 1) >>> 1) = 1 + floor(-2.5) = 1 - 3 = -2 -> s0, v=-2.
    # t3: -2 + ((26 + 2) >>> 1) = -2 + 14 = 12 -> s1, v=12-4=8.
    params = NeuronParams(model="lif", threshold=4, reset="soft", leak_shift=1)
    spikes, membranes = run_neuron(np.array(TRAJECTORY_CURRENTS), params, 8)
    assert spikes.tolist() == [0, 1, 0, 1]
    assert membranes.tolist() == [3, 1, -2, 8]


def test_trajectory_lif_k2():
    # theta 3, k 2, soft, I = [8, 8, -8, 0]: u = v + ((I - v) >>> 2).
    # t0: 0 + (8 >>> 2) = 2 -> s0, v=2. t1: 2 + (6 >>> 2) = 3 -> s1, v=0.
    # t2: 0 + (-8 >>> 2) = -2 -> s0, v=-2. t3: -2 + (2 >>> 2) = -2 -> s0, v=-2.
    params = NeuronParams(model="lif", threshold=3, reset="soft", leak_shift=2)
    spikes, membranes = run_neuron(np.array([8, 8, -8, 0]), params, 8)
    assert spikes.tolist() == [0, 1, 0, 0]
    assert membranes.tolist() == [2, 0, -2, -2]


def test_trajectory_with_saturation_at_both_ends():
    # V = 4 ([-8, 7]), if, theta 7 (the largest allowed), hard, I = [5, 5, -20, 3].
    # t0: u=5 -> s0, v=5. t1: u=10 -> sat 7 >= 7 -> s1, v=0. t2: u=-20 -> sat -8 -> s0, v=-8.
    # t3: u=-8+3=-5 -> s0, v=-5.
    params = NeuronParams(model="if", threshold=7, reset="hard")
    spikes, membranes = run_neuron(np.array([5, 5, -20, 3]), params, 4)
    assert spikes.tolist() == [0, 1, 0, 0]
    assert membranes.tolist() == [5, 0, -8, -5]


def test_run_neuron_keeps_neurons_independent_and_time_first():
    # Two neurons side by side are the two scalar trajectories above.
    currents = np.array([[6, 5], [7, 5], [-4, -20], [26, 3]])
    spikes, membranes = run_neuron(currents, IF_SOFT, 8)
    assert spikes.dtype == np.uint8 and membranes.dtype == np.int64
    assert spikes[:, 0].tolist() == [0, 1, 0, 1]
    assert membranes[:, 0].tolist() == [6, 3, -1, 15]
    # Second neuron, theta 10 soft: 5, 10 -> s1 v0, -20, -17.
    assert spikes[:, 1].tolist() == [0, 1, 0, 0]
    assert membranes[:, 1].tolist() == [5, 0, -20, -17]


def test_neuron_params_validation_and_from_config():
    assert NeuronParams.from_config({"model": "if", "threshold": 3, "reset": "soft"}) == \
        NeuronParams(model="if", threshold=3, reset="soft", leak_shift=1)
    lif = NeuronParams.from_config({"model": "lif", "threshold": 3, "reset": "hard",
                                    "leak_shift": 2})
    assert lif.leak_shift == 2
    for bad in ({"model": "izh"}, {"reset": "zero"}, {"threshold": 0}, {"leak_shift": 0},
                {"threshold": True}):
        kwargs = {"model": "if", "threshold": 3, "reset": "hard", **bad}
        with pytest.raises(ValueError):
            NeuronParams(**kwargs)
    with pytest.raises(ValueError, match="threshold"):
        run_neuron(np.zeros(2, dtype=np.int64), NeuronParams("if", 128, "hard"), 8)
    with pytest.raises(ValueError, match="leak_shift"):
        run_neuron(np.zeros(2, dtype=np.int64), NeuronParams("lif", 1, "hard", 8), 8)


# ---------------------------------------------------------------------------------------------
# properties

wide_ints = st.integers(-(2**40), 2**40)


@settings(max_examples=200)
@given(x=wide_ints, k=st.integers(0, 40))
def test_asr_is_floor_division(x, k):
    assert asr(x, k) == x // 2**k
    assert asr(np.array([x]), k).tolist() == [x // 2**k]


@settings(max_examples=200)
@given(x=wide_ints, bits=st.integers(1, 40))
def test_sat_is_clamp(x, bits):
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    assert sat(x, bits) == min(max(x, lo), hi)
    assert sat(np.array([x]), bits).tolist() == [min(max(x, lo), hi)]


@st.composite
def _membrane_and_current(draw):
    bits = draw(membrane_bits())
    lo, hi = sat_bounds(bits)
    return bits, draw(st.integers(lo, hi)), draw(st.integers(-(2**34), 2**34))


@settings(max_examples=200)
@given(case=_membrane_and_current(), threshold=st.integers(1, 2**31 - 1))
def test_lif_k1_is_firefly_half_sum(case, threshold):
    # v + floor((I - v) / 2) == floor((v + I) / 2) for integers: FireFly's (v + I) >>> 1.
    bits, v, current = case
    params = NeuronParams(model="lif", threshold=threshold, reset="hard", leak_shift=1)
    assert charge(v, current, params, bits) == sat((v + current) >> 1, bits)
    assert charge(v, current, params, bits) == sat((v + current) // 2, bits)


@st.composite
def _neuron_runs(draw):
    bits = draw(membrane_bits())
    params = draw(neuron_params(bits))
    steps = draw(st.integers(1, 8))
    width = draw(st.integers(1, 5))
    span = draw(st.sampled_from((4, 2 ** (bits - 1), 2 ** (bits + 2))))
    currents = draw(st.lists(st.lists(st.integers(-span, span), min_size=width, max_size=width),
                             min_size=steps, max_size=steps))
    return bits, params, np.array(currents, dtype=np.int64)


@settings(max_examples=200)
@given(case=_neuron_runs())
def test_spikes_are_binary_and_membranes_stay_in_range(case):
    bits, params, currents = case
    spikes, membranes = run_neuron(currents, params, bits)
    lo, hi = sat_bounds(bits)
    assert spikes.dtype == np.uint8 and set(np.unique(spikes).tolist()) <= {0, 1}
    assert membranes.dtype == np.int64
    assert membranes.min() >= lo and membranes.max() <= hi
    # A spike leaves the membrane below threshold after a hard reset (exactly 0).
    if params.reset == "hard":
        assert (membranes[spikes == 1] == 0).all()


@settings(max_examples=150)
@given(case=_neuron_runs())
def test_scalar_and_array_paths_agree(case):
    # The scalar path uses exact Python ints; the array path int64: they must agree.
    bits, params, currents = case
    spikes, membranes = run_neuron(currents, params, bits)
    for n in range(currents.shape[1]):
        v = 0
        for t in range(currents.shape[0]):
            s, v = step(v, int(currents[t, n]), params, bits)
            assert (s, v) == (spikes[t, n], membranes[t, n])
