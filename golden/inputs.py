"""Every input the project feeds a network, drawn in one place (docs/vectors.md, "Inputs").

Training (train/data.py), the vector bundles (vectors/bundle.py) and the network testbench
(tb/network) all call these functions, so a trained model is always shown the images it was
trained on:

- ``digit_images``: the UCI handwritten digits bundled with scikit-learn (8x8, 17 grey levels
  0..16, 1,797 images), nothing downloaded;
- ``digit_pixels``: the one preprocessing of those images for a ``pixels`` input of shape
  ``[C, H, W]`` and A bits: bilinear resampling (torch ``interpolate(mode="bilinear",
  align_corners=False)`` in float64; none at 8x8), then the grey levels mapped to A bits, then
  the image repeated on every channel;
- ``digits_inputs``: N of those images picked with a NumPy generator;
- ``spike_inputs``, ``event_inputs``, ``random_pixels``: Bernoulli spikes, event-camera-like
  moving bars, uniform pixels;
- ``density_conv_layer``: a conv layer's weights, biases and spike frames at a given weight
  sparsity and spike density (the core benches' sparse cases, docs/sparse_conv_core.md).

Grey levels: 5-bit input keeps the native 0..16 (the ``digits`` data set, models/digits);
any other width maps a level v to ``round(v * (2^A - 1) / 16)`` (half to even), clipped to the
range, so 8 bits gives 0..255 (the ``digits28`` data set, models/digits28).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from golden.arith import sat_bounds

DIGIT_SIZE = 8
DIGIT_LEVELS = 16           # grey levels 0..16
NATIVE_BITS = 5             # 0..16 fits 5 bits as it is


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # noqa: PLC0415 - only for pixel input

    bunch = load_digits()
    images = bunch.images.astype(np.int64)
    assert images.min() >= 0 and images.max() <= DIGIT_LEVELS
    images.setflags(write=False)
    labels = bunch.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def digit_images() -> tuple[np.ndarray, np.ndarray]:
    """``(images [1797, 8, 8] int64 in 0..16, labels [1797] int64)``, read-only."""
    return _digits()


def digit_pixels(images: np.ndarray, shape, bits: int) -> np.ndarray:
    """Digits ``[N, 8, 8]`` or ``[N, 1, 8, 8]`` (0..16) as network input ``[N, C, H, W]`` int64
    for a ``pixels`` input of ``shape = (C, H, W)`` and ``bits`` A (module docstring)."""
    channels, height, width = (int(d) for d in shape)
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"digit_pixels: images must be [N, 8, 8] or [N, 1, 8, 8], got {x.shape}")
    top = (1 << int(bits)) - 1
    if (height, width) == x.shape[2:] and int(bits) == NATIVE_BITS:
        out = x.astype(np.int64)
    else:
        import torch  # noqa: PLC0415 - the resampler training uses
        import torch.nn.functional as F  # noqa: PLC0415

        up = torch.from_numpy(x.astype(np.float64))
        if (height, width) != x.shape[2:]:
            up = F.interpolate(up, size=(height, width), mode="bilinear", align_corners=False)
        scale = 1.0 if int(bits) == NATIVE_BITS else top / float(DIGIT_LEVELS)
        out = torch.round(up * scale).clamp(0, top).to(torch.int64).numpy()
    return np.repeat(out, channels, axis=1)


def digits_inputs(cfg: dict, count: int, rng: np.random.Generator,
                  pool: np.ndarray | None = None) -> np.ndarray:
    """``count`` digits picked with ``rng`` (from ``pool``, indices into ``digit_images``;
    default all of them) and preprocessed for ``cfg``'s pixel input: ``[N, C, H, W]`` int64."""
    images, _ = digit_images()
    pool = np.arange(len(images)) if pool is None else np.asarray(pool)
    pick = pool[rng.choice(len(pool), size=count, replace=count > len(pool))]
    return digit_pixels(images[pick], cfg["input"]["shape"], cfg["input"]["bits"])


def spike_inputs(cfg: dict, count: int, rng: np.random.Generator, density: float) -> np.ndarray:
    """Bernoulli(``density``) spikes ``[N, T, C, H, W]`` uint8."""
    shape = (count, cfg["timesteps"], *cfg["input"]["shape"])
    return (rng.random(shape) < density).astype(np.uint8)


def random_pixels(cfg: dict, count: int, rng: np.random.Generator) -> np.ndarray:
    """Pixels uniform over ``[0, 2^A - 1]``, ``[N, C, H, W]`` int64."""
    top = (1 << cfg["input"]["bits"]) - 1
    return rng.integers(0, top + 1, size=(count, *cfg["input"]["shape"]))


def event_inputs(cfg: dict, count: int, rng: np.random.Generator) -> np.ndarray:
    """Event-camera-like spike frames ``[N, T, C, H, W]`` int64: a bar of ON events (channel 0)
    moving one column per timestep with a trailing OFF edge (channel 1), plus 3 % noise."""
    shape = tuple(cfg["input"]["shape"])
    steps = cfg["timesteps"]
    frames = np.zeros((count, steps, *shape), dtype=np.int64)
    for n in range(count):
        column, speed = rng.integers(0, shape[2]), rng.choice([-1, 1])
        for t in range(steps):
            x = (column + speed * t) % shape[2]
            frames[n, t, 0, :, x] = rng.random(shape[1]) < 0.8
            if shape[0] > 1:
                frames[n, t, 1, :, (x - speed) % shape[2]] = rng.random(shape[1]) < 0.5
        frames[n] |= (rng.random((steps, *shape)) < 0.03).astype(np.int64)
    return frames


def density_conv_layer(shape: dict, sparsity: float, density: float, seed: int,
                       frames: int = 2) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Weights ``[Co, Ci, K, K]`` (non-zero values uniform over the ``WeightBits`` range, each
    zeroed with probability ``sparsity``), biases ``[Co]`` (within +-2^B, clipped to the
    ``MembraneBits`` range) and ``frames`` spike frames ``[T, Ci, H, W]`` (each spike with
    probability ``density``), all from one NumPy generator seeded ``seed``. ``shape`` holds the
    conv core's HDL parameters (InChannels, OutChannels, Kernel, Timesteps, Height, Width,
    WeightBits, MembraneBits)."""
    rng = np.random.default_rng(seed)
    co, ci, k = shape["OutChannels"], shape["InChannels"], shape["Kernel"]
    bits = shape["WeightBits"]
    lo, hi = sat_bounds(bits)
    values = rng.integers(lo, hi, size=(co, ci, k, k), endpoint=True)
    values = np.where(values == 0, hi, values)
    weight = np.where(rng.random(values.shape) >= sparsity, values, 0).astype(np.int64)
    bias = rng.integers(-(1 << bits), 1 << bits, size=co, endpoint=True)
    bias = np.clip(bias, *sat_bounds(shape["MembraneBits"])).astype(np.int64)
    spikes = tuple((rng.random((shape["Timesteps"], ci, shape["Height"], shape["Width"]))
                    < density).astype(np.uint8) for _ in range(frames))
    return weight, bias, spikes
