"""cocotb testbench of rtl/sparse_conv_core.sv against the golden conv layer.

Every example resets the core, loads the layer through the configuration write port
(``golden.memory_images.config_writes`` of ``layer_images``), streams 1-2 frames of spikes with
drawn idle cycles, takes the output with drawn backpressure and compares every output beat with
``golden.layers.conv_currents`` then ``golden.neuron.run_neuron`` per output channel (or the
currents themselves when HasNeuron = 0). With free-running streams the cycles of every frame are
also compared with ``golden.cycles.sparse_conv`` (exact). Under any pacing, the core's
``in_ready_o`` and ``out_valid_o`` are compared in every cycle with the stepped model of that
module (``SparseConvStepped``, fed the recorded ``in_valid_i`` / ``out_ready_i``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.cores import conv_current_bits
from golden.cycles.sparse_conv import (ConvHw, SparseConvStepped, dense_cost, lower_bound,
                                       schedule)
from golden.inputs import density_conv_layer
from golden.layers import conv_currents
from golden.memory_images import config_writes, layer_images
from golden.neuron import NeuronParams, run_neuron
from golden.sparsity import conv_fanin_inputs, effectual_ops, fanin_weights
from golden.strategies import neuron_params
from tb.harness.config import config_orders, in_order
from tb.harness.core_tb import ConfiguredCoreTB
from tb.harness.coverage import CoreCoverage
from tb.harness.pacing import ALWAYS, cycle_pattern, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search


@dataclass(frozen=True)
class Shape:
    """The core's HDL parameters, as read from the DUT."""

    ci: int
    co: int
    h: int
    w: int
    k: int
    t: int
    p: int
    lanes: int
    g: int
    b: int
    v: int
    has_neuron: bool

    @property
    def fan_in(self) -> int:
        return self.ci * self.k * self.k

    @property
    def current_bits(self) -> int:
        return conv_current_bits(self.fan_in, self.b, self.v)

    @property
    def hw(self) -> ConvHw:
        return ConvHw(self.p, self.lanes, self.g, self.has_neuron)


class Case:
    """One example: the layer's run-time contents, the frames and the stream pacing.

    (A plain class, not a dataclass, so that Hypothesis prints a failing example with the
    compact ``__repr__`` below: non-zero weights and spike coordinates only.)"""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, neuron: NeuronParams | None,
                 frames: tuple[np.ndarray, ...], source_pacing: tuple[bool, ...],
                 sink_pacing: tuple[bool, ...], config_order: int | None = None) -> None:
        self.weight = weight                  # [Co, Ci, K, K]
        self.bias = bias                      # [Co]
        self.neuron = neuron
        self.frames = frames                  # each [T, Ci, H, W]
        self.source_pacing = source_pacing
        self.sink_pacing = sink_pacing
        self.config_order = config_order      # None or the seed of a shuffle (harness/config)

    def __repr__(self) -> str:
        nonzero = {tuple(int(i) for i in idx): int(self.weight[idx])
                   for idx in zip(*np.nonzero(self.weight))}
        spikes = [[tuple(int(i) for i in idx) for idx in zip(*np.nonzero(f))]
                  for f in self.frames]
        return (f"Case(nonzero weights {{(co, ci, ky, kx): w}} = {nonzero} "
                f"(of {self.weight.size}), bias = {self.bias.tolist()}, neuron = {self.neuron}, "
                f"spikes (t, ci, y, x) per frame = {spikes} "
                f"(of {self.frames[0].size} each), "
                f"source_pacing = {tuple(int(x) for x in self.source_pacing)}, "
                f"sink_pacing = {tuple(int(x) for x in self.sink_pacing)}, "
                f"config_order = {self.config_order})")


