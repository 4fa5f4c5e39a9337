"""cocotb testbench of rtl/dense_input_core.sv against the golden model.

Every example resets the core, loads its weights, biases and neuron parameters through the
configuration port (golden.memory_images.config_writes, exactly as a bring-up bench would), then
streams one or two pixel frames back to back. Every output beat (pixel (y, x), timestep t) is
compared through the Scoreboard with golden.layers.conv_currents on the frame broadcast over T,
followed by golden.neuron.run_neuron (or, for HasNeuron = 0, the current itself). Frames,
weights (0 .. 100 % sparse), biases, neuron parameters, pixels and the idle / backpressure
patterns are drawn by Hypothesis inside the simulation.

With free-running streams the cycles of every frame (first pixel accepted to last beat sent) are
compared exactly with golden/cycles/dense_input.py, and logged with the effectual-op lower bound
and the dense costs (per timestep, as the DATE'25 RTL; and once per pixel). In every run, under
any pacing, the core's in_ready_o and out_valid_o are compared in every cycle with its stepped
model (golden.cycles.dense_input.stepped). Both models take the core's CurrentBuffers and
NeuronStages, read from the DUT like every other parameter.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.task import resume
from hypothesis import example, given, note
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from golden.arith import sat_bounds
from golden.cores import pixel_current_bits
from golden.cycles import dense_input as cycle_model
from golden.layers import conv_currents
from golden.memory_images import config_writes, layer_images
from golden.neuron import NeuronParams
from golden.strategies import neuron_params
from tb.harness.config import config_orders, in_order
from tb.harness.core_tb import ConfiguredCoreTB, layer_outputs
from tb.harness.coverage import CoreCoverage
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, examples_budget, run_search

PARAMETERS = ("InChannels", "PixelBits", "OutChannels", "Height", "Width", "Kernel", "Timesteps",
              "Parallel", "Lanes", "GroupWidth", "WeightBits", "MembraneBits", "HasNeuron",
              "CurrentBuffers", "NeuronStages", "WideBeat")


class DenseTB(ConfiguredCoreTB):
    def __init__(self, dut) -> None:
        super().__init__(dut, "dense_input_core")
        p = {name: int(getattr(dut, name).value) for name in PARAMETERS}
        self.p = p
        self.C, self.A, self.Co = p["InChannels"], p["PixelBits"], p["OutChannels"]
        self.H, self.W, self.K, self.T = p["Height"], p["Width"], p["Kernel"], p["Timesteps"]
        self.P, self.L, self.G = p["Parallel"], p["Lanes"], p["GroupWidth"]
        self.B, self.V, self.neuron = p["WeightBits"], p["MembraneBits"], bool(p["HasNeuron"])
        self.buffers = p["CurrentBuffers"]
        self.neuron_stages = p["NeuronStages"]
        # WideBeat: one beat per pixel, bit t*Co + co (else T beats of Co bits per pixel).
        self.wide = bool(p["WideBeat"])
        self.beats_per_pixel = 1 if self.wide else self.T
        self.cb = pixel_current_bits(self.C * self.K * self.K, self.A, self.B, self.V)
        want_width = (self.Co * (self.T if self.wide else 1) if self.neuron
                      else self.Co * self.cb)
        if len(dut.out_data_o) != want_width:
            raise AssertionError(f"out_data_o is {len(dut.out_data_o)} bits, expected "
                                 f"{want_width} (CurrentBits {self.cb})")
        self.weight_shape = (self.Co, self.C, self.K, self.K)
        self.frame_shape = (self.C, self.H, self.W)
        self.cover = self.watch(CoreCoverage("dense_input_core", self.T, self.H, self.W,
                                             membrane_bits=self.V if self.neuron else None))

    # -- streams ------------------------------------------------------------------------------
    def pixel_beats(self, frame: np.ndarray) -> list[dict]:
        beats = []
        for y in range(self.H):
            for x in range(self.W):
                data = 0
                for c in range(self.C):
                    data |= int(frame[c, y, x]) << (c * self.A)
                beats.append({"data": data, "last": int(y == self.H - 1 and x == self.W - 1)})
        return beats

    # -- golden -------------------------------------------------------------------------------
    def expected_beats(self, weight, bias, params, frames) -> list[dict]:
        beats = []
        for frame in frames:
            currents = conv_currents(np.broadcast_to(frame, (self.T, *frame.shape)), weight, bias)
            values = layer_outputs(self.cover, currents, params if self.neuron else None, self.V)
            for y in range(self.H):
                for x in range(self.W):
                    if self.wide:
                        beats.append({"spikes": tuple(tuple(int(v) for v in values[t, :, y, x])
                                                      for t in range(self.T)),
                                      "last": int(y == self.H - 1 and x == self.W - 1)})
                        continue
                    for t in range(self.T):
                        key = "spikes" if self.neuron else "currents"
                        beats.append({key: tuple(int(v) for v in values[t, :, y, x]),
                                      "last": int(y == self.H - 1 and x == self.W - 1
                                                  and t == self.T - 1)})
        return beats

    def decode(self, beat: dict) -> dict:
        data = beat["data"]
        if self.wide:
            return {"spikes": tuple(tuple((data >> (t * self.Co + co)) & 1
                                          for co in range(self.Co)) for t in range(self.T)),
                    "last": beat["last"]}
        if self.neuron:
            return {"spikes": tuple((data >> co) & 1 for co in range(self.Co)),
                    "last": beat["last"]}
        mask, half = (1 << self.cb) - 1, 1 << (self.cb - 1)
        values = []
        for co in range(self.Co):
            v = (data >> (co * self.cb)) & mask
            values.append(v - (1 << self.cb) if v >= half else v)
        return {"currents": tuple(values), "last": beat["last"]}

    def describe(self, index: int) -> str:
        if self.wide:
            frame, pixel = divmod(index, self.H * self.W)
            y, x = divmod(pixel, self.W)
            return f"frame {frame}, pixel (y={y}, x={x}), timesteps 0..{self.T - 1} (one beat)"
        per_frame = self.H * self.W * self.T
        frame, rest = divmod(index, per_frame)
        pixel, t = divmod(rest, self.T)
        y, x = divmod(pixel, self.W)
        return f"frame {frame}, pixel (y={y}, x={x}), timestep {t}"

    def compare(self, name: str, weight, bias, params, frames, beats) -> None:
        Scoreboard(name, self.describe).compare(
            self.expected_beats(weight, bias, params, frames), [self.decode(b) for b in beats])

    # -- driving ------------------------------------------------------------------------------
    def writes(self, weight, bias, params) -> list:
        images = layer_images(weight, bias, params if self.neuron else None, self.G, self.P)
        return config_writes(images)

    def cycle_budget(self, frames: int) -> int:
        fan_in = self.C * self.K * self.K
        groups = -(-fan_in // self.G)
        rows = -(-self.Co // self.P)
        per_pixel = rows * groups * (-(-self.G // self.L)) + self.T + 8
        # Pacing patterns have at least one active cycle in 8: 8x on each side.
        return 100 + 64 * frames * self.H * self.W * per_pixel

    async def run(self, weight, bias, params, frames, source_pacing, sink_pacing,
                  config_order=None):
        """Reset, load (in ``config_order``), stream ``frames``; returns (output beats, accept
        cycles, beat cycles)."""
        await self.reset()
        await self.load(in_order(self.writes(weight, bias, params), config_order)
                        + self.stray_writes(self.Co, self.C * self.K * self.K, self.P, self.G))
        # The core is in its after-reset state (the writes move no control).
        self.send([beat for frame in frames for beat in self.pixel_beats(frame)], source_pacing,
                  sink_pacing)
        want = len(frames) * self.H * self.W * self.beats_per_pixel
        outcome = await self.finish(want, self.cycle_budget(len(frames)), settle=8)
        self.check_handshakes(cycle_model.stepped(self.p, weight, frames, self.T))
        return outcome

    # -- cycles -------------------------------------------------------------------------------
    def measured_cycles(self, frames: int, accepts, beats) -> list[int]:
        per_in = self.H * self.W
        per_out = per_in * self.beats_per_pixel
        return [beats[(f + 1) * per_out - 1] - accepts[f * per_in] + 1 for f in range(frames)]

    def figures(self, weight, frames, measured) -> dict:
        knobs = {"parallel": self.P, "lanes": self.L, "group": self.G, "timesteps": self.T,
                 "current_buffers": self.buffers, "neuron_stages": self.neuron_stages,
                 "wide_beat": self.wide}
        model = cycle_model.frame_cycles(weight, frames, **knobs)
        recompute = cycle_model.frame_cycles(weight, frames, recompute_per_timestep=True, **knobs)
        lower = [cycle_model.lower_bound(weight, f, parallel=self.P, lanes=self.L)
                 for f in frames]
        dense_t = cycle_model.dense_cost(weight, self.H, self.W, parallel=self.P, lanes=self.L,
                                         timesteps=self.T)
        dense_once = cycle_model.dense_cost(weight, self.H, self.W, parallel=self.P,
                                            lanes=self.L)
        return {"measured": measured, "model": model, "model_recompute_per_t": recompute,
                "lower_bound": [round(v, 2) for v in lower], "dense_per_timestep": dense_t,
                "dense_once": dense_once,
                "weight_sparsity": round(float(np.mean(weight == 0)), 3),
                "pixel_sparsity": [round(float(np.mean(f == 0)), 3) for f in frames]}


# ------------------------------------------------------------------------------------------------
# Strategies
# ------------------------------------------------------------------------------------------------

def _masked(values, keep_pct, shape):
    """values where a drawn 0..99 score is below keep_pct (keep_pct = 0: all zero)."""
    return st.tuples(arrays(np.int64, shape, elements=values, fill=st.nothing()),
                     arrays(np.int64, shape, elements=st.integers(0, 99), fill=st.nothing()),
                     keep_pct).map(lambda t: np.where(t[1] < t[2], t[0], 0))


def weight_arrays(shape, bits: int):
    """Sparsity 0 .. 100 %: all zero, all non-zero, a drawn percentage, and the extremes."""
    lo, hi = sat_bounds(bits)
    nonzero = st.integers(lo, hi).filter(lambda v: v != 0)
    return st.one_of(
        st.just(np.zeros(shape, dtype=np.int64)),   # first: the simplest example
        _masked(nonzero, st.integers(0, 100), shape),
        arrays(np.int64, shape, elements=nonzero, fill=st.nothing()),
        _masked(nonzero, st.integers(1, 25), shape),   # 75 .. 99 % sparse, the target range
        _masked(st.sampled_from([lo, hi]), st.integers(0, 100), shape),
    )


def pixel_arrays(shape, bits: int):
    top = (1 << bits) - 1
    return st.one_of(
        st.just(np.zeros(shape, dtype=np.int64)),   # first: the simplest example
        arrays(np.int64, shape, elements=st.integers(0, top), fill=st.nothing()),
        st.just(np.full(shape, top, dtype=np.int64)),
        _masked(st.integers(1, top), st.integers(0, 100), shape),
    )


def bias_arrays(channels: int, weight_bits: int, membrane_bits: int):
    lo, hi = sat_bounds(membrane_bits)
    small = st.integers(max(lo, -(1 << (weight_bits + 1))), min(hi, 1 << (weight_bits + 1)))
    return st.one_of(
        arrays(np.int64, (channels,), elements=small, fill=st.nothing()),
        arrays(np.int64, (channels,), elements=st.integers(lo, hi), fill=st.nothing()),
        arrays(np.int64, (channels,), elements=st.sampled_from([lo, hi, 0]), fill=st.nothing()),
    )


def draws(tb: DenseTB):
    shape = tb.weight_shape
    return {
        "weight": weight_arrays(shape, tb.B),
        "bias": bias_arrays(tb.Co, tb.B, tb.V),
        "params": neuron_params(tb.V) if tb.neuron else st.none(),
        "frames": st.lists(pixel_arrays(tb.frame_shape, tb.A), min_size=1, max_size=2),
    }


def saturation_examples(tb: DenseTB):
    """Explicit cases: the membrane (and the current) at both ends of their ranges."""
    w_lo, w_hi = sat_bounds(tb.B)
    v_lo, v_hi = sat_bounds(tb.V)
    top = (1 << tb.A) - 1
    ws, fs = tb.weight_shape, tb.frame_shape
    full_frame = np.full(fs, top, dtype=np.int64)
    cases = [
        # Largest positive current; "if" saturates at 2^(V-1)-1 (soft reset keeps nothing).
        dict(weight=np.full(ws, w_hi, dtype=np.int64), bias=np.full(tb.Co, v_hi, dtype=np.int64),
             params=NeuronParams("if", v_hi, "soft", 1), frames=[full_frame]),
        # Most negative current (-M exactly); the membrane saturates at -2^(V-1), never wraps.
        dict(weight=np.full(ws, w_lo, dtype=np.int64), bias=np.full(tb.Co, v_lo, dtype=np.int64),
             params=NeuronParams("if", 1, "hard", 1), frames=[full_frame, full_frame]),
        dict(weight=np.full(ws, w_lo, dtype=np.int64), bias=np.full(tb.Co, v_lo, dtype=np.int64),
             params=NeuronParams("lif", v_hi, "soft", 1), frames=[full_frame]),
        # Threshold 1 with a leak; zero frame: only the biases charge.
        dict(weight=np.full(ws, w_hi, dtype=np.int64),
             bias=np.arange(tb.Co, dtype=np.int64) % 3 - 1,
             params=NeuronParams("lif", 1, "hard", tb.V - 1),
             frames=[np.zeros(fs, dtype=np.int64)]),
    ]
    if not tb.neuron:
        for case in cases:
            case["params"] = None
    return cases


def _note_example(weight, bias, params, frames) -> None:
    note(f"weight[co][ci][ky][kx] =\n{weight.tolist()}\nbias = {bias.tolist()}\n"
         f"neuron = {params}\nframes[f][c][y][x] = {[f.tolist() for f in frames]}")


def _write_figures(name: str, records: list[dict]) -> None:
    summary = os.environ.get("DUALSPIKE_SUMMARY")
    if summary:
        path = Path(summary).parent / f"cycles_{name}.json"
        path.write_text(json.dumps(records, indent=1))


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------

@cocotb.test()
@checked
async def random_frames_match_golden(dut):
    """Drawn weights, biases, neuron, 1-2 frames, idle and backpressure patterns: every beat."""
    tb = DenseTB(dut)
    run = resume(tb.run)
    pacing = st.one_of(st.just(ALWAYS), pacing_patterns())

    def test(weight, bias, params, frames, source_pacing, sink_pacing, config_order):
        _note_example(weight, bias, params, frames)
        beats, _, _ = run(weight, bias, params, frames, source_pacing, sink_pacing, config_order)
        tb.compare("dense_input_core beats", weight, bias, params, frames, beats)

    check = counted(test)
    check = given(**draws(tb), source_pacing=pacing, sink_pacing=pacing,
                  config_order=config_orders())(check)
    for case in saturation_examples(tb):
        check = example(**case, source_pacing=ALWAYS, sink_pacing=ALWAYS,
                        config_order=None)(check)
        check = example(**case, source_pacing=(True, False, True),
                        sink_pacing=(False, True, True, False), config_order=1)(check)
    await run_search(check, "random_frames_match_golden")


@cocotb.test()
@checked
async def cycles_match_model(dut):
    """Free-running streams: beats compared, and every frame's cycles equal the model's."""
    tb = DenseTB(dut)
    run = resume(tb.run)
    records: list[dict] = []
    cycles_board = Scoreboard("dense_input_core cycles per frame (measured vs model)",
                              lambda i: f"frame {i}")

    @given(**draws(tb))
    @counted
    def check(weight, bias, params, frames):
        _note_example(weight, bias, params, frames)
        beats, accepts, times = run(weight, bias, params, frames, ALWAYS, ALWAYS)
        tb.compare("dense_input_core beats (free-running)", weight, bias, params, frames, beats)
        measured = tb.measured_cycles(len(frames), accepts, times)
        figures = tb.figures(weight, frames, measured)
        records.append(figures)
        cycles_board.compare(figures["model"], measured)

    await run_search(check, "cycles_match_model", max_examples=examples_budget(scale=0.5))
    _write_figures("random", records)
    if records:
        total = {k: sum(sum(r[k]) if isinstance(r[k], list) else r[k] for r in records)
                 for k in ("measured", "model", "model_recompute_per_t", "lower_bound",
                           "dense_per_timestep", "dense_once")}
        cocotb.log.info("dense_input_core cycles over %d examples: %s", len(records), total)


@cocotb.test()
@checked
async def sparse_90_percent_measurement(dut):
    """A fixed example with 90 % weight sparsity and uniform pixels: the documented figures."""
    tb = DenseTB(dut)
    rng = np.random.default_rng(2025)
    w_lo, w_hi = sat_bounds(tb.B)
    values = rng.integers(w_lo, w_hi, size=tb.weight_shape, endpoint=True)
    values[values == 0] = 1
    mask = np.zeros(values.size, dtype=bool)
    mask[rng.permutation(values.size)[:round(values.size * 0.1)]] = True
    weight = np.where(mask.reshape(tb.weight_shape), values, 0).astype(np.int64)
    bias = rng.integers(-4, 5, size=tb.Co).astype(np.int64)
    params = NeuronParams("lif", max(1, (1 << (tb.A + tb.B - 3))), "soft", 1) if tb.neuron \
        else None
    if params is not None:
        params = NeuronParams("lif", min(params.threshold, sat_bounds(tb.V)[1]), "soft", 1)
    frame = rng.integers(0, (1 << tb.A) - 1, size=tb.frame_shape, endpoint=True)
    beats, accepts, times = await tb.run(weight, bias, params, [frame], ALWAYS, ALWAYS)
    tb.compare("dense_input_core beats (90 % sparse)", weight, bias, params, [frame], beats)
    measured = tb.measured_cycles(1, accepts, times)
    figures = tb.figures(weight, [frame], measured)
    figures["parameters"] = tb.p
    _write_figures("sparse90", [figures])
    cocotb.log.info("dense_input_core 90%% sparse: %s", figures)
    Scoreboard("dense_input_core cycles (90 % sparse, measured vs model)").compare(
        figures["model"], measured)
