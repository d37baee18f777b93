"""scikit-learn's bundled tables: digits, iris and wine."""

from __future__ import annotations

import pytest
import torch

from app.datasets import describe_dataset, load_dataset


def test_digits_flat_and_image_layouts() -> None:
    flat = load_dataset("digits")
    image = load_dataset("digits", {"layout": "image"})
    assert flat.x_train.shape == (1438, 64) and image.x_train.shape == (1438, 1, 8, 8)
    assert torch.equal(flat.x_train.reshape(-1, 1, 8, 8), image.x_train)
    assert flat.x_train.min() == 0.0 and flat.x_train.max() == 1.0
    assert describe_dataset("digits", {"layout": "image"}).input_shape == (1, 8, 8)


def test_digits_split_is_stratified_and_seeded() -> None:
    a = load_dataset("digits", {"seed": 0})
    b = load_dataset("digits", {"seed": 0})
    c = load_dataset("digits", {"seed": 1})
    assert torch.equal(a.y_test, b.y_test) and not torch.equal(a.y_test, c.y_test)
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # about 20% of each ~180-digit class


@pytest.mark.parametrize(("name", "features"), [("iris", 4), ("wine", 13)])
def test_features_standardised_with_training_statistics(name: str, features: int) -> None:
    data = load_dataset(name)
    assert data.x_train.shape[1] == features
    assert torch.allclose(data.x_train.mean(0), torch.zeros(features), atol=1e-5)
    assert torch.allclose(data.x_train.std(0, unbiased=False), torch.ones(features), atol=1e-4)
    assert not torch.allclose(data.x_test.mean(0), torch.zeros(features), atol=1e-5)


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_class_names_match_sklearn(name: str) -> None:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    assert describe_dataset(name).class_names == tuple(bunch.target_names)
    assert sum(describe_dataset(name).splits.values()) == len(bunch.target)
