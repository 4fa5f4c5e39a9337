"""Per-layer hardware knobs chosen under an adder budget (docs/network.md, "Choosing knobs").

A layer's knobs (``hw``: P output channels in parallel, L lanes, G group width) change its
timing only (SPEC section 1). Its adders are P x L. This module finds, for a network, its
weights and sample inputs, the knobs of every conv and linear layer that make the slowest layer
as fast as possible while the adders summed over the layers stay within a budget:

- every layer's candidates ``(P, L)`` (P up to the output channels, L up to ``max_lanes`` and the
  group) are timed with the layer's exact closed-form cycle model
  (golden.cycles.network.layer_model) on the golden model's input of that layer, the channels
  placed on banks as the generator places them (golden.placement);
- the choice minimises the bottleneck: the largest steady cycles/frame over all layers (the
  max-pools' fixed cost included), then the adders, then, among a layer's candidates of equal
  adders, those whose all-silent frames cost no more than the layer's input stream (issue 12;
  golden.cycles.network.silent_frame; the cores keep silent frames at their stream's pace at
  any knobs since 2026-12-06, so this matters only for a core that would not), then the banks (fewer banks are less area). For a target bottleneck each
  layer takes its cheapest candidate that meets it, so the search over the candidates' cycle
  counts is exact for this objective.

``G`` is kept as the config gives it (else the default, clipped to the fan-in): empty groups cost
no cycle in the sparse cores, and G sets the dense input core's group walk.

Command line (``make knobs``)::

    python -m vectors.knobs --network digits28 --adders 102 [--out config.json]
    python -m vectors.knobs --config cfg.json --weights w.npz --samples 4 --adders 64
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.config import HW_FLAGS, ConfigError, WeightError, load_config, validate_weights
from golden.cycles.network import layer_model, silent_frame
from golden.network import run_network
from vectors.network_top import plan_network

#: Lanes tried at most (an L-lane bank selects L pairs per cycle; past 8 the pair search grows
#: faster than the cycles fall on the regression networks).
MAX_LANES = 8


@dataclass(frozen=True)
class Candidate:
    """One layer's knobs and the steady cycles/frame its core model gives with them."""

    parallel: int
    lanes: int
    group: int
    cycles: float
    #: All-silent frames back to back: (steady cycles/frame, input beats/frame); None for a
    #: layer fed pixels (no spike to be absent).
    silent: tuple[float, int] | None = None

    @property
    def adders(self) -> int:
        return self.parallel * self.lanes

    @property
    def silent_paced(self) -> bool:
        """All-silent frames cost no more cycles than the layer's input stream."""
        return self.silent is None or self.silent[0] <= self.silent[1]

    def hw(self) -> dict:
        return {"parallel": self.parallel, "lanes": self.lanes, "group": self.group}


@dataclass(frozen=True)
class KnobChoice:
    """The chosen knobs per layer index (conv and linear layers), the bottleneck they give and
    the fixed cycles of the layers without knobs (max-pools)."""

    knobs: dict[int, Candidate]
    fixed: dict[int, float]

    @property
    def adders(self) -> int:
        return sum(c.adders for c in self.knobs.values())

    @property
    def bottleneck(self) -> float:
        return max([c.cycles for c in self.knobs.values()] + list(self.fixed.values()))

    def config(self, cfg: dict) -> dict:
        """``cfg`` with every chosen layer's ``hw`` replaced (its flags, such as ``wide_beat``,
        kept: they are the config's choice, not the budget's)."""
        out = copy.deepcopy(cfg)
        for index, candidate in self.knobs.items():
            out["layers"][index]["hw"] = candidate.hw() | _flags(cfg["layers"][index])
        return out


def _flags(layer: dict) -> dict:
    """The layer's on/off knobs (``HW_FLAGS``) as the config gives them."""
    return {flag: value for flag, value in layer.get("hw", {}).items() if flag in HW_FLAGS}


