"""What every dataset provides: a description of itself and its tensors."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
from pydantic import BaseModel, ConfigDict, ValidationError

from app.datasets.plane import POINT
from app.spec.errors import describe_validation
from app.spec.training import TaskKind


class DatasetError(ValueError):
    """A dataset cannot be used as asked: unknown name, bad options, corrupt file..."""


class DatasetOptions(BaseModel):
    """Base for each dataset's options; unknown options are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset describes itself for the API, the UI and the trainer."""

    name: str
    description: str
    tasks: tuple[TaskKind, ...]
    input_shape: tuple[int, ...]
    dtype: Literal["float", "token"] = "float"
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    target_shape: tuple[int, ...] = ()
    vocab_size: int | None = None
    splits: dict[str, int] = field(default_factory=dict)
    # seq2seq: the input's first source_len tokens are the source, the rest the
    # decoder's input (a start token, then the target shifted right by one)
    source_len: int | None = None
    # a 2-D set: the input's columns, each a feature of the point (x, y) that
    # app.datasets.plane derives (("x", "y") by default); None for other sets
    features: tuple[str, ...] | None = None

    @property
    def plane(self) -> tuple[str, ...] | None:
        """What the input's columns are of a point (x, y) of the plane: a 2-D set's
        features, or x and y for any other float input of two columns; None: the input
        is no plane."""
        if self.features is not None:
            return self.features
        return POINT if self.input_shape == (2,) and self.dtype == "float" else None


@dataclass
class TensorData:
    """A loaded dataset: whole splits as tensors (moved to the training device once).

    x: (N, *input_shape) float32, or int64 token ids.
    y: (N,) int64 class ids; (N, *target_shape) float32 for regression;
       (N, T) or (N,) int64 next tokens for sequences; unused for reconstruction.
    """

    info: DatasetInfo
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def data_dir() -> Path:
    """Where downloads are cached: $LAYERLAB_DATA_DIR or ~/.cache/layerlab."""
    return Path(os.environ.get("LAYERLAB_DATA_DIR") or Path.home() / ".cache" / "layerlab")


class Dataset(ABC):
    """A registered dataset. Subclasses set `name`, `Options` and implement the rest."""

    name: ClassVar[str]
    Options: ClassVar[type[DatasetOptions]] = DatasetOptions
    # the user's own data (an upload, points placed by hand): listed after the built-in sets
    own: ClassVar[bool] = False

    def parse_options(self, options: dict[str, Any]) -> DatasetOptions:
        try:
            return self.Options.model_validate(options)
        except ValidationError as exc:
            raise DatasetError(f"dataset {self.name!r}: "
                               f"{describe_validation(exc, options)}") from None

    @abstractmethod
    def info(self, options: DatasetOptions) -> DatasetInfo:
        """Describe the dataset for these options without loading it (cheap)."""

    @abstractmethod
    def load(self, options: DatasetOptions) -> TensorData:
        """Load (downloading if needed) and return every split as tensors."""


DATASETS: dict[str, Dataset] = {}


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    """Class decorator: register one instance under `cls.name`."""
    if cls.name in DATASETS:
        raise ValueError(f"dataset {cls.name!r} is registered twice")
    DATASETS[cls.name] = cls()
    return cls


def get_dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def load_dataset(name: str, options: dict[str, Any] | None = None) -> TensorData:
    dataset = get_dataset(name)
    return dataset.load(dataset.parse_options(options or {}))


def describe_dataset(name: str, options: dict[str, Any] | None = None) -> DatasetInfo:
    dataset = get_dataset(name)
    return dataset.info(dataset.parse_options(options or {}))


def point_options(name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Options under which a 2-D set gives its samples as the points (x, y) they are, in
    the same order, whatever features of them `options` name (to draw them on the plane):
    `options` themselves where the input is already the plain point."""
    options = options or {}
    if describe_dataset(name, options).plane in (None, POINT):
        return options
    return {**options, "features": list(POINT)}
