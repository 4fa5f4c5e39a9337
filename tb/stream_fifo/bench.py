"""Registry entry of the inter-layer stream FIFO testbench (see tb/registry.py)."""

from golden.cores import CORES
from tb.registry import Testbench

TESTBENCH = Testbench(
    block="stream_fifo",
    toplevel="stream_fifo",
    sources=CORES["stream_fifo"].sources,
    sweep=({"Width": 1, "Depth": 1}, {"Width": 7, "Depth": 3}, {"Width": 16, "Depth": 8}),
    regression=({"Width": 5, "Depth": 1}, {"Width": 33, "Depth": 5}),
    sim_examples=300,
    test_examples=60,
    planted_bugs={"DUALSPIKE_BUG_FIFO_DROP_WHEN_FULL": "drops a beat written while full"},
)
