"""Registry entry of the dense line buffer testbench (see tb/registry.py)."""

from golden.cores import STREAM_CHECKER
from tb.registry import Testbench


def _buffer(channels, pixel_bits, height, width, kernel, group) -> dict:
    """A parameter set with the dense input core's WindowPixels: the fan-in C*K*K padded to
    whole groups of G (NG*G)."""
    fan_in = channels * kernel * kernel
    return {"InChannels": channels, "PixelBits": pixel_bits, "Height": height, "Width": width,
            "Kernel": kernel, "WindowPixels": -(-fan_in // group) * group}


TESTBENCH = Testbench(
    block="dense_line_buffer",
    toplevel="dense_line_buffer",
    sources=(STREAM_CHECKER, "dense_line_buffer.sv"),
    sweep=(
        # The module's defaults: one channel, 8-bit pixels, 4 x 4, K = 3, no zero tail.
        _buffer(1, 8, 4, 4, 3, 9),
        # Two one-bit channels on one row of 5 (H < P + 1: a frame releases all its rows at
        # once), a zero tail (F = 18 in groups of 4).
        _buffer(2, 1, 1, 5, 3, 4),
        # K = 5 over a 3 x 2 frame (the window larger than the frame), 16-bit pixels.
        _buffer(1, 16, 3, 2, 5, 25),
        # K = 1: a window is one pixel's channels; one column.
        _buffer(3, 4, 5, 1, 1, 2),
    ),
    regression=(
        # digits layer 0's shape: one 8-bit channel, 8 x 8, K = 3, G = 4 (a 3-pixel tail).
        _buffer(1, 8, 8, 8, 3, 4),
        # Three channels, K = 3, 6 x 7, G = 8.
        _buffer(3, 4, 6, 7, 3, 8),
    ),
    sim_examples=150,
    test_examples=40,
    planted_bugs={"DUALSPIKE_BUG_LINE_BUFFER_NO_RIGHT_WAIT":
                  "a window is offered before the columns right of its centre are written"},
)