def _core(cfg: dict, weights: dict, index: int, hw: dict) -> dict:
    """Layer ``index``'s core as the generator plans it with knobs ``hw`` (clipped, placed)."""
    trial = copy.deepcopy(cfg)
    trial["layers"][index]["hw"] = hw
    plan = json.loads(plan_network(trial, weights=weights).to_json())
    return plan["layers"][index]


def layer_candidates(cfg: dict, weights: dict, samples, contexts, index: int,
                     adders: int, max_lanes: int = MAX_LANES,
                     max_parallel: int | None = None) -> list[Candidate]:
    """Every distinct ``(P, L)`` of layer ``index`` with P x L <= ``adders`` (and P <=
    ``max_parallel``: banks cost area beyond their adders), timed."""
    layer = cfg["layers"][index]
    group = layer.get("hw", {}).get("group")
    inputs = tuple(c.layers[index].inp for c in contexts)
    found: dict[tuple, Candidate] = {}
    outputs = layer["out_channels"] if layer["kind"] == "conv" else layer["out_features"]
    for parallel in range(1, min(outputs, max_parallel or outputs) + 1):
        for lanes in range(1, max_lanes + 1):
            if parallel * lanes > adders:
                break
            hw = ({"parallel": parallel, "lanes": lanes} | ({"group": group} if group else {})
                  | _flags(layer))
            core = _core(cfg, weights, index, hw)
            p = core["parameters"]
            key = (p["Parallel"], p["Lanes"], p["GroupWidth"])
            if key in found:
                continue  # clipped onto knobs already timed
            model = layer_model(core, weights, samples, inputs, cfg["timesteps"])
            silent = silent_frame(core, weights, cfg["timesteps"])
            found[key] = Candidate(*key, cycles=model.steady,
                                   silent=silent and (silent["cycles"], silent["beats"]))
    return sorted(found.values(), key=lambda c: (c.cycles, c.adders, c.parallel))


def preference(candidate: Candidate) -> tuple:
    """The order among a layer's candidates that meet a target bottleneck: fewer adders, then
    silent frames at the stream's pace, then fewer banks, then fewer cycles."""
    return (candidate.adders, not candidate.silent_paced, candidate.parallel, candidate.cycles)


def choose_knobs(cfg, weights: dict, samples, adders: int, max_lanes: int = MAX_LANES,
                 max_parallel: int | None = None) -> KnobChoice:
    """The knobs of every conv / linear layer minimising the bottleneck within ``adders``.
    Raises ValueError when even one adder per layer exceeds the budget."""
    cfg = load_config(cfg)
    weights = validate_weights(cfg, weights)
    samples = [np.asarray(x).astype(np.int64) for x in samples]
    contexts = [run_network(cfg, weights, x) for x in samples]
    tunable = [i for i, layer in enumerate(cfg["layers"]) if layer["kind"] != "maxpool"]
    if len(tunable) > adders:
        raise ValueError(f"adders: {adders} is fewer than one per conv / linear layer "
                         f"({len(tunable)})")
    plan = json.loads(plan_network(cfg, weights=weights).to_json())
    fixed = {i: layer_model(plan["layers"][i], weights, samples,
                            tuple(c.layers[i].inp for c in contexts), cfg["timesteps"]).steady
             for i, layer in enumerate(cfg["layers"]) if layer["kind"] == "maxpool"}
    spare = adders - (len(tunable) - 1)  # the most one layer can take
    candidates = {i: layer_candidates(cfg, weights, samples, contexts, i, spare, max_lanes,
                                      max_parallel)
                  for i in tunable}
    floor = max(fixed.values(), default=0.0)
    targets = sorted({c.cycles for cs in candidates.values() for c in cs if c.cycles >= floor}
                     | {floor})
    best = None
    for target in targets:  # ascending: the first feasible target is the best bottleneck
        chosen = {}
        for i, cs in candidates.items():
            meeting = [c for c in cs if c.cycles <= target]
            if not meeting:
                break
            chosen[i] = min(meeting, key=preference)
        if len(chosen) == len(tunable) and sum(c.adders for c in chosen.values()) <= adders:
            best = KnobChoice(chosen, fixed)
            break
    if best is None:  # unreachable: one adder per layer always fits (checked above)
        raise ValueError(f"adders: no knobs within {adders}")
    return best


