"""Memory images (docs/cores.md section 2): round trips, the write-port list, $readmemh text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.memory_images import (
    SEL_BIAS,
    SEL_BITMAP,
    SEL_NEURON,
    SEL_WEIGHT,
    ImageError,
    LayerImages,
    config_writes,
    decode_images,
    format_readmemh,
    layer_images,
    neuron_from_words,
    parse_readmemh,
    read_layer_images,
    write_layer_images,
)
from golden.neuron import NeuronParams


@st.composite
def sparse_layers(draw):
    """A conv or linear weight tensor with a drawn sparsity, plus its hardware knobs."""
    bits = draw(st.integers(2, 8))
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if draw(st.booleans()):
        shape = (draw(st.integers(1, 5)), draw(st.integers(1, 4)),
                 *(2 * [draw(st.sampled_from([1, 3, 5]))]))
    else:
        shape = (draw(st.integers(1, 6)), draw(st.integers(1, 40)))
    sparsity = draw(st.floats(0, 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weight = rng.integers(lo, hi + 1, size=shape)
    weight[rng.random(shape) < sparsity] = 0
    bias = rng.integers(-100, 100, size=shape[0])
    return weight, bias, bits, draw(st.integers(1, 30)), draw(st.integers(1, 7))


@settings(max_examples=150, deadline=None)
@given(layer=sparse_layers())
def test_images_decode_back_to_the_dense_weights(layer):
    weight, bias, _, group, parallel = layer
    images = layer_images(weight, bias, NeuronParams("lif", 5, "soft", 2), group, parallel)
    dense, decoded_bias = decode_images(images)
    assert np.array_equal(dense, weight.reshape(weight.shape[0], -1))
    assert np.array_equal(decoded_bias, bias)
    assert sum(len(w) for w in images.weight) == int(np.count_nonzero(weight))


@settings(max_examples=60, deadline=None)
@given(layer=sparse_layers())
def test_readmemh_files_round_trip(layer, tmp_path_factory):
    weight, bias, bits, group, parallel = layer
    folder = tmp_path_factory.mktemp("images")
    images = layer_images(weight, bias, NeuronParams("if", 3, "hard", 1), group, parallel)
    write_layer_images(images, folder, "L0", weight_bits=bits, membrane_bits=16)
    again = read_layer_images(folder, "L0", group, parallel, images.fan_in,
                              images.out_channels, bits, 16, has_neuron=True)
    assert again == images


def test_bank_layout_by_hand():
    # Co = 3 channels, P = 2 banks: bank 0 holds co 0 and 2 (rows 0, 1), bank 1 holds co 1
    # (row 0) and an absent channel (row 1, all-zero bitmaps). F = 5, G = 4: NG = 2 groups.
    weight = np.array([[1, 0, -2, 0, 3],
                       [0, 0, 0, 0, 0],
                       [0, -1, 0, 0, 7]])
    images = layer_images(weight, [10, -20, 30], NeuronParams("lif", 9, "soft", 3), 4, 2)
    assert images.bitmap[0] == (0b0101, 0b1, 0b0010, 0b1)
    assert images.weight[0] == (1, -2, 3, -1, 7)
    assert images.bitmap[1] == (0, 0, 0, 0)
    assert images.weight[1] == ()
    assert images.neuron == (9, 3, 0b11)
    assert neuron_from_words(images.neuron) == NeuronParams("lif", 9, "soft", 3)
    writes = config_writes(images)
    assert (SEL_WEIGHT, 0, 1, 0xFFFF_FFFE) in writes  # -2 in the 32-bit port
    assert (SEL_BIAS, 0, 1, (-20) & 0xFFFF_FFFF) in writes
    assert [w for w in writes if w[0] == SEL_NEURON] == [(SEL_NEURON, 0, 0, 9),
                                                        (SEL_NEURON, 0, 1, 3),
                                                        (SEL_NEURON, 0, 2, 3)]
    assert sum(1 for w in writes if w[0] == SEL_BITMAP) == 8


def test_readmemh_text_is_twos_complement_hex():
    assert format_readmemh([-1, 0, 5, -8], 4) == "f\n0\n5\n8\n"
    assert parse_readmemh("f\n// comment\n\n0\n5\n8\n", 4, signed=True) == [-1, 0, 5, -8]
    assert format_readmemh([1 << 9], 10) == "200\n"


@pytest.mark.parametrize(("text", "message"), [
    ("zz\n", "not a hex word"),
    ("1f\n", "does not fit 4 bits"),
])
def test_malformed_readmemh_is_refused_with_its_line(text, message):
    with pytest.raises(ImageError, match=f"image:1: .*{message}"):
        parse_readmemh(text, 4, signed=False)


def test_truncated_weight_image_is_refused():
    images = layer_images(np.array([[1, 2, 3]]), [0], None, 4, 1)
    truncated = LayerImages(**{**images.__dict__, "weight": ((1, 2),)})
    with pytest.raises(ImageError, match="weight bank 0: truncated"):
        decode_images(truncated)
    extra = LayerImages(**{**images.__dict__, "weight": ((1, 2, 3, 4),)})
    with pytest.raises(ImageError, match="1 words beyond"):
        decode_images(extra)


def test_missing_image_file_is_named(tmp_path):
    with pytest.raises(ImageError, match="L3.bitmap.b0.mem: missing"):
        read_layer_images(tmp_path, "L3", 4, 1, 3, 1, 4, 8, has_neuron=False)
