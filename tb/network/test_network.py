"""cocotb testbench of a generated network top (vectors/network_top.py), layer by layer.

The network folder (``DUALSPIKE_NETWORK_DIR``) holds ``network.json`` (the plan), ``config.json``,
``weights.npz`` and optionally ``samples.npz`` (real inputs). Every layer's output stream is
tapped and compared with the golden context (per sample, timestep, channel and pixel); the first
diverging layer is reported with its sample, t, channel, y and x, and an ``.npz`` with the golden
and RTL tensors of every layer is written next to the run for offline study.

Tests: ``random_examples`` (Hypothesis: frames, and with ``DUALSPIKE_NETWORK_WEIGHTS=random``
also weights, sparsity and neuron parameters, loaded through the configuration port per example),
``back_to_back_samples`` (the real samples streamed back to back: correctness; every stream's
last beat per sample equal to the network cycle model, golden.cycles.network.stepped_network;
cycles per frame and initiation interval written to ``perf.json``), ``reset_mid_frame``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import RisingEdge
from hypothesis import given
from hypothesis import strategies as st

from golden import inputs
from golden.config import load_config
from golden.cycles.network import stepped_network
from golden.network import random_weights, run_network
from golden.neuron import NeuronParams
from golden.strategies import neuron_params
from tb.harness.coverage import CoverPoint
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.report import STATS
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.stream import MultiStreamMonitor, StreamSource
from tb.harness.tb import TB
from vectors import streams as S
from vectors.network_top import NetworkPlan, network_writes

NETWORK_DIR = Path(os.environ.get("DUALSPIKE_NETWORK_DIR", "."))
RUN_DIR = Path(os.environ.get("DUALSPIKE_SUMMARY", "./summary.json")).parent


#: Cycles with no beat on any stream after which a run is over (a lost beat stalls the whole
#: network; the slowest layer of the regression networks moves a beat every few dozen cycles).
IDLE_CYCLES = 20_000


class NetworkTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.plan = NetworkPlan.from_json((NETWORK_DIR / "network.json").read_text())
        self.cfg = load_config(NETWORK_DIR / "config.json")
        with np.load(NETWORK_DIR / "weights.npz") as archive:
            self.weights = {k: archive[k] for k in archive.files}
        self.accept_cycles: list[int] = []
        self.source = self.stream(StreamSource(
            self.clock, dut.in_valid_i, dut.in_ready_o,
            {"data": dut.in_data_i, "last": dut.in_last_i}, on_accept=self._on_accept))
        taps = {f"tap{c.index}": (getattr(dut, f"tap{c.index}_valid_o"),
                                  getattr(dut, f"tap{c.index}_ready_o"),
                                  {"data": getattr(dut, f"tap{c.index}_data_o"),
                                   "last": getattr(dut, f"tap{c.index}_last_o")})
                for c in self.plan.layers}
        taps["out"] = (dut.out_valid_o, dut.out_ready_i,
                       {"data": dut.out_data_o, "last": dut.out_last_o})
        # The input's handshakes on the same cycle count as the taps' (the cycle figures).
        taps["in"] = (dut.in_valid_i, dut.in_ready_o, {"last": dut.in_last_i})
        self.monitor = self.stream(MultiStreamMonitor(self.clock, taps))
        self.out_ready_pacing = iter(())
        dut.out_ready_i.value = 0
        dut.cfg_valid_i.value = 0

    def _on_accept(self, beat) -> None:
        self.accept_cycles.append(self.monitor.cycle)

    def reset_streams(self) -> None:
        self.accept_cycles.clear()
        self.dut.cfg_valid_i.value = 0

    async def load(self, writes) -> None:
        """Drives every configuration write, one per cycle."""
        dut = self.dut
        for layer, sel, bank, addr, data in writes:
            dut.cfg_layer_i.value = layer
            dut.cfg_sel_i.value = sel
            dut.cfg_bank_i.value = bank
            dut.cfg_addr_i.value = addr
            dut.cfg_data_i.value = data
            dut.cfg_valid_i.value = 1
            await RisingEdge(self.clock)
        dut.cfg_valid_i.value = 0

    async def _drive_out_ready(self, pattern, stop) -> None:
        from tb.harness.pacing import cycle_pattern

        pacing = cycle_pattern(pattern)
        while not stop["done"]:
            self.dut.out_ready_i.value = int(next(pacing))
            await RisingEdge(self.clock)

    async def run(self, writes, samples, source_pacing=ALWAYS, sink_pacing=ALWAYS,
                  max_cycles: int | None = None) -> dict:
        """Resets, loads ``writes``, streams ``samples`` back to back; returns every stream's
        beats with their cycles."""
        await self.reset()
        await self.load(writes)
        self.monitor.clear()
        self.source.set_pacing(source_pacing)
        bits = self.cfg["input"].get("bits", 1)
        for x in samples:
            for beat in S.input_beats(self.plan, x, bits):
                self.source.put(beat)
        stop = {"done": False}
        cocotb.start_soon(self._drive_out_ready(sink_pacing, stop))
        want = len(samples) * self.plan.readout["pixels"]
        budget = max_cycles or 200_000 * len(samples)
        progress, idle = -1, 0
        for _ in range(budget):
            await RisingEdge(self.clock)
            if len(self.monitor.beats["out"]) >= want:
                break
            # A network that lost a beat waits forever: stop once no stream has moved for
            # IDLE_CYCLES (every core emits or accepts a beat far more often than that).
            moved = len(self.accept_cycles) + sum(map(len, self.monitor.beats.values()))
            idle = 0 if moved != progress else idle + 1
            progress = moved
            if idle >= IDLE_CYCLES:
                break
        for _ in range(4 * self.plan.timesteps + 8):  # beats after the end would show here
            await RisingEdge(self.clock)
        stop["done"] = True
        return {name: list(beats) for name, beats in self.monitor.beats.items()} | {
            "accept_cycles": list(self.accept_cycles)}


def golden_streams(plan: NetworkPlan, cfg, weights, samples):
    contexts = [run_network(cfg, weights, x) for x in samples]
    expected = {name: [] for name in [f"tap{c.index}" for c in plan.layers] + ["out"]}
    for context in contexts:
        for name, words in S.expected_streams(plan, context).items():
            expected[name].append(words)
    return contexts, expected


def write_mismatch_npz(plan, contexts, observed, path: Path) -> None:
    """Golden and RTL tensors of every layer, per sample, for offline study."""
    arrays = {}
    steps = plan.timesteps
    for core in plan.layers:
        name = f"tap{core.index}"
        per_sample = len(S.tensor_beats(core, S.layer_tensor(core, contexts[0].layers[core.index])))
        words = [w["data"] for _, w in observed[name]]
        arrays[f"L{core.index}.golden"] = np.stack(
            [S.layer_tensor(core, c.layers[core.index]) for c in contexts])
        arrays[f"L{core.index}.rtl"] = np.stack(
            [S.beats_tensor(core, words[n * per_sample:(n + 1) * per_sample], steps)
             for n in range(len(contexts))])
    words = [w["data"] for _, w in observed["out"]]
    pixels = plan.readout["pixels"]
    arrays["readout.golden"] = np.stack([c.readout for c in contexts])
    arrays["readout.rtl"] = np.stack(
        [S.beats_readout(plan, words[n * pixels:(n + 1) * pixels], contexts[0].readout.shape)
         for n in range(len(contexts))])
    np.savez(path, **arrays)


def compare_network(plan: NetworkPlan, contexts, expected, observed, label: str) -> None:
    """Layer by layer in network order; raises at the first diverging layer with its sample,
    timestep, channel, y and x, after writing the mismatch ``.npz``."""
    steps = plan.timesteps
    for name in [f"tap{c.index}" for c in plan.layers] + ["out"]:
        got = [beat["data"] for _, beat in observed[name]]
        got_last = [beat["last"] for _, beat in observed[name]]
        flat, owners, lasts = [], [], []
        for sample, words in enumerate(expected[name]):
            flat += words
            owners += [(sample, i) for i in range(len(words))]
            lasts += [0] * (len(words) - 1) + [1]
        core = plan.layers[int(name[3:])] if name != "out" else None
        values_per_beat = (core.out_shape[0] * (steps if core.out_format == "pixel_spikes" else 1)
                           if core is not None else plan.readout["channels"])
        compared = min(len(flat), len(got))
        STATS.add_compared(items=compared, values=compared * values_per_beat)
        problem = None
        for index in range(compared):
            if flat[index] != got[index] or lasts[index] != got_last[index]:
                problem = index
                break
        if problem is None and len(flat) != len(got):
            problem = compared
        if problem is None:
            continue
        path = RUN_DIR / f"mismatch_{label}.npz"
        write_mismatch_npz(plan, contexts, observed, path)
        layer = (f"first diverging layer {core.index} ({core.kind}, {core.module})"
                 if core is not None else "first diverging stream is the readout")
        if problem >= len(flat):
            raise AssertionError(f"{label}: {layer}: {len(got) - len(flat)} beats more than "
                                 f"the golden {len(flat)}; tensors in {path}")
        sample, beat_index = owners[problem]
        if problem >= len(got):
            raise AssertionError(f"{label}: {layer}: only {len(got)} of {len(flat)} beats "
                                 f"arrived (first missing: sample {sample}, beat {beat_index}); "
                                 f"tensors in {path}")
        if core is None:
            raise AssertionError(
                f"{label}: first diverging stream is the readout, sample {sample}, pixel "
                f"{beat_index}: expected word {flat[problem]:#x}, got {got[problem]:#x} "
                f"(last {lasts[problem]} vs {got_last[problem]}); tensors in {path}")
        where = S.locate(core, beat_index, steps, flat[problem], got[problem])
        raise AssertionError(
            f"{label}: first diverging layer {core.index} ({core.kind}, {core.module}), sample "
            f"{sample}, timestep {where['t']}, channel {where['channel']}, y {where['y']}, "
            f"x {where['x']}: expected {where.get('expected')}, got {where.get('got')} "
            f"(last marker {lasts[problem]} vs {got_last[problem]}); tensors in {path}")


def draw_inputs(draw, cfg, count: int) -> list[np.ndarray]:
    """Frames for a network: pixels (uniform, zero, max, sparse) or spikes at a drawn density."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = tuple(cfg["input"]["shape"])
    frames = []
    for _ in range(count):
        if cfg["input"]["kind"] == "pixels":
            top = (1 << cfg["input"]["bits"]) - 1
            kind = draw(st.sampled_from(["uniform", "zero", "max", "sparse"]))
            x = {"uniform": lambda: rng.integers(0, top + 1, size=shape),
                 "zero": lambda: np.zeros(shape, dtype=np.int64),
                 "max": lambda: np.full(shape, top),
                 "sparse": lambda: rng.integers(0, top + 1, size=shape)
                 * (rng.random(shape) < 0.2)}[kind]()
        else:
            density = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.0]) | st.floats(0, 1))
            x = (rng.random((cfg["timesteps"], *shape)) < density).astype(np.int64)
        frames.append(x.astype(np.int64))
    return frames


