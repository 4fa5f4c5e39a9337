"""Training: surrogate-gradient BPTT with Grad R pruning and LSQ quantization-aware training.

Two stages, one ``tqdm`` bar over all epochs, Adam, cosine learning-rate decay per stage:

1. float (``epochs_float``, lr ``lr``): float weights; if ``sparsity > 0`` the weights are
   Grad R's ``sign * relu(strength)`` and the Laplace prior pulls the strengths down.
2. QAT (``epochs_qat``, lr ``lr_qat``, only when ``bits`` is set): LSQ steps are initialised
   from the float weights (``2 <|w|> / sqrt(Qp)``) and the network runs its integer forward
   (``SNN.bits``); Grad R continues, so pruned weights can still regrow. In the last ``freeze``
   part of the stage the mask is frozen (no prior, pruned strengths held <= 0) and the kept
   weights fine-tune.

Grad R's prior step (Chen et al. 2021, their ``GradRewiring`` optimizer): after each Adam step,
``strength -= lr * alpha * sign(strength - mu)`` with ``mu`` the Laplace center for the target
sparsity (``snn.laplace_center``). The paper fixes the penalty ``alpha`` and reads off the
sparsity it reaches after hundreds of epochs; here ``alpha`` is set after every step by a
proportional controller so the *measured* sparsity (of the integer weights during QAT) follows
the target: ``alpha = penalty * clip(gain * (target_t - measured), 0, 1)``, with ``target_t``
ramping up cubically (``ramp_start`` .. ``ramp`` of stage 1) to ``sparsity``. See
docs/training.md. Everything is seeded: ``torch``, the init generator and the batch generator.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from train.data import Split, load, random_shift
from train.snn import SNN, laplace_center

# SPEC's example network at twice its width (conv 32 -> pool -> conv 64 -> pool -> fc 10): the
# 16/32 net loses ~8 points at 90 % weight sparsity (docs/training.md), this one ~1.
DIGITS_ARCH = [
    {"kind": "conv", "out_channels": 32, "kernel": 3,
     "neuron": {"model": "lif", "leak_shift": 1, "reset": "hard"}},
    {"kind": "maxpool", "kernel": 2},
    {"kind": "conv", "out_channels": 64, "kernel": 3,
     "neuron": {"model": "if", "reset": "soft"}},
    {"kind": "maxpool", "kernel": 2},
    {"kind": "linear", "out_features": 10, "readout": "accumulate"},
]


@dataclass
class FitConfig:
    """Everything a training run depends on (stored with the exported model)."""

    dataset: str = "digits"
    seed: int = 0
    split_seed: int = 0
    timesteps: int = 4
    membrane_bits: int = 16
    bits: int | None = 4              # None: a float model (no QAT stage)
    sparsity: float = 0.9             # Grad R target; 0: dense weights, no Grad R
    epochs_float: int = 60
    epochs_qat: int = 50
    batch_size: int = 64
    lr: float = 1e-2
    step_lr_ratio: float = 0.05       # LSQ steps learn at lr * ratio (Adam ignores LSQ's g)
    penalty: float = 0.4              # Grad R's largest alpha (prior strength)
    penalty_gain: float = 20.0        # alpha = penalty * clip(gain * (target - measured), 0, 1)
    ramp_start: float = 0.1           # the target ramps up (cubic) from this fraction of
    ramp: float = 0.6                 # stage 1 to this one, then stays
    lr_qat: float | None = 3e-3       # learning rate of stage 2 (None: lr)
    freeze: float = 0.5               # last part of stage 2: mask frozen, no prior
    shift: int = 0                    # random integer translation (pixels) when training
    arch: list = field(default_factory=lambda: [dict(d) for d in DIGITS_ARCH])

    def to_dict(self) -> dict:
        return asdict(self)


def build_model(cfg: FitConfig, split: Split) -> SNN:
    return SNN(cfg.arch, split.shape, timesteps=cfg.timesteps, membrane_bits=cfg.membrane_bits,
               input_scale=1.0 / split.max_value, gradr=cfg.sparsity > 0, seed=cfg.seed)


def _optimizer(model: SNN, cfg: FitConfig, lr: float) -> torch.optim.Adam:
    steps = [m.step for _, m in model.synaptic()]
    step_ids = {id(p) for p in steps}
    others = [p for p in model.parameters() if id(p) not in step_ids]
    groups = [{"params": others, "lr": lr, "base_lr": lr}]
    if model.bits is not None:
        groups.append({"params": steps, "lr": lr * cfg.step_lr_ratio,
                       "base_lr": lr * cfg.step_lr_ratio})
    return torch.optim.Adam(groups)


def _prior_step(model: SNN, lr: float, alpha: float, target: float) -> None:
    """Grad R's Laplace prior: ``strength -= lr * alpha * sign(strength - mu)``."""
    if target <= 0 or alpha <= 0:
        return
    mu = laplace_center(target, alpha)
    with torch.no_grad():
        for _, layer in model.synaptic():
            if layer.gradr:
                layer.strength.sub_(lr * alpha * torch.sign(layer.strength - mu))


