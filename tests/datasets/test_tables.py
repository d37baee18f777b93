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


def test_parity_labels_the_same_split_odd_or_even() -> None:
    digits = load_dataset("digits")
    parity = load_dataset("digits", {"target": "parity"})
    assert torch.equal(parity.x_train, digits.x_train) and torch.equal(parity.x_test,
                                                                        digits.x_test)
    assert torch.equal(parity.y_train, digits.y_train % 2)
    info = describe_dataset("digits", {"target": "parity"})
    assert info.num_classes == 2 and info.class_names == ("even", "odd")


def test_few_training_samples_keep_each_digit_share_and_the_whole_test_split() -> None:
    whole = load_dataset("digits")
    few = load_dataset("digits", {"train_samples": 20, "target": "parity"})
    assert len(few.y_train) == 20 and torch.equal(few.x_test, whole.x_test)
    digit_of = {tuple(x.tolist()): int(y) for x, y in zip(whole.x_train, whole.y_train,
                                                          strict=True)}
    kept = [digit_of[tuple(x.tolist())] for x in few.x_train]  # all from the training split
    assert sorted(kept) == sorted(list(range(10)) * 2)  # two of each digit
    assert describe_dataset("digits", {"train_samples": 20}).splits == {"train": 20,
                                                                        "test": 359}


@pytest.mark.parametrize("options", [{"target": "odd"}, {"train_samples": 5}])
def test_bad_digit_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"target|train_samples"):
        load_dataset("digits", options)
