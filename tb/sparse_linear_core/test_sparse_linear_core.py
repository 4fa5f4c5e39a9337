"""cocotb testbench of rtl/sparse_linear_core.sv against the golden model.

Golden: ``golden.layers.flatten_chw`` + ``linear_currents``, then ``golden.neuron.run_neuron``
(HasNeuron = 1: the spike beats) or the currents themselves (HasNeuron = 0: the current stream).
Every example resets the core, loads its weights through the configuration port
(``golden.memory_images.layer_images`` / ``config_writes``), streams 1-2 frames and compares
every output beat (all O values and the last marker) through the Scoreboard.

Tests:
- ``random_layers``: Hypothesis draws weights with sparsity 0..100 % (exactly 0 and 100 %
  included), biases (full V range sometimes), neuron parameters (if/lif, hard/soft, leak shift,
  threshold 1..max), spike density 0..100 %, 1-2 frames, source idle and sink backpressure
  patterns. Explicit examples saturate the membrane at both ends.
- ``cycles_match_model``: free-running streams; the cycles from a frame's first input beat
  accepted to its last output beat sent equal ``golden.cycles.sparse_linear.model`` exactly;
  logs the effectual-op lower bound and the dense cost, and a 90 % weight sparsity / 20 % spike
  density measurement.

Every run of both tests also checks the stepped timing model
(``golden.cycles.sparse_linear.stepped``) cycle by cycle: ``in_ready_o`` and ``out_valid_o`` in
every cycle from the end of the configuration load (the after-reset state) to the end of the
run, under the run's pacing (``tb.harness.handshakes``).
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.cores import pixel_major_order, spike_current_bits
from golden.cycles import sparse_linear as cycle_model
from golden.layers import flatten_chw, linear_currents
from golden.memory_images import config_writes, layer_images
from golden.neuron import NeuronParams
from tb.harness.config import config_orders, in_order
from tb.harness.core_tb import ConfiguredCoreTB, layer_outputs
from tb.harness.coverage import CoreCoverage
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.report import STATS
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, examples_budget, run_search


class LinearTB(ConfiguredCoreTB):
    """The spike stream in, the output stream out and the configuration port."""

    def __init__(self, dut) -> None:
        super().__init__(dut, "sparse_linear_core")
        p = lambda name: int(getattr(dut, name).value)  # noqa: E731
        self.channels, self.height, self.width = p("InChannels"), p("InHeight"), p("InWidth")
        self.out_features, self.timesteps = p("OutFeatures"), p("Timesteps")
        self.parallel, self.lanes, self.group = p("Parallel"), p("Lanes"), p("GroupWidth")
        self.weight_bits, self.membrane_bits = p("WeightBits"), p("MembraneBits")
        self.has_neuron = bool(p("HasNeuron"))
        self.neuron_stages = p("NeuronStages")
        self.current_bits = p("CurrentBits")
        self.pixels = self.height * self.width
        self.fan_in = self.channels * self.pixels
        self.order = pixel_major_order(self.channels, self.pixels)
        want = spike_current_bits(self.fan_in, self.weight_bits, self.membrane_bits)
        assert self.current_bits == want, f"CurrentBits {self.current_bits}, model says {want}"
        self.cover = self.watch(CoreCoverage(
            "sparse_linear_core", self.timesteps, group_width=self.group,
            membrane_bits=self.membrane_bits if self.has_neuron else None))

    # -- stimulus -------------------------------------------------------------------------------
    def frame_beats(self, frame) -> list[dict]:
        """Beats of one frame ``[T, F]`` (F in (c, y, x) order): raster pixels, time inner."""
        spikes = np.asarray(frame, dtype=np.int64).reshape(
            self.timesteps, self.channels, self.height, self.width)
        beats = []
        for y in range(self.height):
            for x in range(self.width):
                for t in range(self.timesteps):
                    data = sum(int(spikes[t, c, y, x]) << c for c in range(self.channels))
                    last = int(y == self.height - 1 and x == self.width - 1
                               and t == self.timesteps - 1)
                    beats.append({"data": data, "last": last})
        return beats

    async def run(self, weights, bias, neuron, frames, source_pacing, sink_pacing,
                  config_order=None):
        """Resets, loads the layer (writes in ``config_order``), streams ``frames``; returns
        (beats, accept and beat cycles)."""
        await self.reset()
        # The memories hold the fan-in in the core's order (golden.cores.pixel_major_order).
        images = layer_images(np.asarray(weights, dtype=np.int64).reshape(
            self.out_features, self.fan_in)[:, self.order], np.asarray(bias, dtype=np.int64),
            neuron if self.has_neuron else None, self.group, self.parallel)
        await self.load(in_order(config_writes(images), config_order)
                        + self.stray_writes(self.out_features, self.fan_in, self.parallel,
                                            self.group))
        # The configuration writes leave the control state as reset left it: the stepped
        # model's cycle 0 is the next cycle.
        self.send([beat for frame in frames for beat in self.frame_beats(frame)], source_pacing,
                  sink_pacing)
        want = len(frames) * self.timesteps
        rows = -(-self.out_features // self.parallel)
        groups = -(-self.fan_in // self.group)
        worst = self.timesteps * rows * groups * (1 + -(-self.group // self.lanes))
        stall = len(source_pacing) + len(sink_pacing) + 2
        tail = cycle_model.output_tail(self.neuron_stages)
        budget = 50 + len(frames) * stall * (self.pixels * self.timesteps + worst + tail)
        return await self.finish(want, budget, settle=3)

    # -- golden ---------------------------------------------------------------------------------
    def expected(self, weights, bias, neuron, frames) -> list[dict]:
        w = np.asarray(weights, dtype=np.int64).reshape(self.out_features, self.fan_in)
        b = np.asarray(bias, dtype=np.int64)
        items = []
        for frame in frames:
            spikes = np.asarray(frame, dtype=np.int64).reshape(
                self.timesteps, self.channels, self.height, self.width)
            currents = linear_currents(flatten_chw(spikes), w, b)       # [T, O]
            items += self.output_items(currents, neuron)
            self.cover.groups(w[:, self.order], flatten_chw(spikes)[:, self.order])
        return items

    def output_items(self, currents, neuron) -> list[dict]:
        """A frame's expected output beats from its currents ``[T, O]``: the neuron's spikes
        (HasNeuron = 1) or the currents; samples the output and membrane coverage."""
        values = layer_outputs(self.cover, currents, neuron if self.has_neuron else None,
                               self.membrane_bits)
        return [{"out": tuple(int(v) for v in values[t]), "last": int(t == self.timesteps - 1)}
                for t in range(self.timesteps)]

    def decode(self, beat: dict) -> dict:
        data = beat["data"]
        if self.has_neuron:
            out = tuple((data >> o) & 1 for o in range(self.out_features))
        else:
            cb = self.current_bits
            mask, sign = (1 << cb) - 1, 1 << (cb - 1)
            out = tuple((((data >> (o * cb)) & mask) ^ sign) - sign
                        for o in range(self.out_features))
        return {"out": out, "last": beat["last"]}

    def compare(self, name, weights, bias, neuron, frames, beats) -> None:
        def where(index: int) -> str:
            frame, t = divmod(index, self.timesteps)
            if frame >= len(frames):
                return "after the last expected beat"
            active = int(np.count_nonzero(np.asarray(frames[frame])[t]))
            what = "spikes s[t][o]" if self.has_neuron else "currents I[t][o]"
            return (f"frame {frame} of {len(frames)}, timestep {t} of {self.timesteps}, "
                    f"pixel 0 (one-pixel output), {what}; {active} of {self.fan_in} inputs "
                    f"spike at t")

        Scoreboard(name, where).compare(self.expected(weights, bias, neuron, frames),
                                        [self.decode(b) for b in beats])

    def check_stepped(self, weights, frames) -> None:
        """The last run's recorded handshakes against the stepped model, cycle by cycle."""
        parameters = {name: int(getattr(self.dut, name).value) for name in (
            "InChannels", "InHeight", "InWidth", "OutFeatures", "Timesteps", "Parallel",
            "Lanes", "GroupWidth", "WeightBits", "MembraneBits", "HasNeuron", "NeuronStages")}
        weight = np.asarray(weights, dtype=np.int64).reshape(self.out_features, self.fan_in)
        self.check_handshakes(cycle_model.stepped(parameters, weight,
                                                  [np.asarray(x) for x in frames],
                                                  self.timesteps))


