"""Early stopping: watch one epoch metric, remember the best weights."""

from __future__ import annotations

import math
from typing import Any

import torch

from app.spec.training import EarlyStoppingSpec


class EarlyStopping:
    """Tracks the monitored metric; `update` says whether training should stop."""

    def __init__(self, spec: EarlyStoppingSpec) -> None:
        self.spec = spec
        maximize = spec.mode == "max" or (
            spec.mode == "auto" and ("accuracy" in spec.monitor or "r2" in spec.monitor))
        self.sign = -1.0 if maximize else 1.0
        self.best = math.inf
        self.best_epoch = -1
        self.bad_epochs = 0
        self.best_weights: dict[str, torch.Tensor] | None = None

    def update(self, epoch: int, metrics: dict[str, float], model: torch.nn.Module) -> bool:
        if self.spec.monitor not in metrics:
            if not self.spec.enabled:
                return False  # e.g. no validation split: nothing to watch, nothing asked
            known = ", ".join(sorted(metrics))
            raise ValueError(f"early_stopping.monitor {self.spec.monitor!r} is not an epoch "
                             f"metric; choose one of {known}")
        value = self.sign * metrics[self.spec.monitor]
        if value < self.best - self.spec.min_delta:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
            if self.spec.enabled and self.spec.restore_best:
                self.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        self.bad_epochs += 1
        return self.spec.enabled and self.bad_epochs > self.spec.patience

    @property
    def best_value(self) -> float:
        return self.sign * self.best

    def state(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state(self, state: dict[str, Any],
                   best_weights: dict[str, torch.Tensor] | None) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.bad_epochs = state["bad_epochs"]
        self.best_weights = best_weights
