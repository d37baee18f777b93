"""How a network's output becomes predictions (its kind comes with the run's task)."""

from __future__ import annotations

import torch

from app.spec.views import OutputKind

__all__ = ["OutputKind", "class_probabilities"]


def class_probabilities(out: torch.Tensor, kind: OutputKind) -> torch.Tensor:
    """(B, classes) probabilities from a (B, ...) output of a classifier. A binary
    output gives two columns, (1 - p, p); an nll output (log-probabilities) works too."""
    if kind == "binary":
        p = torch.sigmoid(out.reshape(out.shape[0]))
        return torch.stack([1 - p, p], dim=1)
    if kind == "tokens" and out.dim() == 3:
        out = out[:, -1]  # the prediction after the last position
    if kind not in ("classes", "tokens"):
        raise ValueError(f"a {kind} output has no class probabilities")
    return torch.softmax(out.reshape(out.shape[0], -1), dim=1)
