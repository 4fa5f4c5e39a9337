"""Whole networks on the simulators: generated tops checked layer by layer, and planted wiring
bugs that must be caught with the first diverging layer named.

``make sim`` runs every regression network on one simulator with more examples; here the
smallest ones run on both simulators within the test-suite budget.
"""

from __future__ import annotations

import pytest

from tb.harness.runner import SIMULATORS
from tb.network.networks import (
    events_network,
    fifo_pressure_network,
    random_network,
    run,
    wide_beat_network,
)

pytestmark = pytest.mark.long


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_random_network_matches_golden_layer_by_layer(simulator):
    result = run(random_network(7), simulator, examples=6, samples=2)
    assert result.passed, result.explain()


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_pixel_per_beat_network_matches_golden_layer_by_layer(simulator):
    # The dense input core's WideBeat, the max-pool over its beats and the spike_unpack, with
    # the network cycle model (back_to_back_samples) on both simulators.
    result = run(wide_beat_network(), simulator, examples=4, samples=2)
    assert result.passed, result.explain()


def test_event_network_matches_golden_layer_by_layer():
    # Optimised: its simulation is long enough that -O0 doubles it (60 s -> 129 s).
    result = run(events_network(), "verilator", examples=4, samples=2, quick_build=False)
    assert result.passed, result.explain()


def test_reversed_channel_bus_is_caught_at_the_last_layer():
    network = events_network()
    result = run(network, "verilator", examples=4, samples=2, wiring_bug="reverse_channels",
                 shrink=False)
    assert result.failed > 0, "a reversed channel bus went unnoticed:\n" + result.explain()
    report = "\n".join(result.failures) + open(result.build_dir / "sim.log").read()
    last = len(network.config["layers"]) - 1
    assert f"first diverging layer {last} " in report, result.explain()
    assert list(result.build_dir.glob("mismatch_*.npz")), "no mismatch .npz was written"


def test_fifo_dropping_when_full_is_caught():
    # A network whose FIFOs never fill could not show this bug: in this one the second conv
    # core is far slower than the first, so the FIFO between them fills within a frame.
    network = fifo_pressure_network()
    # Verilator only (networks on Icarus: the random network above; the FIFO's testbench runs
    # on both): on Icarus this run took 55 s of make test at 40c94d5.
    # Optimised: a slow core's frames are long simulations.
    result = run(network, "verilator", examples=4, samples=2,
                 defines=["DUALSPIKE_BUG_FIFO_DROP_WHEN_FULL"], shrink=False, quick_build=False)
    assert result.failed > 0, "a FIFO dropping beats went unnoticed:\n" + result.explain()
    report = open(result.build_dir / "sim.log").read()
    assert "first diverging layer" in report, result.explain()
