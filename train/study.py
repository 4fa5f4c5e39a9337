"""The bit-width x weight-sparsity study (``make report-sparsity``) and the measurements it shares
with ``python -m train fit``.

For every weight precision (float, 8, 4, 2 bits) and Grad R target (0, 50, 85, 95 %) one model
is trained from the same seed with the same (shortened) schedule and measured on the whole test
split:

- test accuracy (the integer forward for quantized models, which ``train.export`` proves equal
  to the golden model);
- measured weight sparsity: zero weights / all weights of the conv and linear layers (for a
  quantized model, the zeros of the integer weights: rounding adds to Grad R's pruning);
- spike density of every layer with a neuron: spikes / (neurons x T), averaged over frames;
- effectual ops per frame (SPEC 3: pairs of a non-zero weight and a non-zero input, over all
  output neurons, positions and timesteps; a pixel is an input that is non-zero when the pixel
  is) relative to dense ops (``golden.sparsity.dense_ops``), per layer and in total.

Outputs: ``table.md``, ``results.json`` and PNG plots in the report folder.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from train.data import Split, load
from train.fit import FitConfig, fit
from train.snn import SNN

BITS = (None, 8, 4, 2)
TARGETS = (0.0, 0.5, 0.85, 0.95)


def bits_label(bits: int | None) -> str:
    return "float" if bits is None else f"{bits}-bit"


@torch.no_grad()
def measure(model: SNN, split: Split, batch: int = 512) -> dict:
    """Accuracy, weight sparsity, spike densities and effectual-op ratios of ``model`` (in its
    current mode) on the test split."""
    model.eval()
    weights = model.weight_tensors()
    x_all, y_all = split.x_test, split.y_test
    steps = model.timesteps
    correct = 0
    eff = {i: 0 for i in weights}
    spikes = {}
    neurons = {}
    for start in range(0, len(x_all), batch):
        x = torch.as_tensor(x_all[start:start + batch], dtype=torch.float32)
        rec: dict = {}
        pred = model(x, record=rec).argmax(1).numpy()
        correct += int((pred == y_all[start:start + batch]).sum())
        for i, w in weights.items():
            eff[i] += int(effectual_ops_batch(rec[f"in{i}"], w).sum())
        for i, layer in model.synaptic():
            if layer.neuron is not None:
                out = rec[f"out{i}"]
                spikes[i] = spikes.get(i, 0.0) + float(out.sum())
                neurons[i] = out[0, 0].numel()
    n = len(x_all)
    dense = {i: dense_ops_of(model, i, w) for i, w in weights.items()}
    zeros = {i: int((w == 0).sum()) for i, w in weights.items()}
    total_w = sum(w.numel() for w in weights.values())
    return {
        "test_acc": correct / n,
        "weight_sparsity": sum(zeros.values()) / total_w,
        "layer_weight_sparsity": {str(i): zeros[i] / w.numel() for i, w in weights.items()},
        "nonzero_weights": total_w - sum(zeros.values()),
        "spike_density": {str(i): spikes[i] / (n * steps * neurons[i]) for i in spikes},
        "effectual_ops_per_frame": {str(i): eff[i] / n for i in eff},
        "dense_ops_per_frame": {str(i): dense[i] for i in dense},
        "effectual_ratio": {str(i): eff[i] / n / dense[i] for i in eff},
        "effectual_ratio_total": sum(eff.values()) / n / sum(dense.values()),
    }


def effectual_ops_batch(inp: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Per-frame effectual-op counts (SPEC 3) of a layer for a batch: ``inp`` is the layer's
    input ``[T, N, C, H, W]`` (conv) or ``[T, N, F]`` (linear), ``weight`` its weights. Same
    equation as ``golden.sparsity.effectual_ops``: ``sum_j (#non-zero inputs at fan-in
    position j over t and output positions) * (#non-zero weights at j over output neurons)``."""
    active = (inp != 0).to(torch.float64)
    nnz = (weight != 0).to(torch.float64).reshape(weight.shape[0], -1).sum(0)      # [fanin]
    if weight.dim() == 4:
        steps, n = active.shape[:2]
        k = weight.shape[-1]
        cols = F.unfold(active.flatten(0, 1), k, padding=k // 2)       # [T*N, fanin, H*W]
        per_j = cols.sum(-1).reshape(steps, n, -1).sum(0)              # [N, fanin]
    else:
        per_j = active.reshape(active.shape[0], active.shape[1], -1).sum(0)
    return (per_j @ nnz).round().to(torch.int64)


def dense_ops_of(model: SNN, index: int, weight: torch.Tensor) -> int:
    """``golden.sparsity.dense_ops``: conv ``T*H*W*Co*fanin``, linear ``T*O*I``."""
    steps = model.timesteps
    rows = weight.reshape(weight.shape[0], -1)
    if weight.dim() == 4:
        shape = model.in_shape
        for spec in model.arch[:index]:
            if spec["kind"] == "maxpool":
                k = int(spec["kernel"])
                shape = (shape[0], shape[1] // k, shape[2] // k)
        return int(steps * shape[1] * shape[2] * rows.shape[0] * rows.shape[1])
    return int(steps * rows.shape[0] * rows.shape[1])


# ----------------------------------------------------------------------------- the grid

def _run_point(args: tuple) -> dict:
    bits, target, base = args
    torch.set_num_threads(1)
    cfg = FitConfig(**{**base, "bits": bits, "sparsity": target})
    if bits is None:           # a float point trains as many epochs as a QAT point in total
        cfg.epochs_float += cfg.epochs_qat
    split = load(cfg.dataset, cfg.split_seed)
    model, summary = fit(cfg, split, progress=False)
    result = measure(model, split)
    result.update(bits=bits, target=target, seconds=summary["seconds"],
                  float_stage_test_acc=summary["float_stage_test_acc"])
    return result


def run_study(out_dir: Path, *, jobs: int = 2, base: dict | None = None,
              bits_list=BITS, targets=TARGETS) -> list[dict]:
    """Train and measure every (bits, target) point with ``jobs`` worker processes, then write
    the table, the JSON and the plots to ``out_dir``."""
    base = dict(base or {})
    base.setdefault("epochs_float", 30)
    base.setdefault("epochs_qat", 25)
    base.setdefault("penalty", 1.0)
    points = [(b, t, base) for b in bits_list for t in targets]
    results = []
    t0 = time.time()
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool, \
            tqdm(total=len(points), desc="study", unit="model", dynamic_ncols=True) as bar:
        futures = {pool.submit(_run_point, p): p for p in points}
        for fut in as_completed(futures):
            r = fut.result()
            results.append(r)
            bar.write(f"  {bits_label(r['bits']):>6} target {r['target']:.0%}: "
                      f"acc {r['test_acc']:.2%}, sparsity {r['weight_sparsity']:.1%}, "
                      f"effectual {r['effectual_ratio_total']:.2%} of dense "
                      f"({r['seconds']:.0f} s)")
            bar.update(1)
    order = {b: k for k, b in enumerate(bits_list)}
    results.sort(key=lambda r: (order[r["bits"]], r["target"]))
    wall = time.time() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"base_config": FitConfig(**base).to_dict(), "wall_seconds": wall, "jobs": jobs}
    (out_dir / "results.json").write_text(json.dumps({"meta": meta, "results": results},
                                                     indent=2) + "\n")
    (out_dir / "table.md").write_text(markdown_table(results, meta))
    plot(results, out_dir)
    return results


def markdown_table(results: list[dict], meta: dict) -> str:
    layers = sorted({k for r in results for k in r["spike_density"]}, key=int)
    eff_layers = sorted({k for r in results for k in r["effectual_ratio"]}, key=int)
    cfg = meta["base_config"]
    lines = [
        "# Weight precision x weight sparsity (digits 8x8, test split)",
        "",
        f"Network: {_arch_name(cfg['arch'])}, T = {cfg['timesteps']}, V = "
        f"{cfg['membrane_bits']} bits; seed {cfg['seed']}, split seed {cfg['split_seed']}; "
        f"{cfg['epochs_float']} float + {cfg['epochs_qat']} QAT epochs per quantized point, "
        f"{cfg['epochs_float'] + cfg['epochs_qat']} float epochs per float point; Grad R "
        f"prior strength up to {cfg['penalty']}. "
        f"Wall time {meta['wall_seconds'] / 60:.1f} min with {meta['jobs']} worker(s).",
        "",
        "Accuracy of a quantized point is that of its integer network (identical to the golden "
        "model). Sparsity is measured on the final (integer) weights. Spike density = spikes / "
        "(neurons x T). Effectual ops = SPEC 3 pairs (non-zero weight x non-zero input) per "
        "frame, relative to dense ops; layer 0's input is the pixel frame.",
        "",
        "| weights | target | test acc | weight sparsity | "
        + " | ".join(f"spikes L{k}" for k in layers) + " | "
        + " | ".join(f"eff. L{k}" for k in eff_layers) + " | eff. total |",
        "|---|---:|---:|---:|" + "---:|" * (len(layers) + len(eff_layers) + 1),
    ]
    for r in results:
        cells = [bits_label(r["bits"]), f"{r['target']:.0%}", f"{r['test_acc']:.2%}",
                 f"{r['weight_sparsity']:.1%}"]
        cells += [f"{r['spike_density'][k]:.3f}" for k in layers]
        cells += [f"{r['effectual_ratio'][k]:.2%}" for k in eff_layers]
        cells.append(f"{r['effectual_ratio_total']:.2%}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Plots: `accuracy.png`, `sparsity.png`, `effectual_ops.png`, "
              "`spike_density.png`.", ""]
    return "\n".join(lines)


def _arch_name(arch: list[dict]) -> str:
    parts = []
    for spec in arch:
        if spec["kind"] == "conv":
            parts.append(f"conv{spec['out_channels']}k{spec['kernel']}")
        elif spec["kind"] == "maxpool":
            parts.append(f"pool{spec['kernel']}")
        else:
            parts.append(f"fc{spec['out_features']}")
    return "-".join(parts)


def plot(results: list[dict], out_dir: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict = {}
    for r in results:
        groups.setdefault(r["bits"], []).append(r)
    markers = {None: "o", 8: "s", 4: "^", 2: "v"}

    def line_plot(name, ylabel, value, xkey="target", xlabel="Grad R target sparsity (%)"):
        fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
        for bits, rows in groups.items():
            rows = sorted(rows, key=lambda r: r[xkey])
            ax.plot([100 * r[xkey] for r in rows], [value(r) for r in rows],
                    marker=markers.get(bits, "o"), label=bits_label(bits))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / name)
        plt.close(fig)

    line_plot("accuracy.png", "test accuracy (%)", lambda r: 100 * r["test_acc"],
              xkey="weight_sparsity", xlabel="measured weight sparsity (%)")
    line_plot("sparsity.png", "measured weight sparsity (%)",
              lambda r: 100 * r["weight_sparsity"])
    line_plot("effectual_ops.png", "effectual ops / dense ops (%)",
              lambda r: 100 * r["effectual_ratio_total"], xkey="weight_sparsity",
              xlabel="measured weight sparsity (%)")

    layers = sorted({k for r in results for k in r["spike_density"]}, key=int)
    fig, axes = plt.subplots(1, len(layers), figsize=(5 * len(layers), 4), dpi=120,
                             squeeze=False)
    for ax, k in zip(axes[0], layers):
        for bits, rows in groups.items():
            rows = sorted(rows, key=lambda r: r["target"])
            ax.plot([100 * r["target"] for r in rows],
                    [r["spike_density"][k] for r in rows], marker=markers.get(bits, "o"),
                    label=bits_label(bits))
        ax.set_title(f"layer {k} spike density")
        ax.set_xlabel("Grad R target sparsity (%)")
        ax.set_ylabel("spikes / (neurons x T)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "spike_density.png")
    plt.close(fig)


__all__ = ["BITS", "TARGETS", "dense_ops_of", "effectual_ops_batch", "markdown_table",
           "measure", "plot", "run_study"]
