"""One training step laid bare, checked against the chain rule worked by hand on a
2-2-1 sigmoid MLP, and against autograd and the optimizers on a bigger network."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from app.inspect.arrays import decode
from app.inspect.step import TensorView, training_step, view
from app.nn import build
from app.spec import NetworkSpec, parse_network

X, T = (0.05, 0.10), 0.01
W_H, B_H = ((0.15, 0.20), (0.25, 0.30)), (0.35, 0.35)
W_O, B_O = (0.40, 0.45), 0.60
LR = 0.5


def values(view: TensorView | None) -> list[float]:
    assert view is not None and view.values is not None
    return decode(view.values).flatten().tolist()


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.fixture
def tiny() -> torch.nn.Module:
    model = build(parse_network({"input": {"shape": [2]}, "layers": [
        {"id": "h", "type": "dense", "units": 2, "activation": "sigmoid"},
        {"id": "out", "type": "dense", "units": 1, "activation": "sigmoid"}]}))
    with torch.no_grad():
        model.state_dict()["h.0.weight"].copy_(torch.tensor(W_H))
        model.state_dict()["h.0.bias"].copy_(torch.tensor(B_H))
        model.state_dict()["out.0.weight"].copy_(torch.tensor([W_O]))
        model.state_dict()["out.0.bias"].copy_(torch.tensor([B_O]))
    return model


def mse(_: torch.nn.Module, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, y)


def test_a_2_2_1_mlp_step_matches_the_chain_rule_by_hand(tiny: torch.nn.Module) -> None:
    # forward, by hand
    h = [sigmoid(W_H[i][0] * X[0] + W_H[i][1] * X[1] + B_H[i]) for i in range(2)]
    o = sigmoid(W_O[0] * h[0] + W_O[1] * h[1] + B_O)
    loss = (o - T) ** 2
    # backward: dL/do, then through each sigmoid (s' = s (1 - s))
    delta_o = 2 * (o - T) * o * (1 - o)
    grad_w_o = [delta_o * h[0], delta_o * h[1]]
    delta_h = [delta_o * W_O[i] * h[i] * (1 - h[i]) for i in range(2)]
    grad_w_h = [delta_h[i] * X[j] for i in range(2) for j in range(2)]
    assert h[0] == pytest.approx(0.593269992) and o == pytest.approx(0.75136507)

    step = training_step(tiny, torch.tensor([X]), torch.tensor([[T]]), mse,
                         lambda m: torch.optim.SGD(m.parameters(), lr=LR))
    assert step.loss == pytest.approx(loss, rel=1e-6)
    assert values(step.output) == pytest.approx([o])
    hidden, out = step.layers
    assert (hidden.layer, out.layer) == ("h", "out")
    assert values(hidden.inputs[0]) == pytest.approx(list(X))
    assert values(hidden.output) == pytest.approx(h) == values(out.inputs[0])
    params = {f"{layer.layer}.{p.name}": p for layer in step.layers for p in layer.params}
    assert values(params["out.weight"].grad) == pytest.approx(grad_w_o, rel=1e-5)
    assert values(params["out.bias"].grad) == pytest.approx([delta_o], rel=1e-5)
    assert values(params["h.weight"].grad) == pytest.approx(grad_w_h, rel=1e-5)
    assert values(params["h.bias"].grad) == pytest.approx(delta_h, rel=1e-5)
    # SGD: w <- w - lr * dL/dw
    assert values(params["out.weight"].update) == pytest.approx([-LR * g for g in grad_w_o],
                                                                rel=1e-4)
    assert values(params["out.weight"].after) == pytest.approx(
        [w - LR * g for w, g in zip(W_O, grad_w_o, strict=True)], rel=1e-6)
    # the run's model itself is untouched
    assert torch.equal(tiny.state_dict()["out.0.weight"], torch.tensor([W_O]))


def test_gradients_equal_autograd_and_adam_moves_each_weight_by_about_lr(
        presets: dict[str, NetworkSpec]) -> None:
    torch.manual_seed(0)
    model = build(presets["toy-mlp"])
    x, y = torch.randn(8, 2), torch.randint(0, 2, (8,))

    def cross_entropy(_: torch.nn.Module, out: torch.Tensor, target: torch.Tensor
                      ) -> torch.Tensor:
        return F.cross_entropy(out, target)

    step = training_step(model, x, y, cross_entropy,
                         lambda m: torch.optim.Adam(m.parameters(), lr=0.01))
    reference = F.cross_entropy(model(x), y)
    names = [n for n, _ in model.named_parameters()]
    expected = dict(zip(names, torch.autograd.grad(reference, list(model.parameters())),
                        strict=True))
    assert {p.key for layer in step.layers for p in layer.params} == set(names)
    assert step.loss == pytest.approx(reference.item(), rel=1e-6)
    for layer in step.layers:
        for param in layer.params:
            grad = torch.tensor(values(param.grad))
            assert torch.allclose(grad, expected[param.key].flatten(), atol=1e-6), param.key
            # Adam's first step: m / sqrt(v) = g / |g|, so each weight moves by lr
            update = torch.tensor(values(param.update))
            assert torch.allclose(update, -0.01 * grad / (grad.abs() + 1e-8), atol=1e-5)


def test_big_tensors_are_summarised_not_sent(presets: dict[str, NetworkSpec]) -> None:
    model = build(presets["toy-mlp"])
    step = training_step(model, torch.randn(2, 2), torch.tensor([0, 1]),
                         lambda _, out, y: F.cross_entropy(out, y),
                         lambda m: torch.optim.SGD(m.parameters(), lr=0.1))
    big = view(torch.ones(300, 300))
    assert big.values is None and big.norm == pytest.approx(300.0) and big.shape == [300, 300]
    assert all(p.before.values is not None for layer in step.layers for p in layer.params)
