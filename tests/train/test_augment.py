"""Augmentation: each image of a batch drawn its own flip, shift and rotation, within the
bounds set; a classifier on images trains with it, the same seed giving the same run; any
other dataset or task is refused naming the setting."""

from __future__ import annotations

import pytest
import torch

from app.runs import run_local
from app.spec import parse_network
from app.spec.events import FinishedEvent, MetricsEvent, TrainingEvent
from app.spec.training import AugmentSpec, TrainingSpec
from app.train import TaskError
from app.train.augment import augmented
from app.train.session import check_training

DIGITS_CNN = parse_network({"input": {"shape": [1, 8, 8]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 10}]})


def images(n: int = 64) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(n, 2, 9, 11)


def test_off_leaves_the_batch_as_it_is() -> None:
    x = images()
    assert augmented(x, AugmentSpec()) is x


def test_each_image_is_flipped_or_not_on_its_own_draw() -> None:
    x = images()
    y = augmented(x, AugmentSpec(flip=True))
    flipped = [bool(torch.equal(y[i], x[i].flip(-1))) for i in range(len(x))]
    assert all(flipped[i] or torch.equal(y[i], x[i]) for i in range(len(x)))
    assert 16 < sum(flipped) < 48  # about half, each its own


def test_shifts_move_whole_pixels_within_the_bound_and_fill_with_zero() -> None:
    x = images()
    y = augmented(x, AugmentSpec(shift=2))
    moves = set()
    for i in range(len(x)):
        found = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3)
                 if torch.allclose(y[i], shifted(x[i], dx, dy), atol=1e-6)]
        assert found, i
        moves.add(found[0])
    assert len(moves) > 5


def shifted(image: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """The image moved right by dx and down by dy pixels, the edge filled with 0."""
    out = torch.zeros_like(image)
    h, w = image.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def test_rotations_keep_a_disc_and_turn_a_bar() -> None:
    side = torch.arange(21, dtype=torch.float32) - 10
    yy, xx = torch.meshgrid(side, side, indexing="ij")
    disc = (xx**2 + yy**2 <= 36).float()[None].expand(32, 1, 21, 21)
    bar = ((xx.abs() <= 8) & (yy.abs() <= 1)).float()[None].expand(32, 1, 21, 21)
    turned = augmented(torch.cat([disc, bar]), AugmentSpec(rotate=45))
    disc_change = (turned[:32] - disc).abs().mean(dim=(1, 2, 3))
    bar_change = (turned[32:] - bar).abs().mean(dim=(1, 2, 3))
    assert disc_change.max() < 0.05  # its edge blurs a little, nothing more
    assert bar_change.mean() > 2 * disc_change.mean() and bar_change.max() > 0.1
    assert len({round(float(c), 4) for c in bar_change}) > 20  # each its own angle


def digits(**augment: object) -> TrainingSpec:
    return TrainingSpec.model_validate({
        "dataset": {"name": "digits", "options": {"layout": "image"}}, "epochs": 2,
        "batch_size": 32, "seed": 4, "augment": augment})


def test_a_classifier_on_images_trains_with_it_the_same_seed_the_same_run() -> None:
    runs = []
    for _ in range(2):
        events: list[TrainingEvent] = []
        final = run_local(DIGITS_CNN, digits(flip=True, shift=1, rotate=10), events.append)
        assert isinstance(final, FinishedEvent) and final.status == "completed"
        runs.append([v for e in events if isinstance(e, MetricsEvent)
                     for v in e.values["train_loss"]])
    assert runs[0] == runs[1]
    plain: list[TrainingEvent] = []
    run_local(DIGITS_CNN, digits(), plain.append)
    assert [v for e in plain if isinstance(e, MetricsEvent)
            for v in e.values["train_loss"]] != runs[0]


def test_other_datasets_and_tasks_are_refused_naming_the_setting() -> None:
    toy = parse_network({"input": {"shape": [2]}, "layers": [
        {"id": "out", "type": "dense", "units": 2}]})
    with pytest.raises(TaskError, match="turn augment off"):
        check_training(toy, TrainingSpec.model_validate({
            "dataset": {"name": "circle"}, "augment": {"flip": True}}))
