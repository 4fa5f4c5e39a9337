"""Registry entry of the neuron parameters' testbench (see tb/registry.py)."""

from golden.cores import NEURON_PARAMS
from tb.registry import Testbench

TESTBENCH = Testbench(
    block="neuron_params",
    toplevel="neuron_params",
    sources=NEURON_PARAMS.sources,
    # The narrowest membrane (a 2-bit shift) and address a core has, and the widest of both
    # (a 32-bit threshold takes the whole data word).
    sweep=({"MembraneBits": 4, "CfgAddrBits": 2},
           {"MembraneBits": 32, "CfgAddrBits": 14}),
    regression=({"MembraneBits": 16, "CfgAddrBits": 9},),
    sim_examples=200,
    test_examples=40,
    planted_bugs={"DUALSPIKE_BUG_NEURON_PARAMS_FLAGS_SWAPPED":
                  "the model and reset flags are read from each other's bit"},
)
