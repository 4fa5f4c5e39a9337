"""Does a bundle exercise its network? Spike rates, distinct readouts and the calibration of
random weights (docs/vectors.md, "Power").

A bundle whose layer never spikes, or whose samples all give the same readout, replays PASS on
RTL with a planted bug in that layer's neuron: it tests nothing. So ``make vectors`` reports

- per layer with spikes, the **spike rate**: the fraction of its neuron-timesteps
  (sample x timestep x channel x pixel) that spike, from golden.npz's ``L{i}.out`` /
  ``L{i}.spikes``;
- the number of **distinct readouts** among the N samples,

and calls a bundle *degenerate* when a layer with spikes (a neuron or a maxpool) spikes outside
[``MIN_RATE``, ``MAX_RATE``] or when N >= 2 samples give fewer than 2 distinct readouts.

Random weights are calibrated so the bundle is not degenerate: layer by layer, on the bundle's
own samples, every neuron layer gets new biases, per output channel the smallest bias (bisection
over the V-bit range) at which that channel spikes in at least ``TARGET_RATE`` of its
neuron-timesteps (a layer's mean rate in range is not enough: a random linear layer whose
neurons are each stuck on or off for every input passes 50 % and tests nothing), or, before a
maxpool of
kernel k, in at least ``1 - (1 - TARGET_RATE_POOLED)^(1/k^2)`` (>= ``MIN_TARGET_RATE``), so the
pool's OR does not saturate; the weights keep their draw (the sparsity asked for).
If the result is still degenerate, all weights are redrawn from ``default_rng([seed, attempt])``
and calibrated again, up to ``ATTEMPTS`` draws. Thresholds stay those of the config (they are
the network's definition, not a free parameter of the bundle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.arith import sat_bounds
from golden.network import _run_validated, random_weights, run_batch
from golden.neuron import NeuronParams, run_neuron

MIN_RATE = 0.02
MAX_RATE = 0.60
TARGET_RATE = 0.15
TARGET_RATE_POOLED = 0.3
MIN_TARGET_RATE = 0.03
ATTEMPTS = 8


@dataclass
class Power:
    """Per layer ``rates[i]`` (None: no spikes, an accumulate readout layer), the number of
    distinct readouts among ``samples`` samples, and what makes it degenerate (empty: fine)."""

    rates: list[float | None]
    kinds: list[str]
    distinct_readouts: int
    samples: int
    problems: list[str]

    def to_json(self) -> dict:
        return {"spike_rate": {f"L{i}": (None if r is None else round(r, 6))
                               for i, r in enumerate(self.rates)},
                "distinct_readouts": self.distinct_readouts, "samples": self.samples,
                "rate_range": [MIN_RATE, MAX_RATE], "degenerate": self.problems}


def measure(cfg: dict, golden: dict[str, np.ndarray]) -> Power:
    """Spike rates and distinct readouts of a bundle's golden arrays (``run_batch``)."""
    layers = cfg["layers"]
    last = len(layers) - 1
    rates: list[float | None] = []
    problems: list[str] = []
    for i, layer in enumerate(layers):
        key = f"L{i}.spikes" if i == last else f"L{i}.out"
        if i == last and "neuron" not in layer:
            rates.append(None)
            continue
        rate = float(np.mean(golden[key]))
        rates.append(rate)
        if not MIN_RATE <= rate <= MAX_RATE:
            problems.append(f"layer L{i} ({layer['kind']}) spikes in {100 * rate:.1f} % of its "
                            f"neuron-timesteps (need {100 * MIN_RATE:g}-{100 * MAX_RATE:g} %)")
    readouts = golden[f"L{last}.out"]
    samples = len(readouts)
    distinct = len({r.tobytes() for r in readouts})
    if samples >= 2 and distinct < 2:
        problems.append(f"all {samples} readouts are identical")
    return Power(rates, [layer["kind"] for layer in layers], distinct, samples, problems)


def _layer_currents(cfg: dict, weights: dict, samples, index: int) -> np.ndarray:
    """Layer ``index``'s synaptic currents without bias, all samples: ``[T, N, ...]``."""
    zero_bias = dict(weights)
    zero_bias[f"L{index}.bias"] = np.zeros_like(weights[f"L{index}.bias"])
    currents = [_run_validated(cfg, zero_bias, x).layers[index].current for x in samples]
    return np.stack(currents, axis=1)


def _target_rate(cfg: dict, index: int) -> float:
    """Per-channel spike rate to calibrate layer ``index`` to (module docstring)."""
    layers = cfg["layers"]
    if index + 1 < len(layers) and layers[index + 1]["kind"] == "maxpool":
        window = layers[index + 1]["kernel"] ** 2
        return max(MIN_TARGET_RATE, 1.0 - (1.0 - TARGET_RATE_POOLED) ** (1.0 / window))
    return TARGET_RATE


