"""The TB base class: clock, reset and cycle counting for one DUT."""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.handle import SimHandleBase
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, RisingEdge, Timer

CLOCK_PERIOD_NS = 10


async def hand_edge(clock: SimHandleBase, settle_ns: int = 1) -> None:
    """One rising edge of a clock the testbench drives by hand (a block checked between
    single edges, with no free-running clock): high for ``settle_ns``, then low as long."""
    clock.value = 1
    await Timer(settle_ns, "ns")
    clock.value = 0
    await Timer(settle_ns, "ns")


class TB:
    """Owns the DUT's clock (``clk_i``) and asynchronous active-low reset (``rst_ni``).

    Subclasses register the block's stream drivers and monitors with :meth:`stream`; they start
    at the first :meth:`reset`, once the DUT's outputs are defined, and are emptied at every
    reset (:meth:`reset_streams`), so that no state leaks from one Hypothesis example to the next.
    """

    def __init__(self, dut: SimHandleBase, clock: str = "clk_i", reset_n: str = "rst_ni") -> None:
        self.dut = dut
        self.clock = getattr(dut, clock)
        self.reset_n = getattr(dut, reset_n)
        Clock(self.clock, CLOCK_PERIOD_NS, unit="ns").start()
        # Held in reset from time 0 until the first reset(): no X reaches the monitors.
        self.reset_n.value = 0
        self.streams: list = []

    def stream(self, driver):
        """Registers a stream source / sink / monitor; returns it."""
        self.streams.append(driver)
        return driver

    async def reset(self, cycles: int = 2) -> None:
        """Asserts reset for ``cycles`` clock edges, then releases it before a rising edge."""
        self.reset_n.value = 0
        await ClockCycles(self.clock, 1)
        for driver in self.streams:
            driver.clear()
            driver.start()
        self.reset_streams()
        await ClockCycles(self.clock, cycles)
        self.reset_n.value = 1
        self.after_release()
        await RisingEdge(self.clock)

    def reset_streams(self) -> None:
        """Hook for subclasses: clear their own per-example state (streams are cleared already)."""

    def after_release(self) -> None:
        """Hook for subclasses: check the outputs in the cycle reset is released in (the
        handshake recording starts an edge later), e.g. the reset values of registered flags."""

    async def cycles(self, n: int) -> None:
        await ClockCycles(self.clock, n)

    @staticmethod
    def now_ns() -> float:
        return get_sim_time("ns")

    @staticmethod
    def start(coroutine) -> cocotb.task.Task:
        return cocotb.start_soon(coroutine)
