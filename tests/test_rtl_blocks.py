"""pytest runners: every block's testbench over its parameter sweep, on both simulators.

Each parameter set is its own build (``build/<sim>/<block>/<params>``). The example budget is
the registry's ``test_examples`` (``make sim`` runs the larger ``sim_examples``).

A block's first sweep set runs on one simulator and the others on the block's
``sweep_simulator`` (tb/registry.py: Icarus, or Verilator for the cores with long simulations),
so every block runs on both at about half the time of running every set on both; a block with
one sweep set runs it on both. ``DUALSPIKE_SWEEP_SIMULATORS=both`` runs every set on both
(docs/harness.md).
"""

from __future__ import annotations

import pytest

from tb.harness.runner import SIMULATORS, parameter_tag, run_testbench, runs_on_both
from tb.registry import TESTBENCHES


def sweep_simulators(testbench) -> list[tuple[dict, str]]:
    if testbench.sweep_simulator not in SIMULATORS:
        raise ValueError(f"{testbench.block}: sweep_simulator must be one of {SIMULATORS}, "
                         f"got {testbench.sweep_simulator!r}")
    if len(testbench.sweep) == 1 or runs_on_both("DUALSPIKE_SWEEP_SIMULATORS"):
        return [(params, sim) for params in testbench.sweep for sim in SIMULATORS]
    other = next(sim for sim in SIMULATORS if sim != testbench.sweep_simulator)
    return [(params, other if index == 0 else testbench.sweep_simulator)
            for index, params in enumerate(testbench.sweep)]


CASES = [
    pytest.param(tb, params, sim, id=f"{tb.block}-{parameter_tag(params)}-{sim}")
    for tb in TESTBENCHES.values()
    for params, sim in sweep_simulators(tb)
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
