"""number-words: English number words to four digits, generated with a fixed split."""

from __future__ import annotations

import pytest
import torch

from app.datasets import DatasetError, describe_dataset, load_dataset
from app.datasets.translation import SOURCE_LEN, TARGET_LEN, VOCAB, in_words, tokens


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (45, "forty five"),
    (100, "one hundred"), (312, "three hundred and twelve"), (1000, "one thousand"),
    (1005, "one thousand and five"), (2310, "two thousand three hundred and ten"),
    (7777, "seven thousand seven hundred and seventy seven"),
])
def test_numbers_in_words(n: int, words: str) -> None:
    assert in_words(n) == words


def test_every_number_fits_the_source_and_the_vocabulary() -> None:
    lengths = [len(tokens(in_words(n))) for n in range(10_000)]
    assert max(lengths) == SOURCE_LEN and min(lengths) == 1


def test_a_sample_is_the_source_then_the_shifted_target() -> None:
    data = load_dataset("number-words")
    x, y = data.x_train[0].tolist(), data.y_train[0].tolist()
    words = [VOCAB[i] for i in x[:SOURCE_LEN] if VOCAB[i] != "<pad>"]
    digits = "".join(VOCAB[i] for i in y)
    assert len(digits) == TARGET_LEN and in_words(int(digits)) == " ".join(words)
    assert VOCAB[x[SOURCE_LEN]] == "<s>"
    assert x[SOURCE_LEN + 1:] == y[:-1]  # teacher forcing: the target shifted right by one
    assert data.x_train.dtype == data.y_train.dtype == torch.int64


def test_the_split_is_fixed_and_disjoint() -> None:
    full, small = load_dataset("number-words"), load_dataset("number-words", {"train_size": 500})
    again = load_dataset("number-words")
    assert torch.equal(full.x_test, again.x_test) and torch.equal(full.x_train, again.x_train)
    assert torch.equal(small.x_test, full.x_test)  # the test split whatever the options
    assert torch.equal(small.x_train, full.x_train[:500])
    numbers = {tuple(row) for row in full.y_train.tolist()}
    assert len(numbers) == 9000
    assert numbers.isdisjoint(tuple(row) for row in full.y_test.tolist())


def test_it_describes_itself_for_seq2seq() -> None:
    info = describe_dataset("number-words", {"train_size": 2000})
    assert info.tasks == ("seq2seq",) and info.dtype == "token"
    assert info.input_shape == (SOURCE_LEN + TARGET_LEN,) and info.target_shape == (TARGET_LEN,)
    assert info.source_len == SOURCE_LEN and info.vocab_size == len(VOCAB) == 43
    assert info.splits == {"train": 2000, "test": 1000}


def test_a_train_size_past_the_numbers_left_is_refused() -> None:
    with pytest.raises(DatasetError, match="train_size"):
        load_dataset("number-words", {"train_size": 9001})
