"""Cycle figures of a whole network, built on the per-core models of this package.

**Exact** (:func:`stepped_network`): every core of the generated top, every inter-layer
``stream_fifo`` and the readout core stepped together, one clock edge at a time, each by its
stepped model (golden.cycles.stepped; each checked against its RTL cycle by cycle in the core's
testbench). With the source offering a beat every cycle and the output always ready (the replay
bench at STALL=0, the network testbench's ``back_to_back_samples``) it gives the cycle of every
beat on every stream; ``network_cycles`` puts the edges a bench measures into a bundle's
manifest (``cycles.total_exact``, ``first_in``, ``tap_last``, ``readout_last``), and both the
replay and the network testbench check them for equality. About 40,000 cycles a second in
CPython (digits28, 4 samples: 503,317 cycles in 12.6 s).

**Closed form, per core** (:func:`layer_models`): each core's closed-form model is exact for
that core alone with free-running streams. That gives

- **layer 0, per frame** (``layer0_per_frame``): the first input beat accepted to tap 0's last
  beat of the frame, exact while tap 0 is not backpressured;
- **per layer, a lower bound** (``layer_span_lower_bounds``, ``total_lower_bound``): the network
  cannot be faster than any of its layers alone with free-running streams (every model is a
  max-plus recurrence, so later inputs or a stalled output only delay its events). Per layer:
  its span for all N frames back to back (the dense input, dense linear and conv models give
  absolute edges; the max-pool takes ``N*H*W*T + T``; the sparse linear core at least its input
  beats plus its output tail ``N*H*W*T + 2``; the readout ``N*pixels*T``). These are what the
  replay checks under stalls, where the exact edges do not apply;
- each layer's steady-state cycles per frame, for the performance figures of ``make sim``
  (tb/network/figures.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cores import LAYER_CORES
from golden.cycles import dense_input, dense_linear, maxpool, sparse_conv, sparse_linear
from golden.cycles.fifo import FifoStepped
from golden.cycles.layer import LayerModel, steady
from golden.cycles.readout import ReadoutStepped
from golden.cycles.stepped import ModelDeadlock, free_running
from golden.cycles.unpack import SpikeUnpackStepped
from golden.network import run_network
from golden.placement import placed_layer

__all__ = ["LayerModel", "layer_model", "layer_models", "network_cycles", "stepped_network"]

#: The cycle models of the layer cores by module name (golden.cores names each core's).
CYCLE_MODELS = {model.__name__: model
                for model in (dense_input, dense_linear, maxpool, sparse_conv, sparse_linear)}


def cycle_model(module: str):
    """The golden.cycles module of the layer core ``module`` (its ``layer_model``, ``stepped``)."""
    return CYCLE_MODELS[LAYER_CORES[module].cycles]


def core_weight(core: dict, weights: dict) -> np.ndarray | None:
    """The weights core ``core`` (of a plan) holds, its channels in slot order
    (golden.placement); None for a core without weights."""
    if f"L{core['index']}.weight" not in weights:
        return None
    return placed_layer(weights, core["index"], core.get("channel_map", ()))[0]


def layer_models(plan: dict, cfg: dict, weights: dict, samples) -> list[LayerModel]:
    """Every layer's core model on ``samples`` (the network's inputs) streamed back to back;
    ``plan`` is the network plan (network.json)."""
    samples = [np.asarray(x).astype(np.int64) for x in samples]
    contexts = [run_network(cfg, weights, x) for x in samples]
    return [layer_model(core, weights, samples,
                        tuple(c.layers[core["index"]].inp for c in contexts), cfg["timesteps"])
            for core in plan["layers"]]


def layer_model(core: dict, weights: dict, samples, inputs: tuple, steps: int) -> LayerModel:
    """One core of a plan (``core``: an entry of network.json's ``layers``) alone, fed the
    layer's ``inputs`` (golden model, one per sample; ``samples`` are the network's, which a
    pixels input core takes itself) back to back with free-running streams: the closed form of
    its cycle model (a max-pool with its spike_unpack: both stepped, free-running)."""
    if core.get("unpack"):
        return _unpacked_layer_model(core, inputs, steps)
    return cycle_model(core["module"]).layer_model(core["index"], core["parameters"],
                                                   core_weight(core, weights), samples, inputs,
                                                   steps)


#: All-silent frames ``silent_frame`` streams back to back, and the first ones of them left out of
#: its steady state (the mean distance of consecutive frames' last outputs after them): the
#: sparse linear core walks the first silent frame and replays the later ones (it keeps the
#: first's beats), and its input settles to the stream's pace a frame after that.
SILENT_FRAMES = 6
SILENT_WARMUP = 3


def silent_frame(core: dict, weights: dict, steps: int) -> dict | None:
    """A layer fed spikes, alone with all-silent frames back to back: its steady cycles per
    frame (the cycle model) and its input beats per frame (pixels x T), the figure of issue 12's
    "an all-silent layer costs no more than its input stream" (``make sim`` prints it; the knob
    chooser prefers knobs that meet it). None for a layer fed pixels or a pixel per beat (no
    spike to be absent)."""
    if core["in_format"] != "spikes":
        return None
    shape = tuple(core["in_shape"])
    frames = tuple(np.zeros((steps, *shape), dtype=np.int64) for _ in range(SILENT_FRAMES))
    model = layer_model(core, weights, None, frames, steps)
    cycles = (steady(model.last_outputs[SILENT_WARMUP:], model.steady) if model.last_outputs
              else model.steady)
    return {"cycles": float(cycles), "beats": _pixels(shape) * steps}


class UnpackedStepped:
    """A core whose output goes through a spike_unpack (rtl/spike_unpack.sv), wired directly
    (vectors/network_top.py): the unpack's ``in_ready`` (which follows the outer ``out_ready``)
    is the core's ``out_ready``."""

    def __init__(self, core, unpack: SpikeUnpackStepped) -> None:
        self.core, self.unpack = core, unpack

    def out_valid(self) -> bool:
        return self.unpack.out_valid()

    def in_ready(self, out_ready: bool) -> bool:
        return self.core.in_ready(self.unpack.in_ready(out_ready))

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        inner_valid = self.core.out_valid()
        inner_ready = self.unpack.in_ready(out_ready)
        in_fire, _ = self.core.clock(in_valid, inner_ready)
        _, out_fire = self.unpack.clock(inner_valid, out_ready)
        return in_fire, out_fire


