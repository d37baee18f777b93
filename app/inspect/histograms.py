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
    parameter: str = Field(description="Its name in the layer, e.g. 'weight', 'bias', "
                                       "'mha.in_proj_weight'.")
    weights: Histogram
    gradients: Histogram | None = Field(default=None, description="Of the epoch's last step.")


class EpochHistograms(BaseModel):
    epoch: int
    step: int
    parameters: list[ParameterHistograms]


def _summaries(tensors: list[torch.Tensor]) -> list[list[float]]:
    """Per tensor: low, high, mean, std, then the BINS counts (non-finite values left
    out). All tensors are summarised together in a fixed number of vectorised ops on
    their device, and come back in one transfer: cheap at every epoch's end."""
    device = tensors[0].device
    flat = [t.detach().reshape(-1).float().to(device) for t in tensors]
    sizes = torch.tensor([len(f) for f in flat], device=device)
    values = torch.cat(flat)
    group = torch.repeat_interleave(torch.arange(len(flat), device=device), sizes)
    finite = torch.isfinite(values)
    values, group = values[finite], group[finite]
    n = len(flat)
    count = torch.bincount(group, minlength=n).float()
    low = torch.full((n,), float("inf"), device=device).scatter_reduce(0, group, values, "amin")
    high = torch.full((n,), -float("inf"), device=device).scatter_reduce(0, group, values,
                                                                         "amax")
    empty = count == 0
    low, high = low.masked_fill(empty, 0.0), high.masked_fill(empty, 0.0)
    total = torch.zeros(n, device=device).index_add(0, group, values)
    mean = total / count.clamp_min(1)
    variance = torch.zeros(n, device=device).index_add(0, group, (values - mean[group]) ** 2)
    std = (variance / count.clamp_min(1)).sqrt()
    width = (high - low).clamp_min(1e-30)
    index = ((values - low[group]) / width[group] * BINS).long().clamp_(0, BINS - 1)
    counts = torch.bincount(group * BINS + index, minlength=n * BINS).reshape(n, BINS)
    rows: list[list[float]] = torch.cat([torch.stack([low, high, mean, std], dim=1),
                                         counts.float()], dim=1).tolist()  # one transfer
    return rows


def _histogram(row: list[float]) -> Histogram:
    return Histogram(low=row[0], high=row[1], mean=row[2], std=row[3],
                     counts=[int(c) for c in row[4:]])


def histogram(t: torch.Tensor) -> Histogram:
    """One tensor's histogram (non-finite values left out)."""
    return _histogram(_summaries([t])[0])


def display_name(layer: torch.nn.Module, name: str) -> str:
    """A parameter's name within its layer, without the index of the one child that
    holds a layer's weights (a dense layer with its activation is "weight", not
    "0.weight")."""
    children = [c for c in layer.children() if any(True for _ in c.parameters())]
    head, _, rest = name.partition(".")
    if isinstance(layer, torch.nn.Sequential) and len(children) == 1 and head.isdigit():
        return rest
    return name


def parameter_histograms(model: GraphNet, epoch: int, step: int) -> EpochHistograms:
    """Histograms of every trainable parameter and its current gradient."""
    found = [(node.layer_id, display_name(model.layer(node.layer_id), name), param)
             for node in model.nodes
             for name, param in model.layer(node.layer_id).named_parameters()
             if param.requires_grad]
    if not found:
        return EpochHistograms(epoch=epoch, step=step, parameters=[])
    grads = [p.grad for _, _, p in found if p.grad is not None]
    rows = _summaries([p for _, _, p in found] + grads)
    weights, grad_rows = rows[:len(found)], iter(rows[len(found):])
    answer = [ParameterHistograms(layer=layer, parameter=name, weights=_histogram(row),
                                  gradients=None if param.grad is None
                                  else _histogram(next(grad_rows)))
              for (layer, name, param), row in zip(found, weights, strict=True)]
    return EpochHistograms(epoch=epoch, step=step, parameters=answer)
