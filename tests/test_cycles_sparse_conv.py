"""Pure-Python tests of the sparse conv core's cycle model (golden/cycles/sparse_conv.py).

The RTL testbench checks the model against simulation (exact equality); these tests check the
model against itself and against the golden detector: group costs equal the detector's beat
counts, known answers, bounds, and the line-buffer rule's safety (no window pixel is overwritten
before its last capture) and liveness (no deadlock) over random shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.cycles.sparse_conv import (
    ConvHw,
    compute_cycles,
    dense_cost,
    frame_cycles,
    group_costs,
    lower_bound,
    schedule,
    trace,
)
from golden.memory_images import layer_images
from golden.sparsity import conv_receptive_field, detector_beats, group_count


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


def test_single_pixel_known_answer():
    """1x1 frame, one tap, one channel: accept 0, capture 1, issue 2, group ends 3, weight
    stage 4, neuron 5, output register 6: 7 cycles from the first input beat to the output beat."""
    weight = np.ones((1, 1, 1, 1), dtype=np.int64)
    frame = np.ones((1, 1, 1, 1), dtype=np.uint8)
    assert frame_cycles(weight, [frame], ConvHw(1, 1, 1)) == [7]
    run = trace(weight, [frame, frame], ConvHw(1, 1, 1))
    # The one-slot line buffer takes the next frame's pixel once the window was captured.
    assert run.first_accept == (0, 2)
    assert run.capture == (1, 3)
    assert run.outputs == (6, 8)


def test_group_cost_counts_detector_beats():
    """A dense 3x3 group with L = 2: 9 pairs at the centre pixel = 5 detector beats."""
    weight = np.ones((1, 1, 3, 3), dtype=np.int64)
    frame = np.ones((1, 1, 3, 3), dtype=np.uint8)
    costs = group_costs(weight, frame, ConvHw(1, 2, 9))
    assert costs.shape == (3, 3, 1, 1, 1)
    assert costs[1, 1, 0, 0, 0] == 5          # ceil(9 / 2)
    assert costs[0, 0, 0, 0, 0] == 2          # corner: 4 in-frame taps


@settings(max_examples=60, deadline=None)
@given(layers())
def test_group_costs_equal_golden_detector_beats(case):
    """cost(pixel, t, r, g) = max over banks of the golden detector's beat count for the group
    (built from the memory images: the same bitmaps the RTL reads)."""
    weight, frames, hw = case
    images = layer_images(weight, np.zeros(weight.shape[0], dtype=np.int64), None, hw.group,
                          hw.parallel)
    kernel = weight.shape[-1]
    groups = images.groups
    frame = frames[0]
    costs = group_costs(weight, frame, hw)
    steps, _, height, width = frame.shape
    for y in range(height):
        for x in range(width):
            for t in range(steps):
                field = conv_receptive_field(frame[t], kernel, y, x)
                padded = np.zeros(groups * hw.group, dtype=np.int64)
                padded[:field.size] = field
                for r in range(images.rows):
                    for g in range(groups):
                        sbitmap = sum(1 << q for q in range(hw.group)
                                      if padded[g * hw.group + q])
                        want = max(len(detector_beats(images.bitmap[p][r * groups + g], sbitmap,
                                                      hw.group, hw.lanes))
                                   for p in range(hw.parallel))
                        assert costs[y, x, t, r, g] == want


def test_dense_interior_equals_dense_cost():
    """K = 1 (no padding), dense weights and spikes, L divides G: compute = dense cost."""
    weight = np.ones((3, 6, 1, 1), dtype=np.int64)
    frame = np.ones((2, 6, 2, 3), dtype=np.uint8)
    hw = ConvHw(2, 3, 3)
    assert compute_cycles(weight, frame, hw) == dense_cost(weight, frame, hw)


def test_empty_layer_costs_one_cycle_per_group():
    """All-zero weights: every group still costs one cycle (the walk is not skipped)."""
    weight = np.zeros((5, 2, 3, 3), dtype=np.int64)
    frame = np.ones((2, 2, 3, 4), dtype=np.uint8)
    hw = ConvHw(2, 2, 4)
    rows, groups = 3, group_count(18, 4)
    assert compute_cycles(weight, frame, hw) == 3 * 4 * 2 * rows * groups
    assert lower_bound(weight, frame, hw) == 0


@settings(max_examples=80, deadline=None)
@given(layers())
def test_schedule_bounds_and_order(case):
    """Outputs leave in order, at most one per cycle; a frame lasts at least its compute plus
    the fixed latency, and the compute is at least the effectual-op lower bound."""
    weight, frames, hw = case
    timings = schedule(weight, frames, hw)
    for frame, timing in zip(frames, timings):
        outs = timing.output_cycles
        assert all(b > a for a, b in zip(outs, outs[1:]))
        compute = compute_cycles(weight, frame, hw)
        assert compute >= lower_bound(weight, frame, hw)
        assert timing.cycles >= compute + 4


@settings(max_examples=100, deadline=None)
@given(layers())
def test_line_buffer_rule_is_safe(case):
    """No input pixel overwrites a line-buffer entry (row slot = global row mod K, column)
    before the last capture that reads it; the model also never deadlocks (trace raises)."""
    weight, frames, hw = case
    steps, _, height, width = frames[0].shape
    kernel = weight.shape[-1]
    pad = kernel // 2
    run = trace(weight, frames, hw)
    total = height * width * len(frames)
    # Last capture cycle that reads each input pixel.
    last_read = [-1] * total
    for m in range(total):
        row_c, col_c = divmod(m, width)
        frame_row = row_c % height
        for dy in range(-pad, pad + 1):
            for dx in range(-pad, pad + 1):
                if 0 <= frame_row + dy < height and 0 <= col_c + dx < width:
                    q = (row_c + dy) * width + col_c + dx
                    last_read[q] = max(last_read[q], run.capture[m])
                    # The window is complete when captured.
                    assert run.last_accept[q] < run.capture[m]
    for q in range(total):
        overwriter = q + kernel * width   # same slot (row + K), same column
        if overwriter < total:
            assert run.first_accept[overwriter] >= last_read[q], (q, overwriter)


@pytest.mark.parametrize("height,width,kernel", [(1, 1, 5), (1, 6, 5), (6, 1, 5), (2, 2, 3),
                                                 (4, 4, 1), (3, 7, 3)])
def test_degenerate_shapes_do_not_deadlock(height, width, kernel):
    weight = np.ones((2, 1, kernel, kernel), dtype=np.int64)
    frame = np.ones((2, 1, height, width), dtype=np.uint8)
    timings = schedule(weight, [frame, frame, frame], ConvHw(1, 1, 4))
    assert len(timings) == 3
