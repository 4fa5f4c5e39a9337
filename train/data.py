"""Data: the UCI handwritten digits bundled with scikit-learn, and their 28x28 resampling.

Nothing is downloaded. ``load_digits`` ships 1,797 8x8 images with 17 grey levels (0..16), so a
pixel fits the 5-bit unsigned ``pixels`` input of SPEC 1. The split is fixed by ``split_seed``
(stratified, 20 % test), independent of the training seed, so every model and study point is
scored on the same test images.

``digits28`` resamples each 8x8 image bilinearly to 28x28 (MNIST size, torch
``interpolate(mode="bilinear", align_corners=False)`` in float64) and maps 0..16 to 8-bit
integers: ``round(v * 255 / 16)``. Both go through ``golden.inputs.digit_pixels``, the one
preprocessing the vector bundles and the network testbench use too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

from golden.inputs import digit_images, digit_pixels

SPLIT_SEED = 0
TEST_FRACTION = 0.2
DATASETS = ("digits", "digits28")


@dataclass(frozen=True)
class Split:
    """Integer images ``[N, 1, H, W]`` (int64) and labels ``[N]`` (int64) of one data set."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    bits: int          # SPEC input.bits A: pixels are in [0, 2^A - 1]
    max_value: int     # the largest pixel value the data can take (16 or 255)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])


def resample28(images: np.ndarray) -> np.ndarray:
    """``[N, 1, 8, 8]`` digits (0..16) -> ``[N, 1, 28, 28]`` int64 in 0..255 (bilinear)."""
    return digit_pixels(images, (1, 28, 28), 8)


def load(name: str = "digits", split_seed: int = SPLIT_SEED) -> Split:
    """The fixed train/test split of ``name`` ("digits" 8x8, 5 bits; "digits28" 28x28, 8 bits)."""
    if name not in DATASETS:
        raise ValueError(f"dataset: must be one of {DATASETS}, got {name!r}")
    images, labels = digit_images()
    images = images[:, None]                                   # [N, 1, 8, 8], 0..16
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, test_size=TEST_FRACTION,
                                              random_state=split_seed, stratify=labels)
    if name == "digits":
        return Split(name, x_tr, y_tr, x_te, y_te, bits=5, max_value=16)
    return Split(name, resample28(x_tr), y_tr, resample28(x_te), y_te, bits=8, max_value=255)


def random_shift(x: torch.Tensor, generator: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Training augmentation: translate each image by an integer (dy, dx) in
    ``[-max_shift, max_shift]``, filling with 0, so pixels stay integers in range."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    pad = F.pad(x, (max_shift,) * 4)
    shifts = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    out = torch.empty_like(x)
    for dy in range(2 * max_shift + 1):
        for dx in range(2 * max_shift + 1):
            sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            if sel.any():
                out[sel] = pad[sel, :, dy:dy + h, dx:dx + w]
    return out
