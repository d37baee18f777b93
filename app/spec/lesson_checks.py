"""The claims of a lesson's experiments, as a test checks them: a metric of the finished
run against a number or another experiment; a layer's output shape; and the worked
examples of attention and of a convolution reproduced on a real layer. The last three
need no training."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, cast

from pydantic import Field, model_validator

from app.spec.base import LayerId, SpecModel
from app.spec.layers.conv import Conv2dSpec

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
NEAR_ZERO = "near_zero_weights"
NEAR_ZERO_BELOW = 0.01
"""A claim on NEAR_ZERO reads the share of the final model's weights (tensors of 2+
dimensions, as the L1 and L2 penalties count them) whose size is below NEAR_ZERO_BELOW."""
ATTENTION_LAYERS = ("multihead_attention", "transformer_encoder_block",
                    "transformer_decoder_block")


class Check(SpecModel):
    """A claim of `expect` a test verifies: a metric of the finished run (its test_* metrics
    and its last epoch's) above or below a number, or than the same metric of another
    experiment of the lesson (by at least `margin`)."""

    metric: str = Field(min_length=1, max_length=64, description=(
        "A test metric (test_accuracy), the last epoch's (train_loss, val_loss), gap "
        "(val_loss - train_loss at the last epoch), epochs (how many ran) or "
        f"{NEAR_ZERO} (the share of the final weights smaller than {NEAR_ZERO_BELOW} in "
        "size; biases and norms are left out, as the L1 and L2 penalties leave them)."))
    op: Literal["above", "below"]
    value: float | None = Field(default=None, description="The number to compare with.")
    than: str | None = Field(default=None, pattern=SLUG, description="Or this experiment.")
    margin: float = Field(default=0.0, ge=0.0, description=(
        "With than: by at least this much (above: more than theirs + margin; below: less "
        "than theirs - margin)."))

    @model_validator(mode="after")
    def _one_side(self) -> Check:
        if (self.value is None) == (self.than is None):
            raise ValueError("a check compares with a value or with another experiment "
                             "(than), one of them")
        if self.margin and self.than is None:
            raise ValueError("a margin goes with than; with a value, put it in the value")
        return self

    def bound(self, other: float | None = None) -> float:
        """The number the metric must be above or below."""
        if self.value is not None:
            return self.value
        assert other is not None
        return other + self.margin if self.op == "above" else other - self.margin

    def holds(self, mine: float, other: float | None = None) -> bool:
        bound = self.bound(other)
        return mine > bound if self.op == "above" else mine < bound


class ShapeCheck(SpecModel):
    """A claim about shapes, checked without training: a layer's output shape (per
    sample, channels first) in the experiment's network."""

    layer: LayerId
    shape: list[int] = Field(min_length=1, max_length=4)


