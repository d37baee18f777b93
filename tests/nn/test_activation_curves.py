"""The drawn activation curves are what a built network computes: for every activation,
f and f' from the curves module equal the output of a network of one activation layer
(or of a dense layer naming it) and its gradient by autograd."""

from __future__ import annotations

import pytest
import torch

from app.nn import build
from app.nn.activation_curves import (
    ACTIVATIONS,
    NOT_ELEMENTWISE,
    POINTS,
    activation_curve,
    sample_points,
)
from app.spec import NetworkSpec


def network_curve(layer: dict[str, object], pair: bool) -> tuple[list[float], list[float]]:
    """f and f' at the sample points, by a network built from a spec of one layer."""
    shape = [POINTS, 2] if pair else [POINTS]
    spec = NetworkSpec.model_validate({"version": 1, "input": {"shape": shape},
                                       "layers": [{"id": "f", **layer}]})
    model = build(spec, device="cpu")
    x = sample_points().requires_grad_(True)
    sample = torch.stack([x, torch.zeros_like(x)], dim=-1) if pair else x  # (N, 2) or (N,)
    y = model(sample.unsqueeze(0))[0]
    y = y[:, 0] if pair else y  # (N,)
    (slope,) = torch.autograd.grad(y.sum(), x)
    return y.tolist(), slope.tolist()


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_the_curve_is_what_an_activation_layer_computes(name: str) -> None:
    f, df = network_curve({"type": "activation", "activation": name}, name in NOT_ELEMENTWISE)
    curve = activation_curve(name)
    assert curve.f == pytest.approx(f, abs=1e-6)
    assert curve.df == pytest.approx(df, abs=1e-6)


def test_leaky_relu_takes_the_layer_s_slope() -> None:
    f, df = network_curve({"type": "activation", "activation": "leaky_relu",
                           "negative_slope": 0.3}, pair=False)
    curve = activation_curve("leaky_relu", negative_slope=0.3)
    assert curve.f == pytest.approx(f, abs=1e-6) and curve.df == pytest.approx(df, abs=1e-6)
    assert set(curve.df) == {0.3, 1.0}


def test_a_dense_layer_s_activation_field_uses_the_same_module() -> None:
    """A dense layer's leaky_relu has the default slope the curves are drawn with."""
    spec = NetworkSpec.model_validate({"version": 1, "input": {"shape": [1]}, "layers": [
        {"id": "d", "type": "dense", "units": 1, "activation": "leaky_relu"}]})
    model = build(spec, device="cpu")
    with torch.no_grad():
        for parameter in model.parameters():  # weight 1, bias 0: the dense layer passes x on
            parameter.copy_(torch.ones_like(parameter) if parameter.dim() > 1
                            else torch.zeros_like(parameter))
        y = model(sample_points().unsqueeze(1))[:, 0]  # (N,)
    assert activation_curve("leaky_relu").f == pytest.approx(y.tolist(), abs=1e-6)