def _calibrate_biases(cfg: dict, weights: dict, samples, index: int) -> np.ndarray:
    """Per output channel, the smallest bias in the V-bit range at which the channel spikes in at
    least ``_target_rate`` of its neuron-timesteps (spike counts grow with the bias)."""
    target = _target_rate(cfg, index)
    params = NeuronParams.from_config(cfg["layers"][index]["neuron"])
    bits = cfg["membrane_bits"]
    base = _layer_currents(cfg, weights, samples, index)          # [T, N, C, ...]
    channels = base.shape[2]
    shape = (1, 1, channels) + (1,) * (base.ndim - 3)
    lo_bound, hi_bound = sat_bounds(bits)
    lo = np.full(channels, lo_bound, dtype=np.int64)
    hi = np.full(channels, hi_bound, dtype=np.int64)

    def channel_rates(bias: np.ndarray) -> np.ndarray:
        spikes, _ = run_neuron(base + bias.reshape(shape), params, bits)
        return spikes.swapaxes(0, 2).reshape(channels, -1).mean(axis=1)

    while np.any(lo < hi):                  # invariant: the answer is in [lo, hi]
        mid = (lo + hi) // 2
        enough = channel_rates(mid) >= target
        hi = np.where(enough, mid, hi)
        lo = np.where(enough, lo, mid + 1)
    return lo


def calibrate(cfg: dict, weights: dict, samples) -> tuple[dict, list[str]]:
    """``weights`` with the biases of every neuron layer recalibrated, layer by layer in network
    order (a layer's rate depends on the layers before it), and the names of those layers."""
    weights = dict(weights)
    changed = []
    for index, layer in enumerate(cfg["layers"]):
        if "neuron" not in layer:
            continue
        weights[f"L{index}.bias"] = _calibrate_biases(cfg, weights, samples, index)
        changed.append(f"L{index}")
    return weights, changed


def calibrated_random_weights(cfg: dict, weights: dict, samples, seed: int, sparsity: float
                              ) -> tuple[dict, dict, Power, dict]:
    """Calibrates the drawn ``weights`` on ``samples``; redraws from ``default_rng([seed,
    attempt])`` while the bundle stays degenerate. Returns (weights, golden arrays, power, what
    was done): the first draw that is not degenerate, else the last one."""
    for attempt in range(ATTEMPTS):
        if attempt:
            weights = random_weights(cfg, np.random.default_rng([seed, attempt]), sparsity)
        weights, changed = calibrate(cfg, weights, samples)
        golden = run_batch(cfg, weights, samples)
        power = measure(cfg, golden)
        if not power.problems:
            break
    return weights, golden, power, {"draws": attempt + 1, "recalibrated_biases": changed,
                                    "target_rate": {f"L{i}": round(_target_rate(cfg, i), 4)
                                                    for i in map(lambda n: int(n[1:]), changed)}}


def power_lines(record: dict) -> list[str]:
    """The report ``make vectors`` prints, from the manifest's ``power`` record."""
    lines = [f"{layer} spike rate " + ("-" if rate is None else f"{100 * rate:.1f} %")
             for layer, rate in record["spike_rate"].items()]
    lines.append(f"{record['distinct_readouts']} distinct readouts of {record['samples']} samples")
    if "calibration" in record:
        done = record["calibration"]
        lines.append(f"random weights: draw {done['draws']}, biases recalibrated in "
                     f"{', '.join(done['recalibrated_biases']) or 'no layer'}")
    return lines


class DegenerateError(ValueError):
    """Random weights that stay degenerate after every calibrated draw (one line)."""


def ensure_power(cfg: dict, weights: dict, golden: dict, *, random_seed: int | None,
                 sparsity: float, allow_degenerate: bool
                 ) -> tuple[dict, dict, dict, list[str]]:
    """The bundle's weights and golden arrays after calibration (random weights only: pass their
    ``random_seed``; trained weights are never changed), the manifest's ``power`` record and the
    warnings to print. Raises DegenerateError for degenerate random weights unless
    ``allow_degenerate``; a degenerate trained bundle only warns."""
    record: dict = {}
    if random_seed is not None:
        weights, golden, power, record["calibration"] = calibrated_random_weights(
            cfg, weights, golden["input"], random_seed, sparsity)
    else:
        power = measure(cfg, golden)
    record = {**power.to_json(), **record}
    warnings = []
    if power.problems:
        what = "; ".join(power.problems)
        if random_seed is not None and not allow_degenerate:
            raise DegenerateError(f"{what} (random weights, {ATTEMPTS} calibrated draws); "
                                  "--allow-degenerate keeps such a bundle")
        warnings.append(f"degenerate bundle, it may miss faults: {what}")
    return weights, golden, record, warnings