# -- strategies ---------------------------------------------------------------------------------
class Sparse:
    """A ``rows x cols`` integer matrix held as its non-zero cells: the weights ``[O, F]`` or a
    frame of spikes ``[T, F]`` (F in (c, y, x) order). ``np.asarray`` gives the dense matrix;
    the repr (what a shrunk Hypothesis example shows) lists the non-zero cells."""

    def __init__(self, rows: int, cols: int, cells: dict[tuple[int, int], int]) -> None:
        self.rows, self.cols = rows, cols
        self.cells = {key: int(v) for key, v in sorted(cells.items()) if v != 0}

    @classmethod
    def dense(cls, matrix) -> Sparse:
        arr = np.asarray(matrix, dtype=np.int64)
        return cls(arr.shape[0], arr.shape[1],
                   {(int(r), int(c)): int(arr[r, c]) for r, c in zip(*np.nonzero(arr))})

    def __array__(self, dtype=None, copy=None):
        arr = np.zeros((self.rows, self.cols), dtype=np.int64)
        for (r, c), v in self.cells.items():
            arr[r, c] = v
        return arr if dtype is None else arr.astype(dtype)

    def __len__(self) -> int:
        return self.rows

    def __repr__(self) -> str:
        size = self.rows * self.cols
        if len(self.cells) > 16:
            return (f"Sparse({self.rows}x{self.cols}, {len(self.cells)}/{size} non-zero, "
                    f"dense={np.asarray(self).tolist()})")
        return f"Sparse({self.rows}x{self.cols}, {len(self.cells)}/{size} non-zero: {self.cells})"


