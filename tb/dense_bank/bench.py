"""Registry entry of the dense bank testbench (see tb/registry.py)."""

from golden.cores import DENSE_INPUT, STREAM_CHECKER, clog2, pixel_current_bits
from tb.registry import Testbench

#: The dense input core's RTL files that the bank does not use: its sources are the core's
#: without these (so a module the bank comes to instantiate is listed once, in the core's entry).
_CORE_ONLY = ("dualspike_pkg.sv", "lif_charge.sv", "lif_fire.sv", "lif_unit.sv",
              "neuron_params.sv", "neuron_config_copy.sv", "dense_line_buffer.sv",
              "dense_input_core.sv")


def _bank(fan_in, group, lanes, rows, bank_rows, pixel_bits, weight_bits, membrane_bits,
          buf_bits=1) -> dict:
    """A parameter set of the bank with the widths the dense input core derives for it
    (docs/dense_input_core.md): NumGroups = ceil(F / G), CurrentBits of a layer fed A-bit
    pixels, the address of a bank's R x F weights."""
    groups = -(-fan_in // group)
    return {"FanIn": fan_in, "GroupWidth": group, "NumGroups": groups, "Lanes": lanes,
            "Rows": rows, "BankRows": bank_rows, "PixelBits": pixel_bits,
            "WeightBits": weight_bits, "MembraneBits": membrane_bits,
            "CurrentBits": pixel_current_bits(fan_in, pixel_bits, weight_bits, membrane_bits),
            "CfgAddrBits": clog2(max(rows * fan_in, rows * groups, 4)), "BufBits": buf_bits}


TESTBENCH = Testbench(
    block="dense_bank",
    toplevel="dense_bank",
    sources=(STREAM_CHECKER, *(s for s in DENSE_INPUT.sources if s not in _CORE_ONLY)),
    sweep=(
        # The module's defaults: F = 9 in two groups of 8 (the last one padded), L = 2, 8-bit
        # pixels.
        _bank(9, 8, 2, 1, 1, 8, 4, 16),
        # One-bit pixels (the sparse bank's case), one group of F = 5, L = 1, three rows of
        # which the bank computes two (the image's last row is not its own), 4 buffers.
        _bank(5, 5, 1, 3, 2, 1, 2, 4, buf_bits=2),
        # F = 27 in groups of 4 (NG = 7), L = 3, 16-bit pixels and 8-bit weights, 32-bit
        # membrane: the widest product and current.
        _bank(27, 4, 3, 2, 2, 16, 8, 32),
    ),
    regression=(
        # One-bit groups (NG = F = 6), L = 4 (more lanes than a group's pairs).
        _bank(6, 1, 4, 2, 2, 4, 4, 8),
        # digits layer 0's shape (C = 1, K = 3: F = 9) with G = 4, L = 2, 4 rows (last: the
        # planted bug's set, where a group holds zero weights before its pairs).
        _bank(9, 4, 2, 4, 4, 8, 4, 16),
    ),
    sim_examples=150,
    test_examples=40,
    planted_bugs={"DUALSPIKE_BUG_DENSE_BANK_PIXEL_AT_PACKED_INDEX":
                  "a lane multiplies the pixel at its weight's packed index, not its position"},
)
