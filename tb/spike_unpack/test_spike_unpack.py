"""cocotb testbench of rtl/spike_unpack.sv: every input beat of T x C bits (bit t*C + c) comes
out as T beats of C bits in timestep order, last on the T-th beat of a last input beat, under any
pacing; every clock's ``in_ready_o`` / ``out_valid_o`` equal the stepped model
(``golden.cycles.unpack.SpikeUnpackStepped``)."""

from __future__ import annotations

import cocotb
from cocotb.task import resume
from cocotb.triggers import RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.cycles.unpack import SpikeUnpackStepped
from tb.harness.coverage import watch_handshake
from tb.harness.handshakes import HandshakeRecorder, compare_handshakes
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.stream import StreamSink, StreamSource
from tb.harness.tb import TB


def unpacked(pixels: list[tuple[int, int]], channels: int, timesteps: int) -> list[dict]:
    """The golden output: per input beat (data, last) its T beats, timestep t = bits t*C .. ."""
    mask = (1 << channels) - 1
    return [{"data": (data >> (t * channels)) & mask,
             "last": int(bool(last) and t == timesteps - 1)}
            for data, last in pixels for t in range(timesteps)]


class UnpackTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.channels = int(dut.Channels.value)
        self.timesteps = int(dut.Timesteps.value)
        self.source = self.stream(StreamSource(self.clock, dut.in_valid_i, dut.in_ready_o,
                                               {"data": dut.in_data_i, "last": dut.in_last_i}))
        self.sink = self.stream(StreamSink(self.clock, dut.out_valid_o, dut.out_ready_i,
                                           {"data": dut.out_data_o, "last": dut.out_last_o}))
        watch_handshake("spike_unpack.in_handshake", self.clock, dut.in_valid_i, dut.in_ready_o)
        watch_handshake("spike_unpack.out_handshake", self.clock, dut.out_valid_o,
                        dut.out_ready_i)
        self.handshakes = HandshakeRecorder(self.clock, dut.in_valid_i, dut.in_ready_o,
                                            dut.out_valid_o, dut.out_ready_i)

    def after_release(self) -> None:
        """Nothing held in the first cycle out of reset: room, no beat."""
        flags = (int(self.dut.in_ready_o.value), int(self.dut.out_valid_o.value))
        Scoreboard("spike_unpack (in_ready_o, out_valid_o) in the cycle reset is released",
                   lambda k: "after reset").compare([(1, 0)], [flags])

    async def run(self, pixels, source_pacing, sink_pacing) -> list[dict]:
        await self.reset()
        self.handshakes.start()
        self.source.set_pacing(source_pacing)
        self.sink.set_pacing(sink_pacing)
        for data, last in pixels:
            self.source.put({"data": data, "last": last})
        want = len(pixels) * self.timesteps
        # 8 cycles an output beat cover the sparsest paced rate; a burst pattern can open with
        # a long stall on each side, hence its length on top.
        for _ in range(20 + 8 * want + len(source_pacing) + len(sink_pacing)):
            await RisingEdge(self.clock)
            if self.source.idle and len(self.sink.beats) >= want:
                break
        for _ in range(self.timesteps + 2):  # anything duplicated would show up here
            await RisingEdge(self.clock)
        compare_handshakes(SpikeUnpackStepped(self.timesteps), self.handshakes.stop(),
                           Scoreboard("spike_unpack (in_ready_o, out_valid_o) per clock",
                                      lambda k: f"clock {k} after reset"))
        return [{"data": beat["data"], "last": beat["last"]} for beat in self.sink.beats]


@cocotb.test()
@checked
async def unpack_keeps_every_timestep_in_order(dut):
    tb = UnpackTB(dut)
    run = resume(tb.run)
    full = (1 << (tb.channels * tb.timesteps)) - 1
    # Frames of 1-6 pixels, last on each frame's final pixel, as a max-pool gives them.
    frames = st.lists(st.lists(st.integers(0, full), min_size=1, max_size=6), min_size=1,
                      max_size=5)
    slow_sinks = st.sampled_from([(False, False, False, True), (False, True)])

    def describe(pixels):
        def where(i: int) -> str:
            pixel, t = divmod(i, tb.timesteps)
            return f"input beat {pixel} of {len(pixels)}, timestep {t}"
        return where

    @given(frames=frames, source_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           sink_pacing=st.one_of(st.just(ALWAYS), slow_sinks, pacing_patterns()))
    @example(frames=[[full, 0, full]], source_pacing=ALWAYS, sink_pacing=ALWAYS)
    @example(frames=[[1 << (tb.channels * tb.timesteps - 1)], [1]], source_pacing=ALWAYS,
             sink_pacing=(False, True))
    @counted
    def check(frames, source_pacing, sink_pacing):
        pixels = [(data, int(i == len(frame) - 1)) for frame in frames
                  for i, data in enumerate(frame)]
        Scoreboard("spike_unpack output", describe(pixels)).compare(
            unpacked(pixels, tb.channels, tb.timesteps), run(pixels, source_pacing, sink_pacing))

    await run_search(check, "unpack_keeps_every_timestep_in_order")