def _option(name: str, bins: list[str]):
    @CoverPoint(f"network.{name}", xf=lambda value: value, bins=bins)
    def sample(value: str) -> None:
        pass

    return sample


#: SPEC's layer kinds and neuron options, each exercised by some network (a network run covers
#: the options of its own configuration; the union over the regression's networks is the goal).
_COVER_NETWORK = {"layer_kind": _option("layer_kind", ["conv", "linear", "maxpool"]),
                  "neuron_model": _option("neuron_model", ["if", "lif"]),
                  "neuron_reset": _option("neuron_reset", ["hard", "soft"]),
                  "readout": _option("readout", ["accumulate", "spike-count"]),
                  "input": _option("input", ["pixels", "spikes"])}


def cover_network(cfg) -> None:
    """Samples the network coverpoints of one configuration (as simulated in an example)."""
    _COVER_NETWORK["input"](cfg["input"]["kind"])
    for layer in cfg["layers"]:
        _COVER_NETWORK["layer_kind"](layer["kind"])
        if "neuron" in layer:
            _COVER_NETWORK["neuron_model"](layer["neuron"]["model"])
            _COVER_NETWORK["neuron_reset"](layer["neuron"]["reset"])
    last = cfg["layers"][-1]
    _COVER_NETWORK["readout"]("accumulate" if last.get("readout") == "accumulate"
                              else "spike-count")


