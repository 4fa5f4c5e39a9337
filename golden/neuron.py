"""The neuron of SPEC section 2, split spikingjelly-style into charge, fire and reset.

Each function is pure and works element-wise on a Python int (returns an int) or on integer
NumPy arrays (returns int64 / uint8 arrays). The three choices where SNN libraries disagree are
fixed here and in the RTL header:

- fire is ``u >= theta`` (not ``>``);
- reset happens in the same timestep as the spike, and the membrane carried to ``t+1`` is the
  value after reset;
- the lif leak acts on the difference ``I - v`` (``v += (I - v) >>> k``), so the input is
  leaked together with the membrane (k = 1 is FireFly's ``(v + I) >>> 1``).

int64 headroom: a membrane is in ``[-2^(V-1), 2^(V-1)-1]`` with V <= 32, and a current is bounded
by ``config.current_bounds`` (``load_config`` refuses a network where ``T * (|I| + 2^(V-1))``
would exceed int64), so ``v + I`` and ``I - v`` are exact in int64 before ``sat_V``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from golden.arith import asr, sat, sat_bounds

NEURON_MODELS = ("if", "lif")
RESET_MODES = ("hard", "soft")


@dataclass(frozen=True)
class NeuronParams:
    """Neuron parameters: ``model`` "if"|"lif", integer ``threshold`` theta >= 1, ``reset``
    "hard"|"soft", and ``leak_shift`` k >= 1 (used by "lif" only)."""

    model: str
    threshold: int
    reset: str
    leak_shift: int = 1

    def __post_init__(self) -> None:
        if self.model not in NEURON_MODELS:
            raise ValueError(f"model: must be one of {NEURON_MODELS}, got {self.model!r}")
        if self.reset not in RESET_MODES:
            raise ValueError(f"reset: must be one of {RESET_MODES}, got {self.reset!r}")
        for name in ("threshold", "leak_shift"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: must be an integer >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))

    @classmethod
    def from_config(cls, neuron: dict[str, Any]) -> NeuronParams:
        """Build from a config's ``neuron`` object; an "if" neuron has no ``leak_shift``."""
        return cls(model=neuron["model"], threshold=neuron["threshold"], reset=neuron["reset"],
                   leak_shift=neuron.get("leak_shift", 1))

    def check_width(self, membrane_bits: int) -> None:
        """Refuse a threshold or leak shift that SPEC 1 does not allow for width V."""
        _, v_max = sat_bounds(membrane_bits)
        if self.threshold > v_max:
            raise ValueError(f"threshold: must be <= 2^(V-1)-1 = {v_max}, got {self.threshold}")
        if self.model == "lif" and self.leak_shift > membrane_bits - 1:
            raise ValueError(f"leak_shift: must be <= V-1 = {membrane_bits - 1}, "
                             f"got {self.leak_shift}")


def _both_scalars(*values) -> bool:
    return all(np.ndim(v) == 0 and not isinstance(v, np.ndarray) for v in values)


def _int64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def charge(v, current, params: NeuronParams, membrane_bits: int):
    """Charge the membrane with this timestep's current.

    if:  ``u = sat_V(v + I)``
    lif: ``u = sat_V(v + ((I - v) >>> k))``, k = leak_shift, ``>>>`` floors.
    Sums and differences are exact before saturation.
    """
    if _both_scalars(v, current):
        v, current = int(v), int(current)
        if params.model == "if":
            return sat(v + current, membrane_bits)
        return sat(v + asr(current - v, params.leak_shift), membrane_bits)
    v, current = _int64(v), _int64(current)
    if params.model == "if":
        return sat(v + current, membrane_bits)
    return sat(v + asr(current - v, params.leak_shift), membrane_bits)


def fire(u, params: NeuronParams):
    """Spike when the charged membrane reaches the threshold: ``s = 1 if u >= theta else 0``.

    Returns an int for a scalar, a uint8 array otherwise.
    """
    if _both_scalars(u):
        return int(int(u) >= params.threshold)
    return (_int64(u) >= params.threshold).astype(np.uint8)


def reset(u, s, params: NeuronParams):
    """Membrane carried to the next timestep.

    hard: ``v = 0 if s else u``;  soft: ``v = u - theta if s else u`` (keeps the excess).
    """
    if _both_scalars(u, s):
        u, s = int(u), int(s)
        if not s:
            return u
        return 0 if params.reset == "hard" else u - params.threshold
    u, fired = _int64(u), np.asarray(s).astype(bool)
    after_spike = np.zeros_like(u) if params.reset == "hard" else u - params.threshold
    return np.where(fired, after_spike, u).astype(np.int64, copy=False)


def step(v, current, params: NeuronParams, membrane_bits: int):
    """One timestep: ``u = charge(v, I)``, ``s = fire(u)``, ``v_next = reset(u, s)``.

    Returns ``(s, v_next)`` in the norse ``step(input, state, params)`` style.
    """
    u = charge(v, current, params, membrane_bits)
    s = fire(u, params)
    return s, reset(u, s, params)


def run_neuron(currents, params: NeuronParams, membrane_bits: int):
    """Run the neuron over a frame: ``v = 0``, then ``(s[t], v) = step(v, I[t])`` for t = 0..T-1.

    ``currents`` is ``[T, ...]`` (time first). Returns ``(spikes [T, ...] uint8,
    membranes [T, ...] int64)`` where ``membranes[t]`` is ``v`` after the reset of timestep t.
    """
    params.check_width(membrane_bits)
    currents = np.asarray(currents)
    if currents.ndim < 1:
        raise ValueError("currents: must have a leading time axis [T, ...]")
    if currents.dtype == np.bool_ or not np.issubdtype(currents.dtype, np.integer):
        raise TypeError(f"currents: must be integers, got dtype {currents.dtype}")
    currents = currents.astype(np.int64, copy=False)
    spikes = np.zeros(currents.shape, dtype=np.uint8)
    membranes = np.zeros(currents.shape, dtype=np.int64)
    v = np.zeros(currents.shape[1:], dtype=np.int64)
    for t in range(currents.shape[0]):
        s, v = step(v, currents[t], params, membrane_bits)
        spikes[t] = s
        membranes[t] = v
    return spikes, membranes
