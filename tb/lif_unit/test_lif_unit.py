"""cocotb testbench of rtl/lif_unit.sv against golden.neuron (SPEC section 2).

With ``Stages = 1`` the LIF unit is combinational, so the testbench itself plays the membrane
register: it applies (v, I, neuron parameters), lets the logic settle for one time step and reads
(spike, v'). With ``Stages = 2`` it applies them with ``load_i`` high, gives an edge, replaces v and
I by other values, gives a second edge with ``load_i`` low and reads: a unit that took the charge
late, or did not hold it, answers wrong. Sequences over T feed v' back as the next v, exactly as a
core does.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import Timer
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.neuron import NeuronParams, run_neuron, step
from tb.harness.coverage import CoverCross, CoverPoint
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import hand_edge

SETTLE_NS = 1


def coverage_sampler(membrane_bits: int):
    """The LIF unit's coverpoints: model x reset x where the charged membrane u lands against
    the threshold (below, at, above) x which end of the V-bit range the charge saturated at
    (low, high, none). A saturated u is the range's end: low (negative) is always below theta
    >= 1, and high (2^(V-1)-1 >= theta) never below, so those 3 of 9 pairs cannot occur and are
    left out of the cross (24 reachable bins)."""
    v_lo, v_hi = sat_bounds(membrane_bits)

    def raw_charge(params: NeuronParams, v: int, current: int) -> int:
        # SPEC 2 before sat_V (Python's >> floors like >>>).
        return v + current if params.model == "if" else v + ((current - v) >> params.leak_shift)

    def saturation(params, v, current) -> str:
        u = raw_charge(params, v, current)
        return "low" if u < v_lo else "high" if u > v_hi else "none"

    def against_threshold(params, v, current) -> str:
        u = min(max(raw_charge(params, v, current), v_lo), v_hi)
        return "below" if u < params.threshold else "at" if u == params.threshold else "above"

    @CoverPoint("lif_unit.model", xf=lambda p, v, i: p.model, bins=["if", "lif"])
    @CoverPoint("lif_unit.reset", xf=lambda p, v, i: p.reset, bins=["hard", "soft"])
    @CoverPoint("lif_unit.threshold", xf=against_threshold, bins=["below", "at", "above"])
    @CoverPoint("lif_unit.saturation", xf=saturation, bins=["low", "high", "none"])
    @CoverCross("lif_unit.model_reset_threshold_saturation",
                items=["lif_unit.model", "lif_unit.reset", "lif_unit.threshold",
                       "lif_unit.saturation"],
                ign_bins=[(None, None, "at", "low"), (None, None, "above", "low"),
                          (None, None, "below", "high")])
    def sample(params: NeuronParams, v: int, current: int) -> None:
        pass

    return sample


class LifTB:
    """Drives the unit's inputs; reads its outputs with an X check."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.membrane_bits = int(dut.MembraneBits.value)
        self.current_bits = int(dut.CurrentBits.value)
        self.stages = int(dut.Stages.value)
        self.cover = coverage_sampler(self.membrane_bits)
        dut.clk_i.value = 0
        dut.load_i.value = 0

    async def edge(self) -> None:
        await hand_edge(self.dut.clk_i, SETTLE_NS)

    async def apply(self, params: NeuronParams, v: int, current: int) -> tuple[int, int]:
        self.cover(params, v, current)
        dut = self.dut
        dut.model_lif_i.value = int(params.model == "lif")
        dut.reset_soft_i.value = int(params.reset == "soft")
        dut.leak_shift_i.value = params.leak_shift
        dut.threshold_i.value = params.threshold
        dut.v_i.value = v
        dut.current_i.value = current
        await Timer(SETTLE_NS, "ns")
        if self.stages == 2:
            dut.load_i.value = 1
            await self.edge()
            # Other values in range (the two's complement of each), then an edge without load.
            dut.load_i.value = 0
            dut.v_i.value = -v - 1
            dut.current_i.value = -current - 1
            await Timer(SETTLE_NS, "ns")
            await self.edge()
        return int(dut.spike_o.value), dut.v_o.value.to_signed()


def neuron_params(membrane_bits: int) -> st.SearchStrategy[NeuronParams]:
    _, v_max = sat_bounds(membrane_bits)
    return st.builds(
        NeuronParams,
        model=st.sampled_from(["if", "lif"]),
        threshold=st.one_of(st.integers(1, v_max), st.sampled_from([1, v_max])),
        reset=st.sampled_from(["hard", "soft"]),
        leak_shift=st.integers(1, membrane_bits - 1),
    )


