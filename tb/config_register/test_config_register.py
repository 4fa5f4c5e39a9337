"""cocotb testbench of rtl/config_register.sv: a core's copy of the configuration port. Per
clock, ``valid_o`` is the write of the clock before when it was for this layer, and under it the
fields are that write's; writes for other layers (and idle clocks between) leave no trace."""

from __future__ import annotations

import cocotb
from cocotb.task import resume
from cocotb.triggers import FallingEdge, RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from tb.harness.coverage import CoverPoint
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import TB

FIELDS = ("sel", "bank", "addr", "data")


def expected_outputs(layer: int, writes: list[dict | None]) -> list[tuple | None]:
    """Per clock after each write slot: this core's write a clock late (its fields), or None."""
    return [(w["sel"], w["bank"], w["addr"], w["data"])
            if w is not None and w["layer"] == layer else None for w in writes]


class ConfigRegisterTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.layer = int(dut.Layer.value)
        self.widths = {"layer": int(dut.LayerBits.value), "sel": 2,
                       "bank": int(dut.BankBits.value), "addr": int(dut.AddrBits.value),
                       "data": 32}
        dut.cfg_valid_i.value = 0

        @CoverPoint("config_register.write", xf=lambda w: "idle" if w is None else
                    "this layer" if w["layer"] == self.layer else "another layer",
                    bins=["idle", "this layer", "another layer"])
        def drive(write: dict | None) -> None:
            """Puts one write (or an idle clock, None) on the port."""
            dut.cfg_valid_i.value = int(write is not None)
            for name in ("layer", *FIELDS):
                getattr(dut, f"cfg_{name}_i").value = 0 if write is None else write[name]

        self.drive = drive

    def after_release(self) -> None:
        """No write leaves the register while reset holds or in the cycle it is released: the
        cores' memories are not reset, so a write then would overwrite a preloaded image
        (docs/vectors.md, "Preloading memories")."""
        Scoreboard("config_register valid_o in the cycle reset is released",
                   lambda k: "after reset").compare([0], [int(self.dut.valid_o.value)])

    async def run(self, writes: list[dict | None]) -> list[tuple | None]:
        """Drives one write (or an idle clock, None) per clock; returns what the core sees the
        clock after each."""
        dut = self.dut
        await self.reset()
        seen = []
        for write in writes:
            self.drive(write)
            await RisingEdge(self.clock)
            await FallingEdge(self.clock)
            seen.append(tuple(int(getattr(dut, f"{name}_o").value) for name in FIELDS)
                        if int(dut.valid_o.value) else None)
        dut.cfg_valid_i.value = 0
        return seen


@cocotb.test()
@checked
async def config_register_passes_its_layers_writes(dut):
    tb = ConfigRegisterTB(dut)
    run = resume(tb.run)
    w = tb.widths
    # This layer often, so that back-to-back writes of it and the fields' hold are exercised.
    layers = st.one_of(st.just(tb.layer), st.integers(0, (1 << w["layer"]) - 1))
    write = st.fixed_dictionaries({name: layers if name == "layer" else
                                   st.integers(0, (1 << width) - 1)
                                   for name, width in w.items()})

    @given(writes=st.lists(st.none() | write, min_size=1, max_size=24))
    @example(writes=[{"layer": tb.layer ^ 1, "sel": 3, "bank": 1, "addr": 1, "data": 5}])
    @counted
    def check(writes):
        Scoreboard("config_register (sel, bank, addr, data) under valid_o",
                   lambda k: f"the clock after write slot {k}").compare(
            expected_outputs(tb.layer, writes), run(writes))

    await run_search(check, "config_register_passes_its_layers_writes")
