"""What a simulation run checked: examples tried and values compared, written as JSON.

The runner reads this file (path in ``DUALSPIKE_SUMMARY``) to fill the regression table and to
fail a testbench that compared nothing.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class TestStats:
    examples: int = 0
    compared_items: int = 0
    compared_values: int = 0
    minimal_failing_example: str | None = None
    #: The search (``run_search`` name) that failed, for the runner's traced replay.
    failing_search: str | None = None


@dataclass
class RunStats:
    tests: dict[str, TestStats] = field(default_factory=dict)
    current: str = "unnamed"

    def begin(self, test_name: str) -> None:
        self.current = test_name
        self.tests.setdefault(test_name, TestStats())

    @property
    def _now(self) -> TestStats:
        return self.tests.setdefault(self.current, TestStats())

    def add_example(self) -> None:
        self._now.examples += 1

    def add_compared(self, items: int, values: int) -> None:
        self._now.compared_items += items
        self._now.compared_values += values

    def record_failure(self, text: str, search: str | None = None) -> None:
        self._now.minimal_failing_example = text
        self._now.failing_search = search

    def write(self, sim_time_ns: float) -> None:
        path = os.environ.get("DUALSPIKE_SUMMARY")
        if not path:
            return
        payload = {
            "sim_time_ns": sim_time_ns,
            "examples": sum(t.examples for t in self.tests.values()),
            "compared_items": sum(t.compared_items for t in self.tests.values()),
            "compared_values": sum(t.compared_values for t in self.tests.values()),
            "tests": {name: asdict(t) for name, t in self.tests.items()},
        }
        coverage = sys.modules.get("tb.harness.coverage")  # only when the testbench covers
        if coverage is not None:
            payload["coverage"] = coverage.summary()
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2))
        tmp.replace(path)


#: The statistics of this simulator process (one process runs one testbench module).
STATS = RunStats()
