"""cocotb testbench of rtl/stream_fifo.sv: what goes in comes out, in order, under any pacing,
and every clock's ``in_ready_o`` / ``out_valid_o`` equal the stepped model the network cycle
model uses (``golden.cycles.fifo.FifoStepped``)."""

from __future__ import annotations

import cocotb
from cocotb.task import resume
from cocotb.triggers import RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.cycles.fifo import FifoStepped
from tb.harness.coverage import CoverPoint, watch_handshake
from tb.harness.handshakes import HandshakeRecorder, compare_handshakes
from tb.harness.pacing import ALWAYS, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.stream import StreamSink, StreamSource
from tb.harness.tb import TB


class FifoTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.width = int(dut.Width.value)
        self.depth = int(dut.Depth.value)
        self.source = self.stream(StreamSource(self.clock, dut.in_valid_i, dut.in_ready_o,
                                               {"data": dut.in_data_i}))
        self.sink = self.stream(StreamSink(self.clock, dut.out_valid_o, dut.out_ready_i,
                                           {"data": dut.out_data_o}))
        watch_handshake("stream_fifo.in_handshake", self.clock, dut.in_valid_i, dut.in_ready_o)
        watch_handshake("stream_fifo.out_handshake", self.clock, dut.out_valid_o, dut.out_ready_i)
        cocotb.start_soon(self._watch_occupancy())
        self.handshakes = HandshakeRecorder(self.clock, dut.in_valid_i, dut.in_ready_o,
                                            dut.out_valid_o, dut.out_ready_i)

    def after_release(self) -> None:
        """The empty FIFO offers room and no word from the first cycle out of reset (its flags
        are registers: a wrong reset value shows only in this cycle)."""
        flags = (int(self.dut.in_ready_o.value), int(self.dut.out_valid_o.value))
        Scoreboard("stream_fifo (in_ready_o, out_valid_o) in the cycle reset is released",
                   lambda k: "after reset").compare([(1, 0)], [flags])

    async def _watch_occupancy(self) -> None:
        """``stream_fifo.occupancy`` per clock: empty, in between, or full (Depth words held),
        counted from the handshakes (words in minus words out since the last reset)."""
        bins = ["empty", "partial", "full"] if self.depth > 1 else ["empty", "full"]

        @CoverPoint("stream_fifo.occupancy", xf=lambda held: "empty" if held == 0 else
                    "full" if held == self.depth else "partial", bins=bins)
        def sample(held: int) -> None:
            pass

        dut, held = self.dut, 0
        while True:
            await RisingEdge(self.clock)
            try:
                if not int(dut.rst_ni.value):
                    held = 0
                    continue
                held += int(dut.in_valid_i.value) & int(dut.in_ready_o.value)
                held -= int(dut.out_valid_o.value) & int(dut.out_ready_i.value)
            except ValueError:  # X before the first reset
                continue
            sample(held)

    async def run(self, words, source_pacing, sink_pacing) -> list[int]:
        await self.reset()
        self.handshakes.start()
        self.source.set_pacing(source_pacing)
        self.sink.set_pacing(sink_pacing)
        for word in words:
            self.source.put({"data": word})
        # 12 cycles a word covers the sparsest paced rate; a burst pattern can open with a long
        # stall on each side, hence its length on top.
        for _ in range(20 + 12 * len(words) + len(source_pacing) + len(sink_pacing)):
            await RisingEdge(self.clock)
            if self.source.idle and len(self.sink.beats) >= len(words):
                break
        for _ in range(self.depth + 2):  # anything duplicated would show up here
            await RisingEdge(self.clock)
        compare_handshakes(FifoStepped(self.depth), self.handshakes.stop(),
                           Scoreboard("stream_fifo (in_ready_o, out_valid_o) per clock",
                                      lambda k: f"clock {k} after reset"))
        return [beat["data"] for beat in self.sink.beats]


@cocotb.test()
@checked
async def fifo_preserves_the_stream(dut):
    tb = FifoTB(dut)
    run = resume(tb.run)
    full = (1 << tb.width) - 1

    # A slow sink is drawn often: a FIFO shows most of its bugs only when it fills up.
    slow_sinks = st.sampled_from([(False, False, False, True), (False, True), (False,) * 7 + (True,)])

    # Streams long enough to fill the FIFO are drawn often too: Hypothesis favours short lists,
    # and a planted drop-when-full bug once went unseen in 200 examples without this.
    fills = st.lists(st.integers(0, full), min_size=tb.depth + 2, max_size=4 * tb.depth + 8)

    @given(words=st.lists(st.integers(0, full), min_size=1, max_size=40) | fills,
           source_pacing=st.one_of(st.just(ALWAYS), pacing_patterns()),
           sink_pacing=st.one_of(st.just(ALWAYS), slow_sinks, pacing_patterns()))
    @example(words=[full, 0] * 8, source_pacing=ALWAYS, sink_pacing=(False, False, True))
    @counted
    def check(words, source_pacing, sink_pacing):
        Scoreboard("fifo output", lambda i: f"beat {i} of {len(words)}").compare(
            words, run(words, source_pacing, sink_pacing))

    await run_search(check, "fifo_preserves_the_stream")
