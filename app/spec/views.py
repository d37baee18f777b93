"""Inspection data that crosses the wire beside the views' own answers: what an output
means, and the decision boundary (also streamed while a 2-D model trains)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.spec.arrays import EncodedArray

OutputKind = Literal["classes", "binary", "value", "reconstruction", "tokens"]
"""What a network's output means. classes: logits over classes (softmax); binary: one
logit (sigmoid); value: a regression output; reconstruction: the input again; tokens:
logits over a vocabulary. A run's task kind and loss decide it."""

Split = Literal["train", "val", "test"]
"""A part of a run's dataset: `val` is the validation split the run held out of train."""


class BoundaryGrid(BaseModel):
    """A model's prediction over a grid of the 2-D input plane, plus the data points.

    Row i of the grid is y = y_range[0] + i * (y_range[1] - y_range[0]) / (resolution - 1),
    column j likewise for x: row 0 is the bottom of the plane.
    """

    model_config = {"frozen": True}

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int = Field(description="Grid points per side.")
    predicted: EncodedArray = Field(
        description="(resolution, resolution): the class (uint8), or the value (float16) "
                    "for regression.")
    confidence: EncodedArray | None = Field(
        default=None, description="(resolution, resolution) uint8: the predicted class's "
                                  "probability x 255; null for regression.")
    points: EncodedArray = Field(description="(N, 2) float16: the data points shown.")
    labels: EncodedArray = Field(description="(N,): their classes (uint8) or targets.")
    cut: str | None = Field(default=None, description="Set when points were left out.")
