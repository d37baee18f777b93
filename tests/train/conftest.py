"""Small in-memory datasets so trainer tests need no files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from app.datasets.base import DatasetInfo, TensorData
from app.nn import analyze, build
from app.spec import parse_network
from app.spec.events import TrainingEvent
from app.spec.training import TrainingSpec
from app.train import Trainer, make_task


def circle_data(n: int = 600) -> TensorData:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=g)
    y = (x.pow(2).sum(1) < 1.0).long()
    cut = n * 4 // 5
    info = DatasetInfo("circle", "points inside a circle", ("classification",), (2,),
                       num_classes=2, splits={"train": cut, "test": n - cut})
    return TensorData(info, x[:cut], y[:cut], x[cut:], y[cut:])


def line_data(n: int = 400) -> TensorData:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, 3, generator=g)
    y = (x @ torch.tensor([[1.0], [-2.0], [0.5]])) + 0.3
    cut = n * 4 // 5
    info = DatasetInfo("line", "a linear target", ("regression",), (3,), target_shape=(1,),
                       splits={"train": cut, "test": n - cut})
    return TensorData(info, x[:cut], y[:cut], x[cut:], y[cut:])


MLP = {"input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "drop", "type": "dropout", "rate": 0.1},
    {"id": "out", "type": "dense", "units": 2},
]}


def config(**overrides: Any) -> TrainingSpec:
    base: dict[str, Any] = {"dataset": {"name": "circle"}, "epochs": 3, "batch_size": 32,
                            "optimizer": {"lr": 0.01}, "report_every": 5}
    return TrainingSpec.model_validate(base | overrides)


TrainFn = Callable[..., tuple[Any, list[TrainingEvent], torch.nn.Module]]


@pytest.fixture
def train() -> TrainFn:
    """train(cfg, data=, spec=, resume=, hook=, **trainer_kwargs) -> (final, events, model)."""

    def run(cfg: TrainingSpec, data: TensorData | None = None,
            spec: dict[str, Any] | None = None, resume: Any = None,
            hook: Callable[[TrainingEvent], None] | None = None,
            **kwargs: Any) -> tuple[Any, list[TrainingEvent], torch.nn.Module]:
        data = data or circle_data()
        network = parse_network(spec or MLP)
        torch.manual_seed(cfg.seed)
        model = build(network)
        task = make_task(data.info, cfg.task, cfg.loss, analyze(network).output_shape,
                         network.layers[-1].id)
        events: list[TrainingEvent] = []

        def emit(event: TrainingEvent) -> None:
            events.append(event)
            if hook is not None:
                hook(event)

        trainer = Trainer(model, data, cfg, task, emit, torch.device("cpu"), **kwargs)
        return trainer.fit(resume), events, model

    return run