def _pruned_sets(model: SNN) -> dict[int, torch.Tensor]:
    return {i: (m.strength <= 0).detach().clone() for i, m in model.synaptic() if m.gradr}


@torch.no_grad()
def _hold_pruned(model: SNN, pruned: dict[int, torch.Tensor]) -> None:
    """Frozen mask: a pruned connection stays pruned (its strength stays <= 0)."""
    for i, m in model.synaptic():
        if i in pruned:
            m.strength[pruned[i]] = m.strength[pruned[i]].clamp(max=0.0)


@torch.no_grad()
def predict(model: SNN, x: np.ndarray, batch: int = 512) -> np.ndarray:
    """Predictions (argmax, ties to the lowest index, as SPEC) of the model's current mode."""
    model.eval()
    preds = []
    for start in range(0, len(x), batch):
        logits = model(torch.as_tensor(x[start:start + batch], dtype=torch.float32))
        preds.append(logits.argmax(1))
    return torch.cat(preds).numpy()


def accuracy(model: SNN, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x) == y).mean())


def _run_stage(model: SNN, cfg: FitConfig, split: Split, epochs: int, gen: torch.Generator,
               bar: tqdm, stage: str, state: dict, history: list) -> None:
    if epochs <= 0:
        return
    lr = cfg.lr if stage == "float" or cfg.lr_qat is None else cfg.lr_qat
    opt = _optimizer(model, cfg, lr)
    x_train = torch.as_tensor(split.x_train, dtype=torch.float32)
    y_train = torch.as_tensor(split.y_train)
    n = len(x_train)
    per_epoch = math.ceil(n / cfg.batch_size)
    total = epochs * per_epoch
    it = 0
    frozen = None
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, cfg.batch_size):
            idx = perm[start:start + cfg.batch_size]
            xb = random_shift(x_train[idx], gen, cfg.shift)
            yb = y_train[idx]
            # cosine learning-rate decay within the stage
            scale = 0.5 * (1 + math.cos(math.pi * it / total))
            for group in opt.param_groups:
                group["lr"] = group["base_lr"] * scale
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if (frozen is None and stage != "float" and cfg.sparsity > 0 and cfg.freeze > 0
                    and it >= (1 - cfg.freeze) * total):
                frozen = _pruned_sets(model)      # the last part of QAT: mask frozen
                state["alpha"] = 0.0
            if frozen is not None:
                _hold_pruned(model, frozen)
            elif cfg.sparsity > 0:
                _prior_step(model, lr * scale, state["alpha"], cfg.sparsity)
                target = cfg.sparsity
                if stage == "float":
                    begin, end = cfg.ramp_start * total, cfg.ramp * total
                    frac = min(1.0, max(0.0, (it - begin) / max(1.0, end - begin)))
                    target = cfg.sparsity * (1 - (1 - frac) ** 3)
                measured = model.weight_sparsity()[0]
                state["alpha"] = cfg.penalty * min(1.0, max(0.0, cfg.penalty_gain
                                                            * (target - measured)))
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            it += 1
        measured, per_layer = model.weight_sparsity()
        test_acc = accuracy(model, split.x_test, split.y_test)
        row = {"stage": stage, "epoch": epoch + 1, "loss": loss_sum / n,
               "train_acc": correct / n, "test_acc": test_acc, "sparsity": measured,
               "alpha": state["alpha"],
               "layer_sparsity": {str(k): round(v, 4) for k, v in per_layer.items()}}
        history.append(row)
        bar.set_postfix(stage=stage, loss=f"{row['loss']:.3f}", test=f"{test_acc:.3f}",
                        sparsity=f"{measured:.3f}")
        bar.update(1)


def fit(cfg: FitConfig, split: Split | None = None, progress: bool = True,
        desc: str | None = None) -> tuple[SNN, dict]:
    """Train a model as ``cfg`` says; returns it (in its final mode: ``bits`` or float) and a
    summary dict (config, per-epoch history, float and final test accuracy, wall time)."""
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    split = split or load(cfg.dataset, cfg.split_seed)
    model = build_model(cfg, split)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    epochs_qat = cfg.epochs_qat if cfg.bits is not None else 0
    history: list[dict] = []
    state = {"alpha": 0.0}
    t0 = time.time()
    with tqdm(total=cfg.epochs_float + epochs_qat, desc=desc or "train", unit="epoch",
              disable=not progress, dynamic_ncols=True) as bar:
        _run_stage(model, cfg, split, cfg.epochs_float, gen, bar, "float", state, history)
        float_acc = accuracy(model, split.x_test, split.y_test)
        if cfg.bits is not None:
            model.set_bits(cfg.bits)
            _run_stage(model, cfg, split, epochs_qat, gen, bar, f"int{cfg.bits}", state, history)
    summary = {
        "config": cfg.to_dict(),
        "history": history,
        "float_stage_test_acc": float_acc,
        "test_acc": accuracy(model, split.x_test, split.y_test),
        "weight_sparsity": model.weight_sparsity()[0],
        "seconds": time.time() - t0,
    }
    return model, summary
