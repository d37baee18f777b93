"""Activation names -> torch.nn modules, shared by activation layers and fields."""

from __future__ import annotations

from app.nn.recipe import Recipe, nn_call

_SIMPLE = {
    "relu": "ReLU",
    "elu": "ELU",
    "selu": "SELU",
    "gelu": "GELU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "swish": "SiLU",
    "silu": "SiLU",
    "softplus": "Softplus",
}


def activation_recipe(name: str | None, negative_slope: float = 0.01,
                      dim: int = -1) -> Recipe | None:
    """The module for an activation, or None for no activation ('linear')."""
    if name is None or name == "linear":
        return None
    if name == "leaky_relu":
        return nn_call("LeakyReLU", negative_slope)
    if name == "softmax":
        return nn_call("Softmax", dim=dim)
    if name == "log_softmax":
        return nn_call("LogSoftmax", dim=dim)
    return nn_call(_SIMPLE[name])


def sample_axis_to_dim(axis: int) -> int:
    """A sample axis (no batch dim) as a tensor dim (batch first); negatives stay."""
    return axis + 1 if axis >= 0 else axis
