"""Knobs chosen under an adder budget (vectors/knobs.py): the search is exact for its objective
(checked against every combination of the timed candidates), keeps the budget, and its cycle
figures are those of the network's own cycle models with the chosen knobs."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from golden.config import load_config
from golden.cycles.network import layer_models
from golden.network import run_network
from golden.cycles.network import silent_frame
from tb.network.networks import (
    digits_mlp_network,
    fifo_pressure_network,
    network_samples,
    network_weights,
    wide_beat_network,
)
from vectors.knobs import Candidate, _core, choose_knobs, layer_candidates, main, preference
from vectors.network_top import plan_network


@pytest.fixture(scope="module")
def small():
    network = fifo_pressure_network()
    cfg = load_config(network.config)
    weights = network_weights(network, cfg)
    samples = [np.asarray(x).astype(np.int64) for x in network_samples(network, cfg)]
    return cfg, weights, samples


@pytest.mark.parametrize("adders", [3, 7, 16])
def test_choice_is_the_best_combination_within_the_budget(small, adders):
    cfg, weights, samples = small
    choice = choose_knobs(cfg, weights, samples, adders)
    assert choice.adders <= adders
    contexts = [run_network(cfg, weights, x) for x in samples]
    spare = adders - 2
    timed = [layer_candidates(cfg, weights, samples, contexts, i, spare) for i in (0, 1, 2)]
    best = min((max(c.cycles for c in combo), sum(c.adders for c in combo))
               for combo in itertools.product(*timed)
               if sum(c.adders for c in combo) <= adders)
    assert (choice.bottleneck, choice.adders) == best


def test_chosen_cycles_are_the_network_models(small):
    cfg, weights, samples = small
    choice = choose_knobs(cfg, weights, samples, 10)
    chosen = choice.config(cfg)
    plan = json.loads(plan_network(chosen, weights=weights).to_json())
    models = layer_models(plan, chosen, weights, samples)
    for index, candidate in choice.knobs.items():
        assert models[index].steady == candidate.cycles
        params = plan["layers"][index]["parameters"]
        assert (params["Parallel"], params["Lanes"]) == (candidate.parallel, candidate.lanes)


def test_more_adders_never_slow_the_bottleneck(small):
    cfg, weights, samples = small
    bottlenecks = [choose_knobs(cfg, weights, samples, a).bottleneck for a in (3, 6, 12)]
    assert bottlenecks == sorted(bottlenecks, reverse=True)
    assert bottlenecks[-1] < bottlenecks[0]


def test_equal_adders_prefer_silent_frames_at_the_streams_pace():
    """The chooser's order among equal adders: silent frames at the stream's pace first, then
    fewer banks, then fewer cycles."""
    unpaced = Candidate(parallel=2, lanes=2, group=8, cycles=100.0, silent=(30.0, 20))
    paced_more_banks = Candidate(parallel=4, lanes=1, group=8, cycles=120.0, silent=(20.0, 20))
    paced_fewer_banks = Candidate(parallel=1, lanes=4, group=8, cycles=130.0, silent=(10.0, 20))
    fewer_adders = Candidate(parallel=1, lanes=2, group=8, cycles=200.0, silent=(40.0, 20))
    ordered = sorted([unpaced, paced_more_banks, paced_fewer_banks, fewer_adders],
                     key=preference)
    assert ordered == [fewer_adders, paced_fewer_banks, paced_more_banks, unpaced]


def test_silent_figures_of_the_candidates_are_the_models():
    """digits-mlp's neuron-less readout (10 features, 1 input beat per timestep): each
    candidate's silent figure is ``silent_frame``'s; at P5 L2 (R = 2 rows a bank) and at P10 L1
    alike silent frames are replayed a cycle a timestep, at the stream's pace (P5 L2 took 2
    cycles a timestep before the replay, docs/sparse_linear_core.md), so every 10-adder
    candidate is paced and the fewest banks win."""
    network = digits_mlp_network()
    cfg = load_config(network.config)
    weights = network_weights(network, cfg)
    samples = [np.asarray(x).astype(np.int64) for x in network_samples(network, cfg)][:2]
    contexts = [run_network(cfg, weights, x) for x in samples]
    found = {(c.parallel, c.lanes): c
             for c in layer_candidates(cfg, weights, samples, contexts, 1, 10)}
    steps = cfg["timesteps"]
    assert found[(5, 2)].silent == (1.0 * steps, steps)
    assert found[(10, 1)].silent == (1.0 * steps, steps)
    ten = [c for c in found.values() if c.adders == 10]
    assert all(c.silent_paced for c in ten)
    assert min(ten, key=preference).parallel == min(c.parallel for c in ten)
    for (parallel, lanes), candidate in found.items():
        core = _core(cfg, weights, 1, {"parallel": parallel, "lanes": lanes,
                                       "group": candidate.group})
        figure = silent_frame(core, weights, steps)
        assert candidate.silent == (figure["cycles"], figure["beats"])


def test_the_configs_wide_beat_is_kept_and_timed(tmp_path):
    """``wide_beat`` is the config's choice: every candidate of layer 0 is timed with it (the
    closed form of a pixel per beat) and the written config keeps it."""
    network = wide_beat_network()
    cfg = load_config(network.config)
    weights = network_weights(network, cfg)
    samples = [np.asarray(x).astype(np.int64) for x in network_samples(network, cfg)][:2]
    choice = choose_knobs(cfg, weights, samples, 8)
    chosen = choice.config(cfg)
    assert chosen["layers"][0]["hw"]["wide_beat"] is True
    plan = json.loads(plan_network(chosen, weights=weights).to_json())
    assert plan["layers"][0]["parameters"]["WideBeat"] == 1 and plan["layers"][1]["unpack"]
    models = layer_models(plan, chosen, weights, samples)
    for index, candidate in choice.knobs.items():
        assert models[index].steady == candidate.cycles


def test_a_budget_below_one_adder_per_layer_is_refused(small, capsys):
    cfg, weights, samples = small
    with pytest.raises(ValueError, match="fewer than one per conv / linear layer"):
        choose_knobs(cfg, weights, samples, 2)
    assert main(["--network", "no-such-net", "--adders", "8"]) == 2
    assert "no-such-net" in capsys.readouterr().err


def test_cli_writes_a_config_the_generator_takes(tmp_path, capsys):
    out = tmp_path / "knobs.json"
    assert main(["--network", "events", "--adders", "9", "--samples", "2", "--out",
                 str(out)]) == 0
    written = load_config(json.loads(out.read_text()))
    assert sum(layer["hw"].get("parallel", 1) * layer["hw"].get("lanes", 1)
               for layer in written["layers"] if layer["kind"] != "maxpool") <= 9
    plan_network(written)  # buildable as written
    assert main(["--network", "events", "--adders", "9", "--max-lanes", "0"]) == 2
    assert "--max-lanes: at least 1" in capsys.readouterr().err
