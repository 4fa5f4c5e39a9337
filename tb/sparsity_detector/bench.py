"""Registry entry of the dual-side sparsity detector testbench (see tb/registry.py)."""

from tb.registry import Testbench

TESTBENCH = Testbench(
    block="sparsity_detector",
    toplevel="sparsity_detector",
    sources=("stream_stable_checker.sv", "prefix_sum.sv", "sparsity_detector.sv"),
    sweep=(
        {"GroupWidth": 1, "Lanes": 1},
        {"GroupWidth": 9, "Lanes": 2},
        {"GroupWidth": 27, "Lanes": 4},
        {"GroupWidth": 8, "Lanes": 3},
        {"GroupWidth": 32, "Lanes": 1},
        # More lanes than positions: lane 2 never holds a pair (its compares are not built).
        {"GroupWidth": 2, "Lanes": 3},
        # The caller did the first levels of the prefix sums (the sparse linear core's stage).
        {"GroupWidth": 9, "Lanes": 2, "PreLevels": 2},
        {"GroupWidth": 32, "Lanes": 4, "PreLevels": 3},
    ),
    regression=(
        {"GroupWidth": 9, "Lanes": 1},
        {"GroupWidth": 16, "Lanes": 2},
        {"GroupWidth": 27, "Lanes": 3},
        {"GroupWidth": 32, "Lanes": 4, "PreLevels": 3},
        {"GroupWidth": 64, "Lanes": 4},
    ),
    sim_examples=300,
    test_examples=80,
    planted_bugs={"DUALSPIKE_BUG_DETECTOR_DROP_HIGHEST": "drops the highest position of a group"},
)
