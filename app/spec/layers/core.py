"""Core layers: dense, activation, dropout and shape changes (and slices)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from app.spec.base import ActivationName, Category, LayerSpecBase

Axis = Annotated[int, Field(ge=-8, le=7)]


class DenseSpec(LayerSpecBase):
    """Fully connected layer: every output unit sees every input feature."""

    category: ClassVar[Category] = "core"
    type: Literal["dense"] = "dense"
    units: int = Field(ge=1, le=65536, description="Number of output units.")
    activation: ActivationName | None = Field(
        default=None, description="Activation applied to the output; none means linear."
    )
    use_bias: bool = Field(default=True, description="Add a learned bias to each unit.")


class ActivationSpec(LayerSpecBase):
    """An element-wise non-linearity (or softmax over one axis)."""

    category: ClassVar[Category] = "core"
    type: Literal["activation"] = "activation"
    activation: ActivationName = Field(default="relu", description="The function to apply.")
    negative_slope: float = Field(
        default=0.01, ge=0.0, le=1.0, description="Slope below zero for leaky_relu."
    )
    axis: Axis = Field(
        default=-1,
        description="Axis for softmax and log_softmax, counted without the batch dimension.",
    )


class DropoutSpec(LayerSpecBase):
    """Randomly zeroes a fraction of values while training (a regulariser)."""

    category: ClassVar[Category] = "core"
    type: Literal["dropout"] = "dropout"
    rate: float = Field(default=0.5, ge=0.0, lt=1.0, description="Fraction of values dropped.")


class FlattenSpec(LayerSpecBase):
    """Flattens each sample to one vector, e.g. (32, 7, 7) to (1568,)."""

    category: ClassVar[Category] = "core"
    type: Literal["flatten"] = "flatten"


class ReshapeSpec(LayerSpecBase):
    """Reshapes each sample; one dimension may be -1 (inferred)."""

    category: ClassVar[Category] = "core"
    type: Literal["reshape"] = "reshape"
    shape: list[Annotated[int, Field(ge=-1, le=1_000_000)]] = Field(
        min_length=1, max_length=6, description="Target shape without the batch dimension."
    )

    @field_validator("shape")
    @classmethod
    def _one_inferred_dim(cls, shape: list[int]) -> list[int]:
        if shape.count(-1) > 1:
            raise ValueError("at most one dimension may be -1")
        if 0 in shape:
            raise ValueError("dimensions must be positive (or -1 for one inferred dimension)")
        return shape


class PermuteSpec(LayerSpecBase):
    """Reorders the axes of each sample, e.g. (T, D) to (D, T) with dims [1, 0]."""

    category: ClassVar[Category] = "core"
    type: Literal["permute"] = "permute"
    dims: list[Annotated[int, Field(ge=0, le=7)]] = Field(
        min_length=1,
        max_length=8,
        description="New order of the sample axes (a permutation of 0..n-1, no batch axis).",
    )

    @field_validator("dims")
    @classmethod
    def _is_permutation(cls, dims: list[int]) -> list[int]:
        if sorted(dims) != list(range(len(dims))):
            raise ValueError(f"{dims} is not a permutation of 0..{len(dims) - 1}")
        return dims


class SliceSpec(LayerSpecBase):
    """Keeps a range of one sample axis, e.g. positions 8 to 12 of a (T, D) sequence: one
    token input can carry a translation's source and the decoder's input side by side."""

    category: ClassVar[Category] = "core"
    type: Literal["slice"] = "slice"
    start: int = Field(default=0, ge=0, le=1_000_000, description="First index kept.")
    stop: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="Index after the last one kept; default: the end of the axis.",
    )
    axis: Annotated[int, Field(ge=0, le=7)] = Field(
        default=0, description="The sample axis sliced (no batch axis): 0 is a sequence's time."
    )

    @field_validator("stop")
    @classmethod
    def _stop_after_start(cls, stop: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start", 0)
        if stop is not None and stop <= start:
            raise ValueError(f"stop {stop} must be greater than start {start}")
        return stop
