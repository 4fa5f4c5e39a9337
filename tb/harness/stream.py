"""One generic valid/ready stream source, sink and monitor for every interface of the design.

A beat is a ``dict`` from field name to integer; the fields map names to DUT handles. A
handshake happens at a rising edge when valid and ready were both high just before it. After
``await RisingEdge(clk)`` both Icarus and Verilator show the values from just before the edge
(checked on this toolchain), so each driver samples the handshake there, then drives the next
cycle's values.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping

import cocotb
from cocotb.handle import SimHandleBase
from cocotb.triggers import RisingEdge

from tb.harness.pacing import ALWAYS, cycle_pattern

Beat = dict[str, int]


def read_beat(fields: Mapping[str, SimHandleBase]) -> Beat:
    """Reads every field; ``int()`` raises on X or Z, which doubles as an X check."""
    return {name: int(handle.value) for name, handle in fields.items()}


class StreamSource:
    """Drives beats from a queue; never drops valid or changes data while ``valid && !ready``."""

    def __init__(
        self,
        clock: SimHandleBase,
        valid: SimHandleBase,
        ready: SimHandleBase,
        fields: Mapping[str, SimHandleBase],
        on_accept: Callable[[Beat], None] | None = None,
    ) -> None:
        self.clock, self.valid, self.ready, self.fields = clock, valid, ready, dict(fields)
        self.on_accept = on_accept
        self.queue: deque[Beat] = deque()
        self.pacing: Iterator[bool] = cycle_pattern(ALWAYS)
        self.accepted = 0
        self.holding = False  # a beat is presented and not yet accepted
        self.valid.value = 0
        self.driven_valid = False
        self.started = False

    def start(self) -> None:
        """Starts driving; the TB does this once the DUT is in reset (no X on its outputs)."""
        if not self.started:
            self.started = True
            cocotb.start_soon(self._drive())

    def set_pacing(self, pattern) -> None:
        self.pacing = cycle_pattern(pattern)

    def put(self, beat: Beat) -> None:
        self.queue.append(beat)

    def clear(self) -> None:
        """Drops queued beats and deasserts valid (used while the DUT is in reset)."""
        self.queue.clear()
        self.holding = False
        self.valid.value = 0
        self.driven_valid = False

    @property
    def idle(self) -> bool:
        return not self.queue

    async def _drive(self) -> None:
        while True:
            await RisingEdge(self.clock)
            if self.holding and int(self.ready.value):
                beat = self.queue.popleft()
                self.accepted += 1
                if self.on_accept is not None:
                    self.on_accept(beat)
                self.holding = False
            if not self.holding and self.queue and next(self.pacing):
                for name, value in self.queue[0].items():
                    self.fields[name].value = value
                self.holding = True
            if self.holding != self.driven_valid:
                # Written only on change: every write costs the simulator a scheduling round
                # (about a third of the Python time of a core testbench on Icarus).
                self.valid.value = int(self.holding)
                self.driven_valid = self.holding


class StreamMonitor:
    """Records every handshake on a stream without driving it."""

    def __init__(
        self,
        clock: SimHandleBase,
        valid: SimHandleBase,
        ready: SimHandleBase,
        fields: Mapping[str, SimHandleBase],
        on_beat: Callable[[Beat], None] | None = None,
    ) -> None:
        self.clock, self.valid, self.ready, self.fields = clock, valid, ready, dict(fields)
        self.on_beat = on_beat
        self.beats: list[Beat] = []
        self.started = False

    def start(self) -> None:
        """Starts watching; the TB does this once the DUT is in reset (no X on its outputs)."""
        if not self.started:
            self.started = True
            cocotb.start_soon(self._watch())

    def clear(self) -> None:
        self.beats.clear()

    async def _watch(self) -> None:
        while True:
            await RisingEdge(self.clock)
            if int(self.valid.value) and int(self.ready.value):
                beat = read_beat(self.fields)
                self.beats.append(beat)
                if self.on_beat is not None:
                    self.on_beat(beat)
            self._after_sample()

    def _after_sample(self) -> None:
        """Hook run once per clock after the handshake was sampled."""


class StreamSink(StreamMonitor):
    """A monitor that also drives ready, following a backpressure pattern."""

    def __init__(self, clock, valid, ready, fields, on_beat=None) -> None:
        self.pacing: Iterator[bool] = cycle_pattern(ALWAYS)
        ready.value = 0
        self.driven_ready = 0
        super().__init__(clock, valid, ready, fields, on_beat)

    def set_pacing(self, pattern) -> None:
        self.pacing = cycle_pattern(pattern)

    def clear(self) -> None:
        super().clear()
        self.ready.value = 0
        self.driven_ready = 0

    def _after_sample(self) -> None:
        # Driven in the same coroutine as the sampling, so the sample always sees the ready
        # value that was in force before the edge; written only on change (see StreamSource).
        ready = int(next(self.pacing))
        if ready != self.driven_ready:
            self.ready.value = ready
            self.driven_ready = ready


class MultiStreamMonitor:
    """Records the handshakes of many streams with one coroutine (one wake-up per clock for all
    of them, which keeps a network testbench with a tap per layer fast).

    ``streams`` maps a name to ``(valid, ready, fields)``; ``beats[name]`` lists
    ``(cycle, beat)`` where ``cycle`` counts rising edges since :meth:`clear`.
    """

    def __init__(self, clock: SimHandleBase, streams: Mapping[str, tuple]) -> None:
        self.clock = clock
        self.streams = {name: (valid, ready, dict(fields))
                        for name, (valid, ready, fields) in streams.items()}
        self.beats: dict[str, list[tuple[int, Beat]]] = {name: [] for name in self.streams}
        self.cycle = 0
        self.started = False

    def clear(self) -> None:
        for beats in self.beats.values():
            beats.clear()
        self.cycle = 0

    def start(self) -> None:
        if not self.started:
            self.started = True
            cocotb.start_soon(self._watch())

    async def _watch(self) -> None:
        while True:
            await RisingEdge(self.clock)
            self.cycle += 1
            for name, (valid, ready, fields) in self.streams.items():
                if int(valid.value) and int(ready.value):
                    self.beats[name].append((self.cycle, read_beat(fields)))