class ConvTB(ConfiguredCoreTB):
    def __init__(self, dut) -> None:
        super().__init__(dut, "sparse_conv_core")
        s = Shape(ci=int(dut.InChannels.value), co=int(dut.OutChannels.value),
                  h=int(dut.Height.value), w=int(dut.Width.value), k=int(dut.Kernel.value),
                  t=int(dut.Timesteps.value), p=int(dut.Parallel.value),
                  lanes=int(dut.Lanes.value), g=int(dut.GroupWidth.value),
                  b=int(dut.WeightBits.value), v=int(dut.MembraneBits.value),
                  has_neuron=bool(int(dut.HasNeuron.value)))
        self.shape = s
        width = s.co if s.has_neuron else s.co * s.current_bits
        if len(dut.out_data_o) != width:
            raise AssertionError(f"out_data_o is {len(dut.out_data_o)} bits, expected {width}")
        for name in ("in_data_i", "in_last_i"):
            getattr(dut, name).value = 0
        self.cover = self.watch(CoreCoverage("sparse_conv_core", s.t, s.h, s.w, s.g,
                                             s.v if s.has_neuron else None))

    # -- driving -----------------------------------------------------------------------------
    async def configure(self, case: Case) -> None:
        """Loads the layer's memories through the write port, one write per cycle, then the
        all-ones writes one past the end of each memory, which the core must ignore."""
        s = self.shape
        images = layer_images(case.weight, case.bias, case.neuron, s.g, s.p)
        await self.load(in_order(config_writes(images), case.config_order)
                        + self.stray_writes(s.co, s.fan_in, s.p, s.g))
        await RisingEdge(self.clock)

    def input_beats(self, case: Case) -> list[dict]:
        s = self.shape
        beats = []
        for frame in case.frames:
            for y in range(s.h):
                for x in range(s.w):
                    for t in range(s.t):
                        data = sum(int(frame[t, ci, y, x]) << ci for ci in range(s.ci))
                        last = int(y == s.h - 1 and x == s.w - 1 and t == s.t - 1)
                        beats.append({"data": data, "last": last})
        return beats

    def budget(self, case: Case) -> int:
        """Cycles to wait at most: the free-running model time, stretched by the pacing."""
        timing = schedule(case.weight, case.frames, self.shape.hw)
        free = timing[-1].output_cycles[-1] + 1
        stretch = (len(case.source_pacing) / sum(case.source_pacing)) * \
                  (len(case.sink_pacing) / sum(case.sink_pacing))
        return int(free * stretch * 2) + 200

    async def run(self, case: Case):
        """Resets, configures, streams ``case``; returns (beats, accept cycles, beat cycles).
        The handshakes of every cycle from the end of the configuration on are compared with
        the stepped model (``SparseConvStepped``, fed the same in_valid_i / out_ready_i)."""
        await self.reset()
        await self.configure(case)
        # The control registers are still at their reset values.
        self.send(self.input_beats(case), case.source_pacing, case.sink_pacing)
        want = len(case.frames) * self.shape.h * self.shape.w * self.shape.t
        outcome = await self.finish(want, self.budget(case), settle=6, step=8)
        self.check_handshakes(SparseConvStepped(case.weight, case.frames, self.shape.hw))
        return outcome

    # -- checking ----------------------------------------------------------------------------
    def golden(self, case: Case):
        """Per frame: currents [T, Co, H, W], and spikes / membranes (None without a neuron)."""
        out = []
        for frame in case.frames:
            currents = conv_currents(frame, case.weight, case.bias)
            if self.shape.has_neuron:
                spikes, membranes = run_neuron(currents, case.neuron, self.shape.v)
            else:
                spikes, membranes = None, None
            out.append((currents, spikes, membranes))
        return out

    def position(self, index: int) -> tuple[int, int, int, int]:
        s = self.shape
        frame, rest = divmod(index, s.h * s.w * s.t)
        pixel, t = divmod(rest, s.t)
        y, x = divmod(pixel, s.w)
        return frame, y, x, t

    def decode(self, beat: dict) -> dict:
        s = self.shape
        data = beat["data"]
        if s.has_neuron:
            channels = tuple((data >> c) & 1 for c in range(s.co))
        else:
            cb = s.current_bits
            raw = [(data >> (c * cb)) & ((1 << cb) - 1) for c in range(s.co)]
            channels = tuple(r - (1 << cb) if r >> (cb - 1) else r for r in raw)
        return {"channels": channels, "last": beat["last"]}

    def compare(self, case: Case, beats: list[dict]) -> None:
        s = self.shape
        gold = self.golden(case)
        for frame, (currents, spikes, membranes) in zip(case.frames, gold):
            self.cover.outputs(spikes if s.has_neuron else currents)
            if s.has_neuron:
                self.cover.membranes(currents, membranes, case.neuron)
            self.cover.groups(fanin_weights(case.weight), conv_fanin_inputs(frame, s.k))
        expected = []
        for f, (currents, spikes, _) in enumerate(gold):
            values = spikes if s.has_neuron else currents
            for y in range(s.h):
                for x in range(s.w):
                    for t in range(s.t):
                        last = int(y == s.h - 1 and x == s.w - 1 and t == s.t - 1)
                        expected.append({"channels": tuple(int(values[t, c, y, x])
                                                           for c in range(s.co)),
                                         "last": last})
        observed = [self.decode(b) for b in beats]

        def where(index: int) -> str:
            if index >= len(expected):
                return "after the last expected beat"
            f, y, x, t = self.position(index)
            text = f"frame {f}, pixel (y={y}, x={x}), t={t}"
            if index < len(observed):
                want, got = expected[index]["channels"], observed[index]["channels"]
                currents, _, membranes = gold[f]
                diffs = []
                for c in range(s.co):
                    if want[c] != got[c]:
                        detail = f"channel {c}: I={int(currents[t, c, y, x])}"
                        if membranes is not None:
                            before = int(membranes[t - 1, c, y, x]) if t else 0
                            detail += (f", v before={before}, "
                                       f"v after={int(membranes[t, c, y, x])}")
                        diffs.append(detail)
                if diffs:
                    text += "; " + "; ".join(diffs)
            return text

        Scoreboard("conv output beats", where).compare(expected, observed)

    def compare_cycles(self, case: Case, accepts: list[int], beat_cycles: list[int],
                       scoreboard: Scoreboard) -> list[dict]:
        """Measured vs model cycles per frame (free-running streams only)."""
        s = self.shape
        beats_per_frame = s.h * s.w * s.t
        timing = schedule(case.weight, case.frames, s.hw)
        measured, model, rows = [], [], []
        for f, frame_timing in enumerate(timing):
            first = accepts[f * beats_per_frame]
            last = beat_cycles[(f + 1) * beats_per_frame - 1]
            cycles = last - first + 1
            measured.append(cycles)
            model.append(frame_timing.cycles)
            rows.append({"frame": f, "measured": cycles, "model": frame_timing.cycles,
                         "lower_bound": lower_bound(case.weight, case.frames[f], s.hw),
                         "dense": dense_cost(case.weight, case.frames[f], s.hw),
                         "effectual_ops": effectual_ops("conv", case.frames[f], case.weight)})
        scoreboard.compare(model, measured)
        return rows


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------
#: A percentage in [0, 100]; each end (exactly 0 and 100) one draw in ten. The general branch
#: comes first so that shrinking lands on a small percentage (a sparse minimal example) rather
#: than on the "100 %" end, whose per-element draws are all zero.
_percent = st.integers(0, 9).flatmap(
    lambda pick: st.just(0) if pick == 8 else st.just(100) if pick == 9 else st.integers(0, 100))


