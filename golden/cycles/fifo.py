"""Stepped model (golden.cycles.stepped) of ``stream_fifo`` (rtl/stream_fifo.sv), the FIFO
between two cores of a generated network: ``in_ready = count < Depth`` and ``out_valid =
count > 0``, both from registers; a write into a full FIFO is refused even when a beat leaves
in the same cycle. A beat written at an edge can leave from the next cycle."""

from __future__ import annotations


class FifoStepped:
    """The occupancy counter of a ``stream_fifo`` of ``depth`` beats."""

    def __init__(self, depth: int) -> None:
        if depth < 1:
            raise ValueError(f"depth: must be >= 1, got {depth}")
        self.depth = depth
        self.count = 0

    def out_valid(self) -> bool:
        return self.count > 0

    def in_ready(self, out_ready: bool) -> bool:
        return self.count < self.depth

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        in_fire = in_valid and self.count < self.depth
        out_fire = self.count > 0 and out_ready
        self.count += int(in_fire) - int(out_fire)
        return in_fire, out_fire
