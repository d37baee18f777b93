"""Shared preparation: split options, seeded splits and standardisation."""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from app.datasets.base import DatasetInfo, DatasetOptions, TensorData


class SplitOptions(DatasetOptions):
    """Options of every dataset that draws its own train/test split."""

    test_fraction: float = Field(
        default=0.2, ge=0.05, le=0.5, description="Share of the samples held out for testing."
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seed of the data and split.")


def n_test_for(n: int, fraction: float) -> int:
    """How many of `n` samples a split with `fraction` puts in the test set (at least one each)."""
    return max(1, min(n - 1, round(n * fraction)))


def split_sizes(n: int, fraction: float) -> dict[str, int]:
    """The `splits` entry of a DatasetInfo for `n` samples."""
    n_test = n_test_for(n, fraction)
    return {"train": n - n_test, "test": n_test}


def shuffled_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices of a seeded random split of `n` samples."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = n_test_for(n, fraction)
    return order[n_test:], order[:n_test]


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices keeping each class's share; the test size is `n_test_for`.

    Each class gets its proportional share of the test set, rounded down; the seats
    left over go to the classes with the largest remainders.
    """
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    n_test = n_test_for(len(y), fraction)
    ideal = counts * n_test / len(y)
    per_class = np.floor(ideal).astype(np.int64)
    leftover = n_test - int(per_class.sum())
    per_class[np.argsort(-(ideal - per_class), kind="stable")[:leftover]] += 1
    train, test = [], []
    for cls, k in zip(classes, per_class, strict=True):
        members = rng.permutation(np.flatnonzero(y == cls))
        test.append(members[:k])
        train.append(members[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale columns to zero mean, unit variance using the training split's statistics."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std == 0] = 1.0  # a constant column stays constant (zero) instead of dividing by zero
    return (train - mean) / std, (test - mean) / std


def as_tensor_data(
    info: DatasetInfo, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
    y_test: np.ndarray,
) -> TensorData:
    """Wrap numpy splits as tensors: integers as int64, everything else as float32.

    An array that is already of that type, contiguous, writable and owns its memory is
    used without a copy; caches keep their arrays read-only so they are always copied.
    """

    def convert(array: np.ndarray) -> torch.Tensor:
        kind = np.int64 if array.dtype.kind in "iub" else np.float32
        return torch.from_numpy(np.require(array, dtype=kind, requirements=("C", "W", "O")))

    return TensorData(
        info, convert(x_train), convert(y_train), convert(x_test), convert(y_test)
    )
