"""Derived inputs of the 2-D sets, as TensorFlow Playground offers them: a network over a
point (x, y) can read x², y², xy, sin x and sin y beside (or instead of) x and y, so a
single linear unit draws a circle with x² + y². A set with features names them in its
DatasetInfo; whatever draws a network over the plane (its decision boundary, its units)
lays a grid of points over the plane and feeds the network the same features of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator

PlaneFeature = Literal["x", "y", "x_squared", "y_squared", "x_times_y", "sin_x", "sin_y"]
POINT: tuple[PlaneFeature, ...] = ("x", "y")
"""The plain point: the default features, and the two columns a plane is drawn in."""

_FORMULAS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "x_squared": lambda x, y: x * x,
    "y_squared": lambda x, y: y * y,
    "x_times_y": lambda x, y: x * y,
    "sin_x": lambda x, y: torch.sin(x),
    "sin_y": lambda x, y: torch.sin(y),
}


class PlaneFeatures(BaseModel):
    """The option of every 2-D set: the features of each point the network reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as DatasetOptions

    features: tuple[PlaneFeature, ...] = Field(default=POINT, min_length=1, max_length=7,
                                               description=(
        "What the network reads of each point (x, y), one input column each: x, y, "
        "x_squared, y_squared, x_times_y, sin_x, sin_y (with x_squared and y_squared a "
        "single linear unit separates the circle)."))

    @field_validator("features")
    @classmethod
    def _once_each(cls, features: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(features)) != len(features):
            raise ValueError(f"each feature once: {', '.join(features)} repeats one")
        return features


def derive(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """(N, len(features)) float: each feature of each point of `points` (N, 2)."""
    if tuple(features) == POINT:
        return points
    x, y = points[:, 0], points[:, 1]
    return torch.stack([_FORMULAS[name](x, y) for name in features], dim=1)

