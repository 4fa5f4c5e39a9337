"""Cycle-stepped timing models: a core's handshakes one clock edge at a time, under any pacing.

The closed-form schedules of this package (``sparse_conv.trace`` and the others) assume
free-running streams: a beat offered every cycle, the output always ready. In a network only
layer 0 runs that way; every later core gets its input at the pace of the core before it and
is backpressured by the FIFO after it. So every core also has a **stepped model**: a class that
holds the core's control state (the counters and valid bits that decide its handshakes, not its
data; the data-dependent costs, e.g. a group's detector beats, are computed up front from the
golden model) and is advanced one clock edge at a time. Stepped models compose: the network
model (``golden.cycles.network``) steps every core, FIFO, source and sink of a generated top
together and gives the exact cycle of every beat of a bundle.

The protocol, the RTL's valid/ready rules in Python (a handshake happens at a rising edge when
valid and ready were both high just before it):

``out_valid() -> bool``
    the core's ``out_valid_o`` in the current cycle (before the edge);
``in_ready(out_ready) -> bool``
    its ``in_ready_o`` in the current cycle; ``out_ready`` is given because some cores' ready
    depends combinationally on the output's (the readout core);
``clock(in_valid, out_ready) -> (in_fire, out_fire)``
    the rising edge that ends the current cycle: returns which handshakes happened and moves
    the state to the next cycle.

A model starts in the state the core has after reset (and after its configuration writes, which
do not move its control state), with the frames it will be fed given to its constructor.
Every stepped model is checked two ways: against the DUT cycle by cycle in its core's
testbench under drawn pacing (``tb.harness.handshakes``), and against the closed-form schedule
under free-running streams (tests/test_cycles_stepped_<core>.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SteppedCore(Protocol):
    """A core's handshake timing, advanced one clock edge at a time (see the module docstring)."""

    def out_valid(self) -> bool: ...

    def in_ready(self, out_ready: bool) -> bool: ...

    def clock(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]: ...


class ModelDeadlock(AssertionError):
    """A stepped run made no handshake for longer than its idle limit."""


def replay_handshakes(model: SteppedCore, in_valid: Sequence[bool],
                      out_ready: Sequence[bool]) -> tuple[list[bool], list[bool]]:
    """Feeds the per-cycle ``in_valid`` / ``out_ready`` a DUT saw and returns the model's
    per-cycle ``in_ready`` and ``out_valid`` (to compare with the DUT's, cycle by cycle)."""
    if len(in_valid) != len(out_ready):
        raise ValueError(f"in_valid has {len(in_valid)} cycles, out_ready {len(out_ready)}")
    readies: list[bool] = []
    valids: list[bool] = []
    for valid, ready in zip(in_valid, out_ready):
        readies.append(bool(model.in_ready(bool(ready))))
        valids.append(bool(model.out_valid()))
        model.clock(bool(valid), bool(ready))
    return readies, valids


def free_running(model: SteppedCore, input_beats: int, output_beats: int,
                 idle_limit: int = 100_000) -> tuple[list[int], list[int]]:
    """Offers ``input_beats`` beats one per cycle from cycle 0 with the output always ready,
    until ``output_beats`` beats left; returns the accept and send cycle of every beat."""
    accepts: list[int] = []
    sends: list[int] = []
    cycle = idle = 0
    while len(sends) < output_beats:
        in_fire, out_fire = model.clock(len(accepts) < input_beats, True)
        if in_fire:
            accepts.append(cycle)
        if out_fire:
            sends.append(cycle)
        idle = 0 if in_fire or out_fire else idle + 1
        if idle > idle_limit:
            raise ModelDeadlock(f"no handshake for {idle_limit} cycles at cycle {cycle} "
                                f"({len(accepts)}/{input_beats} in, {len(sends)}/{output_beats} out)")
        cycle += 1
    return accepts, sends
