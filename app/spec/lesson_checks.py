"""The claims of a lesson's experiments, as a test checks them: a metric of the finished
run (at its end, after a given epoch, or its change between two epochs; gradient norms
included) against a number or another experiment; a layer's output shape; and the worked
examples of attention and of a convolution reproduced on a real layer. The last three
need no training."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, cast

from pydantic import Field, model_validator

from app.spec.base import LayerId, SpecModel
from app.spec.gradients import GRAD_NORM_PREFIX, GRAD_NORM_RATIO
from app.spec.layers.conv import Conv2dSpec

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
NEAR_ZERO = "near_zero_weights"
NEAR_ZERO_BELOW = 0.01
"""A claim on NEAR_ZERO reads the share of the final model's weights (tensors of 2+
dimensions, as the L1 and L2 penalties count them) whose size is below NEAR_ZERO_BELOW."""
ATTENTION_LAYERS = ("multihead_attention", "transformer_encoder_block",
                    "transformer_decoder_block")
STEP_METRICS = ("steps_per_epoch", "loss_noise", "diverged")
"""The metrics read from the training loss of each step (step_outcome), not per epoch."""
AT = "@"
"""An outcome keeps a metric's value after epoch k as `<metric>@k` (see `outcome`)."""


class Check(SpecModel):
    """A claim of `expect` a test verifies: a metric of the finished run (its test_* metrics
    and its last epoch's, or an epoch's, or its change between two epochs) above or below
    a number, or than the same metric of another experiment of the lesson, read the same
    way (by at least `margin`)."""

    metric: str = Field(min_length=1, max_length=64, description=(
        "A test metric (test_accuracy), the last epoch's (train_loss, val_loss), gap "
        "(val_loss - train_loss at the last epoch), epochs (how many ran), "
        f"{NEAR_ZERO} (the share of the final weights smaller than {NEAR_ZERO_BELOW} in "
        "size; biases and norms are left out, as the L1 and L2 penalties leave them), "
        f"{GRAD_NORM_PREFIX}<layer> (the L2 norm of that layer's gradient, the root mean "
        f"square over the epoch's measured steps), {GRAD_NORM_RATIO} (the first trainable "
        "layer's gradient norm over the last's: far below 1 when the gradient vanishes "
        "on its way back); or, from the training loss of each step: steps_per_epoch (the "
        "steps an epoch takes), loss_noise (the mean change of the loss from one step to "
        "the next in the last epoch, as a share of that epoch's mean loss: small batches "
        "give a noisier curve) or diverged (1 when the loss became NaN or infinite, which "
        "stops the run, else 0)."))
    op: Literal["above", "below"]
    value: float | None = Field(default=None, description="The number to compare with.")
    than: str | None = Field(default=None, pattern=SLUG, description="Or this experiment.")
    margin: float = Field(default=0.0, ge=0.0, description=(
        "With than: by at least this much (above: more than theirs + margin; below: less "
        "than theirs - margin)."))
    epoch: int | None = Field(default=None, ge=1, le=10_000, description=(
        "Read an epoch's metric, not the last epoch's: its value after this many epochs "
        "(1: the first). A run that ran fewer has no value, and the claim does not hold."))
    since: int | None = Field(default=None, ge=1, le=10_000, description=(
        "Read the metric's change: its value after `epoch` epochs (or the last) minus its "
        "value after `since` epochs, negative when it fell. E.g. val_loss falls by more "
        "than 0.5 from the first epoch to the fifth: since 1, epoch 5, below -0.5."))

    @model_validator(mode="after")
    def _one_side(self) -> Check:
        if (self.value is None) == (self.than is None):
            raise ValueError("a check compares with a value or with another experiment "
                             "(than), one of them")
        if self.margin and self.than is None:
            raise ValueError("a margin goes with than; with a value, put it in the value")
        if (self.epoch is not None or self.since is not None) and not per_epoch(self.metric):
            raise ValueError(f"{self.metric} is measured once, at the end: epoch and since "
                             "read a metric each epoch reports (val_loss, grad_norm_ratio)")
        if self.since is not None and self.epoch is not None and self.since >= self.epoch:
            raise ValueError(f"since ({self.since}) must be an epoch before epoch "
                             f"({self.epoch})")
        return self

    @property
    def gradient_layer(self) -> str | None:
        """The layer whose gradient norm the claim reads, if it reads one."""
        return self.metric.removeprefix(GRAD_NORM_PREFIX) if self.metric.startswith(
            GRAD_NORM_PREFIX) else None

    @property
    def reading(self) -> str:
        """What the claim reads, in words: `val_loss at epoch 2`, `val_loss change from
        epoch 1 to the last`."""
        at = "the last" if self.epoch is None else f"epoch {self.epoch}"
        if self.since is not None:
            return f"{self.metric} change from epoch {self.since} to {at}"
        return self.metric if self.epoch is None else f"{self.metric} at {at}"

    def measure(self, found: Mapping[str, float]) -> float | None:
        """The claim's reading of a run's outcome (see `outcome`); None where it lacks it."""
        now = found.get(self.metric if self.epoch is None else at_epoch(self.metric,
                                                                         self.epoch))
        if self.since is None or now is None:
            return now
        before = found.get(at_epoch(self.metric, self.since))
        return None if before is None else now - before

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


