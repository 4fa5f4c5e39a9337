"""The sparse conv core against dense on the sparse case of docs/sparse_conv_core.md ("90 %
weight sparsity, 80 % spike sparsity"): layer Ci 4, Co 8, 8x8, K 3, T 4 at P 4, L 2, G 12,
weights and spikes from ``golden.inputs.density_conv_layer(..., 0.9, 0.2, seed=7)``.

The cycle model gives at least 25x fewer cycles than the dense cost for the first frame and for
the steady frame (last output to last output); a simulation runs the core's
``cycles_match_model`` test on that layer, which asserts measured == model per frame (and the
values), so the figure is what the RTL does. It runs on Verilator (28 s here, 64-67 s on Icarus);
the same test runs on both simulators over the core's sweep sets (tests/test_rtl_blocks.py).
"""

from __future__ import annotations

import pytest

from golden.cycles.sparse_conv import ConvHw, dense_cost, schedule
from golden.inputs import density_conv_layer
from tb.harness.runner import run_testbench
from tb.registry import TESTBENCHES

LAYER = {"InChannels": 4, "OutChannels": 8, "Height": 8, "Width": 8, "Kernel": 3,
         "Timesteps": 4, "Parallel": 4, "Lanes": 2, "GroupWidth": 12, "WeightBits": 4,
         "MembraneBits": 16, "HasNeuron": 1}
#: The issue's floor: cycles of the dense core over cycles of the sparse core.
SPEEDUP_FLOOR = 25


def test_model_is_at_least_25x_faster_than_dense():
    weight, _bias, frames = density_conv_layer(LAYER, 0.9, 0.2, seed=7)
    hw = ConvHw(LAYER["Parallel"], LAYER["Lanes"], LAYER["GroupWidth"])
    timing = schedule(weight, frames, hw)
    dense = dense_cost(weight, frames[0], hw)
    steady = timing[1].output_cycles[-1] - timing[0].output_cycles[-1]
    assert dense == dense_cost(weight, frames[1], hw)
    assert dense >= SPEEDUP_FLOOR * timing[0].cycles, (dense, timing[0].cycles)
    assert dense >= SPEEDUP_FLOOR * steady, (dense, steady)


@pytest.mark.long
def test_simulated_cycles_equal_the_model():
    testbench = TESTBENCHES["sparse_conv_core"]
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, "verilator",
                           parameters=LAYER, tag="speedup-case",
                           extra_env={"COCOTB_TEST_FILTER": "cycles_match_model"})
    assert result.passed, result.explain()
    assert result.tests == 1, f"expected only cycles_match_model to run, ran {result.tests}"
