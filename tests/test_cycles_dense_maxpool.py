"""Pure-Python tests of the cycle models of the dense input core and the spike max-pool.

The models are compared with the RTL in simulation by the cores' testbenches (exactly); here
they are pinned by hand-computed timelines and checked against the bounds they must respect.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from golden.cycles import dense_input, maxpool


def test_maxpool_known_answers():
    assert maxpool.frame_cycles(2, 2, 2, 1) == 5          # 4 input beats, then 1 output beat
    assert maxpool.frame_cycles(8, 8, 2, 4) == 8 * 8 * 4 + 4
    assert maxpool.lower_bound(8, 8, 4) == 256
    with pytest.raises(ValueError):
        maxpool.frame_cycles(3, 4, 2, 1)


def test_dense_single_pixel_timeline():
    """C = Co = H = W = K = 1, one group: pixel accepted at edge 0, window taken at 1, group
    accepted at 2, its beat's address registered at 3, its weight at 4, its sum at 5 (the
    bank's write stage), current complete at 6 (emission active), beat at 7: 7 - 0 + 1 = 8
    cycles."""
    weight = np.ones((1, 1, 1, 1), dtype=np.int64)
    frame = np.full((1, 1, 1), 5, dtype=np.int64)
    knobs = dict(parallel=1, lanes=1, group=1, timesteps=1)
    assert dense_input.frame_cycles(weight, [frame], **knobs) == [8]
    # T = 3: two more output beats.
    assert dense_input.frame_cycles(weight, [frame], **{**knobs, "timesteps": 3}) == [10]


def test_dense_group_with_many_pairs():
    """One group of G = 4 effectual pairs at L = 1 takes 4 beats instead of 1."""
    weight = np.ones((1, 4, 1, 1), dtype=np.int64)
    frame = np.ones((4, 1, 1), dtype=np.int64)
    knobs = dict(parallel=1, lanes=1, group=4, timesteps=1)
    assert dense_input.frame_cycles(weight, [frame], **knobs) == [8 + 3]
    assert dense_input.frame_cycles(np.zeros_like(weight), [frame], **knobs) == [8]
    assert dense_input.frame_cycles(weight, [np.zeros_like(frame)], **knobs) == [8]
    assert dense_input.frame_cycles(weight, [frame], **{**knobs, "lanes": 4}) == [8]


def test_dense_costs_and_lower_bound():
    weight = np.zeros((4, 1, 3, 3), dtype=np.int64)
    weight[0, 0, 1, 1] = 2      # only the centre tap of channel 0
    frame = np.ones((1, 2, 2), dtype=np.int64)
    assert dense_input.lower_bound(weight, frame, parallel=2, lanes=2) == 4 / 4
    assert dense_input.dense_cost(weight, 2, 2, parallel=2, lanes=2) == 4 * 2 * 5
    assert dense_input.dense_cost(weight, 2, 2, parallel=2, lanes=2, timesteps=3) == 3 * 40
    assert dense_input.group_walk_floor(weight, 2, 2, parallel=3, group=4) == 4 * 2 * 3


@st.composite
def _cases(draw):
    c, co = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    h, w, k = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.sampled_from([1, 3, 5]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    sparsity = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    weight = np.where(rng.random((co, c, k, k)) < sparsity, 0,
                      rng.integers(1, 8, size=(co, c, k, k))).astype(np.int64)
    frames = [rng.integers(0, 4, size=(c, h, w)).astype(np.int64)
              for _ in range(draw(st.integers(1, 2)))]
    knobs = dict(parallel=draw(st.integers(1, 4)), lanes=draw(st.integers(1, 4)),
                 group=draw(st.integers(1, 12)), timesteps=draw(st.integers(1, 4)))
    return weight, frames, knobs


@given(_cases())
def test_dense_model_respects_its_bounds(case):
    weight, frames, knobs = case
    _, height, width = frames[0].shape
    once = dense_input.frame_cycles(weight, frames, **knobs)
    again = dense_input.frame_cycles(weight, frames, recompute_per_timestep=True, **knobs)
    floor = dense_input.group_walk_floor(weight, height, width, parallel=knobs["parallel"],
                                         group=knobs["group"])
    for f, frame in enumerate(frames):
        lower = dense_input.lower_bound(weight, frame, parallel=knobs["parallel"],
                                        lanes=knobs["lanes"])
        assert once[f] >= max(lower, floor, height * width * knobs["timesteps"])
        assert again[f] >= once[f]
        if knobs["timesteps"] == 1:
            assert again[f] == once[f]
