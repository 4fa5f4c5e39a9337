"""Registry entry of the sparse conv core testbench (see tb/registry.py)."""

from hypothesis import strategies as st

from golden.cores import bench_sources
from tb.registry import Testbench


def _shape(ci, co, h, w, k, t, p, lanes, g, b, v, neuron) -> dict:
    return {"InChannels": ci, "OutChannels": co, "Height": h, "Width": w, "Kernel": k,
            "Timesteps": t, "Parallel": p, "Lanes": lanes, "GroupWidth": g, "WeightBits": b,
            "MembraneBits": v, "HasNeuron": neuron}


def _worst_cycles(shape: dict) -> int:
    """Cycles of a frame with dense weights and spikes (every group at its most beats)."""
    fan_in = shape["InChannels"] * shape["Kernel"] ** 2
    groups = -(-fan_in // shape["GroupWidth"])
    rows = -(-shape["OutChannels"] // shape["Parallel"])
    beats = -(-min(shape["GroupWidth"], fan_in) // shape["Lanes"])
    return shape["Height"] * shape["Width"] * shape["Timesteps"] * rows * groups * beats


@st.composite
def _shapes(draw) -> dict:
    """Small random parameter sets: any odd K up to 5, P and L up to 4, G up to 32, V 4..32;
    kept to at most ~1500 cycles per dense frame (Icarus runs ~1-2 k cycles/s under cocotb)."""
    return draw(st.builds(
        _shape, ci=st.integers(1, 4), co=st.integers(1, 5), h=st.integers(1, 5),
        w=st.integers(1, 5), k=st.sampled_from((1, 3, 5)), t=st.integers(1, 3),
        p=st.integers(1, 4), lanes=st.integers(1, 4), g=st.integers(1, 32),
        b=st.integers(2, 8), v=st.integers(4, 32), neuron=st.sampled_from((0, 1)),
    ).filter(lambda shape: _worst_cycles(shape) <= 1500))


TESTBENCH = Testbench(
    block="sparse_conv_core",
    toplevel="sparse_conv_core",
    sources=bench_sources("sparse_conv_core"),
    sweep=(
        # Everything 1: one pixel, one channel, one tap, one timestep, one-bit groups.
        _shape(ci=1, co=1, h=1, w=1, k=1, t=1, p=1, lanes=1, g=1, b=2, v=4, neuron=1),
        # P and G do not divide Co and F (F = 18, NG = 4); non-square frame.
        _shape(ci=2, co=3, h=3, w=4, k=3, t=2, p=2, lanes=2, g=5, b=4, v=8, neuron=1),
        # H = 1 under a 5x5 kernel; P = L = 3; G = 7 (F = 25, NG = 4).
        _shape(ci=1, co=5, h=1, w=6, k=5, t=3, p=3, lanes=3, g=7, b=3, v=6, neuron=1),
        # Current output (HasNeuron = 0), T = 4, one bank, L = 4; Ci = 4: the line buffer's
        # words carry their spike flag (rtl/sparse_conv_core.sv TapFlags).
        _shape(ci=4, co=2, h=4, w=3, k=3, t=4, p=1, lanes=4, g=9, b=5, v=12, neuron=0),
        # K = 1, Ci = 1: L = 4 lanes over a fan-in of 1 (k + L is wider than a rank; it once
        # wrapped and hung the bank); P = Co = 4, V = 4 (saturation is easy to reach), B = 8.
        _shape(ci=1, co=4, h=3, w=2, k=1, t=2, p=4, lanes=4, g=3, b=8, v=4, neuron=1),
        # W = 1 and H = 2 under a 5x5 kernel, G = 32 (a whole cfg word), V = 32.
        _shape(ci=2, co=3, h=2, w=1, k=5, t=2, p=2, lanes=1, g=32, b=2, v=32, neuron=1),
        # R = 5 rows in one bank (odd): three row steps per timestep, so the membrane is read a
        # cycle before the LIF stage (rtl/sparse_conv_core.sv g_read_early), and the LIF units
        # take two cycles (LifStages).
        _shape(ci=2, co=5, h=3, w=3, k=3, t=3, p=1, lanes=2, g=6, b=4, v=8, neuron=1),
    ),
    regression=(
        # R = 3 rows per bank: the membrane read early (two row steps per timestep).
        _shape(ci=3, co=7, h=5, w=5, k=3, t=3, p=3, lanes=2, g=8, b=4, v=10, neuron=1),
        # R = 4 rows in each of 2 banks (Co = P * R, R a power of two): the bias write one past
        # the end (address Co: bank 0, row R) wraps to row 0 if the address guard is off by one.
        _shape(ci=2, co=8, h=3, w=3, k=3, t=2, p=2, lanes=2, g=6, b=4, v=8, neuron=1),
        # R = 5 and 6 rows in one bank: three row steps per timestep, so the LIF units take two
        # cycles (rtl/sparse_conv_core.sv LifStages), the currents of HasNeuron = 0 alike.
        _shape(ci=2, co=5, h=4, w=6, k=5, t=2, p=1, lanes=3, g=16, b=4, v=16, neuron=0),
        _shape(ci=4, co=6, h=3, w=4, k=3, t=4, p=1, lanes=1, g=12, b=6, v=5, neuron=1),
        # The planted-bug tests use the last set: K = 3 (a right padding column), T = 2; small,
        # because shrinking a failure runs hundreds of examples.
        _shape(ci=1, co=2, h=3, w=3, k=3, t=2, p=2, lanes=2, g=5, b=3, v=6, neuron=1),
    ),
    sim_examples=200,
    test_examples=40,
    sweep_simulator="verilator",  # long simulations: 25 s a set on Icarus, 13 s on Verilator
    planted_bugs={
        "DUALSPIKE_BUG_CONV_RIGHT_BORDER":
            "reads the right padding column as the border pixel (column W-1) instead of 0",
        "DUALSPIKE_BUG_CONV_MEMBRANE_CARRY":
            "does not clear the membrane at t = 0 of a new pixel",
    },
    shapes=_shapes(),
    random_shapes=1,
)
