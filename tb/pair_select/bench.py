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
        # Registered: the search split by a register (as the row bank uses it).
        {"GroupWidth": 9, "Registered": 1},
        {"GroupWidth": 32},
    ),
    regression=(
        {"GroupWidth": 4},
        {"GroupWidth": 25, "Registered": 1},
        {"GroupWidth": 32},
    ),
    sim_examples=400,
    test_examples=120,
    planted_bugs={"DUALSPIKE_BUG_PAIR_SELECT_BLOCK_EDGE":
                  "a pair that opens a four-bit block is looked for in the block before"},
)