def per_epoch(metric: str) -> bool:
    """Whether each epoch reports the metric (so a claim can read it at an epoch)."""
    return not metric.startswith("test_") and metric not in ("epochs", NEAR_ZERO,
                                                             *STEP_METRICS)


def at_epoch(metric: str, epoch: int) -> str:
    """The key of a metric's value after `epoch` epochs in an outcome."""
    return f"{metric}{AT}{epoch}"


def outcome(epochs: Sequence[Mapping[str, float]], test: Mapping[str, float]
            ) -> dict[str, float]:
    """The metrics checks read, from each epoch's metrics and the final test metrics:
    the last epoch's by name, the test metrics, and every epoch's as `at_epoch` names."""
    series = [_with_gap(metrics) for metrics in epochs]
    found = {at_epoch(name, number): value for number, metrics in enumerate(series, start=1)
             for name, value in metrics.items()}
    return found | (series[-1] if series else {}) | dict(test) | {"epochs": float(len(epochs))}


def _with_gap(metrics: Mapping[str, float]) -> dict[str, float]:
    found = dict(metrics)
    if "val_loss" in found and "train_loss" in found:
        found["gap"] = found["val_loss"] - found["train_loss"]
    return found


def step_outcome(epochs: Sequence[float], losses: Sequence[float]) -> dict[str, float]:
    """The metrics claims read from the training loss of each step, oldest first, with
    the epoch of each: steps_per_epoch (the most steps of any epoch), diverged and, when
    the last epoch has two losses or more, all finite and not all zero, loss_noise."""
    if not losses:
        return {}
    steps = Counter(epochs)
    found = {"steps_per_epoch": float(max(steps.values())),
             "diverged": float(not all(math.isfinite(loss) for loss in losses))}
    last = [loss for epoch, loss in zip(epochs, losses, strict=True) if epoch == epochs[-1]]
    if len(last) > 1 and all(math.isfinite(loss) for loss in last) and sum(last) > 0:
        moves = [abs(after - before) for before, after in itertools.pairwise(last)]
        found["loss_noise"] = statistics.fmean(moves) / statistics.fmean(last)
    return found


__all__ = ["AT", "ATTENTION_LAYERS", "NEAR_ZERO", "NEAR_ZERO_BELOW", "STEP_METRICS", "WORKED",
           "AnyCheck", "AttentionCheck", "Check", "ConvolutionCheck", "ShapeCheck", "at_epoch",
           "correlate", "outcome", "per_epoch", "softmax", "step_outcome", "worked_by_hand"]
