"""cocotb testbench of rtl/readout_core.sv against golden.layers.readout_count / _accumulate.

Tests:
- ``random_streams``: Hypothesis draws 1-3 frames of the core's input stream (spikes for Mode 0,
  currents over the whole CurrentBits range for Mode 1, with a drawn density / magnitude) and
  source idle / sink backpressure patterns; every readout beat (all C values and the last
  marker) is compared with the golden readout of its pixel.
  Every clock's ``in_ready_o`` and ``out_valid_o`` equal the stepped model's
  (``golden.cycles.readout.ReadoutStepped``) fed the same ``in_valid_i`` / ``out_ready_i``.
- ``cycles_match_model``: free-running streams; the cycles of each frame (first input beat
  accepted to last readout beat sent) equal ``golden.cycles.readout.frame_cycles``.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from hypothesis import example, given
from hypothesis import strategies as st

from golden.arith import sat_bounds
from golden.cycles import readout as cycle_model
from golden.layers import readout_accumulate, readout_count
from tb.harness.core_tb import CoreTB
from tb.harness.coverage import CoreCoverage, CoverPoint
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, examples_budget, run_search


class ReadoutTB(CoreTB):
    def __init__(self, dut) -> None:
        super().__init__(dut, "readout_core")
        p = lambda name: int(getattr(dut, name).value)  # noqa: E731
        self.channels, self.pixels, self.timesteps = p("Channels"), p("Pixels"), p("Timesteps")
        self.mode, self.current_bits = p("Mode"), p("CurrentBits")
        self.readout_bits = p("ReadoutBits")
        want = cycle_model.readout_bits(self.mode, self.timesteps, self.current_bits)
        assert self.readout_bits == want, f"ReadoutBits {self.readout_bits}, model says {want}"
        self.in_bits = 1 if self.mode == 0 else self.current_bits
        # "fired" here: a timestep whose input beat carries a spike / a non-zero current.
        self.cover = self.watch(CoreCoverage("readout_core", self.timesteps))
        self.cover_readout = readout_sampler(self.mode, self.timesteps, self.current_bits)

    def frame_beats(self, frame) -> list[dict]:
        """``frame [Pixels, T, C]`` -> beats, pixels in order, time inner."""
        mask = (1 << self.in_bits) - 1
        beats = []
        for pix in range(self.pixels):
            for t in range(self.timesteps):
                data = 0
                for c in range(self.channels):
                    data |= (int(frame[pix][t][c]) & mask) << (c * self.in_bits)
                last = int(pix == self.pixels - 1 and t == self.timesteps - 1)
                beats.append({"data": data, "last": last})
        return beats

    async def run(self, frames, source_pacing, sink_pacing):
        await self.reset()
        self.send([beat for frame in frames for beat in self.frame_beats(frame)], source_pacing,
                  sink_pacing)
        want = len(frames) * self.pixels
        stall = len(source_pacing) + len(sink_pacing) + 2
        budget = 30 + len(frames) * self.pixels * (self.timesteps + 2) * stall
        return await self.finish(want, budget, settle=3)

    def expected(self, frames) -> list[dict]:
        items = []
        for frame in frames:
            arr = np.asarray(frame, dtype=np.int64)            # [Pixels, T, C]
            for pix in range(self.pixels):
                per_t = arr[pix]                                 # [T, C]
                out = readout_count(per_t) if self.mode == 0 else readout_accumulate(per_t)
                self.cover.outputs(per_t)
                for value in out:
                    self.cover_readout(int(value))
                items.append({"readout": tuple(int(v) for v in out),
                              "last": int(pix == self.pixels - 1)})
        return items

    def decode(self, beat: dict) -> dict:
        rb = self.readout_bits
        mask, sign = (1 << rb) - 1, 1 << (rb - 1)
        values = tuple((((beat["data"] >> (c * rb)) & mask) ^ sign) - sign
                       for c in range(self.channels))
        return {"readout": values, "last": beat["last"]}

    def compare(self, name, frames, beats) -> None:
        what = "spike counts" if self.mode == 0 else "accumulated currents"

        def where(index: int) -> str:
            frame, pix = divmod(index, self.pixels)
            if frame >= len(frames):
                return "after the last expected beat"
            return (f"frame {frame} of {len(frames)}, pixel {pix} of {self.pixels}, {what} "
                    f"over timesteps 0..{self.timesteps - 1}")

        Scoreboard(name, where).compare(self.expected(frames), [self.decode(b) for b in beats])
        self.check_handshakes(cycle_model.ReadoutStepped(self.timesteps),
                              f"{name}: (in_ready_o, out_valid_o) per clock")


def readout_sampler(mode: int, timesteps: int, current_bits: int):
    """``readout_core.value``: a channel's readout at the ends of its range (a count of 0 or of
    every timestep; a sum of T lowest or T highest currents) or in between."""
    lo, hi = sat_bounds(current_bits)
    ends = {0: "none", timesteps: "every-timestep"} if mode == 0 else \
        {timesteps * lo: "lowest", 0: "zero", timesteps * hi: "highest"}

    @CoverPoint("readout_core.value", xf=lambda v: ends.get(v, "between"),
                bins=list(ends.values()) + ["between"])
    def sample(value: int) -> None:
        pass

    return sample


def frames_strategy(tb: ReadoutTB, max_frames: int = 3):
    if tb.mode == 0:
        @st.composite
        def frame(draw):
            density = draw(st.one_of(st.sampled_from([0, 100]), st.integers(0, 100)))
            cells = draw(st.lists(st.integers(0, 99), min_size=tb.pixels * tb.timesteps *
                                  tb.channels, max_size=tb.pixels * tb.timesteps * tb.channels))
            flat = [int(k < density) for k in cells]
            return _shape(tb, flat)
    else:
        lo, hi = sat_bounds(tb.current_bits)

        @st.composite
        def frame(draw):
            value = draw(st.sampled_from(["small", "full", "extreme", "ends"]))
            # "ends": only the range's two ends, so that some channel sums T lowest or T
            # highest currents (readout_core.value) in a few examples.
            element = {"small": st.integers(max(lo, -8), min(hi, 8)),
                       "full": st.integers(lo, hi),
                       "extreme": st.sampled_from([lo, hi, 0, -1]),
                       "ends": st.sampled_from([lo, hi])}[value]
            n = tb.pixels * tb.timesteps * tb.channels
            return _shape(tb, draw(st.lists(element, min_size=n, max_size=n)))
    return st.lists(frame(), min_size=1, max_size=max_frames)


def _shape(tb: ReadoutTB, flat):
    """Flat values -> ``[Pixels][T][C]`` nested tuples (readable in a shrunk example)."""
    c, t = tb.channels, tb.timesteps
    return tuple(tuple(tuple(flat[(p * t + s) * c:(p * t + s + 1) * c]) for s in range(t))
                 for p in range(tb.pixels))


def _const_frame(tb: ReadoutTB, value: int):
    return _shape(tb, [value] * (tb.pixels * tb.timesteps * tb.channels))


@cocotb.test()
@checked
async def random_streams(dut):
    """Random streams and pacings against golden readout_count / readout_accumulate."""
    tb = ReadoutTB(dut)
    run = resume(tb.run)
    top = 1 if tb.mode == 0 else sat_bounds(tb.current_bits)[1]
    bottom = 0 if tb.mode == 0 else sat_bounds(tb.current_bits)[0]

    # A sink slower than a pixel's T input beats, often: the input stalls only when the next
    # pixel's last timestep arrives while the previous readout still waits (in_handshake
    # "stall"), which the general patterns did not reach at T = 8 in the regression's budget.
    slow_sinks = st.sampled_from([(False,) * k + (True,) for k in (tb.timesteps, 2 * tb.timesteps)])

    @given(frames=frames_strategy(tb), source_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           sink_pacing=st.one_of(st.just(ALWAYS), pacing_patterns(), slow_sinks))
    # The readout at both ends of its range (all spikes / the extreme currents every timestep).
    @example(frames=[_const_frame(tb, top), _const_frame(tb, bottom)], source_pacing=ALWAYS,
             sink_pacing=ALWAYS)
    @example(frames=[_const_frame(tb, bottom), _const_frame(tb, top)], source_pacing=ALWAYS,
             sink_pacing=(False, False, True))
    @counted
    def check(frames, source_pacing, sink_pacing):
        beats, _, _ = run(frames, source_pacing, sink_pacing)
        tb.compare("readout beats", frames, beats)

    await run_search(check, "random_streams")


@cocotb.test()
@checked
async def cycles_match_model(dut):
    """Free-running streams: cycles per frame equal golden.cycles.readout.frame_cycles."""
    tb = ReadoutTB(dut)
    run = resume(tb.run)
    timing = Scoreboard("readout cycles per frame (first input accepted to last output sent)",
                        lambda k: f"frame {k}")
    per_frame_in = tb.pixels * tb.timesteps

    @given(frames=frames_strategy(tb))
    @counted
    def check(frames):
        beats, accepts, beat_cycles = run(frames, ALWAYS, ALWAYS)
        tb.compare("readout beats (cycles)", frames, beats)
        got = []
        for k in range(len(frames)):
            first = accepts[k * per_frame_in] if len(accepts) > k * per_frame_in else None
            last = (beat_cycles[(k + 1) * tb.pixels - 1]
                    if len(beat_cycles) >= (k + 1) * tb.pixels else None)
            got.append(-1 if first is None or last is None else last - first)
        want = [cycle_model.frame_cycles(tb.pixels, tb.timesteps)] * len(frames)
        timing.compare(want, got)

    await run_search(check, "cycles_match_model", max_examples=examples_budget(scale=0.25))
    cocotb.log.info("readout cycles per frame: %d (Pixels * T)",
                    cycle_model.frame_cycles(tb.pixels, tb.timesteps))
