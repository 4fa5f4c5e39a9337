"""A whole Hypothesis search inside one simulator run, shrinking included.

Pattern (see docs/harness.md): the testbench writes an ``async`` function that resets the DUT,
drives one example and returns what the DUT produced, decorated with ``cocotb.task.resume``; and
a plain ``@given`` function that calls it and compares with the golden model through a
:class:`~tb.harness.scoreboard.Scoreboard`. :func:`run_search` then runs that function in a
thread bridged to the simulator, seeded from ``cocotb.RANDOM_SEED``, with its example database
in a known folder. On failure Hypothesis shrinks inside the same simulation; the minimal
example is logged, stored in the run summary and re-raised so the cocotb test fails.
"""

from __future__ import annotations

import functools
import json
import os
import traceback
from collections.abc import Callable
from pathlib import Path

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.task import bridge
from hypothesis import HealthCheck, Phase, reproduce_failure, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tb.harness.report import STATS

#: Examples per search when the runner does not say (``DUALSPIKE_EXAMPLES``).
DEFAULT_EXAMPLES = 50


def examples_budget(default: int = DEFAULT_EXAMPLES, scale: float = 1.0) -> int:
    """The number of examples a search may try: ``DUALSPIKE_EXAMPLES`` (or ``default``) times
    ``scale``; a testbench whose examples are expensive passes ``scale < 1``."""
    base = int(os.environ.get("DUALSPIKE_EXAMPLES", default))
    return max(1, round(base * scale))


def _database(name: str) -> DirectoryBasedExampleDatabase | None:
    root = os.environ.get("DUALSPIKE_HYPOTHESIS_DB")
    return DirectoryBasedExampleDatabase(Path(root) / name) if root else None


def _phases() -> list[Phase]:
    """All phases; ``DUALSPIKE_SKIP_EXPLICIT=1`` drops the hand-written ``@example`` corner cases
    (the planted-bug tests use it to prove that the random search alone finds and shrinks);
    ``DUALSPIKE_SKIP_SHRINK=1`` drops shrinking."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
    if os.environ.get("DUALSPIKE_SKIP_EXPLICIT") == "1":
        phases.remove(Phase.explicit)
    if os.environ.get("DUALSPIKE_SKIP_SHRINK") == "1":
        # Network wiring-bug tests only need the catch and the diverging layer; shrinking a
        # whole-network example costs minutes.
        phases.remove(Phase.shrink)
    return phases


def counted(test: Callable) -> Callable:
    """Counts every call of the example body (generation and shrinking alike)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        STATS.add_example()
        return test(*args, **kwargs)

    return wrapper


async def run_search(given_test: Callable, name: str, max_examples: int | None = None) -> None:
    """Runs ``given_test`` (already decorated with ``@given`` / ``@example``) to completion.

    The body must be wrapped *inside* ``@given`` with :func:`counted`, or call
    ``STATS.add_example()`` itself, so that examples are counted. ``name`` names the example
    database folder; the statistics go to the enclosing :func:`checked` test.
    """
    configured = settings(
        max_examples=max_examples if max_examples is not None else examples_budget(),
        deadline=None,
        database=_database(name),
        derandomize=False,
        print_blob=True,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much, HealthCheck.large_base_example],
        phases=_phases(),
    )(given_test)
    seeded = seed(cocotb.RANDOM_SEED)(configured)
    replay = json.loads(os.environ.get("DUALSPIKE_REPLAY", "{}")).get(name)
    if replay:
        # The runner's traced re-run of a failure: exactly the shrunk example, from its blob
        # (``@seed`` turns Hypothesis' example database off, so the blob is the replay).
        seeded = reproduce_failure(replay[0], replay[1].encode())(seeded)
    try:
        await bridge(seeded)()
    except BaseException as error:
        notes = "\n".join(getattr(error, "__notes__", []))
        text = f"{type(error).__name__}: {error}\n{notes}".strip()
        STATS.record_failure(text, name)
        cocotb.log.error(
            "MINIMAL FAILING EXAMPLE of %s (shrunk by Hypothesis, seed %s):\n%s\n%s",
            name, cocotb.RANDOM_SEED, text, "".join(traceback.format_exception(error)[-3:]),
        )
        raise
    finally:
        STATS.write(get_sim_time("ns"))


def checked(test: Callable) -> Callable:
    """Decorates a cocotb test (put it under ``@cocotb.test()``): its statistics are recorded
    under its name and written to the run summary, and a test that compared nothing fails."""

    @functools.wraps(test)
    async def wrapper(dut, *args, **kwargs):
        STATS.begin(test.__name__)
        try:
            await test(dut, *args, **kwargs)
        finally:
            STATS.write(get_sim_time("ns"))
        if STATS.tests[test.__name__].compared_values == 0:
            raise AssertionError(f"{test.__name__}: the test compared no value at all")

    return wrapper
