"""The base class of a core's testbench: one input stream, one output stream, a stepped model.

Every core (``rtl/*_core.sv``, ``spike_maxpool``) takes one valid/ready stream in
(``in_valid_i`` / ``in_ready_o`` / ``in_data_i`` / ``in_last_i``) and gives one out
(``out_*``). ``CoreTB`` owns what their testbenches share: the stream source and sink, the clock
edge of every accepted input beat and every sent output beat (for the cycles-per-frame
measurements), and the ``HandshakeRecorder`` of the four handshake signals, compared with the
core's stepped timing model by :meth:`CoreTB.check_handshakes`. ``ConfiguredCoreTB`` adds the
configuration write port of the cores that hold a layer's weights.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles

from golden.cycles.stepped import SteppedCore
from golden.memory_images import SEL_BIAS, SEL_BITMAP, SEL_WEIGHT
from golden.neuron import NeuronParams, run_neuron
from tb.harness.config import drive_config_writes
from tb.harness.coverage import CoreCoverage
from tb.harness.handshakes import HandshakeRecorder, compare_handshakes
from tb.harness.scoreboard import Scoreboard
from tb.harness.stream import StreamSink, StreamSource
from tb.harness.tb import CLOCK_PERIOD_NS, TB

Handshake = tuple[bool, bool, bool, bool]  # in_valid, in_ready, out_valid, out_ready


class CoreTB(TB):
    """Clock, reset, the input stream source, the output stream sink and the handshake record.

    ``accept_cycles`` / ``beat_cycles``: the clock edge (counted from time 0) of every input
    beat accepted and output beat sent since the last reset, so that a frame's cycles are a
    difference of two entries.
    """

    def __init__(self, dut, block: str) -> None:
        super().__init__(dut)
        self.block = block
        self.source = self.stream(StreamSource(self.clock, dut.in_valid_i, dut.in_ready_o,
                                               {"data": dut.in_data_i, "last": dut.in_last_i},
                                               on_accept=self._on_accept))
        self.sink = self.stream(StreamSink(self.clock, dut.out_valid_o, dut.out_ready_i,
                                           {"data": dut.out_data_o, "last": dut.out_last_o},
                                           on_beat=self._on_beat))
        self.accept_cycles: list[int] = []
        self.beat_cycles: list[int] = []
        # Every clock's in_ready_o / out_valid_o against the core's stepped model: a stricter
        # ready only slows the core, which the data never shows, so the handshakes are compared
        # themselves.
        self.recorder = HandshakeRecorder(self.clock, dut.in_valid_i, dut.in_ready_o,
                                          dut.out_valid_o, dut.out_ready_i)
        self.handshakes: list[Handshake] = []  # the last run's, from send() on
        self.handshake_cycles = 0  # cycles compared with the stepped model, over all runs

    def watch(self, cover: CoreCoverage) -> CoreCoverage:
        """Samples the core's input and output stalls into ``cover``; returns it."""
        cover.watch(self.clock, self.dut.in_valid_i, self.dut.in_ready_o, self.dut.out_valid_o,
                    self.dut.out_ready_i)
        return cover

    def _edge(self) -> int:
        return round(self.now_ns() / CLOCK_PERIOD_NS)

    def _on_accept(self, _beat) -> None:
        self.accept_cycles.append(self._edge())

    def _on_beat(self, _beat) -> None:
        self.beat_cycles.append(self._edge())

    def reset_streams(self) -> None:
        self.accept_cycles.clear()
        self.beat_cycles.clear()

    def send(self, beats, source_pacing, sink_pacing) -> None:
        """Starts recording the handshakes from the next clock on (the stepped model's cycle 0:
        the core must be in its after-reset state), sets both pacings and queues ``beats``."""
        self.recorder.start()
        self.source.set_pacing(source_pacing)
        self.sink.set_pacing(sink_pacing)
        for beat in beats:
            self.source.put(beat)

    async def finish(self, want: int, budget: int, settle: int, step: int = 1):
        """Waits until the sink holds ``want`` beats (looking every ``step`` clocks, at most
        ``budget`` clocks), then ``settle`` clocks more, where beats beyond the expected ones
        would show; stops recording. Returns (output beats, accept cycles, beat cycles)."""
        waited = 0
        while len(self.sink.beats) < want and waited < budget:
            await ClockCycles(self.clock, step)
            waited += step
        await ClockCycles(self.clock, settle)
        self.handshakes = self.recorder.stop()
        return list(self.sink.beats), list(self.accept_cycles), list(self.beat_cycles)

    def check_handshakes(self, model: SteppedCore, name: str | None = None,
                         describe=None) -> None:
        """The last run's ``(in_ready_o, out_valid_o)`` in every recorded cycle equal
        ``model``'s fed the recorded ``in_valid_i`` / ``out_ready_i``. A mismatch names the
        cycle (``describe``: index -> text; by default the cycle, its inputs and the beats moved
        before it)."""
        cycles = self.handshakes
        if describe is None:
            accepted, sent = [0], [0]
            for in_valid, in_ready, out_valid, out_ready in cycles:
                accepted.append(accepted[-1] + (in_valid and in_ready))
                sent.append(sent[-1] + (out_valid and out_ready))

            def describe(cycle: int) -> str:
                inputs = ""
                if cycle < len(cycles):
                    inputs = (f", in_valid_i={int(cycles[cycle][0])}, "
                              f"out_ready_i={int(cycles[cycle][3])}")
                return (f"cycle {cycle} of the stream{inputs}; {accepted[cycle]} input beats "
                        f"accepted and {sent[cycle]} output beats sent before it")

        board = Scoreboard(name or f"{self.block} handshakes (in_ready, out_valid) per cycle",
                           describe)
        compare_handshakes(model, cycles, board)
        self.handshake_cycles += board.compared_items

    def log_handshakes(self) -> None:
        cocotb.log.info("%s stepped model: %d cycles of handshakes compared", self.block,
                        self.handshake_cycles)