def core_stepped(core: dict, weights: dict, inputs, steps: int):
    """The stepped model of core ``core`` of a plan fed ``inputs`` (with its spike_unpack when
    it has one: it then runs as one timestep of T x C channels)."""
    model = cycle_model(core["module"])
    if core.get("unpack"):
        return UnpackedStepped(model.stepped(core["parameters"], core_weight(core, weights),
                                             inputs, 1), SpikeUnpackStepped(core["unpack"]))
    return model.stepped(core["parameters"], core_weight(core, weights), inputs, steps)


def _unpacked_layer_model(core: dict, inputs: tuple, steps: int) -> LayerModel:
    """A max-pool over a pixel per beat and its spike_unpack, free-running: one input beat per
    pixel, T output beats per pooled pixel (data-independent)."""
    p = core["parameters"]
    frames = len(inputs)
    in_beats = p["Height"] * p["Width"]
    out_beats = (p["Height"] // p["Pool"]) * (p["Width"] // p["Pool"]) * steps
    accepts, sends = free_running(core_stepped(core, {}, inputs, steps), frames * in_beats,
                                  frames * out_beats)
    first = [accepts[f * in_beats] for f in range(frames)]
    last = [sends[(f + 1) * out_beats - 1] for f in range(frames)]
    cycles = tuple(lo - fi + 1 for fi, lo in zip(first, last))
    return LayerModel(core["index"], core["module"], cycles, last[-1] - first[0] + 1,
                      steady(last, cycles[0]), inputs, tuple(last))


def network_cycles(plan: dict, cfg: dict, weights: dict, samples) -> dict:
    """The cycle facts of a bundle's manifest (``cycles``): see the module docstring."""
    models = layer_models(plan, cfg, weights, samples)
    readout_span = len(samples) * plan["readout"]["pixels"] * cfg["timesteps"]
    spans = [m.span for m in models] + [readout_span]
    run = stepped_network(plan, cfg, weights, samples)
    start = run.first_in[0]
    return {
        "definition": "cycles counted inclusively between two clock edges of the replay bench: "
                      "per frame, the edge accepting its first input beat to the edge sending "
                      "its last beat on the named stream; total, the first input beat of "
                      "sample 0 to the last readout beat",
        "total_exact": run.total,
        "exact_when": "the input is offered every cycle and out_ready is high every cycle "
                      "(replay STALL=0, no out_hold); otherwise total_exact and every per-"
                      "sample edge are lower bounds",
        "first_in": [c - start for c in run.first_in],
        "tap_last": [[c - start for c in tap] for tap in run.tap_last],
        "readout_last": [c - start for c in run.readout_last],
        "layer0_module": models[0].module,
        "layer0_per_frame": [int(c) for c in models[0].frame_cycles],
        "layer0_exact_when": "the input never pauses (STALL=0) and tap 0 was not "
                             "backpressured before the frame's last beat; otherwise a lower "
                             "bound",
        "layer_span_lower_bounds": [int(s) for s in spans],
        "total_lower_bound": int(max(spans)),
    }


def _pixels(shape) -> int:
    """Pixels per sample of a stream of this layer shape (``[C, H, W]``, or ``[F]``: one)."""
    return int(np.prod(shape[1:])) if len(shape) == 3 else 1


@dataclass(frozen=True)
class NetworkRun:
    """Every stream's handshakes in a stepped run of a generated top (cycle 0 = the first cycle
    the source offers a beat; the cycle of a beat is the clock edge that takes it)."""

    #: Per sample: the cycle accepting its first input beat.
    first_in: tuple[int, ...]
    #: Per layer, per sample: the cycle of the sample's last beat on tap ``i`` (core i's output).
    tap_last: tuple[tuple[int, ...], ...]
    #: Per sample: the cycle of its last readout beat.
    readout_last: tuple[int, ...]

    @property
    def total(self) -> int:
        """First input beat of sample 0 to the last readout beat, both counted."""
        return self.readout_last[-1] - self.first_in[0] + 1


def stepped_network(plan: dict, cfg: dict, weights: dict, samples, *, out_hold: int = 0,
                    idle_limit: int = 200_000) -> NetworkRun:
    """Steps every core, FIFO and the readout of the generated top (vectors/network_top.py)
    together, one clock edge at a time, as the replay bench drives it: the input offered every
    cycle from cycle 0 until all samples' beats are taken, ``out_ready`` low for the first
    ``out_hold`` cycles and high after. Exact wherever the per-core stepped models are (each is
    checked cycle by cycle against its core in the core's testbench)."""
    samples = [np.asarray(x).astype(np.int64) for x in samples]
    contexts = [run_network(cfg, weights, x) for x in samples]
    steps = cfg["timesteps"]
    layers = plan["layers"]
    # A pixels input core gets the samples themselves ([C, H, W]), as its closed form does.
    cores = [core_stepped(core, weights,
                          samples if core["in_format"] == "pixels"
                          else [c.layers[core["index"]].inp for c in contexts], steps)
             for core in layers]
    fifos = [FifoStepped(plan["fifo_depth"]) for _ in layers]
    readout = ReadoutStepped(steps)
    first = layers[0]
    in_per_sample = _pixels(first["in_shape"]) * (1 if first["in_format"] == "pixels" else steps)
    out_per_sample = [_pixels(core["out_shape"]) * (1 if core["out_format"] == "pixel_spikes"
                                                    else steps) for core in layers]
    readout_per_sample = plan["readout"]["pixels"]
    frames = len(samples)
    in_total = frames * in_per_sample
    accepted, taps, readouts = [], [[] for _ in layers], []
    cycle = idle = 0
    while len(readouts) < frames * readout_per_sample:
        sink_ready = cycle >= out_hold
        # Every value before the edge: FIFO flags are registers, so only the readout's ready
        # depends on this cycle's sink.
        in_valid = [len(accepted) < in_total] + [f.out_valid() for f in fifos[:-1]]
        out_ready = [f.in_ready(True) for f in fifos]
        readout_in_valid = fifos[-1].out_valid()
        fired = False
        pops, pushes = [], []
        for i, core in enumerate(cores):
            in_fire, out_fire = core.clock(in_valid[i], out_ready[i])
            pops.append(in_fire)
            pushes.append(out_fire)
            if out_fire:
                taps[i].append(cycle)
            fired |= in_fire or out_fire
        readout_in, readout_out = readout.clock(readout_in_valid, sink_ready)
        pops.append(readout_in)
        if pops[0]:
            accepted.append(cycle)
        if readout_out:
            readouts.append(cycle)
        for fifo, push, pop in zip(fifos, pushes, pops[1:]):
            fifo.clock(push, pop)
        idle = 0 if fired or readout_in or readout_out else idle + 1
        if idle > idle_limit:
            raise ModelDeadlock(f"network model: no handshake for {idle_limit} cycles at cycle "
                                f"{cycle} ({len(accepted)}/{in_total} input beats, "
                                f"{[len(t) for t in taps]} tap beats, {len(readouts)} readouts)")
        cycle += 1
    return NetworkRun(
        tuple(accepted[s * in_per_sample] for s in range(frames)),
        tuple(tuple(t[(s + 1) * n - 1] for s in range(frames))
              for t, n in zip(taps, out_per_sample)),
        tuple(readouts[(s + 1) * readout_per_sample - 1] for s in range(frames)))
