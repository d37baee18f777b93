"""Each activation function and its derivative, sampled over a fixed range of x by the
very modules the builder puts in a network (f' by autograd), so a drawn curve cannot
disagree with what trains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import nn

from app.nn.layers.activations import activation_recipe
from app.spec import ActivationName
from app.spec.layers.core import ActivationSpec

X_MAX, POINTS = 5.0, 201  # x runs from -X_MAX to X_MAX; POINTS is odd
X_MIN = -X_MAX
DECIMALS = 6
ACTIVATIONS: tuple[str, ...] = get_args(ActivationName)
NEGATIVE_SLOPE: float = ActivationSpec.model_fields["negative_slope"].default

Form = Literal["elementwise", "first_of_pair"]
# Softmax and log-softmax mix the values of a whole axis: drawn as the first output of the
# pair [x, 0] (the two-class case: softmax gives sigmoid(x), log-softmax log sigmoid(x)),
# and f' is the diagonal entry ∂y₀/∂x₀ of their Jacobian.
NOT_ELEMENTWISE: dict[str, Form] = {"softmax": "first_of_pair", "log_softmax": "first_of_pair"}


@dataclass(frozen=True)
class ActivationCurve:
    """f(x) and f'(x) of one activation at the points `sample_points()` gives."""

    name: str
    form: Form
    f: list[float]
    df: list[float]


def sample_points() -> torch.Tensor:
    """The x values every curve is sampled at: POINTS evenly spaced from X_MIN to X_MAX,
    0 exactly in the middle (where ReLU's kink is)."""
    half = POINTS // 2
    return torch.arange(-half, half + 1, dtype=torch.float32) / (half / X_MAX)


def activation_module(name: str, negative_slope: float = NEGATIVE_SLOPE) -> nn.Module:
    """The module a dense, conv or activation layer builds for `name` (leaky_relu with
    `negative_slope`, softmax over the last axis); nn.Identity for 'linear'."""
    if name not in ACTIVATIONS:
        raise KeyError(f"{name!r} is not an activation; known: {', '.join(ACTIVATIONS)}")
    recipe = activation_recipe(name, negative_slope=negative_slope, dim=-1)
    return nn.Identity() if recipe is None else recipe.instantiate()


def activation_curve(name: str, x: torch.Tensor | None = None,
                     negative_slope: float = NEGATIVE_SLOPE) -> ActivationCurve:
    """f and f' of activation `name` at x (default: `sample_points()`), rounded to
    DECIMALS places; leaky_relu with `negative_slope`."""
    leaf = (sample_points() if x is None else x).detach().clone().requires_grad_(True)
    module = activation_module(name, negative_slope)
    form = NOT_ELEMENTWISE.get(name, "elementwise")
    if form == "first_of_pair":
        pair = torch.stack([leaf, torch.zeros_like(leaf)], dim=-1)  # (N, 2)
        y = module(pair)[:, 0]  # (N,)
    else:
        y = module(leaf)  # (N,)
    # every y_i depends on x_i alone, so the gradient of the sum is f' point by point
    (slope,) = torch.autograd.grad(y.sum(), leaf)
    return ActivationCurve(name=name, form=form, f=_rounded(y), df=_rounded(slope))


def _rounded(values: torch.Tensor) -> list[float]:
    return [round(float(v), DECIMALS) + 0.0 for v in values.detach().tolist()]  # no -0.0
