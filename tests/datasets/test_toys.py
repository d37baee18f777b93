"""The playground toys: deterministic per seed, shaped and scaled as documented."""

from __future__ import annotations

import math

import pytest
import torch

from app.datasets import DatasetError, describe_dataset, load_dataset

TOYS_2D = ["circle", "xor", "gaussians", "spiral", "moons"]


@pytest.mark.parametrize("name", [*TOYS_2D, "sine"])
def test_same_seed_same_tensors(name: str) -> None:
    a = load_dataset(name, {"seed": 7})
    b = load_dataset(name, {"seed": 7})
    for left, right in zip((a.x_train, a.y_train, a.x_test), (b.x_train, b.y_train, b.x_test),
                           strict=True):
        assert torch.equal(left, right)


@pytest.mark.parametrize("name", [*TOYS_2D, "sine"])
def test_other_seed_other_tensors(name: str) -> None:
    a = load_dataset(name, {"seed": 1})
    b = load_dataset(name, {"seed": 2})
    assert not torch.equal(a.x_train, b.x_train)


@pytest.mark.parametrize("name", TOYS_2D)
def test_two_balanced_classes_in_the_unit_square(name: str) -> None:
    data = load_dataset(name, {"n_samples": 2000, "noise": 0.0})
    y = torch.cat([data.y_train, data.y_test])
    counts = torch.bincount(y, minlength=2)
    assert len(counts) == 2 and counts.min() > 800
    x = torch.cat([data.x_train, data.x_test])
    assert x.abs().max() <= 1.6  # roughly [-1, 1]; gaussian tails reach a little further


def test_options_size_the_splits() -> None:
    data = load_dataset("spiral", {"n_samples": 500, "test_fraction": 0.1})
    assert len(data.x_train) == 450 and len(data.x_test) == 50
    assert describe_dataset("spiral", {"n_samples": 500, "test_fraction": 0.1}).splits == {
        "train": 450, "test": 50}


def test_noise_moves_points() -> None:
    clean = load_dataset("circle", {"noise": 0.0})
    noisy = load_dataset("circle", {"noise": 0.3})
    radius = clean.x_train.norm(dim=1)
    inner = clean.y_train == 1
    # without noise the classes sit in disjoint rings: inside 0.5, outside 0.7
    assert radius[inner].max() <= 0.5 and radius[~inner].min() >= 0.7
    assert not torch.equal(clean.x_train, noisy.x_train)


def test_xor_labels_follow_the_quadrants() -> None:
    data = load_dataset("xor", {"noise": 0.0})
    same_sign = (data.x_train[:, 0] * data.x_train[:, 1] > 0).long()
    assert torch.equal(same_sign, data.y_train)


def test_sine_is_sin_plus_noise() -> None:
    data = load_dataset("sine", {"noise": 0.0})
    assert data.x_train.shape[1:] == (1,) and data.y_train.shape[1:] == (1,)
    assert data.x_train.abs().max() <= math.pi
    assert torch.allclose(data.y_train, torch.sin(data.x_train), atol=1e-6)
    noisy = load_dataset("sine", {"noise": 0.2})
    residual = noisy.y_train - torch.sin(noisy.x_train)
    assert 0.15 < residual.std() < 0.25


def test_sine_outliers_corrupt_only_that_share_of_the_training_targets() -> None:
    clean = load_dataset("sine", {"n_samples": 500, "noise": 0.0})
    dirty = load_dataset("sine", {"n_samples": 500, "noise": 0.0, "outliers": 0.1})
    assert torch.equal(clean.x_train, dirty.x_train) and torch.equal(clean.x_test, dirty.x_test)
    assert torch.equal(clean.y_test, dirty.y_test)  # the test split stays clean
    offset = (dirty.y_train - clean.y_train).squeeze(1)
    hit = offset != 0
    assert hit.sum().item() == 40  # 10% of the 400 training targets
    assert offset[hit].min() >= 4.0 and offset[hit].max() <= 6.0  # all far above


def test_sine_outliers_are_a_bounded_share() -> None:
    with pytest.raises(ValueError, match="outliers"):
        load_dataset("sine", {"outliers": 0.6})


@pytest.mark.parametrize("name", TOYS_2D)
def test_features_are_derived_from_the_same_points(name: str) -> None:
    features = ["x_squared", "y", "x_times_y", "sin_x", "sin_y", "y_squared", "x"]
    plain = load_dataset(name, {"n_samples": 300, "seed": 3})
    derived = load_dataset(name, {"n_samples": 300, "seed": 3, "features": features})
    assert derived.info.input_shape == (7,) and derived.info.features == tuple(features)
    assert torch.equal(plain.y_train, derived.y_train)
    for points, columns in ((plain.x_train, derived.x_train), (plain.x_test, derived.x_test)):
        x, y = points[:, 0], points[:, 1]
        expected = torch.stack([x * x, y, x * y, torch.sin(x), torch.sin(y), y * y, x], dim=1)
        assert torch.allclose(columns, expected, atol=1e-6)


def test_the_plain_point_is_the_default_and_other_inputs_are_no_plane() -> None:
    assert describe_dataset("circle").features == ("x", "y")
    assert describe_dataset("circle").plane == ("x", "y")
    assert describe_dataset("sine").plane is None  # one input: a curve, not a plane
    assert describe_dataset("digits").plane is None


@pytest.mark.parametrize(("features", "says"), [
    ([], "at least 1"), (["x", "x"], "each feature once"), (["z"], "x_squared"),
    ("x", "tuple"),
])
def test_bad_features_are_refused_with_the_reason(features: object, says: str) -> None:
    with pytest.raises(DatasetError, match=says):
        load_dataset("xor", {"features": features})
