"""Performance figures of a simulated network (``make sim`` prints them; docs/network.md).

Per network: cycles per frame (first input beat to last readout beat), the initiation interval
(II, mean distance between consecutive frames' last readout beats with frames back to back),
frames per second at ``CLOCK_HZ``. Per layer: the core's steady-state cycles per frame on the
real samples streamed back to back into the core alone (from its cycle model, which each core's
testbench asserts equal to the RTL; for the linear core, whose model gives no absolute times, its
detector-busy cycles or its input beats, whichever is larger), the effectual-op lower
bound ``effectual ops / (P*L)`` and the dense cost ``ceil(Co/P) * ceil(F/L)`` per (pixel, t),
hence utilisation (bound / cycles) and the speed-up from sparsity (dense / cycles); the
measured weight sparsity and the spike sparsity of the layer's input; the steady cycles per
frame of all-silent frames back to back against the layer's input beats per frame (a layer fed
spikes: issue 12 asks that a silent layer cost no more than its input stream); and the span
measured in the network (first to last output beat of the layer in the first frame).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from golden.config import load_config
from golden.cores import LAYER_CORES
from golden.cycles import maxpool
from golden.cycles.network import layer_models, silent_frame

CLOCK_HZ = 200e6
#: Place-and-route results recorded by `make pnr` (ci/pnr.py --record; docs/synthesis.md): make
#: sim quotes frames/s at the Fmax a network reached there, without running place and route.
PNR_RESULTS = Path(__file__).resolve().parents[2] / "ci" / "pnr_results.json"


def reached_fmax(plan: dict, results: Path = PNR_RESULTS) -> dict | None:
    """The recorded place-and-route result of the whole network of ``plan`` (network.json):
    Fmax in MHz and the target, or None when none is recorded. A result recorded for other RTL
    (rtl/ or the generated top: ci.pnr.network_digest) or for other knobs (another plan digest)
    is quoted with a note saying so."""
    if not results.exists():
        return None
    recorded = json.loads(results.read_text())
    for design in recorded.get("designs", []):
        if design.get("network") != plan["name"]:
            continue
        # A network too large for the part: the Fmax of its largest core placed alone
        # (ci/pnr.py), said as such.
        core = design.get("largest_core") or {}
        placed = design if design.get("status") == "ok" else core
        if placed.get("status") != "ok":
            continue
        from ci.pnr import network_digest
        from ci.synth import plan_digest
        stale = [what for what, differs in (
            ("RTL", design.get("rtl_sha256", recorded.get("rtl_sha256"))
             != network_digest(plan)),
            ("knobs", design.get("plan_sha256") != plan_digest(plan))) if differs]
        seeds = placed.get("seeds") or []
        spread = (f", the best of seeds {', '.join(str(s['seed']) for s in seeds)}: "
                  f"{placed['fmax_range_mhz'][0]}-{placed['fmax_range_mhz'][1]} MHz"
                  if placed.get("fmax_range_mhz") else "")
        alone = ""
        if placed is not design:
            # Tried largest first (ci.pnr.largest_core_that_fits): the larger ones did not fit.
            sizes = core.get("cores_lut4") or {}
            larger = [name for name, lut in sizes.items()
                      if lut is not None and lut > sizes.get(core["name"], lut)]
            alone = (f"; the network does not fit ({design.get('error', 'too large')}): the "
                     f"Fmax of its largest core that fits, placed alone, {core['name']}"
                     + (f" (larger, not fitting alone: {', '.join(larger)})" if larger else ""))
        return {"fmax_mhz": placed["fmax_mhz"],
                "target": f"{placed['device']} speed {placed['speed']} "
                          f"({recorded.get('tool', 'nextpnr')}{spread}){alone}"
                          + (f"; recorded for other {' and '.join(stale)} than today's, "
                             "re-run make pnr" if stale else "")}
    return None


def layer_figures(plan: dict, cfg: dict, weights: dict, samples) -> list[dict]:
    steps = cfg["timesteps"]
    rows = []
    for core, model in zip(plan["layers"], layer_models(plan, cfg, weights, samples)):
        i, p = core["index"], core["parameters"]
        inputs = model.inputs
        cycles = model.steady
        row = {"layer": i, "kind": core["kind"], "module": core["module"]}
        if core["module"] == "spike_maxpool" and core.get("unpack"):
            # A pixel per beat in, its pooled pixels' T beats out (spike_unpack): the busier
            # stream bounds it.
            pooled = (p["Height"] // p["Pool"]) * (p["Width"] // p["Pool"])
            row.update(cycles=cycles, lower_bound=max(p["Height"] * p["Width"], pooled * steps),
                       dense=None, weight_sparsity=None, knobs="pixel per beat in")
        elif core["module"] == "spike_maxpool":
            row.update(cycles=cycles, lower_bound=maxpool.lower_bound(p["Height"], p["Width"],
                                                                      steps),
                       dense=None, weight_sparsity=None)
        else:
            weight = weights[f"L{i}.weight"]
            par, lanes = p["Parallel"], p["Lanes"]
            fan_in = int(np.prod(weight.shape[1:]))
            rows_r = -(-weight.shape[0] // par)
            description = LAYER_CORES[core["module"]]
            ops = np.mean([description.frame_ops(p, weight, sample, x, steps)
                           for sample, x in zip(samples, inputs)])
            dense = rows_r * -(-fan_in // lanes) * description.output_pixels(p) * steps
            row.update(cycles=cycles, lower_bound=float(ops) / (par * lanes), dense=dense,
                       weight_sparsity=float(np.mean(weight == 0)),
                       knobs=f"P={par} L={lanes} G={p['GroupWidth']}"
                       + (" placed" if core.get("channel_map") else "")
                       + (" pixel per beat" if p.get("WideBeat") else ""), adders=par * lanes)
        row["input_spike_sparsity"] = (None if core["in_format"] == "pixels"
                                       else float(1 - np.mean([x.mean() for x in inputs])))
        row["silent"] = silent_frame(core, weights, steps)
        rows.append(row)
    return rows


def network_figures(network_dir: Path, perf_path: Path) -> dict:
    network_dir = Path(network_dir)
    plan = json.loads((network_dir / "network.json").read_text())
    cfg = load_config(network_dir / "config.json")
    with np.load(network_dir / "weights.npz") as archive:
        weights = {k: archive[k] for k in archive.files}
    with np.load(network_dir / "samples.npz") as archive:
        samples = [x.astype(np.int64) for x in archive["x"]]
    perf = json.loads(Path(perf_path).read_text())
    samples = samples[: perf["samples"]]
    layers = layer_figures(plan, cfg, weights, samples)
    for row, measured in zip(layers, perf["layers"]):
        row["network_span_first_frame"] = measured["span_cycles"][0]
    ii = perf["initiation_interval_cycles"]
    bottleneck = max(layers, key=lambda r: r["cycles"])
    placed = reached_fmax(plan)
    return {
        "network": plan["name"], "samples": perf["samples"],
        "frame_latency_cycles": float(np.mean(perf["frame_latency_cycles"])),
        "initiation_interval_cycles": ii,
        "fps_at_200MHz": CLOCK_HZ / ii if ii else None,
        "fmax_reached_mhz": placed["fmax_mhz"] if placed else None,
        "fmax_target": placed["target"] if placed else None,
        "fps_at_fmax": placed["fmax_mhz"] * 1e6 / ii if placed and ii else None,
        "bottleneck_layer": bottleneck["layer"], "bottleneck_cycles": bottleneck["cycles"],
        "ii_over_bottleneck": ii / bottleneck["cycles"] if ii else None,
        # The lane adders of the sparse datapaths (P banks x L lanes per layer), summed.
        "adders": sum(r.get("adders", 0) for r in layers),
        "layers": layers,
    }


def _fmt(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _silent_cell(silent: dict | None) -> str:
    if silent is None:
        return "-"
    return f"{silent['cycles']:.0f} / {silent['beats']}"


def figures_markdown(figures: dict) -> str:
    ii = figures["initiation_interval_cycles"]
    lines = [
        f"### {figures['network']} ({figures['samples']} frames back to back)",
        "",
        f"- cycles per frame (first input beat to last readout beat): "
        f"{figures['frame_latency_cycles']:.0f}",
        f"- initiation interval: {_fmt(ii, 1)} cycles = "
        f"{_fmt(figures['fps_at_200MHz'], 0)} frames/s at 200 MHz; bottleneck layer "
        f"{figures['bottleneck_layer']} ({figures['bottleneck_cycles']:.0f} cycles/frame), "
        f"II / bottleneck = {_fmt(figures['ii_over_bottleneck'], 3)}",
        (f"- at the Fmax reached by place and route, {figures['fmax_reached_mhz']} MHz on "
         f"{figures['fmax_target']}: {_fmt(figures['fps_at_fmax'], 0)} frames/s "
         f"(ci/pnr_results.json, from make pnr)" if figures.get("fmax_reached_mhz")
         else "- Fmax reached: no place-and-route result recorded for this network "
              "(make pnr writes ci/pnr_results.json)"),
        f"- adders (P x L summed over the layers): {figures['adders']}",
        "",
        "| layer | core | knobs | cycles/frame | lower bound | utilisation | dense cost "
        "| speed-up | weight sparsity | input spike sparsity | silent frame / input beats "
        "| span in network |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in figures["layers"]:
        util = r["lower_bound"] / r["cycles"] if r["lower_bound"] is not None else None
        speed = r["dense"] / r["cycles"] if r["dense"] else None
        lines.append(
            f"| {r['layer']} {r['kind']} | {r['module']} | {r.get('knobs', '-')} | "
            f"{r['cycles']:.0f} | "
            f"{_fmt(float(r['lower_bound']), 1)} | {_fmt(util, 3)} | {_fmt(r['dense'])} | "
            f"{_fmt(speed, 2)} | {_fmt(r['weight_sparsity'], 3)} | "
            f"{_fmt(r['input_spike_sparsity'], 3)} | {_silent_cell(r.get('silent'))} | "
            f"{r['network_span_first_frame']} |")
    return "\n".join(lines) + "\n"
