"""Registry entry of the linear bank testbench (see tb/registry.py)."""

from golden.cores import bench_sources, clog2
from tb.registry import Testbench

#: The sparse linear core's RTL files that the bank does not use: its sources are the core's
#: without these (so a module the bank comes to instantiate is listed once, in the core's entry).
_CORE_ONLY = ("dualspike_pkg.sv", "lif_charge.sv", "lif_fire.sv", "lif_unit.sv",
              "neuron_params.sv", "held_step_ram.sv", "linear_frame_buffer.sv",
              "sparse_linear_core.sv")


def _bank(group, lanes, weight_bits, bitmap_depth, weight_depth, cfg_addr_bits=None) -> dict:
    """A parameter set with the widths the sparse linear core derives for its banks
    (rtl/sparse_linear_core.sv): the detector's prefix-sum levels done in the group stage,
    a current wide enough for any bias the testbench draws plus the largest sum of the image,
    the configuration address as wide as the largest memory (or ``cfg_addr_bits``: the core's
    port is as wide as its bias memory when that is larger)."""
    return {"GroupWidth": group, "Lanes": lanes,
            "PreLevels": clog2(group) // 2 if group > 2 else 0,
            "WeightBits": weight_bits,
            "CurrentBits": clog2(weight_depth << (weight_bits - 1)) + 4,
            "BitmapDepth": bitmap_depth, "WeightDepth": weight_depth,
            "CfgAddrBits": cfg_addr_bits or clog2(max(bitmap_depth, weight_depth, 4))}


TESTBENCH = Testbench(
    block="linear_bank",
    toplevel="linear_bank",
    sources=tuple(s for s in bench_sources("sparse_linear_core") if s not in _CORE_ONLY),
    sweep=(
        # The module's defaults: G = 8, L = 2, B = 4, 2 bitmap words, 16 weights.
        _bank(8, 2, 4, 2, 16),
        # G = L = 1 (one pair a group), 2-bit weights, no prefix levels in the stage.
        _bank(1, 1, 2, 12, 12),
        # G = 5 (not a power of two), L = 3, 8-bit weights; the memories' depths powers of two
        # and a port wider than either (a stray write past them wraps to word 0 if a guard is
        # off by one).
        _bank(5, 3, 8, 8, 32, cfg_addr_bits=7),
        # G = 32 (a whole configuration word), L = 4, two prefix levels in the stage.
        _bank(32, 4, 4, 3, 96),
    ),
    regression=(
        # The events network's linear layer's shape of bank: G = 16, L = 1.
        _bank(16, 1, 4, 12, 160),
        # G = 9, L = 2 (digits' conv groups).
        _bank(9, 2, 4, 10, 72),
    ),
    # The module's defaults: the bug is shrunk through ~1,400 examples, 44-58 s on either simulator
    # (the G = 9 set above: ~1,800 examples, 150-165 s on either simulator).
    planted_bug_set=_bank(8, 2, 4, 2, 16),
    sim_examples=150,
    test_examples=40,
    planted_bugs={"DUALSPIKE_BUG_LINEAR_BANK_BASE_COUNTS_PAIRS":
                  "the running base steps over a group's effectual pairs, not its weights"},
)
