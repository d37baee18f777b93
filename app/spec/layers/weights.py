"""A convolution's starting values given in the spec: a kernel set by hand, as in the
course's worked examples. The spec checks that the lists are rectangular and small;
the builder checks that they fit the layer's shapes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from app.spec.base import SpecModel

MAX_KERNEL_VALUES = 4096
"""Values one layer's weights may hold: hand-set kernels, well within the body limit."""

_LENGTH = Field(min_length=1, max_length=MAX_KERNEL_VALUES)
Value = Annotated[float, Field(allow_inf_nan=False)]
Rows1 = Annotated[list[Value], _LENGTH]
Rows2 = Annotated[list[Rows1], _LENGTH]
Rows3 = Annotated[list[Rows2], _LENGTH]
Rows4 = Annotated[list[Rows3], _LENGTH]

_BIAS_DOC = ("One value per filter. Left out, the bias starts at zero (when use_bias is "
             "true), so the output is the kernel's sum alone, as worked by hand.")


def nested_shape(values: Any) -> tuple[int, ...]:
    """The shape of nested lists of numbers; ValueError when they are not rectangular."""
    if not isinstance(values, list):
        return ()
    shapes = {nested_shape(item) for item in values}
    if len(shapes) != 1:
        raise ValueError("every row of the kernel must have the same length")
    return (len(values), *shapes.pop())


class _WeightsBase(SpecModel):
    kernel: Any
    bias: Rows1 | None = Field(default=None, description=_BIAS_DOC)

    @model_validator(mode="after")
    def _rectangular_and_small(self) -> _WeightsBase:
        shape = nested_shape(self.kernel)
        total = 1
        for size in shape:
            total *= size
        if total > MAX_KERNEL_VALUES:
            raise ValueError(f"the kernel holds {total:,} values, over the limit of "
                             f"{MAX_KERNEL_VALUES:,}: give weights for small layers only")
        return self

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return nested_shape(self.kernel)


class Conv2dWeights(_WeightsBase):
    """A conv2d layer's kernel and bias."""

    kernel: Rows2 | Rows4 = Field(description=(
        "filters x input channels (divided by groups) x kernel height x kernel width; "
        "with one filter over a one-channel input, the kernel height x width grid alone, "
        "e.g. [[0, 1, 0], [1, -4, 1], [0, 1, 0]]."))


class Conv1dWeights(_WeightsBase):
    """A conv1d layer's kernel and bias."""

    kernel: Rows1 | Rows3 = Field(description=(
        "filters x input channels (divided by groups) x kernel length; with one filter "
        "over a one-channel input, the kernel's values alone, e.g. [-1, 0, 1]."))
