"""Cycle model of the readout core (rtl/readout_core.sv, docs/sparse_linear_core.md).

The core accepts one input beat per cycle (it never stalls its input while the output register
is free) and registers a pixel's readout on the edge that accepts the pixel's last timestep; the
readout beat is sent on the next edge. With free-running streams a frame of ``pixels`` pixels
therefore takes ``pixels * T`` cycles from the edge accepting its first input beat to the edge
sending its last readout beat, and frames follow each other with no gap.
"""

from __future__ import annotations


def readout_bits(mode: int, timesteps: int, current_bits: int = 0) -> int:
    """Width of one readout value (two's complement, docs/cores.md section 1).

    mode 0 (count):      ``clog2(T + 1) + 1`` (a count in [0, T] plus the sign bit, so that every
                         readout word of the stream reads as two's complement);
    mode 1 (accumulate): ``CurrentBits + clog2(T)`` (T currents of CurrentBits, no overflow).
    """
    if mode == 0:
        return timesteps.bit_length() + 1
    return current_bits + (timesteps - 1).bit_length()


def frame_cycles(pixels: int, timesteps: int) -> int:
    """Cycles of one frame with free-running streams: ``pixels * T``."""
    return pixels * timesteps


class ReadoutStepped:
    """Stepped model (golden.cycles.stepped) of the readout core: its timestep counter ``t_q``
    and output register ``out_valid_q``, as in rtl/readout_core.sv. The input stalls only on a
    pixel's last timestep while the previous readout beat is still held:
    ``in_ready = (t != T-1) || !out_valid || out_ready``."""

    def __init__(self, timesteps: int) -> None:
        if timesteps < 1:
            raise ValueError(f"timesteps: must be >= 1, got {timesteps}")
        self.timesteps = timesteps
        self.step = 0
        self.valid = False

    def out_valid(self) -> bool:
        return self.valid

    def in_ready(self, out_ready: bool) -> bool:
        return self.step != self.timesteps - 1 or not self.valid or out_ready

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        in_fire = in_valid and self.in_ready(out_ready)
        out_fire = self.valid and out_ready
        if out_fire:
            self.valid = False
        if in_fire:
            self.step += 1
            if self.step == self.timesteps:
                self.step = 0
                self.valid = True
        return in_fire, out_fire