@cocotb.test()
@checked
async def random_examples(dut):
    """Hypothesis: frames (and, in random-weights mode, weights and neuron parameters)."""
    tb = NetworkTB(dut)
    run = resume(tb.run)
    random_mode = os.environ.get("DUALSPIKE_NETWORK_WEIGHTS", "fixed") == "random"
    neuron_layers = [i for i, layer in enumerate(tb.cfg["layers"]) if "neuron" in layer]
    v_bits = tb.cfg["membrane_bits"]

    @st.composite
    def examples(draw):
        cfg, weights = tb.cfg, tb.weights
        if random_mode:
            cfg = copy.deepcopy(cfg)
            for i in neuron_layers:
                p = draw(neuron_params(v_bits))
                cfg["layers"][i]["neuron"] = (
                    {"model": p.model, "threshold": p.threshold, "reset": p.reset}
                    | ({"leak_shift": p.leak_shift} if p.model == "lif" else {}))
            sparsity = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]) | st.floats(0, 1))
            weights = random_weights(cfg, np.random.default_rng(draw(st.integers(0, 2**32 - 1))),
                                     sparsity)
        frames = draw_inputs(draw, cfg, draw(st.integers(1, 3)))
        pacing = (draw(st.just(ALWAYS) | pacing_patterns()), draw(st.just(ALWAYS) | pacing_patterns()))
        return cfg, weights, frames, pacing

    @given(case=examples())
    @counted
    def check(case):
        cfg, weights, frames, (source_pacing, sink_pacing) = case
        cover_network(cfg)
        contexts, expected = golden_streams(tb.plan, cfg, weights, frames)
        observed = run(network_writes(cfg, weights, tb.plan), frames, source_pacing, sink_pacing)
        compare_network(tb.plan, contexts, expected, observed, "random_examples")

    await run_search(check, "random_examples")


