"""Points placed by hand: the points are the options, each class as placed, the features
derived as for every 2-D set, and points that cannot train refused with the reason."""

from __future__ import annotations

import pytest
import torch

from app.datasets import DatasetError, describe_dataset, load_dataset
from app.datasets.base import point_options

POINTS = [[-0.5, -0.5, 0], [-0.4, -0.6, 0], [0.5, 0.5, 1], [0.4, 0.6, 1], [0.0, 0.9, 2],
          [0.1, 0.8, 2], [-0.9, 0.1, 0], [0.9, -0.1, 1], [0.2, 0.7, 2], [-1.0, 1.0, 0]]


def test_the_points_are_the_data_split_with_the_seed() -> None:
    data = load_dataset("drawn", {"points": POINTS, "test_fraction": 0.2, "seed": 3})
    info = describe_dataset("drawn", {"points": POINTS})
    assert info.num_classes == 3 and info.class_names == ("0", "1", "2")
    assert info.splits == {"train": 8, "test": 2} and info.plane == ("x", "y")
    rows = torch.cat([torch.cat([data.x_train, data.y_train[:, None].float()], 1),
                      torch.cat([data.x_test, data.y_test[:, None].float()], 1)])
    stored = sorted(tuple(round(v, 5) for v in row) for row in rows.tolist())
    assert stored == sorted(tuple(float(v) for v in point) for point in POINTS)
    again = load_dataset("drawn", {"points": POINTS, "test_fraction": 0.2, "seed": 3})
    assert torch.equal(again.x_test, data.x_test)


def test_features_are_derived_from_the_points() -> None:
    data = load_dataset("drawn", {"points": POINTS, "features": ["x_squared", "x_times_y"]})
    plain = load_dataset("drawn", {"points": POINTS})
    x, y = plain.x_train[:, 0], plain.x_train[:, 1]
    assert torch.allclose(data.x_train, torch.stack([x * x, x * y], 1))
    assert point_options("drawn", {"points": POINTS, "features": ["x_squared"]})[
        "features"] == ["x", "y"]


def test_the_default_is_an_example_that_trains() -> None:
    info = describe_dataset("drawn", {})
    assert info.num_classes == 2 and sum(info.splits.values()) == 8


@pytest.mark.parametrize(("points", "says"), [
    ([[0, 0, 0], [0.1, 0, 0], [0.2, 0, 0], [0.3, 0, 0]], "at least two classes"),
    ([[0, 0, 0], [0.1, 0, 1]], "at least 4"),
    ([[0, 0, 0], [0.1, 0, 1], [0.2, 0, 0], [1.5, 0, 1]], "less than or equal to 1"),
    ([[0, 0, 0], [0.1, 0, 1], [0.2, 0, 0], [0.3, 0, 10]], "less than 10"),
    ([[0, 0, i % 2] for i in range(501)], "at most 500"),
])
def test_points_that_cannot_train_are_refused_with_the_reason(points: list[list[float]],
                                                              says: str) -> None:
    with pytest.raises(DatasetError, match=says):
        describe_dataset("drawn", {"points": points})


CURVE = [[-0.9, 0.81], [-0.5, 0.25], [-0.2, 0.04], [0.0, 0.0], [0.3, 0.09], [0.6, 0.36],
         [0.8, 0.64], [1.0, 1.0], [-1.0, 1.0], [0.1, 0.01]]


def test_a_drawn_curve_reads_x_and_learns_y() -> None:
    info = describe_dataset("drawn-curve", {"points": CURVE})
    assert (info.tasks, info.input_shape, info.target_shape) == (("regression",), (1,), (1,))
    data = load_dataset("drawn-curve", {"points": CURVE, "seed": 1})
    assert data.x_train.shape == (8, 1) and data.y_train.shape == (8, 1)
    pairs = torch.cat([torch.cat([data.x_train, data.y_train], 1),
                       torch.cat([data.x_test, data.y_test], 1)])
    assert sorted(tuple(round(v, 5) for v in row) for row in pairs.tolist()) == sorted(
        tuple(float(v) for v in point) for point in CURVE)


@pytest.mark.parametrize(("points", "says"), [
    ([[0, 0], [0.1, 0], [0.2, 0]], "at least 4"),
    ([[0, 0], [0.1, 0], [0.2, 0], [0.3, -1.2]], "greater than or equal to -1"),
    ([[0, 0, 1], [0.1, 0], [0.2, 0], [0.3, 0]], "at most 2"),
])
def test_curve_points_that_cannot_train_are_refused(points: list[list[float]],
                                                    says: str) -> None:
    with pytest.raises(DatasetError, match=says):
        describe_dataset("drawn-curve", {"points": points})