def _masked(draw, count: int, percent: int) -> list[bool]:
    """``count`` flags, each set with probability ``percent`` %; every flag shrinks to unset."""
    units = draw(st.lists(st.integers(0, 99), min_size=count, max_size=count))
    return [u >= 100 - percent for u in units]


@st.composite
def weights(draw, s: Shape) -> np.ndarray:
    lo, hi = sat_bounds(s.b)
    keep = _masked(draw, s.co * s.fan_in, draw(_percent))   # 100 - weight sparsity, in %
    values = st.integers(lo, hi).filter(lambda w: w != 0)
    flat = [draw(values) if k else 0 for k in keep]
    return np.array(flat, dtype=np.int64).reshape(s.co, s.ci, s.k, s.k)


@st.composite
def biases(draw, s: Shape) -> np.ndarray:
    v_lo, v_hi = sat_bounds(s.v)
    small = 1 << (s.b + 1)
    one = st.one_of(st.integers(max(v_lo, -small), min(v_hi, small)),
                    st.integers(v_lo, v_hi), st.sampled_from((v_lo, v_hi, 0)))
    return np.array(draw(st.lists(one, min_size=s.co, max_size=s.co)), dtype=np.int64)


@st.composite
def frames(draw, s: Shape, max_frames: int = 2) -> tuple[np.ndarray, ...]:
    count = draw(st.integers(1, max_frames))
    out = []
    for _ in range(count):
        density = draw(_percent)
        flags = _masked(draw, s.t * s.ci * s.h * s.w, density)
        out.append(np.array(flags, dtype=np.uint8).reshape(s.t, s.ci, s.h, s.w))
    return tuple(out)


