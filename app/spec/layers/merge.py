"""Merge layers: combine several inputs (residual and inception blocks)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from app.spec.base import Category, LayerSpecBase


class _MergeBase(LayerSpecBase):
    category: ClassVar[Category] = "merge"
    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int] = 16


class AddSpec(_MergeBase):
    """Element-wise sum of inputs of the same shape (residual connections)."""

    type: Literal["add"] = "add"


class MultiplySpec(_MergeBase):
    """Element-wise product of inputs of the same shape (gating)."""

    type: Literal["multiply"] = "multiply"


class ConcatSpec(_MergeBase):
    """Joins inputs along one axis (inception blocks join channels)."""

    type: Literal["concat"] = "concat"
    axis: Annotated[int, Field(ge=-8, le=7)] = Field(
        default=0,
        description="Axis to join, without the batch dimension: 0 is channels (or features).",
    )
