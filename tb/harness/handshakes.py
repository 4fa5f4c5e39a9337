"""Records a core's four handshake signals every clock and checks a stepped model against them.

A core's stepped timing model (``golden.cycles.stepped``) must predict its ``in_ready_o`` and
``out_valid_o`` in every cycle from the ``in_valid_i`` / ``out_ready_i`` the testbench drove.
``HandshakeRecorder`` samples the four signals at each rising edge (the values just before the
edge, like the stream drivers), between ``start()`` and ``stop()``; ``compare_handshakes`` replays
the recorded inputs through the model and compares cycle by cycle, counting every compared
cycle in the scoreboard (so a run proves it compared something).
"""

from __future__ import annotations

import cocotb
from cocotb.handle import SimHandleBase
from cocotb.triggers import RisingEdge

from golden.cycles.stepped import SteppedCore, replay_handshakes
from tb.harness.scoreboard import Scoreboard


class HandshakeRecorder:
    """Per-cycle ``in_valid``, ``in_ready``, ``out_valid``, ``out_ready`` of one core."""

    def __init__(self, clock: SimHandleBase, in_valid: SimHandleBase, in_ready: SimHandleBase,
                 out_valid: SimHandleBase, out_ready: SimHandleBase) -> None:
        self.clock = clock
        self.signals = (in_valid, in_ready, out_valid, out_ready)
        self.cycles: list[tuple[bool, bool, bool, bool]] = []
        self._task = None

    def start(self) -> None:
        """Records from the next rising edge on (the first recorded cycle is the model's
        cycle 0: start when the core is in its after-reset state)."""
        self.cycles.clear()
        if self._task is None:
            self._task = cocotb.start_soon(self._record())

    def stop(self) -> list[tuple[bool, bool, bool, bool]]:
        """Stops recording and returns the recorded cycles."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return list(self.cycles)

    async def _record(self) -> None:
        while True:
            await RisingEdge(self.clock)
            self.cycles.append(tuple(bool(int(s.value)) for s in self.signals))


def compare_handshakes(model: SteppedCore, cycles, scoreboard: Scoreboard) -> None:
    """Replays the recorded ``in_valid`` / ``out_ready`` through ``model`` and compares its
    ``in_ready`` / ``out_valid`` with the DUT's, cycle by cycle (item i = cycle i, as the pair
    ``(in_ready, out_valid)``); the first difference fails, naming the cycle."""
    observed = [(c[1], c[2]) for c in cycles]
    expected: list[tuple[bool, bool]] = []
    try:
        for cycle in cycles:
            readies, valids = replay_handshakes(model, [cycle[0]], [cycle[3]])
            expected.append((readies[0], valids[0]))
    except ValueError:
        # The model was fed more than its frames: a DUT whose handshakes went wrong earlier
        # (e.g. a hung core under a held in_valid_i). The first differing cycle says more than
        # the model's overrun, so it is reported when there is one.
        scoreboard.compare(expected, observed[:len(expected)])
        raise
    scoreboard.compare(expected, observed)