@st.composite
def cases(draw, s: Shape) -> Case:
    neuron = draw(neuron_params(s.v)) if s.has_neuron else None
    return Case(weight=draw(weights(s)), bias=draw(biases(s)), neuron=neuron,
                frames=draw(frames(s)),
                source_pacing=draw(st.one_of(st.just(ALWAYS), pacing_patterns())),
                sink_pacing=draw(st.one_of(st.just(ALWAYS), pacing_patterns())),
                config_order=draw(config_orders()))


def saturation_case(s: Shape, positive: bool, model: str, reset: str) -> Case:
    """All weights at one end, every spike 1, the bias at the same end: the membrane runs into
    sat_V (and the current reaches its extreme, for HasNeuron = 0)."""
    lo, hi = sat_bounds(s.b)
    v_lo, v_hi = sat_bounds(s.v)
    weight = np.full((s.co, s.ci, s.k, s.k), hi if positive else lo, dtype=np.int64)
    bias = np.full(s.co, v_hi if positive else v_lo, dtype=np.int64)
    threshold = v_hi if positive else 1
    neuron = NeuronParams(model, threshold, reset, 1) if s.has_neuron else None
    frame = np.ones((s.t, s.ci, s.h, s.w), dtype=np.uint8)
    return Case(weight, bias, neuron, (frame, frame), ALWAYS, ALWAYS)


def density_case(s: Shape, sparsity: float, density: float, seed: int,
                 frames_count: int = 2) -> Case:
    """A layer with the given weight sparsity and spike density (golden.inputs, reproducible)."""
    shape = {"InChannels": s.ci, "OutChannels": s.co, "Kernel": s.k, "Timesteps": s.t,
             "Height": s.h, "Width": s.w, "WeightBits": s.b, "MembraneBits": s.v}
    weight, bias, frames_ = density_conv_layer(shape, sparsity, density, seed, frames_count)
    neuron = NeuronParams("lif", min(4, (1 << (s.v - 1)) - 1), "soft", 1) \
        if s.has_neuron else None
    return Case(weight, bias, neuron, frames_, ALWAYS, ALWAYS)


