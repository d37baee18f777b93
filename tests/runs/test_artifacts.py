"""What a worker records for inspection: epoch weights (thinned), histograms, and the
decision boundary streamed while a 2-D model trains."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from app.inspect import boundary, decode
from app.nn import build
from app.runs.artifacts import (
    epoch_hooks,
    load_epoch_weights,
    read_histograms,
    saved_epochs,
    thin,
)
from app.runs.in_process import run_local
from app.spec import parse_network
from app.spec.events import BoundaryEvent, TrainingEvent
from app.spec.training import TrainingSpec

XOR_NET = parse_network({"input": {"shape": [2]}, "layers": [
    {"id": "hidden", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2}]})


def test_thinning_keeps_the_ends_and_spreads_the_rest() -> None:
    kept = list(range(30))
    for epoch in range(30, 100):
        kept.append(epoch)
        for dropped in thin(kept, 20):
            kept.remove(dropped)
    assert len(kept) == 20 and kept[0] == 0 and kept[-1] == 99
    gaps = [b - a for a, b in itertools.pairwise(kept)]
    assert max(gaps) <= 16  # no long stretch of history is lost
    assert thin([0, 1, 2], 20) == []


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[TrainingEvent]]:
    run_dir = tmp_path_factory.mktemp("run")
    training = TrainingSpec.model_validate({
        "dataset": {"name": "xor", "options": {"n_samples": 400}}, "epochs": 25,
        "batch_size": 32, "optimizer": {"name": "adam", "lr": 0.05}, "device": "cpu"})
    events: list[TrainingEvent] = []
    torch.manual_seed(0)
    final = run_local(XOR_NET, training, events.append, checkpoint_dir=run_dir,
                      hooks=epoch_hooks(run_dir, XOR_NET, training))
    assert final.status == "completed", final.reason
    return run_dir, events


def test_a_trained_xor_boundary_classifies_the_four_quadrants(
        xor_run: tuple[Path, list[TrainingEvent]]) -> None:
    run_dir, _ = xor_run
    model = build(XOR_NET)
    model.load_state_dict(load_epoch_weights(run_dir, saved_epochs(run_dir)[-1]))
    points = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    grid = boundary(model, points, torch.tensor([1, 1, 0, 0]), "classes", resolution=41)
    predicted = decode(grid.predicted)
    quadrant = {(10, 10): 1, (30, 30): 1, (30, 10): 0, (10, 30): 0}  # (row=y, col=x)
    for (row, col), expected in quadrant.items():
        assert predicted[row, col] == expected, (row, col)


def test_epochs_and_histograms_are_recorded(xor_run: tuple[Path, list[TrainingEvent]]) -> None:
    run_dir, _ = xor_run
    kept = saved_epochs(run_dir)
    assert len(kept) == 20 and kept[0] == 0 and kept[-1] == 24
    histograms = read_histograms(run_dir)
    assert [h.epoch for h in histograms] == list(range(25))
    first = histograms[0].parameters[0]
    assert first.layer == "hidden" and sum(first.weights.counts) == 2 * 16
    assert first.gradients is not None
    with (run_dir / "histograms.jsonl").open("a") as file:
        file.write('{"epoch": 25, "step"')  # a line cut short by a crash is skipped
    assert len(read_histograms(run_dir)) == 25


def test_the_boundary_is_streamed_while_training(
        xor_run: tuple[Path, list[TrainingEvent]]) -> None:
    _, events = xor_run
    shown = [e for e in events if isinstance(e, BoundaryEvent)]
    assert shown and shown[0].epoch == 0 and shown[-1].epoch == 24
    grid = shown[-1].boundary
    assert decode(grid.predicted).shape == (50, 50) and grid.confidence is not None
    kinds = [e.kind for e in events]
    assert kinds.index("boundary") > kinds.index("epoch")  # after the epoch it shows


def test_a_set_with_features_streams_its_boundary_over_the_points(tmp_path: Path) -> None:
    """A single linear unit over x² and y² draws a circle: the streamed boundary lies
    over the plane of the points (x, y), the centre one class and the ring the other."""
    training = TrainingSpec.model_validate({
        "dataset": {"name": "circle", "options": {"n_samples": 400,
                                                  "features": ["x_squared", "y_squared"]}},
        "loss": "bce", "epochs": 30, "batch_size": 32,
        "optimizer": {"name": "adam", "lr": 0.05}, "device": "cpu"})
    network = parse_network({"input": {"shape": [2]},
                             "layers": [{"id": "out", "type": "dense", "units": 1}]})
    events: list[TrainingEvent] = []
    torch.manual_seed(0)
    final = run_local(network, training, events.append, checkpoint_dir=tmp_path,
                      hooks=epoch_hooks(tmp_path, network, training))
    assert final.status == "completed" and final.metrics["test_accuracy"] > 0.95
    grid = [e for e in events if isinstance(e, BoundaryEvent)][-1].boundary
    assert grid.x_range[0] < -0.9 and grid.y_range[0] < -0.9  # signed: the points, not x²
    points = decode(grid.points)
    assert points.shape[1] == 2 and points.min() < -0.5
    predicted = decode(grid.predicted)
    middle, corner = predicted[25, 25], predicted[2, 2]
    assert (middle, corner) == (1, 0)  # the centre is class 1, beyond the ring class 0
