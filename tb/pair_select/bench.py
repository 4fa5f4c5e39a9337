"""Registry entry of the pair_select testbench (see tb/registry.py)."""

from tb.registry import Testbench

TESTBENCH = Testbench(
    block="pair_select",
    toplevel="pair_select",
    sources=("prefix_sum.sv", "pair_select.sv"),
    sweep=(
        {"GroupWidth": 1},
        {"GroupWidth": 3},
        {"GroupWidth": 5},
        # Stages 1: a register before the walk; 2: the search a cycle ahead of the weights;
        # 3: the pairs' counts a cycle before the search (as the row bank uses it).
        {"GroupWidth": 9, "Stages": 1},
        {"GroupWidth": 11, "Stages": 3},
        {"GroupWidth": 13, "Stages": 2},
        {"GroupWidth": 32},
    ),
    regression=(
        {"GroupWidth": 4},
        {"GroupWidth": 25, "Stages": 1},
        {"GroupWidth": 32, "Stages": 2},
        {"GroupWidth": 20, "Stages": 3},
        {"GroupWidth": 32},
    ),
    sim_examples=400,
    test_examples=120,
    planted_bugs={"DUALSPIKE_BUG_PAIR_SELECT_BLOCK_EDGE":
                  "a pair that opens a four-bit block is looked for in the block before"},
)
