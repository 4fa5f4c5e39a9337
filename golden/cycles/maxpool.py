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

from golden.cycles.layer import LayerModel, steady


def frame_cycles(height: int, width: int, pool: int, timesteps: int) -> int:
    """Predicted cycles of one frame: ``H*W*T + T``."""
    if pool < 1 or height % pool or width % pool:
        raise ValueError(f"pool: must divide H={height} and W={width}, got {pool}")
    return height * width * timesteps + timesteps


def lower_bound(height: int, width: int, timesteps: int) -> int:
    """One input beat per cycle: ``H*W*T``."""
    return height * width * timesteps


class MaxpoolStepped:
    """Stepped model (golden.cycles.stepped) of the spike max-pool: the input position counters
    (t, dx, ox, dy, oy) and the emitter (active, ox, t) of rtl/spike_maxpool.sv. The input
    stalls on a window's completing beat while another window is still being emitted
    (``complete && busy_after``), and on a beat that would overwrite the partial result of the
    window column being emitted (``conflict``); both use this cycle's ``out_ready``."""

    def __init__(self, height: int, width: int, pool: int, timesteps: int) -> None:
        frame_cycles(height, width, pool, timesteps)          # checks the shape
        self.out_width, self.out_height = width // pool, height // pool
        self.pool, self.timesteps = pool, timesteps
        self.t = self.dx = self.ox = self.dy = self.oy = 0
        self.emit_active = False
        self.emit_ox = self.emit_t = 0

    def _complete(self) -> bool:
        last = self.pool - 1
        return self.dx == last and self.dy == last and self.t == self.timesteps - 1

    def out_valid(self) -> bool:
        return self.emit_active

    def in_ready(self, out_ready: bool) -> bool:
        out_fire = self.emit_active and out_ready
        emit_end = out_fire and self.emit_t == self.timesteps - 1
        busy_after = self.emit_active and not emit_end
        conflict = (self.emit_active and self.ox == self.emit_ox
                    and not (self.t < self.emit_t or (self.t == self.emit_t and out_fire)))
        return not (self._complete() and busy_after) and not conflict

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        in_fire = in_valid and self.in_ready(out_ready)
        out_fire = self.emit_active and out_ready
        if out_fire:
            self.emit_t += 1
            if self.emit_t == self.timesteps:
                self.emit_active, self.emit_t = False, 0
        if in_fire:
            if self._complete():
                self.emit_active, self.emit_ox, self.emit_t = True, self.ox, 0
            self._advance_input()
        return in_fire, out_fire

    def _advance_input(self) -> None:
        self.t += 1
        if self.t < self.timesteps:
            return
        self.t = 0
        self.dx += 1
        if self.dx < self.pool:
            return
        self.dx = 0
        self.ox += 1
        if self.ox < self.out_width:
            return
        self.ox = 0
        self.dy += 1
        if self.dy < self.pool:
            return
        self.dy = 0
        self.oy = (self.oy + 1) % self.out_height


def stepped(parameters: dict, weight, frames, timesteps: int) -> MaxpoolStepped:
    """The stepped model of a max-pool layer from its HDL parameters (network.json)."""
    return MaxpoolStepped(parameters["Height"], parameters["Width"], parameters["Pool"], timesteps)


def layer_model(index: int, parameters: dict, weight, samples, inputs, steps: int) -> LayerModel:
    """The core alone fed ``inputs`` back to back with free-running streams
    (golden.cycles.layer): one beat per cycle, plus the last pixel's T beats."""
    per_frame = frame_cycles(parameters["Height"], parameters["Width"], parameters["Pool"], steps)
    beats = parameters["Height"] * parameters["Width"] * steps
    return LayerModel(index, "spike_maxpool", (per_frame,) * len(inputs),
                      len(inputs) * beats + steps, float(beats), inputs)
