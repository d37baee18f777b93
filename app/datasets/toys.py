"""Toy sets in the spirit of TensorFlow Playground: 2-D classification and 1-D sine regression.

Points lie roughly in [-1, 1] (sine's x in [-pi, pi]). `noise` is the standard deviation
of gaussian noise added to each coordinate (for sine: to the target), in those units.
Every set is a pure function of its options: the same seed gives the same tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import torch
from pydantic import Field

from app.datasets.base import (
    Dataset,
    DatasetInfo,
    DatasetOptions,
    TensorData,
    register_dataset,
)
from app.datasets.plane import PlaneFeatures, derive
from app.datasets.prep import SplitOptions, as_tensor_data, split_sizes

Generator = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


class ToyOptions(SplitOptions):
    """Options of the toy sets: size, noise, split and seed."""

    n_samples: int = Field(default=1000, ge=10, le=100_000, description="Points in all.")
    noise: float = Field(default=0.1, ge=0.0, le=1.0, description="Std of the added noise.")


class PlaneOptions(ToyOptions, PlaneFeatures):
    """The options of the 2-D sets: the toy options, and the features of each point that
    the network reads."""


class LowNoiseOptions(PlaneOptions):
    """The same, for sets whose shape blurs quickly: less noise by default."""

    noise: float = Field(default=0.05, ge=0.0, le=1.0, description="Std of the added noise.")


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def _labels(n: int) -> np.ndarray:
    # (n,): the first half class 0, the rest class 1
    return np.repeat([0, 1], _halves(n))


def _circle(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside radius 0.5, class 0 on a ring from 0.7 to 1."""
    n_out, n_in = _halves(n)
    radius = np.concatenate([rng.uniform(0.7, 1.0, n_out), rng.uniform(0.0, 0.5, n_in)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)  # (n, 2)
    return x, _labels(n)


def _xor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where both coordinates share a sign; points keep 0.05 away from the axes."""
    pad = 0.05
    u = rng.uniform(-1.0, 1.0, (n, 2))
    x = u * (1 - pad) + np.sign(u) * pad  # (n, 2)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def _gaussians(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two round gaussian blobs (std 0.25) centred at (-0.5, -0.5) and (0.5, 0.5)."""
    y = _labels(n)
    centres = np.where(y[:, None] == 1, 0.5, -0.5)  # (n, 1) broadcast over both coordinates
    return centres + rng.normal(0.0, 0.25, (n, 2)), y


def _spiral(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns, radius growing from 0 to 1."""
    parts = []
    for label, count in enumerate(_halves(n)):
        r = np.arange(count) / count
        t = 1.75 * 2 * np.pi * r + label * np.pi
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))  # (count, 2)
    return np.concatenate(parts), _labels(n)


def _moons(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as sklearn's make_moons), centred on the origin."""
    n_upper, n_lower = _halves(n)
    t_up, t_low = rng.uniform(0, np.pi, n_upper), rng.uniform(0, np.pi, n_lower)
    upper = np.stack([np.cos(t_up), np.sin(t_up)], axis=1)
    lower = np.stack([1 - np.cos(t_low), 0.5 - np.sin(t_low)], axis=1)
    return np.concatenate([upper, lower]) - [0.5, 0.25], _labels(n)


class _Toy2D(Dataset):
    """A 2-D, two-class toy set drawn by `generate`; the network reads the features of
    each (noisy) point that the options name."""

    description: ClassVar[str]
    generate: ClassVar[Generator]
    Options: ClassVar[type[DatasetOptions]] = PlaneOptions

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, PlaneOptions)
        return DatasetInfo(
            name=self.name, description=self.description, tasks=("classification",),
            input_shape=(len(options.features),), num_classes=2, class_names=("0", "1"),
            splits=split_sizes(options.n_samples, options.test_fraction),
            features=options.features,
        )

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, PlaneOptions)
        info = self.info(options)
        rng = np.random.default_rng(options.seed)
        x, y = type(self).generate(rng, options.n_samples)
        x = x + rng.normal(0.0, options.noise, x.shape)
        x = derive(torch.from_numpy(x), options.features).numpy()  # (n, features)
        order = rng.permutation(len(y))
        train, test = order[: info.splits["train"]], order[info.splits["train"] :]
        return as_tensor_data(info, x[train], y[train], x[test], y[test])


@register_dataset
class Circle(_Toy2D):
    name = "circle"
    description = "A disc inside a ring: not separable by a line (2-D, 2 classes)."
    generate = _circle
    Options = LowNoiseOptions


@register_dataset
class Xor(_Toy2D):
    name = "xor"
    description = "Quadrants by sign of x*y: needs a hidden layer (2-D, 2 classes)."
    generate = _xor
    Options = LowNoiseOptions


@register_dataset
class Gaussians(_Toy2D):
    name = "gaussians"
    description = "Two gaussian blobs: separable by a line (2-D, 2 classes)."
    generate = _gaussians


@register_dataset
class Spiral(_Toy2D):
    name = "spiral"
    description = "Two interleaved spirals: the hard one (2-D, 2 classes)."
    generate = _spiral
    Options = LowNoiseOptions


@register_dataset
class Moons(_Toy2D):
    name = "moons"
    description = "Two interleaving half moons (2-D, 2 classes)."
    generate = _moons


class SineOptions(ToyOptions):
    """The toy options, plus gross errors in a share of the training targets."""

    outliers: float = Field(default=0.0, ge=0.0, le=0.5, description=(
        "Share of the training targets replaced by outliers, each 4 to 6 above the true "
        "value (a faulty sensor); the test targets stay clean."))


OUTLIER_OFFSET = (4.0, 6.0)
"""How far above the true value an outlier lies, drawn uniformly."""


@register_dataset
class Sine(Dataset):
    """y = sin(x) + noise for x uniform in [-pi, pi]; optionally with outliers in the
    training targets, so a loss's robustness shows on the clean test split. The
    validation split is held out of the training split and has outliers in the same
    share."""

    name = "sine"
    Options = SineOptions

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, SineOptions)
        return DatasetInfo(
            name=self.name, description="Fit y = sin(x) from noisy samples (1-D regression).",
            tasks=("regression",), input_shape=(1,), target_shape=(1,),
            splits=split_sizes(options.n_samples, options.test_fraction),
        )

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, SineOptions)
        info = self.info(options)
        rng = np.random.default_rng(options.seed)
        x = rng.uniform(-np.pi, np.pi, (options.n_samples, 1))  # (N, 1)
        y = np.sin(x) + rng.normal(0.0, options.noise, x.shape)  # (N, 1)
        n_train = info.splits["train"]  # x is already in random order
        y_train = y[:n_train].copy()
        if options.outliers:  # drawn after the clean set, so the clean points stay the same
            hit = rng.permutation(n_train)[:round(n_train * options.outliers)]
            y_train[hit, 0] += rng.uniform(*OUTLIER_OFFSET, len(hit))
        return as_tensor_data(info, x[:n_train], y_train, x[n_train:], y[n_train:])
