"""Points placed by hand, clicked onto the plane in the playground (TensorFlow
Playground's most asked-for feature): their sets' points are their options, so they
travel with a run's settings (a run keeps the data it trained on, a shared link carries
it).

- drawn: a 2-D classification set, each point [x, y, class] with x and y in [-1, 1] as the
  other 2-D sets lie; the network reads the features of each point the options name, like
  theirs, and every view of the plane works on it.
- drawn-curve: a 1-D regression set, each point [x, y]: the network reads x and learns y,
  a curve through the points.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
import torch
from pydantic import Field, field_validator

from app.datasets.base import Dataset, DatasetInfo, DatasetOptions, TensorData, register_dataset
from app.datasets.plane import PlaneFeatures, derive
from app.datasets.prep import SplitOptions, as_tensor_data, split_sizes

MAX_POINTS = 500  # they travel in the settings and in a preview's URL
MAX_CLASSES = 10
Coordinate = Annotated[float, Field(ge=-1.0, le=1.0)]
ClassId = Annotated[int, Field(ge=0, lt=MAX_CLASSES)]
EXAMPLE = ((-0.6, -0.5, 0), (-0.4, -0.7, 0), (-0.7, -0.2, 0), (-0.3, -0.4, 0),
           (0.6, 0.5, 1), (0.4, 0.7, 1), (0.7, 0.2, 1), (0.3, 0.4, 1))


class DrawnOptions(SplitOptions, PlaneFeatures):
    """The points, the features the network reads of them, and the split."""

    points: tuple[tuple[Coordinate, Coordinate, ClassId], ...] = Field(
        default=EXAMPLE, min_length=4, max_length=MAX_POINTS,
        description=f"Each point as [x, y, class]: x and y in [-1, 1], classes 0 to "
                    f"{MAX_CLASSES - 1}, at least two of them; 4 to {MAX_POINTS} points.",
        json_schema_extra={"x-editor": "points"})

    @field_validator("points")
    @classmethod
    def _two_classes(cls, points: tuple[tuple[float, float, int], ...]
                     ) -> tuple[tuple[float, float, int], ...]:
        if len({label for _, _, label in points}) < 2:
            raise ValueError("place points of at least two classes")
        return points


@register_dataset
class Drawn(Dataset):
    name = "drawn"
    own = True
    description = ("Points you place yourself on the plane: click to add one of the chosen "
                   "class (2-D, 2 to 10 classes).")
    Options: ClassVar[type[DatasetOptions]] = DrawnOptions

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, DrawnOptions)
        classes = max(label for _, _, label in options.points) + 1
        return DatasetInfo(
            name=self.name, description=self.description, tasks=("classification",),
            input_shape=(len(options.features),), num_classes=classes,
            class_names=tuple(str(c) for c in range(classes)),
            splits=split_sizes(len(options.points), options.test_fraction),
            features=options.features)

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, DrawnOptions)
        info = self.info(options)
        points = np.asarray(options.points, dtype=np.float64)
        x = derive(torch.from_numpy(points[:, :2]), options.features).numpy()
        y = points[:, 2].astype(np.int64)
        order = np.random.default_rng(options.seed).permutation(len(y))
        train, test = order[: info.splits["train"]], order[info.splits["train"]:]
        return as_tensor_data(info, x[train], y[train], x[test], y[test])


CURVE_EXAMPLE = ((-0.9, -0.6), (-0.6, 0.1), (-0.3, 0.5), (0.0, 0.4), (0.3, -0.1),
                 (0.6, -0.5), (0.9, -0.2))


class DrawnCurveOptions(SplitOptions):
    """The points of the curve and the split."""

    points: tuple[tuple[Coordinate, Coordinate], ...] = Field(
        default=CURVE_EXAMPLE, min_length=4, max_length=MAX_POINTS,
        description=f"Each point as [x, y], both in [-1, 1]; 4 to {MAX_POINTS} points.",
        json_schema_extra={"x-editor": "curve"})


@register_dataset
class DrawnCurve(Dataset):
    name = "drawn-curve"
    own = True
    description = ("Points you place yourself on a line: the network reads x and learns y "
                   "(1-D regression).")
    Options: ClassVar[type[DatasetOptions]] = DrawnCurveOptions

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, DrawnCurveOptions)
        return DatasetInfo(
            name=self.name, description=self.description, tasks=("regression",),
            input_shape=(1,), target_shape=(1,),
            splits=split_sizes(len(options.points), options.test_fraction))

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, DrawnCurveOptions)
        info = self.info(options)
        points = np.asarray(options.points, dtype=np.float64)
        order = np.random.default_rng(options.seed).permutation(len(points))
        train, test = order[: info.splits["train"]], order[info.splits["train"]:]
        return as_tensor_data(info, points[train, :1], points[train, 1:], points[test, :1],
                              points[test, 1:])
