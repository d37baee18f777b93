"""Per-layer gradient norms: measured as PyTorch's own norms of each layer's gradient,
reported with every epoch's metrics, for trainable layers only."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from app.nn import build
from app.spec import parse_network
from app.spec.events import EpochEvent, TrainingEvent
from app.train import CHECKPOINT_NAME
from app.train.gradients import EVERY, GradientNorms
from tests.train.conftest import TrainFn, config
from tests.train.test_checkpoints import PauseAt

DEEP = {"input": {"shape": [2]}, "layers": [
    {"id": "h1", "type": "dense", "units": 8, "activation": "sigmoid"},
    {"id": "act", "type": "activation", "activation": "relu"},
    {"id": "h2", "type": "dense", "units": 8, "activation": "sigmoid"},
    {"id": "h3", "type": "dense", "units": 8, "activation": "sigmoid"},
    {"id": "out", "type": "dense", "units": 2},
]}


def _backward(model: torch.nn.Module, seed: int) -> None:
    model.zero_grad(set_to_none=True)
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(16, 2, generator=g), torch.randint(0, 2, (16,), generator=g)
    torch.nn.functional.cross_entropy(model(x), y).backward()


def _layer_norm(model: torch.nn.Module, layer: str, part: str = "") -> float:
    """The oracle: the L2 norm of the layer's gradients (those whose name ends with
    `part`) all together, by PyTorch."""
    grads = [p.grad.flatten() for name, p in model.get_submodule(layer).named_parameters()
             if name.endswith(part) and p.grad is not None]
    return float(torch.linalg.vector_norm(torch.cat(grads)))


def test_each_layer_s_norm_is_the_root_mean_square_of_its_steps_gradient_norms() -> None:
    torch.manual_seed(0)
    model = build(parse_network(DEEP))
    norms = GradientNorms(model, torch.device("cpu"), every=1)
    seen: dict[str, list[float]] = {"h1": [], "h2": [], "h3": [], "out": []}
    for seed in (1, 2, 3):
        _backward(model, seed)
        norms.after_step()
        for layer in seen:
            seen[layer].append(_layer_norm(model, model.layer_names[layer]))
    metrics = norms.epoch_metrics()
    expected = {f"grad_norm/{layer}": math.sqrt(sum(v * v for v in values) / len(values))
                for layer, values in seen.items()}
    assert {k: v for k, v in metrics.items() if k != "grad_norm_ratio"} == pytest.approx(
        expected, rel=1e-5)  # the activation layer has no parameters: no norm
    assert metrics["grad_norm_ratio"] == pytest.approx(
        expected["grad_norm/h1"] / expected["grad_norm/out"], rel=1e-5)
    assert norms.epoch_metrics() == {}  # the sums started again: no step measured since


def test_every_n_th_step_is_measured_and_overflowing_gradients_are_left_out() -> None:
    torch.manual_seed(0)
    model = build(parse_network(DEEP))
    h1 = model.layer_names["h1"]
    norms = GradientNorms(model, torch.device("cpu"), skip_overflow=True)
    squares: dict[str, list[float]] = {"weight": [], "bias": []}
    for step in range(EVERY + 1):  # steps 0 and EVERY are measured
        _backward(model, step)
        if step == EVERY:  # its weight's gradient overflows, as an fp16 step's can
            for name, param in model.get_submodule(h1).named_parameters():
                if name.endswith("weight") and param.grad is not None:
                    param.grad.fill_(math.inf)
        if step in (0, EVERY):
            for part in squares:
                norm = _layer_norm(model, h1, part)
                if math.isfinite(norm):
                    squares[part].append(norm ** 2)
        norms.after_step()
    metrics = norms.epoch_metrics()
    assert all(math.isfinite(v) for v in metrics.values())
    assert len(squares["weight"]) == 1 and len(squares["bias"]) == 2
    expected = sum(sum(values) / len(values) for values in squares.values())
    assert metrics["grad_norm/h1"] == pytest.approx(math.sqrt(expected), rel=1e-5)


def test_epochs_report_the_norms_of_trainable_layers_and_their_ratio(train: TrainFn) -> None:
    spec = {**DEEP, "layers": [{**DEEP["layers"][0], "trainable": False}, *DEEP["layers"][1:]]}
    _, events, _ = train(config(epochs=2), spec=spec)
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert len(epochs) == 2
    for epoch in epochs:
        names = {n for n in epoch.metrics if n.startswith("grad_norm")}
        # the frozen h1 and the activation layer have no gradient
        assert names == {"grad_norm/h2", "grad_norm/h3", "grad_norm/out", "grad_norm_ratio"}
        assert epoch.metrics["grad_norm_ratio"] == pytest.approx(
            epoch.metrics["grad_norm/h2"] / epoch.metrics["grad_norm/out"])
        assert all(v > 0 for n, v in epoch.metrics.items() if n in names)


def test_an_epoch_paused_midway_reports_the_norms_of_all_its_steps(
        train: TrainFn, tmp_path: Path) -> None:
    cfg = config(epochs=2)  # 15 steps an epoch, a report every 5

    def norms(events: list[TrainingEvent]) -> dict[int, dict[str, float]]:
        return {e.epoch: {n: v for n, v in e.metrics.items() if n.startswith("grad_norm")}
                for e in events if isinstance(e, EpochEvent)}

    _, whole, _ = train(cfg, spec=DEEP)
    paused, _, _ = train(cfg, spec=DEEP, checkpoint_dir=tmp_path, control=PauseAt(1))
    assert paused.status == "paused" and paused.epoch == 0 and paused.step == 5
    resumed, rest, _ = train(cfg, spec=DEEP, checkpoint_dir=tmp_path,
                             resume=tmp_path / CHECKPOINT_NAME)
    assert resumed.status == "completed"
    assert norms(rest) == norms(whole) and len(norms(whole)[0]) == 5


def test_a_parameter_a_step_did_not_reach_counts_only_the_steps_that_did() -> None:
    torch.manual_seed(0)
    model = build(parse_network(DEEP))
    out = model.layer_names["out"]
    bias = next(p for n, p in model.get_submodule(out).named_parameters() if n.endswith("bias"))
    norms = GradientNorms(model, torch.device("cpu"), every=1)
    squares: dict[str, list[float]] = {"weight": [], "bias": []}
    for seed in (1, 2, 3):
        _backward(model, seed)
        if seed == 3:
            bias.grad = None  # as for a parameter this step's loss did not use
        for part in squares:
            if part == "weight" or bias.grad is not None:
                squares[part].append(_layer_norm(model, out, part) ** 2)
        norms.after_step()
    metrics = norms.epoch_metrics()
    assert len(squares["weight"]) == 3 and len(squares["bias"]) == 2
    expected = sum(sum(values) / len(values) for values in squares.values())
    assert metrics["grad_norm/out"] == pytest.approx(math.sqrt(expected), rel=1e-5)
