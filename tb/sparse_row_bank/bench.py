"""Registry entry of the sparse row bank testbench (see tb/registry.py)."""

from golden.cores import SPARSE_CONV, conv_current_bits
from golden.cycles.sparse_conv import ROW_QUEUE_DEPTH
from tb.registry import Testbench
from tb.sparse_conv_core.bench import TESTBENCH as CONV_CORE

#: The conv core's RTL files that the bank does not use: its sources are the core's without
#: these (so a module the bank comes to instantiate is listed once, in the core's entry).
_CORE_ONLY = ("stream_stable_checker.sv", "dualspike_pkg.sv", "lif_charge.sv", "lif_fire.sv",
              "lif_unit.sv", "neuron_params.sv", "neuron_config_copy.sv", "sparse_conv_core.sv")


def _bank(fan_in, group, lanes, rows, present, steps, slots, weight_bits, membrane_bits,
          queue=ROW_QUEUE_DEPTH) -> dict:
    """A parameter set of the bank with the widths the conv core derives for it
    (docs/sparse_conv_core.md: CurrentBits = max(V, B + clog2 F) + 1, AddrBits =
    clog2(max(R*F, R, 3)) for one bank holding every channel); the queue depth is the core's
    unless given (the smallest, 4, makes the scan wait for room)."""
    current_bits = conv_current_bits(fan_in, weight_bits, membrane_bits)
    addr_bits = SPARSE_CONV.cfg_addr_bits(rows, fan_in, rows)
    return {"FanIn": fan_in, "GroupWidth": group, "Lanes": lanes, "Rows": rows,
            "RowsPresent": present, "Timesteps": steps, "Slots": slots,
            "WeightBits": weight_bits, "MembraneBits": membrane_bits,
            "CurrentBits": current_bits, "CfgAddrBits": addr_bits, "QueueDepth": queue}


TESTBENCH = Testbench(
    block="sparse_row_bank",
    toplevel="sparse_row_bank",
    sources=tuple(source for source in CONV_CORE.sources if source not in _CORE_ONLY),
    sweep=(
        # The module's defaults: F = 18 in three groups of 8 (the last one padded), L = 2.
        _bank(18, 8, 2, 2, 2, 2, 2, 4, 8),
        # Four groups of 7 (F = 25), L = 3, a bank row without a channel (odd R: the scan's
        # second row is absent on the last pair), T = 3, 4 slots, the smallest queue.
        _bank(25, 7, 3, 3, 2, 3, 4, 3, 6, queue=4),
        # One group, one row, one timestep, L = 1, 4 slots.
        _bank(5, 5, 1, 1, 1, 1, 4, 2, 4),
        # R = 4 rows, all with a channel: the rows after a scan's first two, which a zero
        # window word's one-cycle scan leaves with the slot's previous pushed flags (the read
        # masks them); F = 6 in two groups, T = 2, 2 slots.
        _bank(6, 3, 2, 4, 4, 2, 2, 4, 8),
    ),
    regression=(
        # L = 4 over groups of 9 that tile F = 27; R = 4 with one row absent; 8 slots, queue 6.
        _bank(27, 9, 4, 4, 3, 2, 8, 6, 12, queue=6),
        # One-bit groups (NG = F = 6), L = 2, two rows absent.
        _bank(6, 1, 2, 3, 1, 2, 2, 8, 16),
        _bank(18, 8, 2, 2, 2, 2, 2, 4, 8),
    ),
    sim_examples=150,
    test_examples=40,
)
