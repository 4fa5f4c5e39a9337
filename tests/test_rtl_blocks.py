"""pytest runners: every block's testbench over its parameter sweep, on both simulators.

Each parameter set is its own build (``build/<sim>/<block>/<params>``). The example budget is
the registry's ``test_examples`` (``make sim`` runs the larger ``sim_examples``).
"""

from __future__ import annotations

import pytest

from tb.harness.runner import SIMULATORS, parameter_tag, run_testbench
from tb.registry import TESTBENCHES

CASES = [
    pytest.param(tb, params, sim, id=f"{tb.block}-{parameter_tag(params)}-{sim}")
    for tb in TESTBENCHES.values()
    for params in tb.sweep
    for sim in SIMULATORS
]


@pytest.mark.parametrize(("testbench", "parameters", "simulator"), CASES)
def test_block_matches_golden(testbench, parameters, simulator):
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, simulator,
                           parameters=parameters, examples=testbench.test_examples)
    assert result.passed, result.explain()
