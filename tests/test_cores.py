"""The core descriptions (golden.cores) are what every reader takes: the generator, the cycle
models, the benches, synthesis. These tests hold the readers to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci.synth import CORE_FILES
from golden.cores import CORES, LAYER_CORES, STREAM_CHECKER, bench_sources, layer_core
from golden.cycles.network import cycle_model
from tb.registry import TESTBENCHES
from vectors.network_top import CORE_SOURCES, plan_network

RTL = Path(__file__).resolve().parents[1] / "rtl"


@pytest.mark.parametrize("module", sorted(CORES))
def test_a_core_is_built_from_files_that_exist_its_own_last_or_listed(module):
    core = CORES[module]
    assert core.sources, module
    assert f"{module}.sv" in core.sources
    assert len(set(core.sources)) == len(core.sources), "a file listed twice"
    missing = [s for s in core.sources if not (RTL / s).is_file()]
    assert not missing, f"{module}: no rtl/ file for {missing}"
    assert STREAM_CHECKER not in core.sources, "the checker is simulation-only"


@pytest.mark.parametrize("module", sorted(CORES))
def test_the_bench_synthesis_and_the_top_take_the_description_sources(module):
    core = CORES[module]
    assert CORE_FILES[module] == core.sources
    if module in TESTBENCHES and module not in ("stream_fifo", "config_register"):
        # (Those two check no stream of their own: their benches compile no stream checker.)
        assert TESTBENCHES[module].sources == bench_sources(module)
    assert set(core.sources) <= set(CORE_SOURCES), "the generated top lists every file"


@pytest.mark.parametrize("module", sorted(LAYER_CORES))
def test_every_layer_core_names_a_cycle_model_with_both_forms(module):
    model = cycle_model(module)
    assert model.__name__ == LAYER_CORES[module].cycles
    assert callable(model.layer_model) and callable(model.stepped)


def test_the_generator_builds_each_layer_with_the_core_the_descriptions_choose():
    cfg = {"name": "cores", "timesteps": 2, "weight_bits": 4, "membrane_bits": 8,
           "input": {"kind": "pixels", "shape": [1, 6, 6], "bits": 4},
           "layers": [{"kind": "conv", "out_channels": 3, "kernel": 3,
                       "neuron": {"model": "if", "threshold": 3, "reset": "hard"}},
                      {"kind": "maxpool", "kernel": 2},
                      {"kind": "conv", "out_channels": 2, "kernel": 3,
                       "neuron": {"model": "if", "threshold": 3, "reset": "hard"}},
                      {"kind": "linear", "out_features": 4, "readout": "accumulate"}]}
    plan = plan_network(cfg)
    assert [c.module for c in plan.layers] == [
        "dense_input_core", "spike_maxpool", "sparse_conv_core", "sparse_linear_core"]
    for index, core in enumerate(plan.layers):
        description = layer_core(core.kind, index == 0)
        assert description.module == core.module
        assert core.has_memory == description.has_memory
        assert core.in_format == description.in_format
    assert layer_core("linear", True).module == "dense_linear_core"