def format_choice(choice: KnobChoice, cfg: dict, adders: int) -> str:
    lines = [f"knobs within {adders} adders: bottleneck {choice.bottleneck:.1f} cycles/frame "
             f"({200e6 / choice.bottleneck:,.0f} frames/s at 200 MHz), {choice.adders} adders",
             "| layer | kind | knobs | adders | cycles/frame | silent frame / input beats |",
             "|---|---|---|---|---|---|"]
    for i, layer in enumerate(cfg["layers"]):
        if i in choice.knobs:
            c = choice.knobs[i]
            silent = "-" if c.silent is None else f"{c.silent[0]:.0f} / {c.silent[1]}"
            lines.append(f"| {i} | {layer['kind']} | P{c.parallel} L{c.lanes} G{c.group} | "
                         f"{c.adders} | {c.cycles:.1f} | {silent} |")
        else:
            lines.append(f"| {i} | {layer['kind']} | - | - | {choice.fixed[i]:.1f} | - |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vectors.knobs", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--network", help="a regression network (tb/network/networks.py)")
    source.add_argument("--config", type=Path, help="a config JSON (with --weights)")
    parser.add_argument("--weights", type=Path, help="weights.npz of --config")
    parser.add_argument("--samples", type=int, default=4,
                        help="input samples timed back to back (default 4)")
    parser.add_argument("--adders", type=int, required=True, help="budget: P x L summed")
    parser.add_argument("--max-lanes", type=int, default=MAX_LANES)
    parser.add_argument("--max-parallel", type=int, default=None,
                        help="at most this many banks per layer (area)")
    parser.add_argument("--out", type=Path, help="write the config with the chosen knobs here")
    args = parser.parse_args(argv)
    try:
        for name in ("max_lanes", "max_parallel"):
            value = getattr(args, name)
            if value is not None and value < 1:
                raise ValueError(f"--{name.replace('_', '-')}: at least 1, got {value}")
        cfg, weights, samples = _load(args)
        choice = choose_knobs(cfg, weights, samples, args.adders, args.max_lanes,
                              args.max_parallel)
    except (ConfigError, WeightError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_choice(choice, cfg, args.adders))
    if args.out is not None:  # written whole or not at all
        staging = args.out.with_name(f".{args.out.name}.partial")
        staging.write_text(json.dumps(choice.config(cfg), indent=2) + "\n")
        staging.replace(args.out)
        print(f"wrote {args.out}")
    return 0


def _load(args) -> tuple[dict, dict, list]:
    """Config, weights and samples of the command line: a regression network's own, or a
    config's weights with random samples of its input kind (tb/network/networks.py, the one
    place both are drawn)."""
    from dataclasses import replace  # noqa: PLC0415

    from tb.network import networks  # noqa: PLC0415 - Hypothesis and torch only here

    if args.samples < 1:
        raise ValueError(f"--samples: at least 1, got {args.samples}")
    if args.network is not None:
        known = {n.name: n for n in networks.regression_networks()}
        if args.network not in known:
            raise ValueError(f"--network: {args.network!r} is not one of {', '.join(known)}")
        network = replace(known[args.network], samples=args.samples)
    else:
        if args.weights is None or not args.weights.is_file():
            raise ValueError(f"--weights: {args.weights}: not a file (--config needs the .npz "
                             f"of its L<i>.weight / L<i>.bias)")
        network = networks.Network(args.config.stem, json.loads(args.config.read_text()),
                                   weights_path=args.weights, samples=args.samples, seed=0)
    cfg = load_config(network.config)
    samples = list(networks.network_samples(network, cfg))
    return cfg, networks.network_weights(network, cfg), samples


if __name__ == "__main__":
    sys.exit(main())
