"""Registry entry of the LIF unit testbench (see tb/registry.py)."""

from tb.registry import Testbench

TESTBENCH = Testbench(
    block="lif_unit",
    toplevel="lif_unit",
    sources=("lif_charge.sv", "lif_fire.sv", "lif_unit.sv"),
    sweep=(
        {"MembraneBits": 4, "CurrentBits": 6},
        {"MembraneBits": 9, "CurrentBits": 5},
        {"MembraneBits": 16, "CurrentBits": 24},
        {"MembraneBits": 32, "CurrentBits": 40},
        # The charge registered (as the conv and dense input cores use it): exhaustive at V = 4.
        {"MembraneBits": 4, "CurrentBits": 6, "Stages": 2},
    ),
    regression=(
        {"MembraneBits": 4, "CurrentBits": 6},
        {"MembraneBits": 16, "CurrentBits": 24},
        {"MembraneBits": 16, "CurrentBits": 24, "Stages": 2},
        {"MembraneBits": 32, "CurrentBits": 40},
    ),
    sim_examples=500,
    test_examples=150,
    planted_bugs={"DUALSPIKE_BUG_LIF_FIRE_GT": "fires on u > theta instead of u >= theta"},
)
