"""Channel placement on banks (golden/placement.py): a permutation that never raises the
busiest bank's non-zero weights, keeps each bank's row count, and whose placed memories decode
back to the layer's weights in logical order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from golden.memory_images import decode_images, layer_images
from golden.placement import balanced_channel_map, bank_loads, placed_layer


@st.composite
def layers(draw):
    channels = draw(st.integers(1, 24))
    fan_in = draw(st.integers(1, 40))
    weight = draw(arrays(np.int64, (channels, fan_in), elements=st.integers(-8, 7)))
    return weight, draw(st.integers(1, 12))


@settings(max_examples=300, deadline=None)
@given(layers())
def test_balanced_map_is_a_permutation_never_worse_than_in_order(layer):
    weight, parallel = layer
    placed = balanced_channel_map(weight, parallel)
    assert sorted(placed) == list(range(len(weight)))
    assert max(bank_loads(weight, parallel, placed)) <= max(bank_loads(weight, parallel))


def test_balancing_spreads_the_heavy_channels():
    # Channels 0 and 2 are dense, 1 and 3 empty: in order, bank 0 holds both dense ones.
    weight = np.array([[1] * 8, [0] * 8, [1] * 8, [0] * 8])
    assert bank_loads(weight, 2) == [16, 0]
    placed = balanced_channel_map(weight, 2)
    assert bank_loads(weight, 2, placed) == [8, 8]


def test_partial_last_row_keeps_its_empty_slots():
    # 5 channels on 4 banks: bank 0 has two rows (slots 0 and 4), banks 1-3 one; in order the
    # two heavy channels 0 and 4 share bank 0. Placed, a light channel takes bank 0's second
    # row and slots 5-7 stay empty.
    weight = np.array([[1] * 9, [1] + [0] * 8, [1] + [0] * 8, [1] + [0] * 8, [1] * 9])
    assert bank_loads(weight, 4) == [18, 1, 1, 1]
    placed = balanced_channel_map(weight, 4)
    assert placed == (0, 4, 1, 2, 3)
    assert bank_loads(weight, 4, placed) == [10, 9, 1, 1]


@settings(max_examples=100, deadline=None)
@given(layers(), st.integers(1, 16))
def test_placed_images_decode_to_the_placed_channels(layer, group):
    weight, parallel = layer
    bias = np.arange(len(weight), dtype=np.int64) * 3 - 7
    placed = balanced_channel_map(weight, parallel)
    w, b = placed_layer({"L0.weight": weight, "L0.bias": bias}, 0, placed)
    decoded, _ = decode_images(layer_images(w, b, None, group, parallel))
    restored = np.empty_like(weight)
    restored[list(placed)] = decoded[:, : weight.shape[1]]
    assert np.array_equal(restored, weight)
    assert np.array_equal(b[np.argsort(placed)], bias)
