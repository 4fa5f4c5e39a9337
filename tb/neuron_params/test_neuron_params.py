"""cocotb testbench of rtl/neuron_params.sv: a layer's neuron parameters, loaded through its
core's configuration port. After every clock the four registers are what the neuron words
written so far say (golden.memory_images: SEL_NEURON, word 0 the threshold, 1 the leak shift,
2 the flags, each cut to its field's width); writes to other memories or addresses change
nothing."""

from __future__ import annotations

import cocotb
from cocotb.task import resume
from cocotb.triggers import FallingEdge, RisingEdge
from hypothesis import example, given
from hypothesis import strategies as st

from golden.memory_images import SEL_NEURON, neuron_words
from golden.neuron import NeuronParams
from tb.harness.coverage import CoverPoint
from tb.harness.scoreboard import Scoreboard
from tb.harness.search import checked, counted, run_search
from tb.harness.tb import TB

OUTPUTS = ("threshold", "leak_shift", "model_lif", "reset_soft")


def expected_outputs(membrane_bits: int, writes: list[dict | None]) -> list[tuple]:
    """Per clock after each write slot: (threshold, leak_shift, model_lif, reset_soft)."""
    shift_bits = (membrane_bits - 1).bit_length()
    words = [0, 0, 0]  # the neuron memory after reset
    seen = []
    for write in writes:
        if write is not None and write["sel"] == SEL_NEURON and write["addr"] < len(words):
            words[write["addr"]] = write["data"]
        seen.append((words[0] & ((1 << membrane_bits) - 1), words[1] & ((1 << shift_bits) - 1),
                     words[2] & 1, words[2] >> 1 & 1))
    return seen


class NeuronParamsTB(TB):
    def __init__(self, dut) -> None:
        super().__init__(dut)
        self.membrane_bits = int(dut.MembraneBits.value)
        self.addr_bits = int(dut.CfgAddrBits.value)
        dut.cfg_valid_i.value = 0

        @CoverPoint("neuron_params.write", xf=lambda w: "idle" if w is None else
                    "another memory" if w["sel"] != SEL_NEURON else
                    ("threshold", "leak shift", "flags")[w["addr"]] if w["addr"] < 3 else
                    "no neuron word",
                    bins=["idle", "another memory", "threshold", "leak shift", "flags",
                          "no neuron word"])
        def drive(write: dict | None) -> None:
            """Puts one write (or an idle clock, None) on the port."""
            dut.cfg_valid_i.value = int(write is not None)
            for name in ("sel", "addr", "data"):
                getattr(dut, f"cfg_{name}_i").value = 0 if write is None else write[name]

        self.drive = drive

    async def run(self, writes: list[dict | None]) -> list[tuple]:
        """Drives one write (or an idle clock, None) per clock from reset; returns the four
        registers after each clock."""
        dut = self.dut
        await self.reset()
        seen = []
        for write in writes:
            self.drive(write)
            await RisingEdge(self.clock)
            await FallingEdge(self.clock)
            seen.append(tuple(int(getattr(dut, f"{name}_o").value) for name in OUTPUTS))
        dut.cfg_valid_i.value = 0
        return seen


@cocotb.test()
@checked
async def neuron_params_take_the_neuron_words(dut):
    tb = NeuronParamsTB(dut)
    run = resume(tb.run)
    # The neuron selector and its three words often; any selector, address and data word too.
    sels = st.one_of(st.just(SEL_NEURON), st.integers(0, 3))
    addrs = st.one_of(st.integers(0, 3), st.integers(0, (1 << tb.addr_bits) - 1))
    write = st.fixed_dictionaries({"sel": sels, "addr": addrs,
                                   "data": st.integers(0, (1 << 32) - 1)})
    # A layer's neuron as the generator writes it, then a write of another memory on top.
    layer = neuron_words(NeuronParams(model="lif", threshold=5, reset="soft", leak_shift=1))

    @given(writes=st.lists(st.none() | write, min_size=1, max_size=24))
    @example(writes=[{"sel": SEL_NEURON, "addr": a, "data": w} for a, w in enumerate(layer)]
             + [{"sel": 0, "addr": 0, "data": 0}])
    @counted
    def check(writes):
        Scoreboard("neuron_params (threshold, leak_shift, model_lif, reset_soft)",
                   lambda k: f"the clock after write slot {k}").compare(
            expected_outputs(tb.membrane_bits, writes), run(writes))

    await run_search(check, "neuron_params_take_the_neuron_words")
