"""Training samples as plain JSON-ready values, for the API and the UI: a few samples
(token ids decoded with the dataset's vocabulary, class ids named), and a 2-D set's
points for a scatter."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from app.datasets.base import DatasetError, DatasetInfo, load_dataset, point_options

MAX_PREVIEW = 64
MAX_POINTS = 500
DECIMALS = 4
PAD = "<pad>"


def _plain(t: torch.Tensor) -> Any:
    """A tensor as nested lists (floats rounded) or a plain number."""
    if t.is_floating_point():
        return np.round(t.detach().cpu().double().numpy(), DECIMALS).tolist()
    return t.tolist()


def decode(info: DatasetInfo, ids: torch.Tensor) -> str | None:
    """Token ids as text: words apart, characters together, padding left out; None when
    the dataset has no vocabulary."""
    vocab = info.class_names
    if info.dtype != "token" or not vocab or ids.is_floating_point():
        return None
    tokens = [vocab[i] if 0 <= i < len(vocab) else f"<{i}>" for i in ids.reshape(-1).tolist()]
    tokens = [token for token in tokens if token != PAD]
    words = any(len(token) > 1 and not token.startswith("<") for token in tokens)
    return (" " if words else "").join(tokens)


def _text(info: DatasetInfo, x: torch.Tensor) -> str | None:
    # a seq2seq input is its source, then the decoder's input: the source says it all
    return decode(info, x[: info.source_len] if info.source_len else x)


def _label(info: DatasetInfo, y: torch.Tensor) -> str | None:
    """A class id's name, or target tokens as text; None for other targets."""
    if y.is_floating_point():
        return None
    if y.dim() == 0 and info.class_names and 0 <= int(y) < len(info.class_names):
        return info.class_names[int(y)]
    return decode(info, y)


def preview(name: str, options: dict[str, Any] | None = None, n: int = 8) -> list[dict[str, Any]]:
    """The first `n` training samples of a dataset as `{"x", "y", "text", "label"}` dicts.

    x is a nested list shaped like the dataset's input (floats rounded to 4 decimals);
    y is a class id, a token id, or a list (regression targets, shifted sequences).
    text is a token input decoded with the vocabulary (None for other inputs); label is
    y in words: a class name or decoded tokens (None for numeric targets).
    """
    if not 1 <= n <= MAX_PREVIEW:
        raise DatasetError(f"n: a preview shows 1 to {MAX_PREVIEW} samples, not {n}")
    data = load_dataset(name, options)
    x, y = data.x_train[:n], data.y_train[:n]
    return [{"x": _plain(x[i]), "y": _plain(y[i]), "text": _text(data.info, x[i]),
             "label": _label(data.info, y[i])} for i in range(len(x))]


def points(name: str, options: dict[str, Any] | None = None,
           limit: int = MAX_POINTS) -> list[tuple[float, float, int]] | None:
    """A 2-D classification set's training points as (x0, x1, class id), whatever
    features of them the network reads: all of them, or `limit` spread evenly over the
    split when it holds more; None for other datasets."""
    data = load_dataset(name, point_options(name, options))
    if data.info.plane is None or not data.info.num_classes:
        return None
    x, y = data.x_train, data.y_train  # (N, 2), (N,)
    if len(x) > limit:  # evenly spaced, so sets stored class by class keep every class
        keep = torch.linspace(0, len(x) - 1, limit).round().long()
        x, y = x[keep], y[keep]
    xs = np.round(x.detach().cpu().double().numpy(), DECIMALS).tolist()
    return [(a, b, int(c)) for (a, b), c in zip(xs, y.tolist(), strict=True)]
