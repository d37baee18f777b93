"""The user's own table: a CSV upload stored under a server-generated id.

Parsing rules (stdlib csv, UTF-8, a header row required):
- a feature column whose non-empty cells all parse as finite numbers is numeric: it is
  standardised with the training split's mean and std, and an EMPTY numeric cell is
  filled with the training mean (so it becomes 0 after standardising);
- any other feature column is categorical and one-hot encoded (at most 50 distinct
  values; every value seen in the file gets a column); an empty categorical cell is an
  error naming its line and column, as is an empty target cell.
- classification targets are class names (sorted, numerically when they are numbers);
  regression targets must be numbers and are used as they are, shape (N, 1).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import Field

from app.datasets.base import (
    Dataset,
    DatasetError,
    DatasetInfo,
    DatasetOptions,
    TensorData,
    register_dataset,
)
from app.datasets.prep import SplitOptions, as_tensor_data, shuffled_split
from app.datasets.uploads import UPLOAD_ID, upload_path, uploads_dir

MAX_CATEGORIES = 50
MAX_CLASSES = 100


def _read_rows(upload_id: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line number, cells) of each non-blank row."""
    path = upload_path(upload_id)  # upload_id is 32 hex digits: never a path
    if not path.is_file():
        raise DatasetError(f"upload_id: no uploaded table {upload_id!r}; upload the file again")
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise DatasetError(f"CSV line {reader.line_num}: {exc}") from None
    if not rows:
        raise DatasetError("the CSV file is empty: it needs a header row and data rows")
    header = [name.strip() for name in rows[0][1]]
    if "" in header or len(set(header)) != len(header):
        raise DatasetError(f"the header row needs distinct, non-empty column names: {header}")
    if len(rows) == 1:
        raise DatasetError("the CSV file has a header but no data rows")
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise DatasetError(f"CSV line {line} has {len(row)} fields; the header has "
                               f"{len(header)}")
    return header, [(line, [cell.strip() for cell in row]) for line, row in rows[1:]]


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _sorted_labels(values: set[str]) -> list[str]:
    numbers = [_number(v) for v in values]
    if all(n is not None for n in numbers):
        return sorted(values, key=float)
    return sorted(values)


def _target(
    name: str, cells: list[str], lines: list[int], task: str
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """(N,) class ids and the class names, or (N, 1) float targets for regression."""
    for line, cell in zip(lines, cells, strict=True):
        if not cell:
            raise DatasetError(f"CSV line {line}: the target column {name!r} is empty")
    if task == "regression":
        values = [_number(cell) for cell in cells]
        for line, cell, value in zip(lines, cells, values, strict=True):
            if value is None:
                raise DatasetError(f"CSV line {line}: target {name!r} is {cell!r}, not a "
                                   "number; regression needs a numeric target")
        return np.array(values, dtype=np.float64)[:, None], None
    classes = _sorted_labels(set(cells))
    if len(classes) < 2:
        raise DatasetError(f"target {name!r} has a single class {classes[0]!r}; "
                           "classification needs at least two")
    if len(classes) > MAX_CLASSES:
        raise DatasetError(f"target {name!r} has {len(classes)} distinct values; at most "
                           f"{MAX_CLASSES} classes (use task 'regression' for numbers)")
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[c] for c in cells], dtype=np.int64), tuple(classes)


