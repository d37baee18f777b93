"""The losses a run can name, as functions of (output, target)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _rmse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(F.mse_loss(out, target) + 1e-12)


def _bce(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out, target.to(out.dtype))


LOSSES: dict[str, LossFn] = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "rmse": _rmse,
    "huber": F.huber_loss,
    "cross_entropy": F.cross_entropy,
    "bce": _bce,
    "nll": F.nll_loss,
}
"""Loss name -> function(output, target). bce takes logits; nll takes log-probabilities."""

CLASS_LOSSES = frozenset({"cross_entropy", "nll", "bce"})
REGRESSION_LOSSES = frozenset({"mse", "mae", "rmse", "huber"})