@cocotb.test()
@checked
async def single_step_matches_golden(dut):
    """One charge/fire/reset step for any parameters, membrane and current of the port widths."""
    tb = LifTB(dut)
    v_lo, v_hi = sat_bounds(tb.membrane_bits)
    i_lo, i_hi = sat_bounds(tb.current_bits)
    scoreboard = Scoreboard("lif_unit step")
    apply = resume(tb.apply)
    extremes = st.sampled_from
    currents = st.one_of(st.integers(i_lo, i_hi), extremes([i_lo, i_hi, 0, -1, 1]))
    membranes = st.one_of(st.integers(v_lo, v_hi), extremes([v_lo, v_hi, 0, -1]))

    @st.composite
    def aimed_currents(draw, params: NeuronParams, v: int) -> int:
        """A current whose charge lands u at theta - 1, theta or theta + 1 exactly (the charge
        inverted: "if" u = v + I; "lif" u = v + floor((I - v) / 2^k)), when the port can carry
        it: an exact hit of theta after the leak is rare among drawn currents
        (lif_unit.threshold "at" per model and reset)."""
        target = params.threshold + draw(st.integers(-1, 1))
        if params.model == "if":
            current = target - v
        else:
            scale = 1 << params.leak_shift
            current = v + (target - v) * scale + draw(st.integers(0, scale - 1))
        return current if i_lo <= current <= i_hi else draw(currents)

    steps = st.tuples(neuron_params(tb.membrane_bits), membranes).flatmap(
        lambda pv: st.tuples(st.just(pv[0]), st.just(pv[1]),
                             currents | aimed_currents(pv[0], pv[1])))

    @given(step_args=steps)
    # Saturation at both ends of the if charge, and the lif charge with a negative current.
    @example(step_args=(NeuronParams("if", 1, "hard", 1), v_hi, i_hi))
    @example(step_args=(NeuronParams("if", 1, "soft", 1), v_lo, i_lo))
    @example(step_args=(NeuronParams("lif", 1, "soft", 1), v_lo, i_lo))
    @example(step_args=(NeuronParams("lif", v_hi, "hard", tb.membrane_bits - 1), v_hi, i_hi))
    @example(step_args=(NeuronParams("lif", 2, "hard", 1), 0, -3))
    @counted
    def check(step_args):
        params, v, current = step_args
        want = step(v, current, params, tb.membrane_bits)
        got = apply(params, v, current)
        scoreboard.compare([(int(want[0]), int(want[1]))], [got])

    await run_search(check, "single_step_matches_golden")


@cocotb.test()
@checked
async def firing_at_threshold(dut):
    """Directed: u == theta fires and u == theta - 1 does not, for every model and reset."""
    tb = LifTB(dut)
    _, v_hi = sat_bounds(tb.membrane_bits)
    scoreboard = Scoreboard("lif_unit threshold")
    expected, observed = [], []
    for theta in sorted({1, 2, v_hi // 2, v_hi}):
        for reset in ("hard", "soft"):
            params = NeuronParams("if", theta, reset, 1)
            for u in (theta - 1, theta):
                # "if" from v = 0 gives u = I, so I = u reaches the threshold exactly.
                if u > sat_bounds(tb.current_bits)[1]:
                    continue
                want = step(0, u, params, tb.membrane_bits)
                expected.append((int(want[0]), int(want[1])))
                observed.append(await tb.apply(params, 0, u))
    scoreboard.compare(expected, observed)


@cocotb.test()
@checked
async def sequences_over_timesteps(dut):
    """T steps with the membrane fed back, compared step by step with golden run_neuron."""
    tb = LifTB(dut)
    i_lo, i_hi = sat_bounds(tb.current_bits)
    scoreboard = Scoreboard("lif_unit sequence")
    apply = resume(tb.apply)
    currents = st.one_of(st.integers(i_lo, i_hi), st.sampled_from([i_lo, i_hi, 0]))

    @given(params=neuron_params(tb.membrane_bits),
           trace=st.lists(currents, min_size=1, max_size=16))
    @example(params=NeuronParams("lif", 3, "soft", 1), trace=[i_hi] * 8)
    @example(params=NeuronParams("if", 1, "hard", 1), trace=[i_lo] * 8)
    @counted
    def check(params, trace):
        spikes, membranes = run_neuron(np.array(trace, dtype=np.int64), params,
                                       tb.membrane_bits)
        expected = [(int(s), int(m)) for s, m in zip(spikes, membranes)]
        observed, v = [], 0
        for current in trace:
            spike, v = apply(params, v, current)
            observed.append((spike, v))
        scoreboard.compare(expected, observed)

    await run_search(check, "sequences_over_timesteps")
