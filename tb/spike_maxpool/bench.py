"""Registry entry of the spike max-pool testbench (see tb/registry.py)."""

from hypothesis import strategies as st

from golden.cores import bench_sources
from tb.registry import Testbench


def _params(C, H, W, S, T):
    return {"Channels": C, "Height": H, "Width": W, "Pool": S, "Timesteps": T}


@st.composite
def _shapes(draw):
    pool = draw(st.integers(1, 4))
    return _params(C=draw(st.integers(1, 8)), H=pool * draw(st.integers(1, 3)),
                   W=pool * draw(st.integers(1, 3)), S=pool, T=draw(st.integers(1, 5)))


TESTBENCH = Testbench(
    block="spike_maxpool",
    toplevel="spike_maxpool",
    sources=bench_sources("spike_maxpool"),
    sweep=(
        _params(C=1, H=2, W=2, S=2, T=1),     # one window, one channel, one timestep
        _params(C=3, H=4, W=6, S=2, T=3),
        _params(C=2, H=3, W=3, S=3, T=2),     # S = 3: the whole frame is one window
        _params(C=4, H=2, W=5, S=1, T=2),     # S = 1: identity, back-to-back completions
        _params(C=5, H=6, W=2, S=2, T=4),     # W/S = 1: a single row-buffer entry
    ),
    regression=(
        _params(C=16, H=8, W=8, S=2, T=4),    # the digits network's first pool
        _params(C=32, H=4, W=4, S=2, T=4),
        _params(C=3, H=9, W=6, S=3, T=2),
        _params(C=4, H=4, W=4, S=2, T=3),     # the planted-bug set
    ),
    sim_examples=300,
    test_examples=60,
    planted_bugs={
        "DUALSPIKE_BUG_MAXPOOL_DROP_LAST_ROW_OF_WINDOW":
            "ignores the input of the window's last row (dy = S-1)",
    },
    shapes=_shapes(),
    random_shapes=1,
)