def _feature(
    name: str, cells: list[str], lines: list[int], train: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """One column's encoding, (N, k), and the names of its k features."""
    numbers = [_number(cell) if cell else math.nan for cell in cells]
    if all(n is not None for n in numbers):
        column = np.array(numbers, dtype=np.float64)  # (N,) NaN where empty
        seen = column[train][~np.isnan(column[train])]
        if seen.size == 0:
            raise DatasetError(f"column {name!r} has no values in the training rows")
        mean, std = seen.mean(), seen.std() or 1.0
        column[np.isnan(column)] = mean  # empty numeric cell -> training mean
        return ((column - mean) / std)[:, None], [name]
    for line, cell in zip(lines, cells, strict=True):
        if not cell:
            raise DatasetError(f"CSV line {line}: column {name!r} is empty (only numeric "
                               "columns may have empty cells)")
    categories = sorted(set(cells))
    if len(categories) > MAX_CATEGORIES:
        raise DatasetError(f"column {name!r} has {len(categories)} distinct text values; a "
                           f"categorical column may have at most {MAX_CATEGORIES}")
    index = {c: i for i, c in enumerate(categories)}
    one_hot = np.zeros((len(cells), len(categories)))  # (N, k)
    one_hot[np.arange(len(cells)), [index[c] for c in cells]] = 1.0
    return one_hot, [f"{name}={c}" for c in categories]


@dataclass(frozen=True)
class _Table:
    """A parsed, encoded upload: all rows, and which ones train or test."""

    x: np.ndarray  # (N, F) float
    y: np.ndarray  # (N,) int64 classes or (N, 1) float
    train: np.ndarray
    test: np.ndarray
    features: tuple[str, ...]
    class_names: tuple[str, ...] | None


@lru_cache(maxsize=8)
def _table(
    folder: str, upload_id: str, target: str, task: str, fraction: float, seed: int
) -> _Table:
    """Parse and encode an upload (cached per options: `info` and `load` share the work)."""
    header, rows = _read_rows(upload_id)
    if target not in header:
        raise DatasetError(f"target: no column {target!r}; the columns are "
                           f"{', '.join(header)}")
    if len(header) < 2:
        raise DatasetError("the table needs at least one feature column besides the target")
    if len(rows) < 2:
        raise DatasetError("the table needs at least two data rows to split")
    lines = [line for line, _ in rows]
    columns = {name: [row[j] for _, row in rows] for j, name in enumerate(header)}
    y, class_names = _target(target, columns.pop(target), lines, task)
    train, test = shuffled_split(len(rows), fraction, seed)
    blocks, names = [], []
    for name, cells in columns.items():
        block, block_names = _feature(name, cells, lines, train)
        blocks.append(block)
        names.extend(block_names)
    x = np.concatenate(blocks, axis=1)  # (N, F)
    for array in (x, y, train, test):
        array.setflags(write=False)
    return _Table(x, y, train, test, tuple(names), class_names)


class CsvOptions(SplitOptions):
    """Which upload, which column to predict, and how."""

    upload_id: str = Field(pattern=UPLOAD_ID, description="The id the upload returned.",
                           json_schema_extra={"x-upload": "csv"})
    target: str = Field(min_length=1, max_length=200, description="The column to predict.")
    task: Literal["classification", "regression"] = Field(
        default="classification", description="Predict a class, or a number."
    )


@register_dataset
class CsvTable(Dataset):
    """An uploaded CSV table (see the module docstring for how columns are encoded)."""

    name = "csv"
    own = True
    Options = CsvOptions

    def _table(self, options: CsvOptions) -> _Table:
        if not upload_path(options.upload_id).is_file():  # deleted since it was cached
            raise DatasetError(f"upload_id: no uploaded table {options.upload_id!r}; "
                               "upload the file again")
        return _table(str(uploads_dir()), options.upload_id, options.target, options.task,
                      options.test_fraction, options.seed)

    def info(self, options: DatasetOptions) -> DatasetInfo:
        # Reading the (at most 5 MiB) table is the only way to know its shape; it is cached.
        assert isinstance(options, CsvOptions)
        table = self._table(options)
        return DatasetInfo(
            name=self.name,
            description=f"Your table: {len(table.y):,} rows, predict {options.target!r} "
            f"from {len(table.features)} features.",
            tasks=(options.task,), input_shape=(len(table.features),),
            num_classes=len(table.class_names) if table.class_names else None,
            class_names=table.class_names,
            target_shape=(1,) if options.task == "regression" else (),
            splits={"train": len(table.train), "test": len(table.test)},
        )

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, CsvOptions)
        t = self._table(options)
        return as_tensor_data(self.info(options), t.x[t.train], t.y[t.train], t.x[t.test],
                              t.y[t.test])
