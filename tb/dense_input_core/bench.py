"""Registry entry of the dense input core testbench (see tb/registry.py)."""

from hypothesis import strategies as st

from golden.cores import bench_sources
from tb.registry import Testbench


def _params(C, A, Co, H, W, K, T, P, L, G, B, V, N=1, Buffers=2, Stages=1, Wide=0):
    params = {"InChannels": C, "PixelBits": A, "OutChannels": Co, "Height": H, "Width": W,
              "Kernel": K, "Timesteps": T, "Parallel": P, "Lanes": L, "GroupWidth": G,
              "WeightBits": B, "MembraneBits": V, "HasNeuron": N}
    # CurrentBuffers only when not the RTL default: the ping-pong sets keep their build tags.
    if Buffers != 2:
        params["CurrentBuffers"] = Buffers
    # NeuronStages likewise (and only with a neuron: the RTL refuses 2 without one).
    if Stages != 1 and N:
        params["NeuronStages"] = Stages
    # WideBeat likewise (it needs a neuron and one neuron stage).
    elif Wide and N:
        params["WideBeat"] = 1
    return params


#: Small whole parameter sets for random-shape builds (each a few seconds to build and run).
SHAPES = st.builds(
    _params,
    C=st.integers(1, 3), A=st.sampled_from([1, 2, 4, 8, 12, 16]), Co=st.integers(1, 6),
    H=st.integers(1, 5), W=st.integers(1, 5), K=st.sampled_from([1, 3, 5]),
    T=st.integers(1, 4), P=st.integers(1, 4), L=st.integers(1, 4), G=st.integers(1, 32),
    B=st.integers(2, 8), V=st.integers(4, 32), N=st.sampled_from([1, 1, 1, 0]),
    Buffers=st.sampled_from([2, 2, 3, 4]), Stages=st.sampled_from([1, 1, 2]),
    Wide=st.sampled_from([0, 0, 1]),
)

TESTBENCH = Testbench(
    block="dense_input_core",
    toplevel="dense_input_core",
    sources=bench_sources("dense_input_core"),
    sweep=(
        # P = 3 does not divide Co = 4; G = 5 is not a power of two.
        _params(C=1, A=8, Co=4, H=4, W=5, K=3, T=3, P=3, L=2, G=5, B=4, V=12),
        # H = 1, K = 5 (taller than the frame), A = 1, L = 3 > pairs of most groups.
        _params(C=2, A=1, Co=3, H=1, W=6, K=5, T=2, P=2, L=3, G=7, B=2, V=6),
        # K = 1, accumulate readout (the current stream), L = 1, P = 4 does not divide Co = 5.
        _params(C=3, A=8, Co=5, H=3, W=3, K=1, T=4, P=4, L=1, G=3, B=8, V=16, N=0),
        # W = 1, T = 1, P > Co (an empty bank), V = 4, G = 9 > F = 9 ... exactly one group.
        _params(C=1, A=4, Co=2, H=2, W=1, K=3, T=1, P=4, L=4, G=9, B=3, V=4),
        # A = 16, V = 32: the widest current; G = 6 cuts F = 18 into 3 groups.
        _params(C=2, A=16, Co=6, H=5, W=4, K=3, T=2, P=2, L=2, G=6, B=5, V=32),
        # A ring of 3 buffers (not a power of two: buffer index 3 unused). One row per bank and
        # one group (G = F = 9), L = 1, T = 4: a pixel takes 1 (no effectual pair) to 9 beats,
        # faster or slower than its 4 emission beats, so the buffer count shows in the cycles.
        _params(C=1, A=8, Co=4, H=4, W=5, K=3, T=4, P=4, L=1, G=9, B=4, V=12, Buffers=3),
        # 4 buffers with the accumulate readout; P = 2 over Co = 3 (bank 0: 2 rows, bank 1: 1),
        # G = F = 18: a pixel takes 2 to 18 beats against T = 4.
        _params(C=2, A=4, Co=3, H=3, W=4, K=3, T=4, P=2, L=2, G=18, B=3, V=10, N=0, Buffers=4),
        # Two neuron stages (a beat every other cycle), soft and hard reset alike, with 3
        # buffers; T = 3 against 1 to 9 beats per pixel, so the emission shows in the cycles.
        _params(C=1, A=8, Co=4, H=4, W=5, K=3, T=3, P=4, L=1, G=9, B=4, V=12, Buffers=3,
                Stages=2),
        # A pixel per beat (WideBeat): T = 3 neuron stages, P = 3 over Co = 4, 3 buffers, so
        # pixels of 1 to 9 beats run ahead of and behind the chain; and T = 1 (a one-stage
        # chain), P > Co.
        _params(C=1, A=8, Co=4, H=4, W=5, K=3, T=3, P=3, L=1, G=9, B=4, V=12, Buffers=3,
                Wide=1),
        _params(C=2, A=4, Co=2, H=3, W=2, K=3, T=1, P=3, L=2, G=7, B=3, V=8, Wide=1),
    ),
    regression=(
        # The digits network's first layer (8x8 pixels, 8 bits, 3x3, 4-bit weights).
        _params(C=1, A=8, Co=8, H=8, W=8, K=3, T=4, P=4, L=2, G=9, B=4, V=16),
        # RGB-like input, one group holding the whole fan-in (G = F = 27).
        _params(C=3, A=8, Co=6, H=6, W=6, K=3, T=2, P=4, L=3, G=27, B=4, V=16),
        # Single-layer network with an accumulate readout, K = 5.
        _params(C=2, A=4, Co=3, H=4, W=4, K=5, T=3, P=2, L=2, G=10, B=6, V=20, N=0),
        # The digits layer with 3 and 4 current buffers: 2 rows per bank, one group, L = 2, so a
        # pixel takes 2 to 10 beats against T = 4 (fast pixels run ahead of the emission).
        _params(C=1, A=8, Co=8, H=8, W=8, K=3, T=4, P=4, L=2, G=9, B=4, V=16, Buffers=3),
        _params(C=1, A=8, Co=8, H=8, W=8, K=3, T=4, P=4, L=2, G=9, B=4, V=16, Buffers=4),
        # Where golden.cores chooses two neuron stages, at its boundary: 8 rows per bank x 1
        # group = 2T (the digits network's first layer has 16 rows), 4 buffers, 5-bit pixels.
        _params(C=1, A=5, Co=16, H=6, W=6, K=3, T=4, P=2, L=2, G=9, B=4, V=16, Buffers=4,
                Stages=2),
        # digits28's first layer as a pixel per beat would run it (docs/dense_input_core.md,
        # "A pixel per beat"): 16 channels over 8 banks, L = 4, 8 buffers, T = 4; 10 x 10.
        _params(C=1, A=8, Co=16, H=10, W=10, K=3, T=4, P=8, L=4, G=9, B=4, V=16, Buffers=8,
                Wide=1),
        # The planted-bug set (T >= 2, a neuron).
        _params(C=1, A=8, Co=4, H=4, W=4, K=3, T=3, P=2, L=2, G=8, B=4, V=12),
    ),
    sim_examples=200,
    test_examples=30,
    sweep_simulator="verilator",  # long simulations: 12.5 s a set on Icarus, 10 s on Verilator
    planted_bugs={
        "DUALSPIKE_BUG_DENSE_LOST_LAST_TIMESTEP":
            "repeats the previous beat at t = T-1 (the spikes of T-2; the previous pixel's for "
            "T = 1)",
    },
    shapes=SHAPES,
    random_shapes=1,
)