def silent_windows_case(s: Shape) -> Case:
    """Silent windows (docs/sparse_conv_core.md): half the weights, biases from -2 to Co - 3 and
    an IF neuron of threshold 3, so a silent pixel's T beats differ from step to step; three
    frames back to back: one spike at the last pixel in the last timestep (every other window
    silent, some with a single non-zero word), an all-zero frame, one spike at the first pixel
    in timestep 0. The first silent pixel steps its neurons and keeps its beats, the later ones
    reuse them; a bank scans each zero word in one cycle and reads its currents as 0."""
    rng = np.random.default_rng(33)
    lo, hi = sat_bounds(s.b)
    weight = rng.integers(lo, hi + 1, size=(s.co, s.ci, s.k, s.k)) * (rng.random(
        (s.co, s.ci, s.k, s.k)) < 0.5)
    v_lo, v_hi = sat_bounds(s.v)
    bias = np.clip(np.arange(s.co) - 2, v_lo, v_hi).astype(np.int64)
    neuron = NeuronParams("if", min(3, v_hi), "hard", 1) if s.has_neuron else None
    last, empty, first = (np.zeros((s.t, s.ci, s.h, s.w), dtype=np.uint8) for _ in range(3))
    last[s.t - 1, s.ci - 1, s.h - 1, s.w - 1] = 1
    first[0, 0, 0, 0] = 1
    return Case(weight.astype(np.int64), bias, neuron, (last, empty, first), ALWAYS, ALWAYS)


def _captures_during_stall(model: SparseConvStepped, beats: int, source_pacing, sink_pacing,
                           limit: int = 20_000) -> bool:
    """Runs ``model`` as :meth:`ConvTB.run` drives the core (the source presents beat n from the
    cycle after its pacing allows it and holds it until accepted; cycle c >= 1 has the sink's
    ready of pattern entry c-1): is a window complete while the window register is empty in a
    stalled cycle (so the core captures it during the stall)?"""
    source, sink = cycle_pattern(source_pacing), cycle_pattern(sink_pacing)
    holding, accepted, sent, out_ready = False, 0, 0, False
    for _ in range(limit):
        capture = not model.loaded and model.capture_ready()
        in_fire, out_fire = model.clock(holding, out_ready)
        if capture and model.stalled:
            return True
        sent += out_fire
        if in_fire:
            holding, accepted = False, accepted + 1
        if not holding and accepted < beats and next(source):
            holding = True
        out_ready = next(sink)
        if sent == beats:
            break
    return False


