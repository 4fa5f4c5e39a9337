"""Registry entry of the readout core testbench (see tb/registry.py)."""

from hypothesis import strategies as st

from golden.cores import bench_sources
from tb.registry import Testbench


def _params(channels, pixels, steps, mode, current_bits=None) -> dict:
    params = {"Channels": channels, "Pixels": pixels, "Timesteps": steps, "Mode": mode}
    if current_bits is not None:
        params["CurrentBits"] = current_bits
    return params


@st.composite
def _shapes(draw) -> dict:
    mode = draw(st.integers(0, 1))
    return _params(draw(st.integers(1, 8)), draw(st.integers(1, 5)), draw(st.integers(1, 8)),
                   mode, draw(st.integers(2, 40)) if mode else None)


TESTBENCH = Testbench(
    block="readout_core",
    toplevel="readout_core",
    sources=bench_sources("readout_core"),
    sweep=(
        _params(1, 1, 1, 0),          # degenerate: one channel, one pixel, T = 1
        _params(10, 1, 4, 1, 9),      # a linear last layer, accumulate
        _params(3, 5, 3, 0),          # a conv last layer (5 pixels), count, T + 1 = 4
        _params(2, 4, 1, 1, 2),       # narrowest current, T = 1 (ReadoutBits = CurrentBits)
        _params(5, 2, 7, 1, 40),      # wide currents (5 x 43-bit readouts)
    ),
    regression=(
        _params(10, 1, 8, 0),
        _params(4, 6, 4, 1, 17),
        _params(10, 1, 4, 1, 12),
    ),
    sim_examples=200,
    test_examples=40,
    planted_bugs={
        "DUALSPIKE_BUG_READOUT_SKIP_FIRST_STEP": "ignores the beat of timestep 0 of every pixel",
    },
    shapes=_shapes(),
    random_shapes=1,
)
