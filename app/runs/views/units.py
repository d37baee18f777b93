"""The unit view (GET): every unit of a small network over 2-D points, with the weights
between them and their gradients on a training batch."""

from __future__ import annotations

import torch
from pydantic import Field

from app.datasets.plane import POINT
from app.inspect.units import MAX_RESOLUTION, UnitsOut, units
from app.runs.views.registry import AtEpoch, Look, view
from app.train import objective

GRADIENT_BATCH = 256  # training samples the gradients are taken on


class UnitsIn(AtEpoch):
    resolution: int = Field(default=64, ge=2, le=MAX_RESOLUTION,
                            description="Grid points per side of the plane.")


@view("units", "Units", applies=lambda facts: facts.plane)
def _units(look: Look, params: UnitsIn) -> UnitsOut:
    """Each unit of each dense layer drawn over the input plane (a chain of dense layers
    of at most 16 units over 2-D points), with the weights into it and their gradients
    on a batch of training samples: TensorFlow Playground's picture of a network, for
    any activation and output."""
    subject, config = look.subject, look.run.training
    task = subject.task
    x, y = look.split("train")  # what the network reads: the features of each point
    device = next(subject.model.parameters(), torch.empty(0)).device
    batch = (x[:GRADIENT_BATCH].to(device), y[:GRADIENT_BATCH].to(device)) if len(x) else None

    def loss(model: torch.nn.Module, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        assert batch is not None
        return objective(model, task, config, *task.outputs_and_targets(out, batch[0],
                                                                        target))[0]

    points, _ = look.points("train")
    return units(subject.model, points, params.resolution, batch, loss,
                 subject.info.plane or POINT)
