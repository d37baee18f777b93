"""Character windows and sine forecasting."""

from __future__ import annotations

import math

import pytest
import torch

from app.datasets import describe_dataset, load_dataset
from app.datasets.sequences import VOCAB, corpus_ids, decode, encode


def test_vocabulary_is_fixed_at_64() -> None:
    assert len(VOCAB) == 64
    info = describe_dataset("chars", {"seq_len": 100})
    assert info.vocab_size == 64 and info.num_classes == 64 and info.dtype == "token"
    assert info.class_names == VOCAB


def test_encoding_lowercases_and_maps_the_rest_to_unknown() -> None:
    ids = encode("Shall I\u2019 é\n").tolist()
    assert decode(ids) == "shall i' ?\n"
    assert ids[-2] == 0  # é is not in the vocabulary


def test_next_target_is_the_following_character() -> None:
    data = load_dataset("chars", {"seq_len": 16})
    assert data.x_train.shape[1:] == (16,) and data.y_train.shape[1:] == ()
    assert data.x_train.dtype == torch.int64
    # with stride 1, window i + 1 ends with the character that follows window i
    assert torch.equal(data.x_train[1:, -1], data.y_train[:-1])
    assert decode(data.x_train[0].tolist()) == decode(corpus_ids()[:16].tolist())


def test_shifted_target_is_the_window_moved_by_one() -> None:
    data = load_dataset("chars", {"seq_len": 16, "target": "shifted"})
    assert data.y_train.shape[1:] == (16,)
    assert torch.equal(data.y_train[:, :-1], data.x_train[:, 1:])
    assert describe_dataset("chars", {"seq_len": 16, "target": "shifted"}).target_shape == (16,)


def test_stride_and_split_by_position() -> None:
    data = load_dataset("chars", {"seq_len": 32, "stride": 32})
    ids = corpus_ids()
    cut = int(len(ids) * 0.9)
    assert len(data.x_train) == (cut - 33) // 32 + 1
    assert torch.equal(data.x_train[1], torch.from_numpy(ids[32:64].copy()))
    # the first test window starts where the training text ends: no shared characters
    assert torch.equal(data.x_test[0], torch.from_numpy(ids[cut : cut + 32].copy()))
    assert len(data.x_test) == (len(ids) - cut - 33) // 32 + 1


def test_forecast_windows_and_next_value() -> None:
    data = load_dataset("sine-forecast", {"seq_len": 8, "noise": 0.0, "n_samples": 100})
    assert data.x_train.shape == (80, 8, 1) and data.y_train.shape == (80, 1)
    assert torch.equal(data.x_train[1:, -1], data.y_train[:-1])  # consecutive windows
    s = data.x_train[0, :, 0].double()
    # a pure sine with 0.2 radians per step: s[t-1] + s[t+1] == 2 cos(0.2) s[t]
    assert torch.allclose(s[:-2] + s[2:], 2 * math.cos(0.2) * s[1:-1], atol=1e-6)


def test_forecast_train_and_test_do_not_overlap() -> None:
    data = load_dataset("sine-forecast", {"seq_len": 16, "noise": 0.1})
    seen = set(data.x_train.flatten().tolist()) | set(data.y_train.flatten().tolist())
    held_out = set(data.x_test.flatten().tolist()) | set(data.y_test.flatten().tolist())
    assert not seen & held_out


@pytest.mark.parametrize("seq_len", [4, 512])
def test_extreme_window_lengths(seq_len: int) -> None:
    info = describe_dataset("chars", {"seq_len": seq_len})
    data = load_dataset("chars", {"seq_len": seq_len})
    assert len(data.x_test) == info.splits["test"] > 0
