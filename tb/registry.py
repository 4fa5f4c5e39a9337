"""Every testbench of the regression: its RTL, its parameter grids and its planted bugs.

Each block's folder ``tb/<block>/`` holds ``bench.py`` defining ``TESTBENCH = Testbench(...)``;
this module collects them. ``make sim`` runs each block's ``regression`` parameter sets with
the regression's example budget; ``make test`` sweeps ``sweep`` (odd and degenerate sizes
included) with a smaller budget, plus ``random_shapes`` sets drawn by Hypothesis from
``shapes``; ``make lint`` lints every parameter set of the grids; the planted-bug tests build
each entry of ``planted_bugs`` and require the suite to fail with a shrunk example.
"""

from __future__ import annotations

from collections.abc import Callable

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

TB_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Testbench:
    block: str
    toplevel: str
    #: RTL files, relative to rtl/, in compilation order (packages first).
    sources: tuple[str, ...]
    sweep: tuple[dict, ...]
    regression: tuple[dict, ...]
    #: Examples per search in ``make sim`` and in ``make test``.
    sim_examples: int = 300
    test_examples: int = 60
    #: make test runs the first sweep set on the other simulator and the rest on this one (so
    #: both check every block): an Icarus build takes a second and then interprets, a Verilator
    #: build ~7 s of C++ compile and then runs fast, so only blocks whose simulations are long
    #: (the conv and dense-input cores) name Verilator. (make sim runs every regression set on
    #: the simulator it is given: Verilator in CI.)
    sweep_simulator: str = "icarus"
    #: define -> what the bug does (the planted-bug tests check each is caught).
    planted_bugs: dict[str, str] = field(default_factory=dict)
    #: The parameter set the planted-bug tests build (None: the last regression set). A bench
    #: whose regression sets make every example slow names a smaller one: the search and the
    #: shrinking run up to ~2,000 examples.
    planted_bug_set: dict | None = None
    #: define -> f(HDL parameters) giving why the bug cannot change this block's behaviour at
    #: those parameters (e.g. a flattening order with one channel), or None: a bundle whose
    #: every instance of the block is such is not asked to catch it (vectors/sensitivity.py).
    planted_bug_invisible: dict[str, Callable[[dict], str | None]] = field(default_factory=dict)
    #: Hypothesis strategy of whole parameter sets (HDL parameters), for random shape builds.
    shapes: st.SearchStrategy[dict] | None = None
    #: How many drawn shape sets ``make test`` builds per simulator.
    random_shapes: int = 0

    def planted_bug_parameters(self) -> dict:
        return self.planted_bug_set if self.planted_bug_set is not None else self.regression[-1]

    def parameter_sets(self) -> list[dict]:
        seen, unique = set(), []
        for params in self.sweep + self.regression:
            key = tuple(sorted(params.items()))
            if key not in seen:
                seen.add(key)
                unique.append(params)
        return unique


def _collect() -> dict[str, Testbench]:
    found = {}
    for bench in sorted(TB_DIR.glob("*/bench.py")):
        module = importlib.import_module(f"tb.{bench.parent.name}.bench")
        testbench = module.TESTBENCH
        if testbench.block != bench.parent.name:
            raise ValueError(f"{bench}: block {testbench.block!r} must match its folder")
        found[testbench.block] = testbench
    return found


TESTBENCHES: dict[str, Testbench] = _collect()
