"""The cycle model of the dense linear core (golden/cycles/dense_linear.py) without a simulator:
a hand-computed timeline, the input-bound steady state, and CurrentBits against the golden
bound. The testbench (tb/dense_linear_core) asserts the model equals the RTL."""

from __future__ import annotations

import numpy as np

from golden.config import current_bounds
from golden.cores import pixel_current_bits
from golden.cycles import dense_linear


def test_one_frame_timeline_by_hand():
    # 2x2 pixels, one feature, one group: pixels at edges 0..3, into the line buffer at 4,
    # taken at 5, the group accepted at 6 (1 beat), its address registered at 7, its weight
    # at 8 (the bank's address stage) and its sum at 9 (the write stage), currents complete at
    # 10, beats at 11, 12.
    weight = np.zeros((1, 4), dtype=np.int64)
    frame = np.ones((1, 2, 2), dtype=np.int64)
    timing = dense_linear.frame_timing(weight, [frame], parallel=1, lanes=1, group=4,
                                       timesteps=2)
    assert timing.first_in == (0,) and timing.last_out == (12,) and timing.cycles == (13,)


def test_group_beats_count_effectual_pairs_per_bank():
    # Four non-zero weights meet four non-zero pixels in one group: ceil(4 / L) beats with L = 1,
    # one more than the empty case for each extra pair.
    weight = np.ones((1, 4), dtype=np.int64)
    frame = np.ones((1, 2, 2), dtype=np.int64)
    dense = dense_linear.frame_cycles(weight, [frame], parallel=1, lanes=1, group=4, timesteps=2)
    assert dense == [13 + 3]
    zero_pixels = dense_linear.frame_cycles(weight, [frame * 0], parallel=1, lanes=1, group=4,
                                            timesteps=2)
    assert zero_pixels == [13]


def test_back_to_back_frames_are_input_bound_when_compute_is_short():
    rng = np.random.default_rng(5)
    weight = rng.integers(-2, 2, size=(4, 64)) * (rng.random((4, 64)) < 0.2)
    frames = [rng.integers(0, 16, size=(1, 8, 8)) for _ in range(4)]
    timing = dense_linear.frame_timing(weight, frames, parallel=4, lanes=2, group=16,
                                       timesteps=4)
    # The pixels never wait (one per cycle, frames back to back); the output follows them.
    assert list(np.diff(timing.first_in)) == [64, 64, 64]
    assert all(c >= 64 + 4 for c in timing.cycles)  # the whole frame in, then T beats out


def test_current_bits_is_the_tight_width_of_the_golden_bound():
    for shape, bits, b_bits, v_bits in [([1, 8, 8], 5, 4, 16), ([3, 2, 2], 16, 8, 32),
                                        ([1, 1, 1], 1, 2, 4)]:
        cfg = {"timesteps": 2, "input": {"kind": "pixels", "shape": shape, "bits": bits},
               "weight_bits": b_bits, "membrane_bits": v_bits,
               "layers": [{"kind": "linear", "out_features": 3, "readout": "accumulate"}]}
        bound = current_bounds(cfg)[0]
        width = pixel_current_bits(int(np.prod(shape)), bits, b_bits, v_bits)
        assert -(1 << (width - 1)) <= -bound and bound - 1 <= (1 << (width - 1)) - 1
        assert -bound < -(1 << (width - 2))  # one bit fewer would not hold -M
