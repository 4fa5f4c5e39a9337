"""Proof that the suite can fail: each planted bug is built, caught and shrunk.

Every RTL block carries bugs behind ``DUALSPIKE_BUG_*`` defines (listed in tb/registry.py).
Each test builds the buggy variant and requires the block's testbench to fail with a minimal
failing example in its report. The bugs take the two simulators in turn, so each simulator shows
it fails and shrinks on half of them (every testbench runs clean on both in test_rtl_blocks);
``DUALSPIKE_PLANTED_BUGS=both`` runs every bug on both (twice the time; docs/harness.md). The
hand-written corner-case examples are switched off here (``DUALSPIKE_SKIP_EXPLICIT``): the
random search must find the bug by itself and Hypothesis must shrink it.

Each case runs with a fixed seed (``planted_bug_seed``): the search and its shrinking are the
same in every run, so a case's verdict and its time are reproducible (with the time-based seed
of the other block runs one case took 13 s in one run and 109 s in the next, all of it
shrinking).
"""

from __future__ import annotations

import zlib

import pytest

from tb.harness.runner import run_testbench, simulators_in_turn
from tb.registry import TESTBENCHES

pytestmark = pytest.mark.long

PLANTED_BUG_EXAMPLES = 200

#: Every planted bug with its testbench, in registry order.
BUGS = [(tb, define) for tb in TESTBENCHES.values() for define in tb.planted_bugs]


CASES = [
    pytest.param(tb, define, sim, id=f"{tb.block}-{define.removeprefix('DUALSPIKE_BUG_')}-{sim}")
    for index, (tb, define) in enumerate(BUGS)
    for sim in simulators_in_turn(index, "DUALSPIKE_PLANTED_BUGS")
]


def planted_bug_seed(block: str, define: str) -> int:
    """The case's seed: a checksum of its block and bug, the same on both simulators."""
    return zlib.crc32(f"{block}/{define}".encode()) % 2**31


@pytest.mark.parametrize(("testbench", "define", "simulator"), CASES)
def test_planted_bug_is_caught_and_shrunk(testbench, define, simulator):
    parameters = testbench.planted_bug_parameters()
    seed = planted_bug_seed(testbench.block, define)
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, simulator,
                           parameters=parameters, defines=[define], seed=seed,
                           # The random search alone must find the bug: give it room (a run stops
                           # at the first failure, so a bug found early costs little).
                           examples=max(testbench.test_examples, PLANTED_BUG_EXAMPLES),
                           extra_env={"DUALSPIKE_SKIP_EXPLICIT": "1"})
    assert result.error is None, result.explain()
    assert result.failed > 0, (
        f"planted bug {define} ({testbench.planted_bugs[define]}) was NOT caught (seed {seed}):\n"
        + result.explain())
    report = "\n".join(result.failures)
    assert "Failing test case" in report, (
        f"{define} was caught but the report shows no minimal example:\n{result.explain()}")
    print(f"\n{define} caught on {simulator} (seed {seed}):\n{report}")