def stall_capture_case(s: Shape) -> Case:
    """Zero weights (every (pixel, t) costs C = R*NG cycles), dense spikes, three frames, and a
    source and a sink each active one cycle in about C + 1, searched (sink first) until the
    stepped model captures a window while the datapath is stalled: a stall does not freeze the
    input writes nor a capture into an empty window register, and drawn pacings line the two up
    only rarely. (Free-running streams if no pacing of the search does it.)"""
    weight = np.zeros((s.co, s.ci, s.k, s.k), dtype=np.int64)
    bias = np.zeros(s.co, dtype=np.int64)
    neuron = NeuronParams("if", 1, "hard", 1) if s.has_neuron else None
    frames_ = (np.ones((s.t, s.ci, s.h, s.w), dtype=np.uint8),) * 3
    beats = len(frames_) * s.h * s.w * s.t
    step_cycles = -(-s.co // s.p) * -(-s.fan_in // s.g)
    for sink_idle in range(step_cycles, 2 * step_cycles + 3):
        for source_idle in range(step_cycles - 1, 2 * step_cycles + 3):
            for source_active in (1, 2):
                source_pacing = (True,) * source_active + (False,) * source_idle
                sink_pacing = (False,) * sink_idle + (True,)
                model = SparseConvStepped(weight, frames_, s.hw)
                if _captures_during_stall(model, beats, source_pacing, sink_pacing):
                    return Case(weight, bias, neuron, frames_, source_pacing, sink_pacing)
    return Case(weight, bias, neuron, frames_, ALWAYS, ALWAYS)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
@cocotb.test()
@checked
async def random_layers_match_golden(dut):
    """Drawn weights (0-100 % sparse), biases, neuron, 1-2 frames (0-100 % dense) and pacing;
    every output beat compared; with free-running streams, the frame cycles too."""
    tb = ConvTB(dut)
    s = tb.shape
    run = resume(tb.run)
    cycles = Scoreboard("frame cycles (model vs measured, free-running)")

    @given(case=cases(s))
    @example(case=saturation_case(s, True, "if", "hard"))
    @example(case=saturation_case(s, False, "if", "soft"))
    @example(case=saturation_case(s, True, "lif", "soft"))
    @example(case=saturation_case(s, False, "lif", "hard"))
    @example(case=density_case(s, 1.0, 1.0, 1))
    @example(case=density_case(s, 0.0, 1.0, 2))
    @example(case=density_case(s, 0.9, 0.2, 3))
    @example(case=stall_capture_case(s))
    @example(case=silent_windows_case(s))
    @counted
    def check(case):
        beats, accepts, beat_cycles = run(case)
        tb.compare(case, beats)
        if case.source_pacing == ALWAYS and case.sink_pacing == ALWAYS:
            tb.compare_cycles(case, accepts, beat_cycles, cycles)

    await run_search(check, "random_layers_match_golden")
    tb.log_handshakes()


@cocotb.test()
@checked
async def reconfigured_without_reset(dut):
    """The beats a silent pixel keeps belong to the configuration: the silent-windows case runs
    (its first silent pixel keeps them), then, with no reset between, a configuration of other
    biases and another neuron is written and the same frames streamed: every beat of both runs
    compared with the golden model, and the second run's handshakes with a fresh stepped model
    (a configuration write forgets the kept beats, and the core is otherwise back in a state
    whose timing is the reset state's)."""
    tb = ConvTB(dut)
    s = tb.shape
    first = silent_windows_case(s)
    beats, _, _ = await tb.run(first)
    tb.compare(first, beats)
    v_lo, v_hi = sat_bounds(s.v)
    bias = np.clip(3 - np.arange(s.co) * 2, v_lo, v_hi).astype(np.int64)
    neuron = NeuronParams("lif", min(2, v_hi), "soft", 1) if s.has_neuron else None
    second = Case(first.weight, bias, neuron, first.frames, ALWAYS, ALWAYS)
    await tb.configure(second)
    sent = len(tb.sink.beats)
    tb.send(tb.input_beats(second), ALWAYS, ALWAYS)
    want = sent + len(second.frames) * s.h * s.w * s.t
    beats, _, _ = await tb.finish(want, tb.budget(second), settle=6, step=8)
    tb.check_handshakes(SparseConvStepped(second.weight, second.frames, s.hw))
    tb.compare(second, beats[sent:])
    tb.log_handshakes()


@cocotb.test()
@checked
async def cycles_match_model(dut):
    """Free-running streams, 2 frames back to back: measured cycles per frame equal the model
    (golden/cycles/sparse_conv.py); logs the effectual-op lower bound and the dense cost."""
    tb = ConvTB(dut)
    s = tb.shape
    cycles = Scoreboard("frame cycles (model vs measured, free-running)")
    for name, sparsity, density in (("90% weight sparsity, 20% spike density", 0.9, 0.2),
                                    ("dense weights, dense spikes", 0.0, 1.0),
                                    ("50% / 50%", 0.5, 0.5),
                                    ("all-zero weights", 1.0, 0.5)):
        case = density_case(s, sparsity, density, seed=7)
        beats, accepts, beat_cycles = await tb.run(case)
        tb.compare(case, beats)
        rows = tb.compare_cycles(case, accepts, beat_cycles, cycles)
        for row in rows:
            cocotb.log.info(
                "cycles %s frame %d: measured %d, model %d, lower bound %.1f "
                "(%d effectual ops / (P*L=%d)), dense %d", name, row["frame"], row["measured"],
                row["model"], row["lower_bound"], row["effectual_ops"], s.p * s.lanes,
                row["dense"])
