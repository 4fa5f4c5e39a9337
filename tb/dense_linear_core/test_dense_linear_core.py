"""cocotb testbench of rtl/dense_linear_core.sv against the golden model.

Golden: ``golden.layers.flatten_chw`` + ``linear_currents`` on the pixel frame broadcast over T
(a pixels network's first layer sees the same frame at every t, SPEC 2), then
``golden.neuron.run_neuron`` (HasNeuron = 1: the spike beats) or the currents themselves
(HasNeuron = 0: the current stream). Every example resets the core, loads its weights through the
configuration port (``golden.memory_images.layer_images`` / ``config_writes``, in a drawn order),
streams 1-2 pixel frames (docs/cores.md "Pixel stream") and compares every output beat (all O
values and the last marker) through the Scoreboard.

Tests:
- ``random_layers``: Hypothesis draws weights with sparsity 0..100 % (the sparse linear core's
  strategies), biases, neuron parameters, pixel frames (uniform, all zero, all maximum, sparse;
  the dense input core's strategy), source idle and sink backpressure patterns. Explicit
  examples drive the current to +M and -M and the membrane to saturation at both ends.
- ``cycles_match_model``: free-running streams; the cycles from a frame's first pixel accepted
  to its last output beat sent equal ``golden.cycles.dense_linear.frame_cycles`` exactly; then
  the reference measurement of docs/dense_linear_core.md (90 % weight sparsity, uniform pixels).
In every run, under any pacing, the core's in_ready_o and out_valid_o are compared in every cycle
with its stepped model (golden.cycles.dense_linear.stepped).
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from hypothesis import example, given, note
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.cores import pixel_current_bits
from golden.cycles import dense_linear as cycle_model
from golden.layers import flatten_chw, linear_currents
from golden.memory_images import config_writes, layer_images
from golden.neuron import NeuronParams
from tb.dense_input_core.test_dense_input_core import pixel_arrays
from tb.harness.config import config_orders, in_order
from tb.harness.core_tb import ConfiguredCoreTB
from tb.harness.coverage import CoreCoverage
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.report import STATS
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, examples_budget, run_search
from tb.sparse_linear_core.test_sparse_linear_core import (LinearTB, Sparse, biases, neurons,
                                                          saturation_examples, sparse_matrix)


class DenseLinearTB(ConfiguredCoreTB):
    """The pixel stream in, the output stream out and the configuration port."""

    def __init__(self, dut) -> None:
        super().__init__(dut, "dense_linear_core")
        p = lambda name: int(getattr(dut, name).value)  # noqa: E731
        self.channels, self.pixel_bits = p("InChannels"), p("PixelBits")
        self.height, self.width = p("InHeight"), p("InWidth")
        self.out_features, self.timesteps = p("OutFeatures"), p("Timesteps")
        self.parallel, self.lanes, self.group = p("Parallel"), p("Lanes"), p("GroupWidth")
        self.weight_bits, self.membrane_bits = p("WeightBits"), p("MembraneBits")
        self.has_neuron = bool(p("HasNeuron"))
        self.pixels = self.height * self.width
        self.fan_in = self.channels * self.pixels
        self.frame_shape = (self.channels, self.height, self.width)
        self.current_bits = pixel_current_bits(self.fan_in, self.pixel_bits,
                                                     self.weight_bits, self.membrane_bits)
        want = self.out_features * (1 if self.has_neuron else self.current_bits)
        assert len(dut.out_data_o) == want, (
            f"out_data_o is {len(dut.out_data_o)} bits, expected {want} "
            f"(CurrentBits {self.current_bits})")
        self.cover = self.watch(CoreCoverage(
            "dense_linear_core", self.timesteps,
            membrane_bits=self.membrane_bits if self.has_neuron else None))
        self.parameters = {"InChannels": self.channels, "InHeight": self.height,
                           "InWidth": self.width, "OutFeatures": self.out_features,
                           "Timesteps": self.timesteps, "Parallel": self.parallel,
                           "Lanes": self.lanes, "GroupWidth": self.group}

    # -- stimulus -------------------------------------------------------------------------------
    def frame_beats(self, frame) -> list[dict]:
        """Beats of one pixel frame ``[C, H, W]``: raster order, channel c at [c*A +: A]."""
        frame = np.asarray(frame, dtype=np.int64)
        beats = []
        for y in range(self.height):
            for x in range(self.width):
                data = sum(int(frame[c, y, x]) << (c * self.pixel_bits)
                           for c in range(self.channels))
                beats.append({"data": data,
                              "last": int(y == self.height - 1 and x == self.width - 1)})
        return beats

    async def run(self, weights, bias, neuron, frames, source_pacing, sink_pacing,
                  config_order=None):
        """Resets, loads the layer (writes in ``config_order``), streams ``frames``; returns
        (beats, accept and beat cycles)."""
        await self.reset()
        images = layer_images(np.asarray(weights, dtype=np.int64),
                              np.asarray(bias, dtype=np.int64),
                              neuron if self.has_neuron else None, self.group, self.parallel)
        await self.load(in_order(config_writes(images), config_order))
        # The core is in its after-reset state (the writes move no control).
        self.send([beat for frame in frames for beat in self.frame_beats(frame)], source_pacing,
                  sink_pacing)
        want = len(frames) * self.timesteps
        rows = -(-self.out_features // self.parallel)
        groups = -(-self.fan_in // self.group)
        worst = rows * groups * (1 + -(-self.group // self.lanes))
        stall = len(source_pacing) + len(sink_pacing) + 2
        budget = 50 + len(frames) * stall * (self.pixels + worst + self.timesteps + 8)
        outcome = await self.finish(want, budget, settle=3)
        self.check_handshakes(cycle_model.stepped(self.parameters,
                                                  np.asarray(weights, dtype=np.int64), frames,
                                                  self.timesteps))
        return outcome

    # -- golden ---------------------------------------------------------------------------------
    def expected(self, weights, bias, neuron, frames) -> list[dict]:
        w = np.asarray(weights, dtype=np.int64)
        b = np.asarray(bias, dtype=np.int64)
        items = []
        for frame in frames:
            inp = np.broadcast_to(np.asarray(frame, dtype=np.int64),
                                  (self.timesteps, *self.frame_shape))
            items += self.output_items(linear_currents(flatten_chw(inp), w, b), neuron)
        return items

    # The output stream is the sparse linear core's (docs/dense_linear_core.md).
    output_items = LinearTB.output_items
    decode = LinearTB.decode

    def compare(self, name, weights, bias, neuron, frames, beats) -> None:
        def where(index: int) -> str:
            frame, t = divmod(index, self.timesteps)
            if frame >= len(frames):
                return "after the last expected beat"
            active = int(np.count_nonzero(np.asarray(frames[frame])))
            what = "spikes s[t][o]" if self.has_neuron else "currents I[t][o]"
            return (f"frame {frame} of {len(frames)}, timestep {t} of {self.timesteps}, "
                    f"{what}; {active} of {self.fan_in} pixels non-zero")

        Scoreboard(name, where).compare(self.expected(weights, bias, neuron, frames),
                                        [self.decode(b) for b in beats])

    # -- cycles ---------------------------------------------------------------------------------
    def measured_cycles(self, frames: int, accepts, beats) -> list[int]:
        """Per frame: first pixel accepted to last beat sent, inclusive (-1: beats missing)."""
        cycles = []
        for f in range(frames):
            if len(accepts) < (f + 1) * self.pixels or len(beats) < (f + 1) * self.timesteps:
                cycles.append(-1)
                continue
            first, last = accepts[f * self.pixels], beats[(f + 1) * self.timesteps - 1]
            cycles.append(last - first + 1)
        return cycles

    def model_cycles(self, weights, frames) -> list[int]:
        return cycle_model.frame_cycles(np.asarray(weights, dtype=np.int64), frames,
                                        parallel=self.parallel, lanes=self.lanes,
                                        group=self.group, timesteps=self.timesteps)


def _note_example(weights, bias, neuron, frames) -> None:
    note(f"weights = {weights!r}\nbias = {bias}\nneuron = {neuron}\n"
         f"frames[f][c][y][x] = {[np.asarray(f).tolist() for f in frames]}")


@cocotb.test()
@checked
async def random_layers(dut):
    """Random layers, pixel frames and pacings against the golden model."""
    tb = DenseLinearTB(dut)
    o, f = tb.out_features, tb.fan_in
    w_lo, w_hi = sat_bounds(tb.weight_bits)
    top = (1 << tb.pixel_bits) - 1
    run = resume(tb.run)

    bright = np.full(tb.frame_shape, top, dtype=np.int64)
    dark = np.zeros(tb.frame_shape, dtype=np.int64)

    @given(weights=sparse_matrix(o, f, w_lo, w_hi),
           bias=biases(o, tb.membrane_bits),
           neuron=neurons(tb.membrane_bits, tb.weight_bits),
           # Up to 3 frames: the input stalls only when a third frame arrives while the second
           # is held in the gather and the core still works on the first (coverage: the
           # in_handshake "stall" bin, never reached with 2).
           frames=st.lists(pixel_arrays(tb.frame_shape, tb.pixel_bits), min_size=1, max_size=3),
           source_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           sink_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           config_order=config_orders())
    # Five frames into a slow sink (one beat in 33 cycles): the emission falls behind the pixel
    # rate, the window register, the line buffer and the gather all hold a frame and the input
    # stalls (random draws have at most 2 frames, too few to fill the three stores).
    @example(weights=Sparse.dense(np.full((o, f), w_hi)), bias=(0,) * o,
             neuron=NeuronParams("if", 1, "soft", 1),
             frames=[bright, dark, bright, dark, bright], source_pacing=ALWAYS,
             sink_pacing=(True,) + (False,) * 32, config_order=None)
    @counted
    def check(weights, bias, neuron, frames, source_pacing, sink_pacing, config_order):
        _note_example(weights, bias, neuron, frames)
        beats, _, _ = run(weights, bias, neuron, frames, source_pacing, sink_pacing, config_order)
        tb.compare("dense linear output beats", weights, bias, neuron, frames, beats)

    # The sparse linear core's, on pixels: the current +M - 1 and -M, and the bias alone.
    for case in saturation_examples(tb, bright, dark):
        check = example(**case, config_order=None)(check)
    await run_search(check, "random_layers")


@cocotb.test()
@checked
async def cycles_match_model(dut):
    """Free-running streams: measured cycles per frame equal golden.cycles.dense_linear."""
    tb = DenseLinearTB(dut)
    o, f = tb.out_features, tb.fan_in
    w_lo, w_hi = sat_bounds(tb.weight_bits)
    run = resume(tb.run)
    neuron = NeuronParams("if", 1, "hard", 1)
    bias = (0,) * o
    timing = Scoreboard("cycles per frame (first pixel accepted to last output sent)",
                        lambda k: f"frame {k}")

    @given(weights=sparse_matrix(o, f, w_lo, w_hi),
           frames=st.lists(pixel_arrays(tb.frame_shape, tb.pixel_bits), min_size=1, max_size=3))
    @example(weights=Sparse.dense(np.full((o, f), w_hi)),
             frames=[np.full(tb.frame_shape, (1 << tb.pixel_bits) - 1, dtype=np.int64)] * 3)
    @counted
    def check(weights, frames):
        _note_example(weights, bias, neuron, frames)
        beats, accepts, times = run(weights, bias, neuron, frames, ALWAYS, ALWAYS)
        tb.compare("dense linear output beats (free-running)", weights, bias, neuron, frames,
                   beats)
        timing.compare(tb.model_cycles(weights, frames),
                       tb.measured_cycles(len(frames), accepts, times))

    await run_search(check, "cycles_match_model", max_examples=examples_budget(scale=0.3))

    # The reference measurement of docs/dense_linear_core.md: 90 % weight sparsity, uniform
    # pixels, one frame, free-running streams.
    STATS.add_example()
    rng = np.random.default_rng(2026)
    weights = rng.integers(w_lo, w_hi + 1, size=(o, f))
    weights[weights == 0] = 1
    weights[rng.random(weights.shape) < 0.9] = 0
    frame = rng.integers(0, 1 << tb.pixel_bits, size=tb.frame_shape)
    beats, accepts, times = await tb.run(weights, bias, neuron, [frame], ALWAYS, ALWAYS)
    tb.compare("dense linear output beats (90 % sparse)", weights, bias, neuron, [frame], beats)
    got = tb.measured_cycles(1, accepts, times)
    want = tb.model_cycles(weights, [frame])
    timing.compare(want, got)
    cocotb.log.info(
        "CYCLES 90%% (C=%d A=%d H=%d W=%d O=%d T=%d P=%d L=%d G=%d): measured %d, model %d, "
        "lower bound %.2f (effectual ops / (P*L)), dense once %d, dense per timestep %d, "
        "group walk floor %d, input %d beats",
        tb.channels, tb.pixel_bits, tb.height, tb.width, o, tb.timesteps, tb.parallel,
        tb.lanes, tb.group, got[0], want[0],
        cycle_model.lower_bound(weights, frame, parallel=tb.parallel, lanes=tb.lanes),
        cycle_model.dense_cost(weights, parallel=tb.parallel, lanes=tb.lanes),
        cycle_model.dense_cost(weights, parallel=tb.parallel, lanes=tb.lanes,
                               timesteps=tb.timesteps),
        cycle_model.group_walk_floor(weights, parallel=tb.parallel, group=tb.group),
        tb.pixels)
