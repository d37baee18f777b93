"""Sequence sets: forecasting a noisy sine, and a character-level corpus.

The corpus (corpus/sonnets.txt) is 21 of Shakespeare's sonnets (1609, public domain).
Train and test windows come from disjoint stretches of the sequence, so no test
window shares a value with a training window.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
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
from app.datasets.prep import SplitOptions, as_tensor_data, split_sizes

UNKNOWN = "<unk>"
# Exactly 64 symbols, so a model's embedding and output sizes never depend on the text.
VOCAB: tuple[str, ...] = (
    UNKNOWN, "\n", " ", *"abcdefghijklmnopqrstuvwxyz", *"0123456789",
    *".,;:!?'\"-()[]&*/_@#$%+=<>",
)
assert len(VOCAB) == 64 and len(set(VOCAB)) == 64
TRAIN_SHARE = 0.9
_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-", "\t": " ", "\r": None})


def encode(text: str) -> np.ndarray:
    """Token ids (len(text),) int64: lowercased, curly quotes straightened, else UNKNOWN (0)."""
    index = {ch: i for i, ch in enumerate(VOCAB) if ch != UNKNOWN}
    clean = text.lower().translate(_TYPOGRAPHY)
    return np.fromiter((index.get(ch, 0) for ch in clean), dtype=np.int64, count=len(clean))


def decode(ids: list[int]) -> str:
    """Text from token ids; the unknown symbol shows as '?'."""
    return "".join("?" if i == 0 else VOCAB[i] for i in ids)


@lru_cache(maxsize=1)
def corpus_ids() -> np.ndarray:
    """The shipped corpus as token ids (read-only, read once)."""
    text = resources.files("app.datasets").joinpath("corpus/sonnets.txt").read_text("utf-8")
    ids = encode(text)
    ids.setflags(write=False)
    return ids


def window_count(length: int, span: int, stride: int) -> int:
    """How many windows of `span` values, `stride` apart, fit in `length` values."""
    return 0 if length < span else (length - span) // stride + 1


def windows(series: np.ndarray, span: int, stride: int) -> np.ndarray:
    """(N, span) copies of the windows of a 1-D series."""
    view = np.lib.stride_tricks.sliding_window_view(series, span)[::stride]  # (N, span)
    return np.array(view)


class CharsOptions(DatasetOptions):
    """Character windows: length, what to predict, and spacing."""

    seq_len: int = Field(default=32, ge=4, le=512, description="Characters per input window.")
    target: Literal["next", "shifted"] = Field(
        default="next",
        description="next: predict the character after the window (N,); shifted: predict "
        "every next character, the window shifted by one (N, T).",
    )
    stride: int = Field(default=1, ge=1, le=512, description="Characters between windows.")


@register_dataset
class Chars(Dataset):
    """Character-level language modelling on Shakespeare's sonnets."""

    name = "chars"
    Options = CharsOptions

    def _segments(self) -> tuple[np.ndarray, np.ndarray]:
        ids = corpus_ids()
        cut = int(len(ids) * TRAIN_SHARE)  # train on the first 90% of the text, test on the rest
        return ids[:cut], ids[cut:]

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, CharsOptions)
        span = options.seq_len + 1  # a window plus the character after it
        train, test = self._segments()
        splits = {"train": window_count(len(train), span, options.stride),
                  "test": window_count(len(test), span, options.stride)}
        return DatasetInfo(
            name=self.name, description=f"{len(VOCAB)}-symbol characters of 21 Shakespeare "
            "sonnets (lowercased): predict the next character.",
            tasks=("sequence",), input_shape=(options.seq_len,), dtype="token",
            num_classes=len(VOCAB), class_names=VOCAB, vocab_size=len(VOCAB),
            target_shape=(options.seq_len,) if options.target == "shifted" else (),
            splits=splits,
        )

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, CharsOptions)
        info = self.info(options)
        if min(info.splits.values()) == 0:
            raise DatasetError(f"dataset 'chars': seq_len {options.seq_len} leaves no test "
                               "window; use a shorter seq_len")
        pairs = []
        for segment in self._segments():
            w = windows(segment, options.seq_len + 1, options.stride)  # (N, T + 1)
            target = w[:, 1:] if options.target == "shifted" else w[:, -1]  # (N, T) or (N,)
            pairs.append((w[:, :-1], target))  # inputs (N, T)
        (x_train, y_train), (x_test, y_test) = pairs
        return as_tensor_data(info, x_train, y_train, x_test, y_test)


class ForecastOptions(SplitOptions):
    """Sine forecasting: how many windows, how long, how noisy."""

    n_samples: int = Field(default=1000, ge=10, le=100_000, description="Windows in all.")
    seq_len: int = Field(default=32, ge=4, le=512, description="Past values per window (T).")
    noise: float = Field(default=0.05, ge=0.0, le=1.0, description="Std of the added noise.")


@register_dataset
class SineForecast(Dataset):
    """Predict the next value of a noisy sine (period about 31 steps) from the last T."""

    name = "sine-forecast"
    Options = ForecastOptions
    step = 0.2  # radians between consecutive values

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, ForecastOptions)
        return DatasetInfo(
            name=self.name, description="Forecast the next value of a noisy sine wave.",
            tasks=("regression",), input_shape=(options.seq_len, 1), target_shape=(1,),
            splits=split_sizes(options.n_samples, options.test_fraction),
        )

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, ForecastOptions)
        info = self.info(options)
        n_train, n_test, t = info.splits["train"], info.splits["test"], options.seq_len
        rng = np.random.default_rng(options.seed)
        steps = rng.uniform(0, 2 * np.pi) + self.step * np.arange(n_train + n_test + 2 * t)
        series = np.sin(steps) + rng.normal(0.0, options.noise, steps.shape)
        # Train windows read series[:n_train + t]; test windows start after that.
        pairs = []
        for part in (series[: n_train + t], series[n_train + t :]):
            w = windows(part, t + 1, 1)  # (N, T + 1)
            pairs.append((w[:, :-1, None], w[:, -1:]))  # x (N, T, 1), y (N, 1)
        (x_train, y_train), (x_test, y_test) = pairs
        return as_tensor_data(info, x_train, y_train, x_test, y_test)
