"""Small tables bundled with scikit-learn (no download): digits, iris and wine."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from app.datasets.base import (
    Dataset,
    DatasetInfo,
    DatasetOptions,
    TaskKind,
    TensorData,
    register_dataset,
)
from app.datasets.prep import (
    SplitOptions,
    as_tensor_data,
    split_sizes,
    standardize,
    stratified_split,
)


@lru_cache(maxsize=4)
def _bundled(loader: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of one of scikit-learn's bundled sets; imported lazily (sklearn is slow to import)."""
    from sklearn import datasets as sk

    x, y = getattr(sk, loader)(return_X_y=True)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


class _BundledTable(Dataset):
    """A classification table: sizes are fixed, so `info` needs no loading."""

    description: ClassVar[str]
    loader: ClassVar[str]
    n_samples: ClassVar[int]
    n_features: ClassVar[int]
    class_names: ClassVar[tuple[str, ...]]
    tasks: ClassVar[tuple[TaskKind, ...]] = ("classification",)
    Options: ClassVar[type[DatasetOptions]] = SplitOptions

    def input_shape(self, options: DatasetOptions) -> tuple[int, ...]:
        return (self.n_features,)

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, SplitOptions)
        return DatasetInfo(
            name=self.name, description=self.description, tasks=self.tasks,
            input_shape=self.input_shape(options), num_classes=len(self.class_names),
            class_names=self.class_names,
            splits=split_sizes(self.n_samples, options.test_fraction),
        )

    def features(
        self, x_train: np.ndarray, x_test: np.ndarray, options: DatasetOptions
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scale features: standardised with the training split's statistics."""
        return standardize(x_train, x_test)

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, SplitOptions)
        x, y = _bundled(self.loader)
        train, test = stratified_split(y, options.test_fraction, options.seed)
        x_train, x_test = self.features(x[train], x[test], options)
        return as_tensor_data(self.info(options), x_train, y[train], x_test, y[test])


class DigitsOptions(SplitOptions):
    """Digits options: the split, flat vectors or 8x8 images, and for transfer learning
    another target on the same images (odd or even) and few training samples."""

    layout: Literal["flat", "image"] = Field(
        default="flat", description="flat: 64 values; image: a (1, 8, 8) picture for conv nets."
    )
    target: Literal["digit", "parity"] = Field(default="digit", description=(
        "digit: ten classes, one per digit; parity: two, even (0) and odd (1). The split "
        "is drawn by digit either way, so both targets test on the same images."))
    train_samples: int | None = Field(default=None, ge=10, le=1797, description=(
        "Keep only this many training samples, each class keeping its share; the test "
        "split stays whole."))


@register_dataset
class Digits(_BundledTable):
    name = "digits"
    description = "1,797 handwritten digits, 8x8 pixels in [0, 1] (scikit-learn), 10 classes."
    loader = "load_digits"
    n_samples = 1797
    n_features = 64
    class_names = tuple(str(d) for d in range(10))
    tasks = ("classification", "reconstruction")
    Options = DigitsOptions

    def input_shape(self, options: DatasetOptions) -> tuple[int, ...]:
        assert isinstance(options, DigitsOptions)
        return (64,) if options.layout == "flat" else (1, 8, 8)

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, DigitsOptions)
        info = super().info(options)
        if options.train_samples is not None:
            info.splits["train"] = min(info.splits["train"], options.train_samples)
        if options.target == "parity":
            info = replace(info, num_classes=2, class_names=("even", "odd"))
        return info

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, DigitsOptions)
        x, digit = _bundled(self.loader)
        train, test = stratified_split(digit, options.test_fraction, options.seed)
        wanted = options.train_samples
        if wanted is not None and wanted < len(train):
            # a stratified "test" part of exactly `wanted` samples is the subset kept
            train = train[stratified_split(digit[train], wanted / len(train), options.seed)[1]]
        y = digit % 2 if options.target == "parity" else digit
        x_train, x_test = self.features(x[train], x[test], options)
        return as_tensor_data(self.info(options), x_train, y[train], x_test, y[test])

    def features(
        self, x_train: np.ndarray, x_test: np.ndarray, options: DatasetOptions
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pixels 0..16 scaled to [0, 1]; reshaped to (N, 1, 8, 8) for the image layout."""
        shape = (-1, *self.input_shape(options))
        return (x_train / 16.0).reshape(shape), (x_test / 16.0).reshape(shape)


@register_dataset
class Iris(_BundledTable):
    name = "iris"
    description = "Fisher's 150 irises: 4 standardised measurements, 3 species."
    loader = "load_iris"
    n_samples = 150
    n_features = 4
    class_names = ("setosa", "versicolor", "virginica")


@register_dataset
class Wine(_BundledTable):
    name = "wine"
    description = "178 Italian wines: 13 standardised chemical measurements, 3 cultivars."
    loader = "load_wine"
    n_samples = 178
    n_features = 13
    class_names = ("class_0", "class_1", "class_2")
