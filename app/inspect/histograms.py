"""Weights and gradients per parameter as fixed-bin histograms: cheap to record at each
epoch's end, small enough to keep for every epoch and scrub through."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.nn.graph_module import GraphNet

BINS = 32


class Histogram(BaseModel):
    low: float
    high: float
    counts: list[int] = Field(description=f"{BINS} equal bins from low to high.")
    mean: float
    std: float


class ParameterHistograms(BaseModel):
    layer: str
    parameter: str = Field(description="e.g. 'weight', 'bias', 'mha.in_proj_weight'.")
    weights: Histogram
    gradients: Histogram | None = Field(default=None, description="Of the epoch's last step.")


class EpochHistograms(BaseModel):
    epoch: int
    step: int
    parameters: list[ParameterHistograms]


def histogram(t: torch.Tensor) -> Histogram:
    values = t.detach().float().reshape(-1)
    values = values[torch.isfinite(values)]
    if values.numel() == 0:
        return Histogram(low=0.0, high=0.0, counts=[0] * BINS, mean=0.0, std=0.0)
    low, high = values.min(), values.max()
    counts = torch.histc(values, bins=BINS, min=low.item(), max=high.item())
    # one transfer for everything the answer needs
    stats = torch.stack([low, high, values.mean(), values.std(correction=0)]).tolist()
    return Histogram(low=stats[0], high=stats[1], counts=[int(c) for c in counts.tolist()],
                     mean=stats[2], std=stats[3])


def parameter_histograms(model: GraphNet, epoch: int, step: int) -> EpochHistograms:
    """Histograms of every trainable parameter and its current gradient."""
    answer = []
    for node in model.nodes:
        for name, param in model.layer(node.layer_id).named_parameters():
            if not param.requires_grad:
                continue
            grad = histogram(param.grad) if param.grad is not None else None
            answer.append(ParameterHistograms(layer=node.layer_id, parameter=name,
                                              weights=histogram(param), gradients=grad))
    return EpochHistograms(epoch=epoch, step=step, parameters=answer)
