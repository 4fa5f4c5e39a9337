"""Integer primitives of the numeric contract (SPEC, preamble).

Every value the accelerator computes is an integer; the only two non-trivial operations are
saturation to a signed width and the arithmetic (flooring) shift right. Both accept a Python
``int`` (returned as an exact Python ``int``, so no intermediate can wrap) or a NumPy array
(returned as ``int64``).
"""

from __future__ import annotations

import numbers

import numpy as np

#: Largest shift the array path accepts: NumPy's shift by >= the word width is undefined.
MAX_ARRAY_SHIFT = 63


def sat_bounds(bits: int) -> tuple[int, int]:
    """Range of a signed two's-complement integer of ``bits`` bits.

    Equation: ``(lo, hi) = (-2^(bits-1), 2^(bits-1) - 1)``.
    """
    if isinstance(bits, bool) or not isinstance(bits, numbers.Integral) or bits < 1:
        raise ValueError(f"bits: must be an integer >= 1, got {bits!r}")
    half = 1 << (int(bits) - 1)
    return -half, half - 1


def _is_scalar_int(x) -> bool:
    # A NumPy integer scalar is treated like a Python int so the result is exact and hashable.
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def sat(x, bits: int):
    """Saturate (clamp) to a signed width: ``sat_V(x) = min(max(x, -2^(V-1)), 2^(V-1) - 1)``.

    A Python/NumPy integer scalar gives a Python ``int`` (exact, even beyond 64 bits); anything
    else is converted to an ``int64`` array and an ``int64`` array is returned.
    """
    lo, hi = sat_bounds(bits)
    if _is_scalar_int(x):
        return min(max(int(x), lo), hi)
    arr = _as_int64(x, "x")
    return np.clip(arr, lo, hi).astype(np.int64, copy=False)


def asr(x, k: int):
    """Arithmetic shift right: ``x >>> k = floor(x / 2^k)`` (rounds toward minus infinity).

    So ``-3 >>> 1 == -2`` and ``-1 >>> k == -1`` for every k, never truncation toward zero.
    Scalars give a Python ``int``; arrays give ``int64`` (NumPy's ``>>`` on a signed type is the
    arithmetic shift).
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
        raise ValueError(f"k: must be an integer >= 0, got {k!r}")
    if _is_scalar_int(x):
        return int(x) >> int(k)
    if k > MAX_ARRAY_SHIFT:
        raise ValueError(f"k: at most {MAX_ARRAY_SHIFT} for int64 arrays, got {k}")
    arr = _as_int64(x, "x")
    return np.right_shift(arr, np.int64(k))


def _as_int64(x, name: str) -> np.ndarray:
    """Convert to an int64 array, refusing floats and bools (they would hide a contract bug)."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: must be an integer array, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise OverflowError(f"{name}: uint64 value does not fit int64")
    return arr.astype(np.int64, copy=False)
