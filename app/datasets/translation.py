"""A toy translation set, generated: numbers written in English words to their four
digits ("three hundred and twelve" -> "0 3 1 2").

Each sample is one token sequence for an encoder-decoder network: the source words
right-padded to SOURCE_LEN, then the decoder's input (the start token and the target
shifted right by one), TARGET_LEN tokens; the target is the TARGET_LEN digits. The
target is always four digits, so no target position is padding and every position
counts in the loss and the accuracy. The numbers 0 to 9999 are shuffled once with a
fixed seed: the last TEST_SIZE are the test split, whatever the options.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydantic import Field

from app.datasets.base import Dataset, DatasetInfo, DatasetOptions, TensorData, register_dataset
from app.datasets.prep import as_tensor_data

PAD, START = "<pad>", "<s>"
DIGITS = tuple("0123456789")
ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen")
TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
WORDS = (*ONES, *TENS, "hundred", "thousand", "and")
VOCAB: tuple[str, ...] = (PAD, START, *DIGITS, *WORDS)
assert len(set(VOCAB)) == len(VOCAB) == 43
SOURCE_LEN = 7  # "seven thousand seven hundred and seventy seven"
TARGET_LEN = 4
NUMBERS = 10_000
TEST_SIZE = 1000
SPLIT_SEED = 20_26


def in_words(n: int) -> str:
    """British English words for 0 <= n <= 9999: 'one thousand and five'."""
    if n == 0:
        return "zero"
    parts = []
    thousands, hundreds, rest = n // 1000, n // 100 % 10, n % 100
    if thousands:
        parts += [ONES[thousands], "thousand"]
    if hundreds:
        parts += [ONES[hundreds], "hundred"]
    if rest:
        if parts:
            parts.append("and")
        parts += [ONES[rest]] if rest < 20 else [TENS[rest // 10 - 2]] + (
            [ONES[rest % 10]] if rest % 10 else [])
    return " ".join(parts)


def tokens(text: str) -> list[int]:
    """Token ids of space-separated words or digits; unknown ones raise KeyError."""
    index = {token: i for i, token in enumerate(VOCAB)}
    return [index[word] for word in text.replace("-", " ").split()]


def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The input (SOURCE_LEN + TARGET_LEN,) and target (TARGET_LEN,) ids of number n."""
    source = tokens(in_words(n))
    target = tokens(" ".join(f"{n:04d}"))
    x = [*source, *[0] * (SOURCE_LEN - len(source)), VOCAB.index(START), *target[:-1]]
    return np.array(x, dtype=np.int64), np.array(target, dtype=np.int64)


@lru_cache(maxsize=1)
def _all() -> tuple[np.ndarray, np.ndarray]:
    """Every number's sample, in the fixed shuffled order (read-only)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(NUMBERS)
    pairs = [sample(int(n)) for n in order]
    x, y = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


class NumberWordsOptions(DatasetOptions):
    """How many of the 9,000 training numbers to use (the test split is fixed)."""

    train_size: int = Field(default=NUMBERS - TEST_SIZE, ge=100, le=NUMBERS - TEST_SIZE,
                            description="Training samples, the first of the fixed order.")


@register_dataset
class NumberWords(Dataset):
    """English number words to digits, for encoder-decoder (seq2seq) networks."""

    name = "number-words"
    Options = NumberWordsOptions

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, NumberWordsOptions)
        return DatasetInfo(
            name=self.name, description=(
                "Translate numbers written in English words (0 to 9999, e.g. 'three hundred "
                f"and twelve') to their four digits (0312). The input holds {SOURCE_LEN} "
                f"source words then the decoder's {TARGET_LEN} tokens (<s> and the digits "
                "so far); the target is the four digits."),
            tasks=("seq2seq",), input_shape=(SOURCE_LEN + TARGET_LEN,), dtype="token",
            num_classes=len(VOCAB), class_names=VOCAB, vocab_size=len(VOCAB),
            target_shape=(TARGET_LEN,), source_len=SOURCE_LEN,
            splits={"train": options.train_size, "test": TEST_SIZE})

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, NumberWordsOptions)
        x, y = _all()
        train = slice(0, options.train_size)
        return as_tensor_data(self.info(options), x[train], y[train], x[-TEST_SIZE:],
                              y[-TEST_SIZE:])
