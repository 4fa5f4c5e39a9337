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

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

from golden.arith import sat_bounds
from golden.neuron import charge

__all__ = ["CoreCoverage", "CoverCross", "CoverPoint", "HANDSHAKE_BINS", "pixel_classes",
           "summary", "watch_handshake"]

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


# ---------------------------------------------------------------------------------------------
# What matters for every core (docs/harness.md, "Functional coverage")
# ---------------------------------------------------------------------------------------------
#: Per clock on a valid/ready stream: a beat taken, a beat offered and refused (a stall), or
#: nothing offered.
HANDSHAKE_BINS = ("transfer", "stall", "idle")


def pixel_classes(height: int, width: int) -> list[str]:
    """The border classes of an output pixel that a ``height`` x ``width`` frame has: the four
    corners, the four edges without their corners, the interior (a 1-wide frame has fewer)."""
    return sorted({pixel_class(y, x, height, width)
                   for y in range(height) for x in range(width)}, key=_CLASS_ORDER.index)


_CLASS_ORDER = ["top-left", "top-right", "bottom-left", "bottom-right", "top", "bottom", "left",
                "right", "interior", "single-row", "single-column", "single-pixel"]


def pixel_class(y: int, x: int, height: int, width: int) -> str:
    if height == 1 and width == 1:
        return "single-pixel"
    if height == 1:
        return "single-row"
    if width == 1:
        return "single-column"
    vertical = "top" if y == 0 else "bottom" if y == height - 1 else ""
    horizontal = "left" if x == 0 else "right" if x == width - 1 else ""
    return "-".join(filter(None, (vertical, horizontal))) or "interior"


def _sampler(points: list[tuple[str, object, list]], crosses: list[tuple[str, list[str]]]):
    """A sampling function carrying ``points`` (name, xf, bins) and ``crosses`` (name, items),
    built like a stack of decorators (crosses innermost: their items are sampled first)."""
    def sample(*_args) -> None:
        pass

    covers = [CoverPoint(name, xf=xf, bins=list(bins)) for name, xf, bins in points]
    wrapped = sample
    for name, items in crosses:
        wrapped = CoverCross(name, items=items)(wrapped)
    for cover in reversed(covers):
        wrapped = cover(wrapped)
    return wrapped


def watch_handshake(name: str, clock, valid, ready) -> None:
    """Samples ``<name>`` (``HANDSHAKE_BINS``) on every rising edge of ``clock`` until every bin
    is hit; a valid or ready still X / Z (before the first reset) is not sampled."""
    sample = _sampler([(name, lambda state: state, HANDSHAKE_BINS)], [])

    async def watch() -> None:
        # Once every bin is hit, sampling more changes nothing: stop, so the watch does not
        # cost a Python wake-up per clock for the rest of a long search.
        unseen = set(HANDSHAKE_BINS)
        while unseen:
            await RisingEdge(clock)
            try:
                offered, taken = int(valid.value), int(ready.value)
            except ValueError:
                continue
            state = "transfer" if offered and taken else "stall" if offered else "idle"
            sample(state)
            unseen.discard(state)

    cocotb.start_soon(watch())


class CoreCoverage:
    """The coverpoints of a core, named ``<block>.<point>``, sampled per frame from the golden
    model's view of the example (so a coverage bin means the stimulus reached that case):

    - ``output_pixel_fired``: each border class of the output pixel (``pixel_classes``) x
      whether the pixel fired at a timestep (any output channel spiked; without a neuron, any
      current non-zero). Only for cores with a spatial output (``height``/``width`` given).
    - ``timestep_fired``: every timestep x fired / silent.
    - ``membrane``: the charged membrane reached the low end of the V-bit range, the high end,
      or neither (only with a neuron).
    - ``group``: a bitmap group of G fan-in positions (the last group: the positions left) with
      no effectual pair (silent), some, or all of them effectual (full).
    - ``in_handshake`` / ``out_handshake`` (``watch``): stalls on the input and the output.
    """

    def __init__(self, block: str, timesteps: int, height: int | None = None,
                 width: int | None = None, group_width: int | None = None,
                 membrane_bits: int | None = None) -> None:
        self.block = block
        self.height, self.width = height, width
        self.group_width = group_width
        self.membrane_bits = membrane_bits
        fired = (f"{block}.fired", lambda where, t, f: f, ["fired", "silent"])
        points = [fired, (f"{block}.timestep", lambda where, t, f: t, list(range(timesteps)))]
        crosses = [(f"{block}.timestep_fired", [f"{block}.timestep", f"{block}.fired"])]
        if height is not None:
            points.append((f"{block}.output_pixel", lambda where, t, f: where,
                           pixel_classes(height, width)))
            crosses.append((f"{block}.output_pixel_fired",
                            [f"{block}.output_pixel", f"{block}.fired"]))
        self._output = _sampler(points, crosses)
        self._membrane = _sampler([(f"{block}.membrane", lambda end: end,
                                    ["low", "high", "neither"])], []) \
            if membrane_bits is not None else None
        self._group = _sampler([(f"{block}.group", lambda kind: kind,
                                 ["silent", "partial", "full"])], []) \
            if group_width is not None else None

    def watch(self, clock, in_valid, in_ready, out_valid, out_ready) -> None:
        watch_handshake(f"{self.block}.in_handshake", clock, in_valid, in_ready)
        watch_handshake(f"{self.block}.out_handshake", clock, out_valid, out_ready)

    def outputs(self, values) -> None:
        """``values``: the frame's outputs, ``[T, C, H, W]`` (spatial) or ``[T, C]``."""
        values = np.asarray(values)
        for t in range(values.shape[0]):
            if self.height is None:
                self._output(None, t, "fired" if values[t].any() else "silent")
                continue
            for y in range(self.height):
                for x in range(self.width):
                    where = pixel_class(y, x, self.height, self.width)
                    self._output(where, t, "fired" if values[t, :, y, x].any() else "silent")

    def membranes(self, currents, membranes, params) -> None:
        """``currents`` and ``membranes`` (after each timestep's reset) as ``run_neuron``
        gives them, time first: samples where each charged membrane u landed."""
        v_lo, v_hi = sat_bounds(self.membrane_bits)
        currents, membranes = np.asarray(currents), np.asarray(membranes)
        before = np.concatenate([np.zeros_like(membranes[:1]), membranes[:-1]])
        u = charge(before, currents, params, self.membrane_bits)
        for end, hit in (("low", u == v_lo), ("high", u == v_hi)):
            for _ in range(min(1, int(hit.sum()))):
                self._membrane(end)
        if ((u != v_lo) & (u != v_hi)).any():
            self._membrane("neither")

    def groups(self, rows, fields) -> None:
        """``rows``: fan-in weights ``[N, F]``; ``fields``: fan-in inputs ``[..., F]`` (every
        timestep and position). Samples each (neuron, field, group) once per kind seen."""
        rows = np.asarray(rows) != 0
        fields = (np.asarray(fields) != 0).reshape(-1, rows.shape[1])
        effectual = fields[:, None, :] & rows[None, :, :]          # [fields, N, F]
        seen = set()
        g = self.group_width
        for start in range(0, rows.shape[1], g):
            count = effectual[:, :, start:start + g].sum(axis=2)
            size = min(g, rows.shape[1] - start)
            if (count == 0).any():
                seen.add("silent")
            if (count == size).any():
                seen.add("full")
            if ((count > 0) & (count < size)).any():
                seen.add("partial")
        for kind in sorted(seen):
            self._group(kind)