# --------------------------------------------------------------------------- choosing samples

#: Digits drawn per sample wanted, among which ``choose_digits`` keeps the best (at most
#: MAX_CANDIDATES in all).
CANDIDATES_PER_SAMPLE = 8
MAX_CANDIDATES = 32


def coverage_features(cfg: dict, weights: dict, x) -> set[tuple]:
    """Corners one sample exercises, from the golden model: pixels on the input's borders and in
    its last pixel (a pixel input); per spike-input conv layer the input
    borders that carry a spike (padding logic), per neuron layer a membrane exactly at the
    threshold (the ``>=``) and a last timestep that differs from the one before, per maxpool a
    window decided by its last row, per linear layer an input that changes at the last step;
    and the sample's readout (distinct readouts)."""
    from golden.layers import maxpool_spikes  # noqa: PLC0415
    from golden.neuron import charge  # noqa: PLC0415

    ctx = _run_validated(cfg, weights, x)
    bits = cfg["membrane_bits"]
    found: set[tuple] = {("readout", ctx.readout.tobytes())}
    if cfg["input"]["kind"] == "pixels":
        # Ink on the frame's borders and in its last pixel: the dense cores' padding and the
        # frame gather's last word (a bug there is invisible while those pixels are all 0).
        pixels = np.asarray(x)                                       # [C, H, W]
        for side, edge in (("top", pixels[:, 0]), ("bottom", pixels[:, -1]),
                           ("left", pixels[:, :, 0]), ("right", pixels[:, :, -1]),
                           ("last pixel", pixels[:, -1, -1])):
            if edge.any():
                found.add(("input", side))
    for i, (layer, result) in enumerate(zip(cfg["layers"], ctx.layers)):
        spike_input = i > 0 or cfg["input"]["kind"] == "spikes"
        if layer["kind"] == "conv" and spike_input:
            inp = result.inp
            for side, edge in (("top", inp[:, :, 0]), ("bottom", inp[:, :, -1]),
                               ("left", inp[:, :, :, 0]), ("right", inp[:, :, :, -1])):
                if edge.any():
                    found.add((i, side))
        if layer["kind"] == "maxpool":
            k = layer["kernel"]
            without_last_row = result.inp.copy()
            without_last_row[:, :, k - 1::k] = 0
            if not np.array_equal(maxpool_spikes(without_last_row, k), result.spikes):
                found.add((i, "last_row"))
        if layer["kind"] == "linear" and len(result.inp) > 1 and \
                not np.array_equal(result.inp[-1], result.inp[-2]):
            found.add((i, "last_input"))
        if "neuron" in layer:
            params = NeuronParams.from_config(layer["neuron"])
            v = np.zeros(result.current.shape[1:], dtype=np.int64)
            for t in range(len(result.current)):
                if np.any(charge(v, result.current[t], params, bits) == params.threshold):
                    found.add((i, "threshold"))
                    break
                v = result.membranes[t]
            if len(result.spikes) > 1 and not np.array_equal(result.spikes[-1], result.spikes[-2]):
                found.add((i, "last_step"))
    return found


def choose_digits(cfg: dict, weights: dict, count: int, rng: np.random.Generator
                  ) -> np.ndarray:
    """``count`` digits for a pixel-input bundle: ``CANDIDATES_PER_SAMPLE`` times as many are
    drawn with ``rng`` (golden.inputs, training's preprocessing) and the samples kept greedily,
    each covering the most ``coverage_features`` not yet covered (ties: draw order). A digit's
    ink rarely reaches the frame's border, so a random pick can leave a conv core's border logic
    untested (models/digits28: its second conv never saw a spike in its right column)."""
    from golden.inputs import digits_inputs  # noqa: PLC0415

    drawn = digits_inputs(cfg, min(MAX_CANDIDATES, max(count, CANDIDATES_PER_SAMPLE * count)),
                          rng)
    features = [coverage_features(cfg, weights, x) for x in drawn]
    covered: set[tuple] = set()
    kept: list[int] = []
    while len(kept) < min(count, len(drawn)):
        best = max((i for i in range(len(drawn)) if i not in kept),
                   key=lambda i: (len(features[i] - covered), -i))
        kept.append(best)
        covered |= features[best]
    picks = [drawn[i] for i in kept]
    while len(picks) < count:   # more samples than candidates: repeat in order
        picks.append(drawn[len(picks) % len(drawn)])
    return np.stack(picks)
