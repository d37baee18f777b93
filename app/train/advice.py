"""Advice on the learning rate, read from a run's first epochs.

A learning rate far off does not always diverge: the course's autoencoder at Adam's
lr 0.1 ends with a test MSE of 0.122, worse than always giving the average image
(0.066), while at 0.001 it reaches 0.064 in four epochs and goes on. Its loss is flat
from the second epoch. A loss that rises, or that stops falling while no better than
the best constant answer, in the first epochs is told to the user once, as a note that
names the learning rate; the run goes on (it is advice, not an error).
"""

from __future__ import annotations

import math

import torch

from app.train.tasks import Task

WATCHED_EPOCHS = 4
"""Epochs watched from the run's start (the trainer's to keep): later, a flat loss is
often just convergence."""
RISE = 1.10  # a loss this much above its lowest so far has risen
FLAT = 0.01  # an epoch that lowers the loss by less than this share has not moved it
NO_BETTER = 0.95  # within this share of the constant answer's loss: nothing learned


def constant_baseline(task: Task, x: torch.Tensor, y: torch.Tensor) -> float | None:
    """The loss of the best answer that ignores the input: the class frequencies
    (cross_entropy), the share of ones (bce) or the average target (mse); None for
    other losses and tasks with terms of their own (a VAE, a GAN)."""
    if task.terms or task.on_probabilities:
        return None
    target = (x if task.kind.reconstructs else y).detach().float().cpu()
    if task.loss_name == "cross_entropy" and not y.is_floating_point():
        counts = torch.bincount(y.detach().cpu().reshape(-1).long()).float()
        shares = counts[counts > 0] / counts.sum()
        return float(-(shares * shares.log()).sum())
    if task.loss_name == "bce":
        p = target.reshape(target.shape[0], -1).mean(0).clamp(1e-6, 1 - 1e-6)
        return float(-(p * p.log() + (1 - p) * (1 - p).log()).mean())
    if task.loss_name == "mse":
        return float(((target - target.mean(0)) ** 2).mean())
    return None


class LearningRateWatch:
    """Watches the training loss of the first epochs and gives at most one note."""

    def __init__(self, lr: float, baseline: float | None) -> None:
        self.lr, self.baseline = lr, baseline
        self.losses: list[float] = []
        self.told = False

    def after_epoch(self, loss: float) -> str | None:
        """The note this epoch's training loss calls for, once; else None."""
        self.losses.append(loss)
        if self.told or not math.isfinite(loss):
            return None
        note = self._rose() or self._stuck()
        self.told = note is not None
        return note

    def _rose(self) -> str | None:
        lowest = min(self.losses[:-1], default=math.inf)
        loss = self.losses[-1]
        if loss <= lowest * RISE:
            return None
        return (f"the training loss rose from {lowest:.4g} to {loss:.4g} in the first "
                f"epochs: the learning rate {self.lr:g} is likely too high; try "
                f"{self.lr / 10:g}")

    def _stuck(self) -> str | None:
        """Flat at the level of an answer that ignores the input: from the start (the
        steps are too small to move it), or after a first move (they overshoot)."""
        if self.baseline is None or len(self.losses) < 2:
            return None
        first, before, loss = self.losses[0], self.losses[-2], self.losses[-1]
        if loss < before * (1 - FLAT) or loss < self.baseline * NO_BETTER:
            return None
        told = (f"no better than an answer that ignores the input ({self.baseline:.4g}): "
                f"the learning rate {self.lr:g} is likely too")
        if abs(loss - first) <= first * FLAT:
            return (f"the training loss has barely moved ({first:.4g} to {loss:.4g}), {told} "
                    f"low; try {self.lr * 10:g}")
        return (f"the training loss stopped falling at {loss:.4g}, {told} high (its steps "
                f"overshoot); try {self.lr / 10:g}")