@cocotb.test()
@checked
async def back_to_back_samples(dut):
    """The real samples (samples.npz), streamed back to back with free-running streams:
    every layer compared; cycles per frame and initiation interval written to perf.json."""
    tb = NetworkTB(dut)
    samples_path = NETWORK_DIR / "samples.npz"
    if samples_path.exists():
        with np.load(samples_path) as archive:
            samples = [x.astype(np.int64) for x in archive["x"]]
    else:
        rng = np.random.default_rng(int(os.environ.get("COCOTB_RANDOM_SEED", "1")))
        samples = draw_samples(tb.cfg, rng, 4)
    limit = int(os.environ.get("DUALSPIKE_NETWORK_SAMPLES", len(samples)))
    samples = samples[:limit]
    contexts, expected = golden_streams(tb.plan, tb.cfg, tb.weights, samples)
    observed = await tb.run(network_writes(tb.cfg, tb.weights, tb.plan), samples)
    compare_network(tb.plan, contexts, expected, observed, "back_to_back_samples")
    compare_cycles_with_model(tb, samples, observed)
    write_performance(tb.plan, samples, contexts, observed)


def compare_cycles_with_model(tb: NetworkTB, samples, observed) -> None:
    """Free-running streams: every sample's first input beat, every tap's and the readout's
    last beat per sample equal the network cycle model (golden.cycles.network.stepped_network,
    the figures a bundle's manifest carries), counted from sample 0's first input beat."""
    plan = json.loads((NETWORK_DIR / "network.json").read_text())
    model = stepped_network(plan, tb.cfg, tb.weights, samples)
    accepts = [cycle for cycle, _ in observed["in"]]
    per_input = len(accepts) // len(samples)
    start = accepts[0] if accepts else 0
    measured = [("first input beat", n, accepts[n * per_input] - start)
                for n in range(len(samples)) if len(accepts) > n * per_input]
    expected = [("first input beat", n, c - model.first_in[0])
                for n, c in enumerate(model.first_in)]
    streams = [(f"tap{core.index}", model.tap_last[i]) for i, core in enumerate(tb.plan.layers)]
    streams.append(("out", model.readout_last))
    for name, lasts in streams:
        cycles = [c for c, _ in observed[name]]
        per = len(cycles) // len(samples) if cycles else 0
        measured += [(f"{name} last beat", n, cycles[(n + 1) * per - 1] - start)
                     for n in range(len(samples)) if per]
        expected += [(f"{name} last beat", n, c - model.first_in[0]) for n, c in enumerate(lasts)]
    Scoreboard("network cycles (model vs measured, free-running, cycles after sample 0's "
               "first input beat)").compare(expected, measured)


