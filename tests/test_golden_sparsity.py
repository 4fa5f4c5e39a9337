"""Known answers (derived by hand from SPEC section 3) and properties of golden.sparsity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.layers import conv_currents, linear_currents
from golden.sparsity import (
    bitmap_current,
    bitmap_of,
    conv_fanin_inputs,
    conv_receptive_field,
    dense_ops,
    detector_beats,
    effectual_ops,
    effectual_pairs,
    fanin_weights,
    group_count,
    groups,
    layer_currents_via_bitmaps,
    packed_weights,
    weight_bitmaps,
)

# ---------------------------------------------------------------------------------------------
# known answers


def test_fanin_order_is_canonical():
    # w[co][ci][ky][kx] = 1000co + 100ci + 10ky + kx, Ci = 2, K = 3: j = (ci*3 + ky)*3 + kx.
    co, ci, ky, kx = np.meshgrid(np.arange(2), np.arange(2), np.arange(3), np.arange(3),
                                 indexing="ij")
    rows = fanin_weights(1000 * co + 100 * ci + 10 * ky + kx)
    assert rows.shape == (2, 18)
    assert rows[0, :4].tolist() == [0, 1, 2, 10]
    assert rows[0, 13] == 111           # j = 13 = (1*3 + 1)*3 + 1
    assert rows[1, 17] == 1122          # co 1, ci 1, ky 2, kx 2
    assert fanin_weights(np.array([[1, 2], [3, 4]])).tolist() == [[1, 2], [3, 4]]


def test_receptive_field_zero_in_padding():
    frame = np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
    # Top-left corner: row y-1 and column x-1 are padding.
    assert conv_receptive_field(frame, 3, 0, 0).tolist() == [0, 0, 0, 0, 1, 2, 0, 4, 5]
    assert conv_receptive_field(frame, 3, 1, 1).tolist() == list(range(1, 10))
    assert conv_receptive_field(frame, 3, 2, 1).tolist() == [4, 5, 6, 7, 8, 9, 0, 0, 0]
    assert conv_receptive_field(frame, 1, 2, 0).tolist() == [7]


def test_group_helpers():
    assert group_count(9, 4) == 3
    assert group_count(8, 4) == 2
    assert group_count(1, 16) == 1
    assert bitmap_of([0, 3, 0, -1]) == 0b1010
    assert bitmap_of([0, 0]) == 0
    assert [g.tolist() for g in groups([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5, 0]]
    row = [0, 3, 0, -2, 5, 0, 0, 1, 7]
    # Groups of 4: [0,3,0,-2] [5,0,0,1] [7,0,0,0] -> bitmaps 0b1010, 0b1001, 0b0001.
    assert weight_bitmaps(row, 4) == [0b1010, 0b1001, 0b0001]
    assert packed_weights(row, 4) == [[3, -2], [5, 1], [7]]


def test_effectual_pairs_with_prefix_popcount():
    # wbitmap bits {1,2,4,5,7}, sbitmap bits {0,1,4,6,7}: e = bits {1,4,7}.
    # packed index = weight bits below the position: pos 1 -> {} = 0, pos 4 -> {1,2} = 2,
    # pos 7 -> {1,2,4,5} = 4.
    assert effectual_pairs(0b10110110, 0b11010011) == [(1, 0), (4, 2), (7, 4)]
    assert effectual_pairs(0, 0xFF) == []
    assert effectual_pairs(0xFF, 0) == []


def test_detector_beats_known_answers():
    wb, sb = 0b10110110, 0b11010011
    assert detector_beats(wb, sb, 8, 2) == [(((1, 0), (4, 2)), False), (((7, 4),), True)]
    assert detector_beats(wb, sb, 8, 3) == [(((1, 0), (4, 2), (7, 4)), True)]
    assert detector_beats(wb, sb, 8, 1) == [(((1, 0),), False), (((4, 2),), False),
                                            (((7, 4),), True)]
    # No effectual pair: still one (empty, last) beat closes the group.
    assert detector_beats(0b1010, 0b0101, 4, 2) == [((), True)]
    with pytest.raises(ValueError, match="G=4"):
        detector_beats(0b10000, 0b1, 4, 2)


def test_bitmap_current_known_answer():
    # Groups of 4 of w [0,3,0,-2 | 5,0,0,1 | 7] and s [1,1,0,1 | 0,1,1,1 | 1]:
    # effectual positions j = 1, 3, 7, 8 (j = 4 has w=5 but no spike), b = 10:
    # 10 + 3 - 2 + 1 + 7 = 19, the dense dot product.
    row = [0, 3, 0, -2, 5, 0, 0, 1, 7]
    spikes = [1, 1, 0, 1, 0, 1, 1, 1, 1]
    assert bitmap_current(row, spikes, 10, 4) == 19
    assert bitmap_current(row, spikes, 10, 4) == 10 + int(np.dot(row, spikes))


def test_effectual_and_dense_ops_known_answers():
    # linear, T=2: t0 in [1,0,1]: o0 pairs j0, j2; o1 pair j2. t1 in [1,1,0]: o0 pair j0.
    # 2 + 1 + 1 + 0 = 4 effectual ops; dense 2 steps * 2 outputs * 3 fan-in = 12.
    inp = np.array([[1, 0, 1], [1, 1, 0]])
    weight = np.array([[1, 0, 2], [0, 0, 3]])
    assert effectual_ops("linear", inp, weight) == 4
    assert dense_ops("linear", (3,), weight, 2) == 12
    # conv 3x3 frame with one spike in the centre, K=3, one output channel: every output
    # position's receptive field holds the centre once, at tap (2-y, 2-x); with all taps
    # non-zero except the centre tap (hit only by the centre output), 9 - 1 = 8 ops.
    frame = np.zeros((1, 1, 3, 3), dtype=np.int64)
    frame[0, 0, 1, 1] = 1
    kernel = np.ones((1, 1, 3, 3), dtype=np.int64)
    assert effectual_ops("conv", frame, kernel) == 9
    kernel[0, 0, 1, 1] = 0
    assert effectual_ops("conv", frame, kernel) == 8
    assert dense_ops("conv", (1, 3, 3), kernel, 1) == 9 * 9


# ---------------------------------------------------------------------------------------------
# properties


@st.composite
def _layer_cases(draw, max_size=4):
    kind = draw(st.sampled_from(("conv", "linear")))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    steps = draw(st.integers(1, 3))
    sparsity = draw(st.floats(0, 1))
    density = draw(st.floats(0, 1))
    multibit = draw(st.booleans())          # pixels of a dense first layer, or spikes
    group = draw(st.integers(1, 20))
    if kind == "conv":
        in_ch, out_ch = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        height, width = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
        kernel = draw(st.sampled_from((1, 3, 5)))
        in_shape = (in_ch, height, width)
        weight_shape = (out_ch, in_ch, kernel, kernel)
    else:
        n_in, n_out = draw(st.integers(1, 24)), draw(st.integers(1, 4))
        in_shape, weight_shape = (n_in,), (n_out, n_in)
    active = rng.random((steps, *in_shape)) < density
    values = rng.integers(1, 255, active.shape, endpoint=True) if multibit else 1
    inp = np.where(active, values, 0).astype(np.int64)
    weight = rng.integers(-8, 7, weight_shape, endpoint=True)
    weight[rng.random(weight_shape) < sparsity] = 0
    bias = rng.integers(-64, 64, weight_shape[0])
    return kind, inp, weight, bias, group


@settings(max_examples=100)
@given(case=_layer_cases())
def test_bitmap_path_equals_dense_currents(case):
    kind, inp, weight, bias, group = case
    dense = conv_currents(inp, weight, bias) if kind == "conv" else \
        linear_currents(inp, weight, bias)
    assert np.array_equal(layer_currents_via_bitmaps(kind, inp, weight, bias, group), dense)


@settings(max_examples=100)
@given(case=_layer_cases())
def test_effectual_ops_counts_effectual_pairs(case):
    kind, inp, weight, _, group = case
    rows = fanin_weights(weight)
    kernel = weight.shape[-1]
    if kind == "conv":
        fields = [conv_receptive_field(inp[t], kernel, y, x)
                  for t in range(inp.shape[0])
                  for y in range(inp.shape[2]) for x in range(inp.shape[3])]
    else:
        fields = list(inp)
    expected = 0
    for field in fields:
        sbitmaps = [bitmap_of(g) for g in groups(field, group)]
        for row in rows:
            for wb, sb in zip(weight_bitmaps(row, group), sbitmaps):
                expected += len(effectual_pairs(wb, sb))
    assert effectual_ops(kind, inp, weight) == expected
    in_shape = inp.shape[1:]
    dense = dense_ops(kind, in_shape, weight, inp.shape[0])
    assert expected <= dense
    if (inp != 0).all() and (weight != 0).all() and kind == "linear":
        assert expected == dense


@settings(max_examples=100)
@given(steps=st.integers(1, 2), channels=st.integers(1, 3), height=st.integers(1, 5),
       width=st.integers(1, 5), kernel=st.sampled_from((1, 3, 5, 7)),
       seed=st.integers(0, 2**32 - 1))
def test_vectorised_fanin_matches_receptive_fields(steps, channels, height, width, kernel, seed):
    inp = np.random.default_rng(seed).integers(0, 9, (steps, channels, height, width))
    fields = conv_fanin_inputs(inp, kernel)
    assert fields.shape == (steps, height, width, channels * kernel * kernel)
    for t, y, x in np.ndindex(steps, height, width):
        assert np.array_equal(fields[t, y, x], conv_receptive_field(inp[t], kernel, y, x))


@settings(max_examples=300)
@given(group=st.integers(1, 32), lanes=st.integers(1, 8), data=st.data())
def test_detector_beats_properties(group, lanes, data):
    wbitmap = data.draw(st.integers(0, 2**group - 1))
    sbitmap = data.draw(st.integers(0, 2**group - 1))
    pairs = effectual_pairs(wbitmap, sbitmap)
    beats = detector_beats(wbitmap, sbitmap, group, lanes)
    # Flattened, the beats are the effectual pairs in ascending order.
    assert [pair for chunk, _ in beats for pair in chunk] == pairs
    assert [pos for pos, _ in pairs] == sorted(pos for pos, _ in pairs)
    # Up to L pairs per beat; only the final beat is last; ceil(n / L) beats, at least one.
    assert all(len(chunk) <= lanes for chunk, _ in beats)
    assert [last for _, last in beats] == [False] * (len(beats) - 1) + [True]
    assert len(beats) == max(1, -(-len(pairs) // lanes))
    if not pairs:
        assert beats == [((), True)]
    else:
        assert all(chunk for chunk, _ in beats)
        # Full beats except possibly the final one: the detector never idles mid-group.
        assert all(len(chunk) == lanes for chunk, _ in beats[:-1])


@settings(max_examples=200)
@given(row=st.lists(st.integers(-8, 7), min_size=1, max_size=40),
       group=st.integers(1, 16), data=st.data())
def test_packed_index_addresses_the_weight_at_the_position(row, group, data):
    inputs = data.draw(st.lists(st.integers(0, 1), min_size=len(row), max_size=len(row)))
    packed = packed_weights(row, group)
    sbitmaps = [bitmap_of(g) for g in groups(inputs, group)]
    for g, (wb, sb) in enumerate(zip(weight_bitmaps(row, group), sbitmaps)):
        assert len(packed[g]) == wb.bit_count()
        for pos, idx in effectual_pairs(wb, sb):
            assert packed[g][idx] == row[g * group + pos] != 0
            assert inputs[g * group + pos] == 1
