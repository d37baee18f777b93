"""Optimizers and learning-rate schedules from the training config."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch.optim import lr_scheduler

from app.spec.training import OptimizerSpec, ScheduleSpec

OptimizerFactory = Callable[..., torch.optim.Optimizer]  # (params or groups, spec, **extra)

OPTIMIZERS: dict[str, OptimizerFactory] = {
    "sgd": lambda p, s, **extra: torch.optim.SGD(
        p, lr=s.lr, momentum=s.momentum, nesterov=s.nesterov, weight_decay=s.weight_decay,
        **extra),
    "adagrad": lambda p, s, **extra: torch.optim.Adagrad(
        p, lr=s.lr, weight_decay=s.weight_decay, **extra),
    "rmsprop": lambda p, s, **extra: torch.optim.RMSprop(
        p, lr=s.lr, alpha=s.alpha, momentum=s.momentum, weight_decay=s.weight_decay, **extra),
    "adam": lambda p, s, **extra: torch.optim.Adam(
        p, lr=s.lr, betas=s.betas, weight_decay=s.weight_decay, **extra),
    "adamw": lambda p, s, **extra: torch.optim.AdamW(
        p, lr=s.lr, betas=s.betas, weight_decay=s.weight_decay, **extra),
}
FUSED = frozenset({"sgd", "adam", "adamw"})
"""Optimizers with a fused implementation on the CPU and CUDA: one kernel per step, and
a gradient scaler's inf check done on the device."""


def make_optimizer(model: torch.nn.Module, spec: OptimizerSpec,
                   layer_lr: Mapping[str, float] | None = None,
                   fused: bool = False) -> torch.optim.Optimizer:
    """The optimizer over every trainable parameter; `layer_lr` scales the learning rate
    of the layers it names (one parameter group per scale, the unscaled group first).
    `fused`: the fused implementation, where the optimizer has one (FUSED)."""
    groups: dict[float, list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            scale = (layer_lr or {}).get(name.split(".", 1)[0], 1.0)
            groups.setdefault(scale, []).append(param)
    if not groups:
        raise ValueError("every layer is frozen (trainable: false): nothing to train")
    ordered = sorted(groups.items(), key=lambda item: item[0] != 1.0)
    param_groups: Any = [{"params": params, "lr": spec.lr * scale} for scale, params in ordered]
    extra = {"fused": True} if fused and spec.name in FUSED else {}
    return OPTIMIZERS[spec.name](param_groups, spec, **extra)


Scheduler = lr_scheduler.LRScheduler | lr_scheduler.ReduceLROnPlateau


def make_schedule(optimizer: torch.optim.Optimizer, spec: ScheduleSpec,
                  epochs: int) -> Scheduler | None:
    """A per-epoch schedule, or None for a constant learning rate."""
    if spec.name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=spec.step_size, gamma=spec.gamma)
    if spec.name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=spec.gamma)
    if spec.name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=spec.min_lr)
    if spec.name == "reduce_on_plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=spec.gamma,
                                              patience=spec.patience, min_lr=spec.min_lr)
    return None


def step_schedule(schedule: Scheduler | None, metrics: dict[str, float]) -> None:
    if isinstance(schedule, lr_scheduler.ReduceLROnPlateau):
        schedule.step(metrics.get("val_loss", metrics["train_loss"]))
    elif schedule is not None:
        schedule.step()


def penalty(model: torch.nn.Module, l1: float, l2: float) -> torch.Tensor | None:
    """L1/L2 penalties on weights (tensors with 2+ dims; biases and norms are left alone)."""
    if not (l1 or l2):
        return None
    total: Any = 0.0
    for p in model.parameters():
        if p.requires_grad and p.dim() > 1:
            if l1:
                total = total + l1 * p.abs().sum()
            if l2:
                total = total + l2 * p.pow(2).sum()
    return total if isinstance(total, torch.Tensor) else None
