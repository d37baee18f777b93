"""What a network's output means, and how it becomes predictions."""

from __future__ import annotations

from typing import Literal

import torch

OutputKind = Literal["classes", "binary", "value", "reconstruction", "tokens"]
"""classes: logits over classes (softmax); binary: one logit (sigmoid); value: a
regression output; reconstruction: the input again; tokens: logits over a vocabulary."""


def output_kind(task: str, loss: str) -> OutputKind:
    """The output kind of a run's task ("classification", "sequence", ...) and loss."""
    if task == "classification":
        return "binary" if loss == "bce" else "classes"
    if task == "sequence":
        return "tokens"
    return "reconstruction" if task in ("reconstruction", "vae") else "value"


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
