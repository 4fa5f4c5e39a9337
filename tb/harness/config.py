"""Configuration-port writes as the cores' testbenches drive them.

The port's contract (docs/cores.md) makes every write independent of the others, so the order
of a layer's writes must not matter. The testbenches draw it: ``config_orders()`` gives ``None``
(the order of ``golden.memory_images.config_writes``, what a failure shrinks to) or a seed of a
shuffle, so an address decode that lets one memory's write clobber another's is caught whatever
order the generator happens to use.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from cocotb.triggers import RisingEdge
from hypothesis import strategies as st

Write = tuple[int, int, int, int]  # (sel, bank, addr, data)


def config_orders() -> st.SearchStrategy[int | None]:
    return st.none() | st.integers(0, 2**32 - 1)


def in_order(writes: Sequence[Write], order: int | None) -> list[Write]:
    """``writes`` as given (``order`` None) or shuffled by the seed ``order``."""
    ordered = list(writes)
    if order is not None:
        random.Random(order).shuffle(ordered)
    return ordered


async def drive_config_writes(dut, clock, writes: Sequence[Write]) -> None:
    """One write per clock on cfg_valid_i / cfg_sel_i / cfg_bank_i / cfg_addr_i / cfg_data_i."""
    for sel, bank, addr, data in writes:
        dut.cfg_valid_i.value = 1
        dut.cfg_sel_i.value = sel
        dut.cfg_bank_i.value = bank
        dut.cfg_addr_i.value = addr
        dut.cfg_data_i.value = data
        await RisingEdge(clock)
    dut.cfg_valid_i.value = 0


async def drive_bank_writes(dut, clock, writes: Sequence[Write], depths: tuple[int, int],
                            bitmap_sel: int, weight_sel: int) -> None:
    """A bank's share of a core's writes, as the core decodes its port for it: one per clock
    on ``bitmap_we_i`` / ``weight_we_i`` with ``cfg_addr_i`` / ``cfg_data_i`` (other selectors
    skipped: the biases and neuron words live in the core). Then all-ones words at the two
    addresses past each memory (``depths``: bitmap, weight) that the port can carry, which the
    bank must drop: with a guard off by one they wrap to words 0 and 1 of a power-of-two
    memory."""
    for sel, _bank, addr, data in writes:
        if sel not in (bitmap_sel, weight_sel):
            continue
        dut.bitmap_we_i.value = int(sel == bitmap_sel)
        dut.weight_we_i.value = int(sel == weight_sel)
        dut.cfg_addr_i.value = addr
        dut.cfg_data_i.value = data
        await RisingEdge(clock)
    dut.bitmap_we_i.value = 0
    dut.weight_we_i.value = 0
    span = 1 << int(dut.CfgAddrBits.value)
    for strobe, depth in zip((dut.bitmap_we_i, dut.weight_we_i), depths):
        for addr in range(depth, min(span, depth + 2)):
            strobe.value = 1
            dut.cfg_addr_i.value = addr
            dut.cfg_data_i.value = 0xFFFFFFFF
            await RisingEdge(clock)
        strobe.value = 0
