"""Hypothesis-drawn HDL parameter sets: each example is a build of a core with a random shape.

The number of builds is bounded by each testbench's ``random_shapes``. Hypothesis's first draws
are the simplest shapes whatever the seed, so ``DRAWS`` shapes are drawn first (no build) and the
last ``random_shapes`` of them are built. Shrinking across builds is switched off (each step would
be a new build); the failing shape is reported, and inside its simulation the run-time values are
shrunk as usual. The seed is printed so a failing shape is reproduced with
``DUALSPIKE_SHAPE_SEED=<seed>``. The blocks take the simulators in turn
(``DUALSPIKE_SWEEP_SIMULATORS=both``: each on both), so each simulator builds half of them.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import Phase, given, seed, settings

from tb.harness.runner import run_testbench, simulators_in_turn
from tb.registry import TESTBENCHES

SHAPE_SEED = int(os.environ.get("DUALSPIKE_SHAPE_SEED", random.randrange(1 << 32)))

CASES = [
    pytest.param(tb, sim, id=f"{tb.block}-{sim}")
    for index, tb in enumerate(tb for tb in TESTBENCHES.values()
                               if tb.shapes is not None and tb.random_shapes > 0)
    for sim in simulators_in_turn(index, "DUALSPIKE_SWEEP_SIMULATORS")
]


DRAWS = 12


def drawn_shapes(testbench) -> list[dict]:
    drawn: list[dict] = []

    @seed(SHAPE_SEED)
    @settings(max_examples=DRAWS, deadline=None, database=None, phases=[Phase.generate])
    @given(parameters=testbench.shapes)
    def collect(parameters):
        drawn.append(parameters)

    collect()
    return drawn[-testbench.random_shapes:]


@pytest.mark.parametrize(("testbench", "simulator"), CASES)
def test_random_shapes_match_golden(testbench, simulator):
    print(f"shape seed: DUALSPIKE_SHAPE_SEED={SHAPE_SEED}")
    for parameters in drawn_shapes(testbench):
        result = run_testbench(testbench.block, testbench.toplevel, testbench.sources,
                               simulator, parameters=parameters,
                               examples=max(10, testbench.test_examples // 2))
        assert result.passed, (f"shape seed {SHAPE_SEED}, parameters {parameters}:\n"
                               + result.explain())
