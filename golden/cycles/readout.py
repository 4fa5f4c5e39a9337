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
