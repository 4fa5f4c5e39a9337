"""Stepped model (golden.cycles.stepped) of ``spike_unpack`` (rtl/spike_unpack.sv): a beat of
a pixel's T timesteps in, its T beats out. ``out_valid`` while a beat is held;
``in_ready = not held or (the last timestep is offered and out_ready)``: the next beat is taken
in the cycle the held one's last timestep leaves, so a pixel takes T cycles with free-running
streams."""

from __future__ import annotations


class SpikeUnpackStepped:
    """The held flag and the timestep offered of a ``spike_unpack`` of ``timesteps``."""

    def __init__(self, timesteps: int) -> None:
        if timesteps < 1:
            raise ValueError(f"timesteps: must be >= 1, got {timesteps}")
        self.timesteps = timesteps
        self.held = False
        self.t = 0

    def out_valid(self) -> bool:
        return self.held

    def in_ready(self, out_ready: bool) -> bool:
        return not self.held or (self.t == self.timesteps - 1 and out_ready)

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        in_fire = in_valid and self.in_ready(out_ready)
        out_fire = self.held and out_ready
        if out_fire:
            self.t += 1
            if self.t == self.timesteps:
                self.held = False
        if in_fire:
            self.held, self.t = True, 0
        return in_fire, out_fire


def stepped(parameters: dict) -> SpikeUnpackStepped:
    """The stepped model of a ``spike_unpack`` from its HDL parameters."""
    return SpikeUnpackStepped(parameters["Timesteps"])
