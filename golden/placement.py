"""Output channels placed on the banks of a core so that the banks share the non-zero weights
evenly (docs/network.md, "Channel placement").

A core with P banks holds its Co output channels in slots ``s = r * P + p`` (bank ``p``, row
``r``; golden.memory_images). Placement in order puts logical channel ``s`` in slot ``s``. The
banks of the sparse cores walk their rows independently and meet at the neuron stage of each
output pixel, and those of the dense input core (and so the dense linear core) walk theirs
independently within a pixel and meet at the next window, so a pixel costs about as much as its
busiest bank, and a bank's work grows with the non-zero weights of its rows. A *channel map*
places logical channel ``channel_map[s]`` in slot ``s`` instead: the generator writes the core's
memories with the placed weights and biases (:func:`placed_layer`) and restores the logical order
on the core's output bus in the top, a wiring permutation that costs no logic. The numbers the
network computes do not change.
"""

from __future__ import annotations

import numpy as np

def bank_loads(weight: np.ndarray, parallel: int, channel_map=None) -> list[int]:
    """Non-zero weights per bank when ``channel_map`` (None: in order) places the channels."""
    nonzero = np.count_nonzero(np.asarray(weight).reshape(len(weight), -1), axis=1)
    order = range(len(weight)) if channel_map is None else channel_map
    loads = [0] * parallel
    for slot, channel in enumerate(order):
        loads[slot % parallel] += int(nonzero[channel])
    return loads


def balanced_channel_map(weight: np.ndarray, parallel: int) -> tuple[int, ...]:
    """The slot of every channel, balancing non-zero weights over the banks: longest first onto
    the least loaded bank with a free row (ties: the lower channel, the lower bank). Each bank
    keeps the number of rows it has in order, so the empty slots of a partial last row stay
    where the core expects them. The in-order map is returned when balancing does not lower
    the busiest bank's load."""
    channels = len(weight)
    identity = tuple(range(channels))
    if parallel <= 1 or channels <= 1:
        return identity
    nonzero = np.count_nonzero(np.asarray(weight).reshape(channels, -1), axis=1)
    free = [len(range(p, channels, parallel)) for p in range(parallel)]
    loads = [0] * parallel
    per_bank: list[list[int]] = [[] for _ in range(parallel)]
    for channel in sorted(range(channels), key=lambda c: (-int(nonzero[c]), c)):
        bank = min((p for p in range(parallel) if free[p]), key=lambda p: (loads[p], p))
        per_bank[bank].append(channel)
        loads[bank] += int(nonzero[channel])
        free[bank] -= 1
    placed = tuple(per_bank[s % parallel][s // parallel] for s in range(channels))
    if max(bank_loads(weight, parallel, placed)) >= max(bank_loads(weight, parallel)):
        return identity
    return placed


def placed_layer(weights: dict, index: int, channel_map) -> tuple[np.ndarray, np.ndarray]:
    """Layer ``index``'s weights and biases in slot order (``channel_map`` empty: in order)."""
    weight, bias = weights[f"L{index}.weight"], weights[f"L{index}.bias"]
    if not channel_map:
        return weight, bias
    order = np.asarray(channel_map, dtype=np.int64)
    return weight[order], bias[order]
