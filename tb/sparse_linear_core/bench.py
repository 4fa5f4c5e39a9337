"""Registry entry of the sparse linear core testbench (see tb/registry.py)."""

from hypothesis import strategies as st

from golden.cores import bench_sources
from tb.registry import Testbench


def _shape(draw) -> dict:
    shape = {
        "InChannels": draw(st.integers(1, 6)),
        "InHeight": draw(st.integers(1, 3)),
        "InWidth": draw(st.integers(1, 3)),
        "OutFeatures": draw(st.integers(1, 7)),
        "Timesteps": draw(st.integers(1, 4)),
        "Parallel": draw(st.integers(1, 4)),
        "Lanes": draw(st.integers(1, 4)),
        "GroupWidth": draw(st.integers(1, 12)),
        "WeightBits": draw(st.integers(2, 8)),
        "MembraneBits": draw(st.integers(4, 32)),
        "HasNeuron": draw(st.integers(0, 1)),
    }
    # NeuronStages 2 where the RTL takes it: a neuron and R >= 2 rows.
    if shape["HasNeuron"] and shape["OutFeatures"] > shape["Parallel"]:
        if draw(st.booleans()):
            shape["NeuronStages"] = 2
    return shape


def _params(c, h, w, o, t, p, lanes, g, b, v, n, stages=1) -> dict:
    params = {"InChannels": c, "InHeight": h, "InWidth": w, "OutFeatures": o, "Timesteps": t,
              "Parallel": p, "Lanes": lanes, "GroupWidth": g, "WeightBits": b,
              "MembraneBits": v, "HasNeuron": n}
    # NeuronStages only when not the RTL default: the other sets keep their build tags.
    if stages != 1:
        params["NeuronStages"] = stages
    return params


TESTBENCH = Testbench(
    block="sparse_linear_core",
    toplevel="sparse_linear_core",
    sources=bench_sources("sparse_linear_core"),
    sweep=(
        # Degenerate: one input, one feature, one timestep, G = L = P = 1, narrowest widths.
        _params(1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1),
        # P and L do not divide O, G = 5 is not a power of two and does not divide F = 12.
        _params(2, 3, 2, 5, 3, 2, 3, 5, 4, 8, 1),
        # Current stream out (readout accumulate), P = 3 with O = 7, G = 8 > F/2.
        _params(3, 2, 2, 7, 2, 3, 2, 8, 8, 16, 0),
        # After a linear layer (H = W = 1), V = 32, B = 8, P = O.
        _params(16, 1, 1, 4, 4, 4, 1, 16, 8, 32, 1),
        # G = 3, L = 4 > G, T = 5, P = 1, V = 6.
        _params(4, 2, 3, 3, 5, 1, 4, 3, 3, 6, 0),
        # One row (P = O) of four groups, T = 3: the step registers wrap g into t with
        # no row step (a mutant of their reset value survived every other set).
        _params(4, 2, 2, 3, 3, 3, 2, 5, 4, 10, 1),
        # NeuronStages = 2 with R = 2: a row enters the row register as the row of its features
        # leaves the fire register (the membrane forwarded from the fire half).
        _params(3, 2, 1, 4, 3, 2, 2, 4, 4, 8, 1, stages=2),
        # The frame buffer's layouts (rtl/linear_frame_buffer.sv): a beat a word of two groups
        # (C = 2G) over four pixels; three beats a group (G = 3C) with the last group partial
        # (five pixels: its third beat is masked); two beats a group over three pixels, with
        # NeuronStages = 2.
        _params(4, 2, 2, 5, 2, 2, 2, 2, 4, 10, 1),
        _params(2, 1, 5, 4, 2, 1, 2, 6, 4, 10, 1),
        _params(4, 1, 3, 6, 3, 2, 2, 8, 4, 10, 1, stages=2),
    ),
    regression=(
        _params(4, 2, 2, 10, 4, 2, 2, 8, 4, 16, 1, stages=2),
        _params(12, 1, 1, 6, 3, 4, 3, 6, 4, 12, 0),
        _params(2, 3, 3, 5, 4, 3, 2, 9, 3, 10, 1, stages=2),
        # One group (G >= F) of three rows, T = 2: the step registers wrap g into r.
        _params(3, 1, 2, 5, 2, 2, 3, 8, 5, 12, 0),
        # A beat a word of three groups (C = 3G, not a power of two) over three pixels.
        _params(6, 1, 3, 4, 3, 2, 2, 2, 4, 12, 0),
        # The planted-bug tests build the last set: T >= 2, a neuron, P not dividing O.
        _params(4, 2, 2, 6, 4, 4, 2, 8, 4, 16, 1),
    ),
    sim_examples=200,
    test_examples=30,
    planted_bugs={
        "DUALSPIKE_BUG_LINEAR_LOST_LAST_TIMESTEP":
            "computes the last timestep from the spikes of timestep T-2",
    },
    shapes=st.composite(lambda draw: _shape(draw))(),
    random_shapes=1,
)
