"""cocotb testbench of rtl/dense_line_buffer.sv (the dense input core's line buffer and window
gather) on its own.

Every example resets the buffer and streams 1-3 drawn pixel frames (C x A bits a beat, raster
order, ``in_last_i`` on a frame's last pixel) under a drawn input pacing, while a consumer takes
windows under a drawn pacing (``win_take_i`` only where ``win_valid_o`` is high, as the core).
Checked:

* every window taken (frame, y, x in raster order) against
  ``golden.sparsity.conv_receptive_field`` of its frame, zero-padded to WindowPixels, and
  ``win_frame_last_o`` with it, ``==`` on integers;
* ``in_ready_o`` and ``win_valid_o`` in every cycle against ``_LineBufferControl`` of
  ``golden/cycles/dense_input.py`` (the counters the core's stepped model steps) fed the same
  handshakes: cycle-exact.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import resume
from cocotb.triggers import FallingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.cycles.dense_input import _LineBufferControl
from golden.sparsity import conv_receptive_field
from tb.harness.pacing import ALWAYS, cycle_pattern, pacing_patterns
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import TB


class Case:
    """``frames``: each ``[C, H, W]`` of A-bit pixels; ``in_pacing`` / ``take_pacing``: the
    cycles the source may offer a pixel / the consumer may take a window."""

    def __init__(self, frames: tuple[np.ndarray, ...], in_pacing: tuple[bool, ...],
                 take_pacing: tuple[bool, ...]) -> None:
        self.frames = frames
        self.in_pacing = in_pacing
        self.take_pacing = take_pacing

    def __repr__(self) -> str:
        return (f"Case(frames [c][y][x] = {[f.tolist() for f in self.frames]}, "
                f"in_pacing = {tuple(int(x) for x in self.in_pacing)}, "
                f"take_pacing = {tuple(int(x) for x in self.take_pacing)})")


class LineBufferTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.channels = int(dut.InChannels.value)
        self.pixel_bits = int(dut.PixelBits.value)
        self.height = int(dut.Height.value)
        self.width = int(dut.Width.value)
        self.kernel = int(dut.Kernel.value)
        self.window_pixels = int(dut.WindowPixels.value)
        self.windows: list[dict] = []     # what the last run took
        self.flags_seen: list[tuple] = []
        self.flags_model: list[tuple] = []
        self._idle_inputs()

    def _idle_inputs(self) -> None:
        for name in ("in_valid_i", "in_data_i", "in_last_i", "win_take_i"):
            getattr(self.dut, name).value = 0

    def beat(self, frame: np.ndarray, y: int, x: int) -> int:
        return sum(int(frame[c, y, x]) << (c * self.pixel_bits) for c in range(self.channels))

    def expected_window(self, frame: np.ndarray, y: int, x: int) -> list[int]:
        field = conv_receptive_field(frame, self.kernel, y, x).tolist()
        return field + [0] * (self.window_pixels - len(field))

    def budget(self, case: Case) -> int:
        pixels = len(case.frames) * self.height * self.width
        stretch = (len(case.in_pacing) // sum(case.in_pacing)
                   + len(case.take_pacing) // sum(case.take_pacing))
        return 2 * pixels * (stretch + 1) + 30

    async def run(self, case: Case) -> None:
        """Resets and streams ``case``; fills ``windows``, ``flags_seen`` and ``flags_model``.
        Inputs change at the falling edge; outputs are sampled there."""
        await self.reset()
        d = self.dut
        model = _LineBufferControl(self.height, self.width, self.kernel)
        beats = [(n, y, x) for n in range(len(case.frames))
                 for y in range(self.height) for x in range(self.width)]
        sent = taken = 0
        in_pacing = cycle_pattern(case.in_pacing)
        take_pacing = cycle_pattern(case.take_pacing)
        self.windows.clear()
        self.flags_seen.clear()
        self.flags_model.clear()
        mask = (1 << self.pixel_bits) - 1
        for _cycle in range(self.budget(case)):
            await FallingEdge(self.clock)
            seen = (int(d.in_ready_o.value), int(d.win_valid_o.value))
            want = (int(model.in_ready()), int(model.window_valid()))
            self.flags_seen.append(seen)
            self.flags_model.append(want)
            if seen != want:
                break  # the scoreboard reports this cycle
            take = bool(seen[1]) and taken < len(beats) and next(take_pacing)
            if take:
                word = int(d.win_pixels_o.value)
                self.windows.append({
                    "pixels": [word >> (j * self.pixel_bits) & mask
                               for j in range(self.window_pixels)],
                    "frame_last": int(d.win_frame_last_o.value)})
                taken += 1
            offer = sent < len(beats) and next(in_pacing)
            if offer:
                n, y, x = beats[sent]
                d.in_data_i.value = self.beat(case.frames[n], y, x)
                d.in_last_i.value = int(y == self.height - 1 and x == self.width - 1)
            d.in_valid_i.value = int(offer)
            d.win_take_i.value = int(take)
            in_fire = offer and bool(seen[0])
            sent += int(in_fire)
            model.clock(in_fire, take)
            if taken == len(beats):
                break
        await FallingEdge(self.clock)
        self._idle_inputs()

    def compare(self, case: Case) -> None:
        Scoreboard("(in_ready_o, win_valid_o) per cycle (model _LineBufferControl vs RTL)",
                   lambda k: f"cycle {k} after reset").compare(self.flags_model, self.flags_seen)
        order = [(n, y, x) for n in range(len(case.frames))
                 for y in range(self.height) for x in range(self.width)]
        expected = [{"pixels": self.expected_window(case.frames[n], y, x),
                     "frame_last": int(y == self.height - 1 and x == self.width - 1)}
                    for n, y, x in order]

        def where(index: int) -> str:
            n, y, x = order[index] if index < len(order) else ("-", "-", "-")
            return f"frame {n}, window (y, x) = ({y}, {x})"

        Scoreboard("windows taken (win_pixels_o, win_frame_last_o)", where).compare(
            expected, self.windows)


@st.composite
def cases(draw, tb: LineBufferTB, max_frames: int = 3) -> Case:
    top = (1 << tb.pixel_bits) - 1
    shape = (tb.channels, tb.height, tb.width)
    size = int(np.prod(shape))
    count = draw(st.integers(1, max_frames))
    frames = tuple(np.array(draw(st.lists(st.integers(0, top) | st.just(top), min_size=size,
                                          max_size=size)), dtype=np.int64).reshape(shape)
                   for _ in range(count))
    return Case(frames, draw(st.one_of(st.just(ALWAYS), pacing_patterns())),
                draw(st.one_of(st.just(ALWAYS), pacing_patterns())))


def numbered_case(tb: LineBufferTB, count: int, in_pacing=ALWAYS, take_pacing=ALWAYS) -> Case:
    """Every pixel a different value (its index, wrapped to A bits): a tap from the wrong
    row, column, channel or frame reads another value."""
    shape = (tb.channels, tb.height, tb.width)
    size = int(np.prod(shape))
    top = (1 << tb.pixel_bits) - 1
    frames = tuple((np.arange(size, dtype=np.int64).reshape(shape) + n * size) % top + 1
                   for n in range(count))
    return Case(frames, in_pacing, take_pacing)


@cocotb.test()
@checked
async def random_frames_match_golden(dut):
    """Drawn frames (any pixel values), input pacing and window-take pacing: every window
    taken, and the two flow-control flags in every cycle."""
    tb = LineBufferTB(dut)
    run = resume(tb.run)
    cocotb.log.info("dense_line_buffer: C=%d, A=%d, %dx%d, K=%d, window %d pixels",
                    tb.channels, tb.pixel_bits, tb.height, tb.width, tb.kernel,
                    tb.window_pixels)

    @given(case=cases(tb))
    @example(case=numbered_case(tb, 3))                              # back to back
    @example(case=numbered_case(tb, 2, take_pacing=(True,) + (False,) * 7))  # slow consumer
    @example(case=numbered_case(tb, 2, in_pacing=(True,) + (False,) * 7))    # slow source
    @counted
    def check(case):
        run(case)
        tb.compare(case)

    await run_search(check, "random_frames_match_golden")
