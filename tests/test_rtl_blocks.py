"""pytest runners: every block's testbench over its parameter sweep, on both simulators.

Each parameter set is its own build (``build/<sim>/<block>/<params>``). The example budget is
the registry's ``test_examples`` (``make sim`` runs the larger ``sim_examples``).

A block's sweep sets take the simulators in turn (each block starts on the other simulator than
the block before it), so every block runs on both at half the time; a block with one sweep set
runs it on both. ``DUALSPIKE_SWEEP_SIMULATORS=both`` runs every set on both (docs/harness.md).
"""

from __future__ import annotations

import pytest

from tb.harness.runner import SIMULATORS, parameter_tag, run_testbench, simulators_in_turn
from tb.registry import TESTBENCHES


def sweep_simulators(block_number: int, testbench) -> list[tuple[dict, str]]:
    if len(testbench.sweep) == 1:
        return [(testbench.sweep[0], sim) for sim in SIMULATORS]
    return [(params, sim) for index, params in enumerate(testbench.sweep)
            for sim in simulators_in_turn(block_number + index, "DUALSPIKE_SWEEP_SIMULATORS")]


CASES = [
    pytest.param(tb, params, sim, id=f"{tb.block}-{parameter_tag(params)}-{sim}")
    for block_number, tb in enumerate(TESTBENCHES.values())
    for params, sim in sweep_simulators(block_number, tb)
]


@pytest.mark.parametrize(("testbench", "parameters", "simulator"), CASES)
def test_block_matches_golden(testbench, parameters, simulator):
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, simulator,
                           parameters=parameters, examples=testbench.test_examples)
    assert result.passed, result.explain()


def test_every_block_runs_on_both_simulators():
    covered = {(case.values[0].block, case.values[2]) for case in CASES}
    missing = [(tb.block, sim) for tb in TESTBENCHES.values() for sim in SIMULATORS
               if (tb.block, sim) not in covered]
    assert not missing, f"blocks make test does not run on a simulator: {missing}"
