"""Registry entry of the prefix_sum testbench (see tb/registry.py)."""

from tb.registry import Testbench

TESTBENCH = Testbench(
    block="prefix_sum",
    toplevel="prefix_sum",
    sources=("prefix_sum.sv",),
    sweep=(
        {"Count": 1, "Width": 3},
        {"Count": 3, "Width": 2},
        {"Count": 9, "Width": 9},
        # A tree cut between levels: the first two (a core's stage), the rest (its detectors).
        {"Count": 32, "Width": 6, "ToLevel": 2},
        {"Count": 27, "Width": 5, "FromLevel": 3},
        # No level at all (blocks of one: the sums are the values), the low end of ToLevel.
        {"Count": 6, "Width": 3, "ToLevel": 0},
    ),
    regression=(
        # The row bank's scan at digits layer 2 (nine groups, pair counts up to F = 288) and
        # pair_select's blocks at G = 32 (eight blocks, counts up to 32).
        {"Count": 9, "Width": 9},
        {"Count": 8, "Width": 6},
        {"Count": 5, "Width": 3},
        {"Count": 32, "Width": 6, "ToLevel": 3},
        {"Count": 32, "Width": 6, "FromLevel": 3},
    ),
    sim_examples=400,
    test_examples=120,
)