def draw_samples(cfg, rng, count: int) -> list[np.ndarray]:
    """Uniform pixels or 20 % spikes, from golden.inputs (the one input path)."""
    frames = (inputs.random_pixels(cfg, count, rng) if cfg["input"]["kind"] == "pixels"
              else inputs.spike_inputs(cfg, count, rng, 0.2).astype(np.int64))
    return list(frames)


def write_performance(plan: NetworkPlan, samples, contexts, observed) -> None:
    """Per frame: cycles from its first input beat to its last readout beat; the initiation
    interval (mean distance between consecutive frames' last readout beats); per layer: the
    cycles between its first and last output beat of each frame."""
    accepts = observed["accept_cycles"]
    per_input = len(accepts) // len(samples)
    first_in = [accepts[n * per_input] for n in range(len(samples))]
    pixels = plan.readout["pixels"]
    outs = [cycle for cycle, _ in observed["out"]]
    last_out = [outs[(n + 1) * pixels - 1] for n in range(len(samples))]
    layers = []
    for core in plan.layers:
        cycles = [c for c, _ in observed[f"tap{core.index}"]]
        per = len(cycles) // len(samples)
        spans = [cycles[(n + 1) * per - 1] - cycles[n * per] + 1 for n in range(len(samples))]
        layers.append({"index": core.index, "kind": core.kind, "module": core.module,
                       "span_cycles": spans,
                       "last_beat_cycles": [cycles[(n + 1) * per - 1]
                                            for n in range(len(samples))]})
    intervals = np.diff(last_out).tolist()
    perf = {"samples": len(samples),
            "frame_latency_cycles": [b - a + 1 for a, b in zip(first_in, last_out)],
            "initiation_interval_cycles": float(np.mean(intervals)) if intervals else None,
            "total_cycles": last_out[-1] - first_in[0] + 1,
            "layers": layers,
            "predictions": [int(c.prediction) for c in contexts]}
    (RUN_DIR / "perf.json").write_text(json.dumps(perf, indent=2))


@cocotb.test()
@checked
async def reset_mid_frame(dut):
    """A frame cut by a reset in its middle, then two frames that must come out right."""
    tb = NetworkTB(dut)
    rng = np.random.default_rng(int(os.environ.get("COCOTB_RANDOM_SEED", "1")))
    frames = draw_samples(tb.cfg, rng, 3)
    writes = network_writes(tb.cfg, tb.weights, tb.plan)
    # Start a frame and cut it: roughly half of its input accepted.
    await tb.reset()
    await tb.load(writes)
    tb.dut.out_ready_i.value = 1
    bits = tb.cfg["input"].get("bits", 1)
    beats = S.input_beats(tb.plan, frames[0], bits)
    for beat in beats:
        tb.source.put(beat)
    for _ in range(10_000):
        await RisingEdge(tb.clock)
        if tb.source.accepted * 2 >= len(beats) and tb.source.accepted > 0:
            break
    # The reset clears the weight memories' neighbours too: run() reloads everything.
    contexts, expected = golden_streams(tb.plan, tb.cfg, tb.weights, frames[1:])
    observed = await tb.run(writes, frames[1:])
    compare_network(tb.plan, contexts, expected, observed, "reset_mid_frame")
