"""Pure-Python tests of the sparse conv core's cycle model (golden/cycles/sparse_conv.py).

The RTL testbench checks the model against simulation (exact equality, cycle by cycle); these
tests check the model against the golden data and against itself: the pairs per row equal the
bitmaps' (the same images the RTL reads), known answers, bounds, an all-silent layer costs its
input stream, and the line-buffer rule's safety (no window pixel is overwritten before its
capture) and liveness (no deadlock) over random shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.cycles.sparse_conv import (
    ConvHw,
    SparseConvStepped,
    dense_cost,
    frame_cycles,
    lif_stages,
    lower_bound,
    row_pairs,
    schedule,
)
from golden.cycles.stepped import free_running
from golden.memory_images import layer_images
from golden.sparsity import conv_receptive_field


@st.composite
def layers(draw, max_size: int = 5):
    """(weight, frames, hw): a small conv layer with drawn sparsity and density, 1-2 frames."""
    ci, co = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    height, width = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    kernel = draw(st.sampled_from((1, 3, 5)))
    steps = draw(st.integers(1, 3))
    hw = ConvHw(draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 12)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sparsity, density = draw(st.floats(0, 1)), draw(st.floats(0, 1))
    weight = rng.integers(-8, 8, size=(co, ci, kernel, kernel))
    weight = np.where(rng.random(weight.shape) >= sparsity, weight, 0)
    frames = [(rng.random((steps, ci, height, width)) < density).astype(np.uint8)
              for _ in range(draw(st.integers(1, 2)))]
    return weight, frames, hw


def _run(weight, frames, hw: ConvHw) -> SparseConvStepped:
    """The stepped model after a free-running run of ``frames``."""
    model = SparseConvStepped(weight, frames, hw)
    steps, _, height, width = frames[0].shape
    beats = steps * height * width * len(frames)
    free_running(model, beats, beats)
    return model


def test_single_pixel_known_answer():
    """1x1 frame, one tap, one channel, P = L = 1: accept 0, the line buffer's write 1, capture
    2, the bank's copy of the slot flags 3, scan 4 (SC0), 5 (SC1), 6 (SC1w), 7 (SC2), 8 (SC2b,
    queued), issue 9, E0 10, E0q 11, E0b 12, E1 13, E1w 14, E1s 15, E1t 16, E1b 17, E2 18, E2b
    19, E3 20 (written), done 21 = the neuron stage's read, bias + current 22, LIF 23, output
    register 24: 25 cycles from the first input beat to the output beat."""
    weight = np.ones((1, 1, 1, 1), dtype=np.int64)
    frame = np.ones((1, 1, 1, 1), dtype=np.uint8)
    assert frame_cycles(weight, [frame], ConvHw(1, 1, 1)) == [25]
    model = _run(weight, [frame, frame, frame], ConvHw(1, 1, 1))
    # Each window is captured two cycles after its pixel's accept (the cycle after its write),
    # into the next slot. The line buffer's two row slots (K + 1) take two frames' pixels back to
    # back; the third pixel overwrites the first frame's row, so it waits for that capture.
    assert model.accept_cycles == [0, 1, 3]
    assert model.capture_cycles == [2, 3, 5]


@pytest.mark.parametrize(("channels", "stages", "cycles"),
                         [(2, 1, 25), (4, 1, 26), (5, 2, 28), (9, 2, 30)])
def test_two_lif_cycles_from_five_rows(channels, stages, cycles):
    """The known answer above with R rows in one bank (P = 1), only row 0 with a pair: the bank
    is done at 21 as before (its empty rows leave the scan earlier), the neuron stage reads two
    rows per cycle from 21, its last at 21 + ceil(R/2) - 1, then bias + current, the LIF units
    (two cycles from R = 5, lif_stages: charge, then fire and the write), the output register:
    25 + ceil(R/2) - 1 + (lif_stages - 1) cycles."""
    weight = np.zeros((channels, 1, 1, 1), dtype=np.int64)
    weight[0, 0, 0, 0] = 1
    frame = np.ones((1, 1, 1, 1), dtype=np.uint8)
    assert lif_stages(channels) == stages
    assert frame_cycles(weight, [frame], ConvHw(1, 1, 1)) == [cycles]


def test_a_row_costs_ceil_pairs_over_lanes():
    """One pixel, 9 pairs in one row (dense 3x3 at the centre of a 1x1 frame: only the centre
    tap is inside) vs 1 pair: frames of a 3x3 dense layer, L = 2, differ by the issue beats."""
    weight = np.ones((1, 1, 3, 3), dtype=np.int64)
    dense = np.ones((1, 1, 3, 3), dtype=np.uint8)
    pairs = row_pairs(weight, dense, 1)
    assert pairs.shape == (9, 1, 1, 1)
    assert pairs[4, 0, 0, 0] == 9 and pairs[0, 0, 0, 0] == 4


@settings(max_examples=60, deadline=None)
@given(layers())
def test_row_pairs_equal_the_bitmaps(case):
    """n(pixel, bank, t, row) = popcount(weight bitmap of the row & spikes of the field), from
    the memory images (the bitmaps the RTL reads; bank p row r = channel r*P + p)."""
    weight, frames, hw = case
    images = layer_images(weight, np.zeros(weight.shape[0], dtype=np.int64), None, hw.group,
                          hw.parallel)
    kernel, groups = weight.shape[-1], images.groups
    frame = frames[0]
    pairs = row_pairs(weight, frame, hw.parallel)
    steps, _, height, width = frame.shape
    for y in range(height):
        for x in range(width):
            for t in range(steps):
                field = conv_receptive_field(frame[t], kernel, y, x)
                spikes = sum(1 << j for j in range(field.size) if field.flat[j])
                for p in range(hw.parallel):
                    for r in range(images.rows):
                        row_bits = sum(images.bitmap[p][r * groups + g] << (g * hw.group)
                                       for g in range(groups))
                        want = (row_bits & spikes).bit_count()
                        assert pairs[y * width + x, p, t, r] == want


@settings(max_examples=80, deadline=None)
@given(layers())
def test_schedule_bounds_and_order(case):
    """Outputs leave in order, at most one per cycle; a frame lasts at least the busiest bank's
    issue beats (its pairs over L, rounded up: beats pack across rows), which is at least the
    effectual-op bound."""
    weight, frames, hw = case
    timings = schedule(weight, frames, hw)
    for frame, timing in zip(frames, timings):
        outs = timing.output_cycles
        assert all(b > a for a, b in zip(outs, outs[1:]))
        beats = -(-row_pairs(weight, frame, hw.parallel).sum(axis=(0, 2, 3)) // hw.lanes)
        assert beats.max() >= lower_bound(weight, frame, hw) - 1e-9
        assert timing.cycles >= beats.max()


@pytest.mark.parametrize("parallel", [2, 3, 5])
def test_all_silent_layer_costs_its_input_stream(parallel):
    """No effectual pair (zero weights, or no spike) with at most two rows per bank (P >= Co/2):
    the scan and the neuron stage take both rows of a timestep per cycle, T cycles per pixel,
    the input stream's pace; frames back to back then cost H*W*T cycles each (steady state: the
    distance between their last outputs)."""
    steps, height, width = 3, 4, 5
    beats = steps * height * width
    for weight, frame in ((np.zeros((3, 2, 3, 3), dtype=np.int64),
                           np.ones((steps, 2, height, width), dtype=np.uint8)),
                          (np.ones((3, 2, 3, 3), dtype=np.int64),
                           np.zeros((steps, 2, height, width), dtype=np.uint8))):
        timings = schedule(weight, [frame] * 3, ConvHw(parallel, 2, 4))
        last = [t.output_cycles[-1] for t in timings]
        assert [b - a for a, b in zip(last, last[1:])] == [beats, beats]


def test_dense_cost_is_the_dense_reference():
    """K = 1, dense: every (pixel, t) costs ceil(Co/P) * ceil(F/L) in the dense reference."""
    weight = np.ones((3, 6, 1, 1), dtype=np.int64)
    frame = np.ones((2, 6, 2, 3), dtype=np.uint8)
    assert dense_cost(weight, frame, ConvHw(2, 3, 3)) == 2 * 2 * 2 * 6


@settings(max_examples=100, deadline=None)
@given(layers())
def test_line_buffer_rule_is_safe(case):
    """No input pixel overwrites a line-buffer entry (row slot = global row mod K + 1, column)
    before the last capture that reads it, and every window is complete when captured; the
    model never deadlocks (free_running raises)."""
    weight, frames, hw = case
    steps, _, height, width = frames[0].shape
    kernel = weight.shape[-1]
    pad = kernel // 2
    model = _run(weight, frames, hw)
    first_accept = model.accept_cycles[::steps]
    last_accept = model.accept_cycles[steps - 1::steps]
    total = height * width * len(frames)
    last_read = [-1] * total
    for m in range(total):
        row_c, col_c = divmod(m, width)
        frame_row = row_c % height
        for dy in range(-pad, pad + 1):
            for dx in range(-pad, pad + 1):
                if 0 <= frame_row + dy < height and 0 <= col_c + dx < width:
                    q = (row_c + dy) * width + col_c + dx
                    last_read[q] = max(last_read[q], model.capture_cycles[m])
                    assert last_accept[q] < model.capture_cycles[m]
    for q in range(total):
        overwriter = q + (kernel + 1) * width   # same slot (row + K + 1), same column
        if overwriter < total:
            assert first_accept[overwriter] >= last_read[q], (q, overwriter)


@pytest.mark.parametrize("height,width,kernel", [(1, 1, 5), (1, 6, 5), (6, 1, 5), (2, 2, 3),
                                                 (4, 4, 1), (3, 7, 3)])
def test_degenerate_shapes_do_not_deadlock(height, width, kernel):
    weight = np.ones((2, 1, kernel, kernel), dtype=np.int64)
    frame = np.ones((2, 1, height, width), dtype=np.uint8)
    timings = schedule(weight, [frame, frame, frame], ConvHw(1, 1, 4))
    assert len(timings) == 3
