"""A few training samples as plain JSON-ready values, for the API and the UI."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from app.datasets.base import DatasetError, load_dataset

MAX_PREVIEW = 64
DECIMALS = 4


def _plain(t: torch.Tensor) -> Any:
    """A tensor as nested lists (floats rounded) or a plain number."""
    if t.is_floating_point():
        return np.round(t.detach().cpu().double().numpy(), DECIMALS).tolist()
    return t.tolist()


def preview(name: str, options: dict[str, Any] | None = None, n: int = 8) -> list[dict[str, Any]]:
    """The first `n` training samples of a dataset as `{"x": ..., "y": ...}` dicts.

    x is a nested list shaped like the dataset's input (floats rounded to 4 decimals);
    y is a class id, a token id, or a list (regression targets, shifted sequences).
    """
    if not 1 <= n <= MAX_PREVIEW:
        raise DatasetError(f"n: a preview shows 1 to {MAX_PREVIEW} samples, not {n}")
    data = load_dataset(name, options)
    x, y = data.x_train[:n], data.y_train[:n]
    return [{"x": _plain(x[i]), "y": _plain(y[i])} for i in range(len(x))]
