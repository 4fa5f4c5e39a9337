"""Cycle model of the spike max-pool (rtl/spike_maxpool.sv, docs/dense_input_core.md).

With free-running streams (an input beat offered every cycle, the output always ready) the core
accepts one input beat per cycle and never stalls: a window's T output beats leave in the T
cycles after its last input beat, while the input goes on (the next window completes at least
S*T >= T beats later when S >= 2; for S = 1 the next completion coincides with the previous
emission's last beat, which the core allows). So a frame of H x W pixels and T timesteps takes,
from its first input beat accepted to its last output beat sent, counted inclusively,

    cycles = H*W*T + T

(the H*W*T input beats, then the T output beats of the last window). Frames streamed back to
back each take the same. The lower bound is the input itself: H*W*T beats, one per cycle.
"""

from __future__ import annotations


def frame_cycles(height: int, width: int, pool: int, timesteps: int) -> int:
    """Predicted cycles of one frame: ``H*W*T + T``."""
    if pool < 1 or height % pool or width % pool:
        raise ValueError(f"pool: must divide H={height} and W={width}, got {pool}")
    return height * width * timesteps + timesteps


def lower_bound(height: int, width: int, timesteps: int) -> int:
    """One input beat per cycle: ``H*W*T``."""
    return height * width * timesteps
