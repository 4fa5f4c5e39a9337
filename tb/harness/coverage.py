"""Functional coverage with cocotb-coverage: which classes of stimulus the examples reached.

A testbench declares its coverpoints (``CoverPoint`` / ``CoverCross`` of cocotb_coverage, named
``<block>.<point>``) on a sampling function and calls it per applied stimulus. When a testbench
imported this module, the run summary (``tb.harness.report``) carries :func:`summary`: per
coverpoint, cross and group the bins hit and the bins in total, and the bins never hit;
``make sim`` tabulates it per block and writes build/sim-<SIM>/coverage.json.

Coverage is reported, not enforced: Hypothesis draws the stimulus, and a bin it did not reach
in a short run is a hint for the strategies, not a failed check.
"""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

__all__ = ["CoverCross", "CoverPoint", "summary"]

#: Missed bins listed per coverpoint at most (a cross can have hundreds).
MISSED_SHOWN = 12


def summary() -> dict[str, dict]:
    """``{name: {"hit": bins hit, "total": bins, "missed": [bin, ...]}}`` for every coverage
    item of this process, groups included (their bins are their children's)."""
    found = {}
    for name, item in coverage_db.items():
        entry = {"hit": int(item.coverage), "total": int(item.size)}
        if isinstance(item, (CoverPoint, CoverCross)):
            missed = [b for b, hits in item.detailed_coverage.items() if hits == 0]
            entry["missed"] = [_label(b) for b in missed[:MISSED_SHOWN]]
            entry["missed_count"] = len(missed)
        found[name] = entry
    return found


def _label(bin_value) -> str:
    if isinstance(bin_value, tuple):
        return "(" + ", ".join(map(str, bin_value)) + ")"
    return str(bin_value)
