"""Registry entry of the dense linear core testbench (see tb/registry.py)."""

from hypothesis import strategies as st

from golden.cores import bench_sources
from tb.registry import Testbench


def _params(C, A, H, W, O, T, P, L, G, B, V, N=1):
    return {"InChannels": C, "PixelBits": A, "InHeight": H, "InWidth": W, "OutFeatures": O,
            "Timesteps": T, "Parallel": P, "Lanes": L, "GroupWidth": G, "WeightBits": B,
            "MembraneBits": V, "HasNeuron": N}


#: Small whole parameter sets for random-shape builds.
SHAPES = st.builds(
    _params,
    C=st.integers(1, 3), A=st.sampled_from([1, 2, 4, 8, 12, 16]), H=st.integers(1, 4),
    W=st.integers(1, 4), O=st.integers(1, 7), T=st.integers(1, 4), P=st.integers(1, 4),
    L=st.integers(1, 4), G=st.integers(1, 32), B=st.integers(2, 8), V=st.integers(4, 32),
    N=st.sampled_from([1, 1, 1, 0]),
)

TESTBENCH = Testbench(
    block="dense_linear_core",
    toplevel="dense_linear_core",
    # pixel_frame_gather.sv last: `make mutate` mutates a block's last source, and the core's
    # own logic is the gather (dense_linear_core.sv is wiring around the dense input core).
    sources=bench_sources("dense_linear_core"),
    sweep=(
        # Degenerate: one pixel of one channel, one feature, one timestep, G = L = P = 1, A = 1.
        _params(C=1, A=1, H=1, W=1, O=1, T=1, P=1, L=1, G=1, B=2, V=4),
        # P = 3 and L = 2 do not divide O = 5; G = 5 does not divide F = 12.
        _params(C=2, A=8, H=3, W=2, O=5, T=3, P=3, L=2, G=5, B=4, V=12),
        # Current stream out (a one-layer network with readout accumulate), P > O (empty bank).
        _params(C=3, A=4, H=2, W=2, O=3, T=2, P=4, L=3, G=8, B=6, V=16, N=0),
        # A = 16, V = 32, B = 8: the widest current; L > G, T = 5.
        _params(C=1, A=16, H=2, W=3, O=4, T=5, P=2, L=4, G=3, B=8, V=32),
        # H = 1 row, W = 1 column, G = 32 > F: one group.
        _params(C=2, A=2, H=1, W=4, O=2, T=2, P=1, L=2, G=32, B=3, V=6, N=0),
    ),
    regression=(
        # The digits MLP's first layer (8x8 pixels of 5 bits, 32 features).
        _params(C=1, A=5, H=8, W=8, O=32, T=4, P=8, L=2, G=16, B=4, V=16),
        # RGB-like input, accumulate readout.
        _params(C=3, A=8, H=3, W=3, O=6, T=3, P=2, L=3, G=9, B=4, V=16, N=0),
        # The planted-bug set: C > 1 (the flattening order shows), T >= 2, a neuron.
        _params(C=2, A=4, H=2, W=2, O=4, T=3, P=2, L=2, G=4, B=4, V=12),
    ),
    sim_examples=200,
    test_examples=30,
    planted_bugs={
        "DUALSPIKE_BUG_GATHER_PIXEL_MAJOR":
            "flattens the frame in (y, x, c) order instead of (c, y, x)",
        "DUALSPIKE_BUG_GATHER_DROP_LAST_PIXEL":
            "gathers the frame's last pixel as zeros",
    },
    planted_bug_invisible={
        "DUALSPIKE_BUG_GATHER_PIXEL_MAJOR": lambda p: (
            "one input channel: (y, x, c) and (c, y, x) are the same order"
            if p["InChannels"] == 1 else None),
    },
    shapes=SHAPES,
    random_shapes=1,
)
