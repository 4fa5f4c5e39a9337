"""Registry entry of the configuration register testbench (see tb/registry.py)."""

from golden.cores import CORES
from tb.registry import Testbench

TESTBENCH = Testbench(
    block="config_register",
    toplevel="config_register",
    sources=CORES["config_register"].sources,
    # Layer 0 and the last layer a LayerBits field holds; one-bit and wide bank / address fields.
    sweep=({"LayerBits": 1, "Layer": 0, "BankBits": 1, "AddrBits": 1},
           {"LayerBits": 3, "Layer": 7, "BankBits": 2, "AddrBits": 11}),
    regression=({"LayerBits": 3, "Layer": 2, "BankBits": 3, "AddrBits": 14},),
    sim_examples=200,
    test_examples=40,
    planted_bugs={"DUALSPIKE_BUG_CFG_ANY_LAYER": "takes the writes of every layer"},
)
