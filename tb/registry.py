"""Every testbench of the regression: its RTL, its parameter grids and its planted bugs.

``make sim`` runs each block's ``regression`` parameter sets with the regression's example
budget; ``make test`` sweeps ``sweep`` (odd and degenerate sizes included) with a smaller
budget; ``make lint`` lints every parameter set of both grids; the planted-bug tests build each
entry of ``planted_bugs`` and require the suite to fail with a shrunk example.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Testbench:
    block: str
    toplevel: str
    sources: tuple[str, ...]
    sweep: tuple[dict, ...]
    regression: tuple[dict, ...]
    #: Examples per search in ``make sim`` and in ``make test``.
    sim_examples: int = 300
    test_examples: int = 60
    #: define -> what the bug does (the planted-bug tests check each is caught).
    planted_bugs: dict[str, str] = field(default_factory=dict)

    def parameter_sets(self) -> list[dict]:
        seen, unique = set(), []
        for params in self.sweep + self.regression:
            key = tuple(sorted(params.items()))
            if key not in seen:
                seen.add(key)
                unique.append(params)
        return unique


TESTBENCHES: dict[str, Testbench] = {
    tb.block: tb
    for tb in (
        Testbench(
            block="lif_unit",
            toplevel="lif_unit",
            sources=("lif_unit.sv",),
            sweep=(
                {"MembraneBits": 4, "CurrentBits": 6},
                {"MembraneBits": 9, "CurrentBits": 5},
                {"MembraneBits": 16, "CurrentBits": 24},
                {"MembraneBits": 32, "CurrentBits": 40},
            ),
            regression=(
                {"MembraneBits": 4, "CurrentBits": 6},
                {"MembraneBits": 16, "CurrentBits": 24},
                {"MembraneBits": 32, "CurrentBits": 40},
            ),
            sim_examples=500,
            test_examples=150,
            planted_bugs={"DUALSPIKE_BUG_LIF_FIRE_GT": "fires on u > theta instead of u >= theta"},
        ),
        Testbench(
            block="sparsity_detector",
            toplevel="sparsity_detector",
            sources=("popcount.sv", "sparsity_detector.sv"),
            sweep=(
                {"GroupWidth": 1, "Lanes": 1},
                {"GroupWidth": 9, "Lanes": 2},
                {"GroupWidth": 27, "Lanes": 4},
                {"GroupWidth": 8, "Lanes": 3},
                {"GroupWidth": 32, "Lanes": 1},
            ),
            regression=(
                {"GroupWidth": 9, "Lanes": 1},
                {"GroupWidth": 16, "Lanes": 2},
                {"GroupWidth": 27, "Lanes": 3},
                {"GroupWidth": 64, "Lanes": 4},
            ),
            sim_examples=300,
            test_examples=80,
            planted_bugs={
                "DUALSPIKE_BUG_DETECTOR_DROP_HIGHEST": "drops the highest position of a group",
            },
        ),
    )
}