def layer_outputs(cover: CoreCoverage, currents, neuron: NeuronParams | None,
                  membrane_bits: int):
    """A frame's golden outputs from its currents (time first): the spikes of ``neuron``, or
    the currents themselves for a core without one (``neuron`` None); samples the output and
    membrane coverage."""
    if neuron is None:
        values = currents
    else:
        values, membranes = run_neuron(currents, neuron, membrane_bits)
        cover.membranes(currents, membranes, neuron)
    cover.outputs(values)
    return values


CONFIG_PORT = ("cfg_valid_i", "cfg_sel_i", "cfg_bank_i", "cfg_addr_i", "cfg_data_i")


class ConfiguredCoreTB(CoreTB):
    """A core that also has the configuration write port (docs/cores.md), idle until
    :meth:`load`."""

    def __init__(self, dut, block: str) -> None:
        super().__init__(dut, block)
        for name in CONFIG_PORT:
            getattr(dut, name).value = 0

    async def load(self, writes) -> None:
        await drive_config_writes(self.dut, self.clock, writes)

    def stray_writes(self, outputs: int, fan_in: int, parallel: int,
                     group: int) -> list[tuple[int, int, int, int]]:
        """All-ones writes one past the end of every memory of a layer of ``outputs`` neurons
        of ``fan_in`` inputs (bitmaps and weights per bank, biases), for after the real ones: a
        core must ignore them (its address guards), so a guard off by one corrupts an entry
        (the address wraps to 0 when the depth is a power of two). Addresses the port cannot
        carry are left out."""
        rows = -(-outputs // parallel)
        depths = ((SEL_BITMAP, rows * -(-fan_in // group)), (SEL_WEIGHT, rows * fan_in))
        writes = [(sel, bank, depth, 0xFFFF_FFFF) for sel, depth in depths
                  for bank in range(parallel)] + [(SEL_BIAS, 0, outputs, 0xFFFF_FFFF)]
        return [w for w in writes if w[2] < 1 << len(self.dut.cfg_addr_i)]

