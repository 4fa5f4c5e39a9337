"""Registry entry of the spike unpacking stage's testbench (see tb/registry.py)."""

from golden.cores import bench_sources
from tb.registry import Testbench

TESTBENCH = Testbench(
    block="spike_unpack",
    toplevel="spike_unpack",
    sources=bench_sources("spike_unpack"),
    # T = 1 (a beat passes through), a three-step T (the timestep counter's unused code).
    sweep=({"Channels": 1, "Timesteps": 1}, {"Channels": 5, "Timesteps": 3}),
    # digits28's layer 1 as a pixel per beat would feed it (16 channels, T = 4), T = 8.
    regression=({"Channels": 16, "Timesteps": 4}, {"Channels": 8, "Timesteps": 8}),
    sim_examples=300,
    test_examples=60,
    planted_bugs={"DUALSPIKE_BUG_UNPACK_LAST_EARLY":
                  "puts last on every timestep of a frame's last pixel"},
)
