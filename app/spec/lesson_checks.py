"""The claims of a lesson's experiments, as a test checks them: a metric of the finished
run against a number or another experiment; a layer's output shape; and the worked
example of attention reproduced on a real layer. The last two need no training."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import Field, model_validator

from app.spec.base import LayerId, SpecModel

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
NEAR_ZERO = "near_zero_weights"
NEAR_ZERO_BELOW = 0.01
"""A claim on NEAR_ZERO reads the share of the final model's weights (tensors of 2+
dimensions, as the L1 and L2 penalties count them) whose size is below NEAR_ZERO_BELOW."""
ATTENTION_LAYERS = ("multihead_attention", "transformer_encoder_block")


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


AnyCheck = Check | ShapeCheck | AttentionCheck
"""Check needs the experiment's run; the others read its network."""


def outcome(epochs: Sequence[Mapping[str, float]], test: Mapping[str, float]
            ) -> dict[str, float]:
    """The metrics checks read, from each epoch's metrics and the final test metrics."""
    last = dict(epochs[-1]) if epochs else {}
    derived = {"epochs": float(len(epochs))}
    if "val_loss" in last and "train_loss" in last:
        derived["gap"] = last["val_loss"] - last["train_loss"]
    return last | dict(test) | derived


__all__ = ["ATTENTION_LAYERS", "NEAR_ZERO", "NEAR_ZERO_BELOW", "AnyCheck", "AttentionCheck",
           "Check", "ShapeCheck", "outcome", "softmax"]
