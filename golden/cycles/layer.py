"""What the closed-form model of a layer core gives for a layer fed alone (golden.cycles.network,
the figures of ``make sim``, ``make knobs``); each core's module in this package builds it
(``layer_model``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerModel:
    """One layer fed alone with free-running streams, the network's samples back to back."""

    index: int
    module: str
    #: Per frame: first input beat accepted to last output beat sent, both counted.
    frame_cycles: tuple[int, ...]
    #: First input beat of frame 0 to the last output beat of the last frame, both counted,
    #: or a lower bound of it where the core model gives no absolute edges (linear).
    span: int
    #: Steady-state cycles per frame (mean distance of consecutive frames' last outputs; for
    #: the linear core, its detector-busy cycles or its input beats, whichever is larger).
    steady: float
    #: The layer's input per frame (golden model), for the figures.
    inputs: tuple
    #: Per frame: the edge sending its last output beat, where the closed form gives absolute
    #: edges (else empty).
    last_outputs: tuple[int, ...] = ()


def steady(last_outputs, fallback: float) -> float:
    """Mean distance between consecutive frames' last outputs (one frame: ``fallback``)."""
    return float(np.mean(np.diff(last_outputs))) if len(last_outputs) > 1 else float(fallback)