def _nonzero(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Non-zero integers in [lo, hi] (shrinks toward 1), the extremes often."""
    if lo == hi:
        return st.just(lo)
    return st.one_of(st.integers(lo, hi - 1).map(lambda v: v + 1 if v >= 0 else v),
                     st.sampled_from([lo, hi]))


@st.composite
def sparse_matrix(draw, rows: int, cols: int, lo: int, hi: int) -> Sparse:
    """A matrix of integers in [lo, hi]. Modes (the first is what shrinking aims for): a list of
    non-zero cells; a drawn percentage of zeros over every cell (90 % and 80 % often); no zero
    at all (0 % sparsity); all zero (100 %)."""
    value = _nonzero(lo, hi)
    size = rows * cols
    # Weighted modes (shrinking goes toward "cells"): cells 30 %, density 50 %, full 10 %,
    # zero 10 %.
    mode = ("cells",) * 3 + ("density",) * 5 + ("full", "zero")
    mode = mode[draw(st.integers(0, 9))]
    if mode == "cells":
        cells = draw(st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1),
                                        value), max_size=size))
        return Sparse(rows, cols, {(r, c): v for r, c, v in cells})
    if mode == "density":
        zeros = draw(st.one_of(st.integers(0, 100), st.just(90), st.just(80)))
        flat = draw(st.lists(st.tuples(st.integers(0, 99), value), min_size=size,
                             max_size=size))
        return Sparse(rows, cols, {divmod(i, cols): v for i, (k, v) in enumerate(flat)
                                   if k >= zeros})
    if mode == "full":
        flat = draw(st.lists(value, min_size=size, max_size=size))
        return Sparse(rows, cols, {divmod(i, cols): v for i, v in enumerate(flat)})
    return Sparse(rows, cols, {})


def spike_frame(steps: int, fan_in: int) -> st.SearchStrategy[Sparse]:
    """``[T, F]`` spikes: a list of spikes, a drawn density (20 % often), all or none."""
    return sparse_matrix(steps, fan_in, 1, 1)


def neurons(membrane_bits: int, weight_bits: int) -> st.SearchStrategy[NeuronParams]:
    """Neuron parameters over the whole range of SPEC 1 (threshold 1..2^(V-1)-1, both ends
    often), with thresholds of a few units a third of the time: a neuron far from its threshold
    hides a difference in the current (measured: a current error at one timestep changes the
    spikes in ~7 % of the examples with thresholds over the whole range)."""
    _, v_max = sat_bounds(membrane_bits)
    small = st.integers(1, min(v_max, max(2, weight_bits // 2)))
    return st.builds(
        NeuronParams,
        model=st.sampled_from(("if", "lif")),
        threshold=st.one_of(small, st.integers(1, v_max), st.sampled_from([1, v_max])),
        reset=st.sampled_from(("hard", "soft")),
        leak_shift=st.one_of(st.integers(1, min(2, membrane_bits - 1)),
                             st.integers(1, membrane_bits - 1)))


def biases(count: int, membrane_bits: int) -> st.SearchStrategy[tuple[int, ...]]:
    lo, hi = sat_bounds(membrane_bits)
    small = st.integers(max(lo, -16), min(hi, 16))
    value = st.one_of(small, st.integers(lo, hi), st.sampled_from([lo, hi, 0]))
    return st.one_of(st.just((0,) * count), st.lists(small, min_size=count, max_size=count),
                     st.lists(value, min_size=count, max_size=count)).map(tuple)


def saturation_examples(tb, full, silent) -> list[dict]:
    """The explicit examples of a linear layer (spike or pixel input; ``full``: the frame with
    every input at its maximum, ``silent``: the all-zero frame), without ``config_order``."""
    o, f = tb.out_features, tb.fan_in
    w_lo, w_hi = sat_bounds(tb.weight_bits)
    v_lo, v_hi = sat_bounds(tb.membrane_bits)
    full_pos = Sparse.dense(np.full((o, f), w_hi))
    full_neg = Sparse.dense(np.full((o, f), w_lo))
    return [
        # Saturation at the top (the largest current +M - 1: every weight and input at the
        # maximum, bias max); soft reset keeps the excess, so a missing saturation shows in the
        # following timesteps.
        dict(weights=full_pos, bias=(v_hi,) * o, neuron=NeuronParams("if", v_hi, "soft", 1),
             frames=[full], source_pacing=ALWAYS, sink_pacing=ALWAYS),
        dict(weights=full_pos, bias=(v_hi,) * o, neuron=NeuronParams("lif", 1, "soft", 1),
             frames=[full, full], source_pacing=(True, False), sink_pacing=(False, True)),
        # Saturation at the bottom (the most negative current -M): the membrane sits at
        # -2^(V-1) and must climb back from there.
        dict(weights=full_neg, bias=(v_lo,) * o, neuron=NeuronParams("if", 1, "hard", 1),
             frames=[full, silent], source_pacing=ALWAYS, sink_pacing=ALWAYS),
        dict(weights=full_neg, bias=(v_lo,) * o,
             neuron=NeuronParams("lif", 1, "hard", tb.membrane_bits - 1), frames=[full],
             source_pacing=ALWAYS, sink_pacing=(True, False, False)),
        # Empty layer and silent input: only the bias drives the neuron.
        dict(weights=Sparse(o, f, {}), bias=tuple(range(o)),
             neuron=NeuronParams("if", 1, "hard", 1), frames=[silent], source_pacing=ALWAYS,
             sink_pacing=ALWAYS),
    ]


@cocotb.test()
@checked
async def random_layers(dut):
    """Random layers, frames and pacings against the golden model."""
    tb = LinearTB(dut)
    o, f, steps = tb.out_features, tb.fan_in, tb.timesteps
    w_lo, w_hi = sat_bounds(tb.weight_bits)
    run = resume(tb.run)

    @given(weights=sparse_matrix(o, f, w_lo, w_hi),
           bias=biases(o, tb.membrane_bits),
           neuron=neurons(tb.membrane_bits, tb.weight_bits),
           frames=st.lists(spike_frame(steps, f), min_size=1, max_size=2),
           source_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           sink_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           config_order=config_orders())
    @counted
    def check(weights, bias, neuron, frames, source_pacing, sink_pacing, config_order):
        beats, _, _ = run(weights, bias, neuron, frames, source_pacing, sink_pacing, config_order)
        tb.compare("linear output beats", weights, bias, neuron, frames, beats)
        tb.check_stepped(weights, frames)

    for case in saturation_examples(tb, Sparse.dense(np.ones((steps, f))), Sparse(steps, f, {})):
        check = example(**case, config_order=None)(check)
    # Silent timesteps between spiking ones, two frames back to back (the first ends on a
    # silent timestep when T is even, the second starts on one): the skip of their rows, its
    # refill into the next timestep and into the next frame (docs/sparse_linear_core.md).
    spiking = np.array([[(t + 1) % 2] * f for t in range(steps)])
    check = example(weights=Sparse.dense(np.ones((o, f), dtype=np.int64)), bias=(0,) * o,
                    neuron=NeuronParams("if", 1, "hard", 1),
                    frames=[Sparse.dense(spiking), Sparse.dense(1 - spiking)],
                    source_pacing=ALWAYS, sink_pacing=ALWAYS, config_order=None)(check)
    # Silent frames (docs/sparse_linear_core.md, "Silent frames"): the first walked and its
    # beats kept (biases that make some features fire, a leak), the next replayed from them,
    # then a frame whose spikes come only in its last timestep (it waits for its end and is
    # walked), then silent ones again; once with both streams paced.
    late = np.zeros((steps, f), dtype=np.int64)
    late[steps - 1, :: max(1, f // 3)] = 1
    silent_run = [Sparse(steps, f, {})] * 2 + [Sparse.dense(late)] + [Sparse(steps, f, {})] * 2
    for source, sink in ((ALWAYS, ALWAYS), ((True, False, True), (False, True, True, False))):
        check = example(weights=Sparse.dense(np.ones((o, f), dtype=np.int64)),
                        bias=tuple((k % 5) - 1 for k in range(o)),
                        neuron=NeuronParams("lif", 2, "soft", 1), frames=silent_run,
                        source_pacing=source, sink_pacing=sink, config_order=None)(check)
    await run_search(check, "random_layers")
    tb.log_handshakes()


def _measure(tb: LinearTB, frames, accepts, beat_cycles) -> list[int]:
    """Per frame: cycles from its first input beat accepted to its last output beat sent."""
    per_frame_in = tb.pixels * tb.timesteps
    cycles = []
    for k in range(len(frames)):
        if len(accepts) < (k + 1) * per_frame_in or len(beat_cycles) < (k + 1) * tb.timesteps:
            cycles.append(-1)
            continue
        cycles.append(beat_cycles[(k + 1) * tb.timesteps - 1] - accepts[k * per_frame_in])
    return cycles


def _random_layer(tb: LinearTB, rng, weight_sparsity: float, spike_density: float, frames: int):
    w_lo, w_hi = sat_bounds(tb.weight_bits)
    weights = rng.integers(w_lo, w_hi + 1, size=(tb.out_features, tb.fan_in))
    weights[weights == 0] = 1
    weights[rng.random(weights.shape) < weight_sparsity] = 0
    spikes = [(rng.random((tb.timesteps, tb.fan_in)) < spike_density).astype(np.int64)
              for _ in range(frames)]
    return weights, spikes


@cocotb.test()
@checked
async def cycles_match_model(dut):
    """Free-running streams: measured cycles per frame equal golden.cycles.sparse_linear."""
    tb = LinearTB(dut)
    o, f, steps = tb.out_features, tb.fan_in, tb.timesteps
    w_lo, w_hi = sat_bounds(tb.weight_bits)
    run = resume(tb.run)
    neuron = NeuronParams("if", 1, "hard", 1)
    timing = Scoreboard("cycles per frame (first input accepted to last output sent)",
                        lambda k: f"frame {k}")

    def measure_and_compare(weights, frames, label: str):
        bias = (0,) * o
        beats, accepts, beat_cycles = run(weights, bias, neuron, frames, ALWAYS, ALWAYS)
        tb.compare(f"linear output beats ({label})", weights, bias, neuron, frames, beats)
        tb.check_stepped(weights, frames)
        want = cycle_model.model(np.asarray(weights), [np.asarray(x) for x in frames],
                                 tb.pixels, tb.parallel, tb.lanes, tb.group, tb.neuron_stages, tb.has_neuron)
        got = _measure(tb, frames, accepts, beat_cycles)
        timing.compare(list(want.frame_cycles), got)
        cocotb.log.info("cycles per frame: measured %s, model %s, lower bound %s, dense %s",
                        got, list(want.frame_cycles),
                        [round(b, 2) for b in want.lower_bound], list(want.dense_cost))
        return want, got

    @given(weights=sparse_matrix(o, f, w_lo, w_hi),
           frames=st.lists(spike_frame(steps, f), min_size=1, max_size=3))
    @example(weights=Sparse.dense(np.full((o, f), w_hi)),
             frames=[Sparse.dense(np.ones((steps, f)))] * 3)
    @example(weights=Sparse.dense(np.full((o, f), w_hi)),
             frames=[Sparse(steps, f, {})] * 4 + [Sparse.dense(np.ones((steps, f)))])
    @counted
    def check(weights, frames):
        measure_and_compare(weights, frames, "cycles search")

    await run_search(check, "cycles_match_model", max_examples=examples_budget(scale=0.3))

    # The reference measurement of docs/sparse_linear_core.md: 90 % weight sparsity, 20 % spike
    # density, one frame, free-running streams.
    STATS.add_example()
    rng = np.random.default_rng(2024)
    weights, frames = _random_layer(tb, rng, 0.9, 0.2, 1)
    want, got = await tb_measure(tb, weights, frames, timing)
    cocotb.log.info(
        "CYCLES 90%%/20%% (C=%d H=%d W=%d O=%d T=%d P=%d L=%d G=%d): measured %d, model %d, "
        "detector cycles %d, lower bound %.2f (effectual ops / (P*L)), dense %d "
        "(ceil(O/P)*ceil(F/L)*T), input %d beats",
        tb.channels, tb.height, tb.width, o, steps, tb.parallel, tb.lanes, tb.group, got[0],
        want.frame_cycles[0], want.compute_cycles[0], want.lower_bound[0], want.dense_cost[0],
        tb.pixels * steps)
    tb.log_handshakes()


async def tb_measure(tb: LinearTB, weights, frames, timing: Scoreboard):
    """One directed cycle measurement (async: called from the cocotb test itself)."""
    neuron = NeuronParams("if", 1, "hard", 1)
    bias = (0,) * tb.out_features
    beats, accepts, beat_cycles = await tb.run(weights, bias, neuron, frames, ALWAYS, ALWAYS)
    tb.compare("linear output beats (90/20 measurement)", weights, bias, neuron, frames, beats)
    tb.check_stepped(weights, frames)
    want = cycle_model.model(weights, frames, tb.pixels, tb.parallel, tb.lanes, tb.group,
                             tb.neuron_stages, tb.has_neuron)
    got = _measure(tb, frames, accepts, beat_cycles)
    timing.compare(list(want.frame_cycles), got)
    return want, got

