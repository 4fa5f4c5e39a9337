"""The core descriptions (golden.cores) are what every reader takes: the generator, the cycle
models, the benches, synthesis. These tests hold the readers to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci.synth import CORE_FILES
import re

from golden.cores import (CORES, LAYER_CORES, NEURON_PARAMS, PACKAGE, STREAM_CHECKER,
                          bench_sources, layer_core, top_sources)
from golden.memory_images import SEL_BIAS, SEL_BITMAP, SEL_NEURON, SEL_WEIGHT, neuron_words
from golden.neuron import NeuronParams
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


def _package_constants() -> dict[str, int]:
    text = (RTL / PACKAGE).read_text()
    return {name: int(value, 0) if "'" not in value else int(value.split("'d")[1])
            for name, value in re.findall(r"localparam\s+(?:int|logic \[1:0\])\s+(\w+)\s*=\s*"
                                          r"([0-9']+d?[0-9]*);", text)}


def test_the_package_says_what_the_golden_memory_images_say():
    """The RTL's selector codes and neuron words (rtl/dualspike_pkg.sv) are golden's."""
    found = _package_constants()
    assert {k: found[k] for k in ("CfgSelBitmap", "CfgSelWeight", "CfgSelBias",
                                  "CfgSelNeuron")} == {
        "CfgSelBitmap": SEL_BITMAP, "CfgSelWeight": SEL_WEIGHT, "CfgSelBias": SEL_BIAS,
        "CfgSelNeuron": SEL_NEURON}
    # Words and flag bits: a neuron whose every field differs from reset, decoded by position.
    words = neuron_words(NeuronParams(model="lif", threshold=7, reset="soft", leak_shift=3))
    assert words[found["NeuronWordThreshold"]] == 7
    assert words[found["NeuronWordLeakShift"]] == 3
    flags = words[found["NeuronWordFlags"]]
    assert flags >> found["FlagModelLif"] & 1 and flags >> found["FlagResetSoft"] & 1
    soft_if = neuron_words(NeuronParams(model="if", threshold=7, reset="soft"))
    assert soft_if[found["NeuronWordFlags"]] == 1 << found["FlagResetSoft"]


def test_the_package_is_compiled_before_every_module_that_names_it():
    users = {f.name for f in RTL.glob("*.sv") if f.name != PACKAGE
             and "dualspike_pkg::" in f.read_text()}
    assert users, "no module uses the package: this test would check nothing"
    lists = [core.sources for core in CORES.values()] + [top_sources(),
                                                         NEURON_PARAMS.sources]
    lists += [tb.sources for tb in TESTBENCHES.values()]
    checked = 0
    for sources in lists:
        for user in users & set(sources):
            assert PACKAGE in sources and sources.index(PACKAGE) < sources.index(user), sources
            checked += 1
    assert checked >= len(users)


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