def softmax(values: Sequence[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    return [e / sum(exps) for e in exps]


class AttentionCheck(SpecModel):
    """The worked example of scaled dot-product attention, reproduced on a real layer and
    checked without training: the layer's projections are set so that one query's dot
    products with the keys are `scores`, and the attention weights the layer then
    computes are claimed to be `weights`, softmax(scores / sqrt(d_k)), to within
    `tolerance`. Every head of the layer is d_k wide."""

    layer: LayerId = Field(description="A multihead_attention or transformer_encoder_block "
                                       "layer of the experiment's network.")
    scores: list[float] = Field(min_length=2, max_length=8, description=(
        "The query's dot products with each key, q·k."))
    d_k: int = Field(ge=1, le=8192, description="The width of each head's queries and keys.")
    weights: list[float] = Field(min_length=2, max_length=8, description=(
        "The attention weight of each key, as the lesson states it (rounded)."))
    tolerance: float = Field(default=0.005, gt=0.0, le=0.05, description=(
        "How far a computed weight may be from the stated one."))

    @model_validator(mode="after")
    def _weights_are_the_softmax(self) -> AttentionCheck:
        if any(abs(s) > 1e6 for s in self.scores):
            raise ValueError("scores are dot products of at most 1e6 in size")
        if len(self.weights) != len(self.scores):
            raise ValueError(f"{len(self.scores)} scores need {len(self.scores)} weights, "
                             f"not {len(self.weights)}")
        if not self.holds(self.expected()):
            shown = ", ".join(f"{w:.4f}" for w in self.expected())
            raise ValueError(f"softmax(scores / sqrt({self.d_k})) is [{shown}], not "
                             f"{self.weights}")
        return self

    def expected(self) -> list[float]:
        """softmax(scores / sqrt(d_k)): what scaled dot-product attention gives."""
        return softmax([s / math.sqrt(self.d_k) for s in self.scores])

    def holds(self, computed: Sequence[float]) -> bool:
        return len(computed) == len(self.weights) and all(
            abs(c - w) <= self.tolerance for c, w in zip(computed, self.weights, strict=True))


Grid = Annotated[list[Annotated[list[float], Field(min_length=1, max_length=32)]],
                 Field(min_length=1, max_length=32)]


def correlate(image: Sequence[Sequence[float]], kernel: Sequence[Sequence[float]],
              bias: float = 0.0, stride: tuple[int, int] = (1, 1),
              padding: tuple[int, int] = (0, 0)) -> list[list[float]]:
    """A convolution worked by hand, as a network computes it (no kernel flip): each
    output value is the sum of the kernel times the patch of the zero-padded image under
    it, plus the bias."""
    (ph, pw), (sh, sw) = padding, stride
    width = len(image[0]) + 2 * pw
    padded = ([[0.0] * width] * ph + [[0.0] * pw + list(row) + [0.0] * pw for row in image]
              + [[0.0] * width] * ph)
    kh, kw = len(kernel), len(kernel[0])
    return [[bias + sum(kernel[i][j] * padded[top + i][left + j]
                        for i in range(kh) for j in range(kw))
             for left in range(0, width - kw + 1, sw)]
            for top in range(0, len(padded) - kh + 1, sh)]


class ConvolutionCheck(SpecModel):
    """The worked example of a convolution, checked without training: a conv2d layer
    whose kernel the experiment sets by hand (its weights field) takes the one-channel
    `image` and gives, for filter `filter` and before its activation, the feature map
    `output`, to within `tolerance`. The lesson only loads when `output` is also what
    working the kernel over the image by hand gives."""

    layer: LayerId = Field(description="A conv2d layer with weights, over one channel.")
    image: Grid = Field(description="The input image, one row of pixels per list.")
    output: Grid = Field(description="The feature map, as the lesson states it.")
    filter: int = Field(default=0, ge=0, le=4095, description="Which filter's map.")
    tolerance: float = Field(default=1e-3, gt=0.0, le=0.5, description=(
        "How far a computed value may be from the stated one."))

    @model_validator(mode="after")
    def _rectangular(self) -> ConvolutionCheck:
        for name in ("image", "output"):
            if len({len(row) for row in getattr(self, name)}) != 1:
                raise ValueError(f"every row of the {name} must have the same length")
        return self

    def holds(self, computed: Sequence[Sequence[float]]) -> bool:
        return (len(computed) == len(self.output)
                and all(len(row) == len(mine) and all(abs(c - m) <= self.tolerance
                                                      for c, m in zip(row, mine, strict=True))
                        for row, mine in zip(computed, self.output, strict=True)))


def worked_by_hand(layer: Conv2dSpec, check: ConvolutionCheck) -> list[list[float]]:
    """The feature map `check` claims, worked by hand from the layer's spec: its kernel
    for the check's filter over the image, with its bias, stride and padding; a
    ValueError says why the layer cannot work the example."""
    weights = layer.weights
    if weights is None:
        raise ValueError(f"layer {layer.id!r} sets no weights: give its kernel by hand")
    shape = weights.kernel_shape
    if len(shape) == 4 and shape[1] != 1:
        raise ValueError(f"layer {layer.id!r} reads {shape[1]} channels: the example has one")
    if check.filter >= layer.filters:
        raise ValueError(f"layer {layer.id!r} has {layer.filters} filters, no filter "
                         f"{check.filter}")
    if layer.dilation != 1:
        raise ValueError(f"layer {layer.id!r} has a dilation: the example works without")
    kernel = cast(list[list[float]], weights.kernel if len(shape) == 2
                  else weights.kernel[check.filter][0])
    stride = (layer.stride, layer.stride) if isinstance(layer.stride, int) else layer.stride
    if layer.padding == "same":
        if stride != (1, 1) or any(size % 2 == 0 for size in (len(kernel), len(kernel[0]))):
            raise ValueError(f"layer {layer.id!r}: the example works padding 'same' with an "
                             "odd kernel and a stride of 1 only")
        padding = ((len(kernel) - 1) // 2, (len(kernel[0]) - 1) // 2)
    else:
        pad = 0 if layer.padding == "valid" else layer.padding
        padding = (pad, pad)
    bias = weights.bias[check.filter] if weights.bias and layer.use_bias else 0.0
    return correlate(check.image, kernel, bias, stride, padding)


AnyCheck = Check | ShapeCheck | AttentionCheck | ConvolutionCheck
"""Check needs the experiment's run; the others read its network."""
WORKED = (AttentionCheck, ConvolutionCheck)
"""The checks that work an example on a real layer."""


def outcome(epochs: Sequence[Mapping[str, float]], test: Mapping[str, float]
            ) -> dict[str, float]:
    """The metrics checks read, from each epoch's metrics and the final test metrics."""
    last = dict(epochs[-1]) if epochs else {}
    derived = {"epochs": float(len(epochs))}
    if "val_loss" in last and "train_loss" in last:
        derived["gap"] = last["val_loss"] - last["train_loss"]
    return last | dict(test) | derived


__all__ = ["ATTENTION_LAYERS", "NEAR_ZERO", "NEAR_ZERO_BELOW", "WORKED", "AnyCheck",
           "AttentionCheck", "Check", "ConvolutionCheck", "ShapeCheck", "correlate", "outcome",
           "softmax", "worked_by_hand"]
