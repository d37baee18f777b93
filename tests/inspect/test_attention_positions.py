"""Which input tokens label the rows and columns of an attention map: positions are
followed from the token input through the layers that keep them and the slices that cut
them."""

from __future__ import annotations

from pathlib import Path

from app.inspect.attention import input_positions
from app.spec import parse_network
from app.spec.presets import read_network

PRESET = Path(__file__).resolve().parents[2] / "models" / "translation-transformer.json"


def test_slices_cut_the_positions_of_the_token_input() -> None:
    spec = read_network(PRESET)
    found = input_positions(spec)
    assert found["embed"] == list(range(11))
    assert found["source"] == found["encoder"] == list(range(7))
    assert found["target"] == found["decoder"] == found["out"] == [7, 8, 9, 10]


def test_a_layer_that_mixes_positions_loses_them() -> None:
    spec = parse_network({"input": {"shape": [6], "dtype": "token", "vocab_size": 9},
                          "layers": [
        {"id": "embed", "type": "embedding", "dim": 4},
        {"id": "features", "type": "slice", "axis": 1, "start": 1},
        {"id": "lstm", "type": "lstm", "hidden_size": 4, "return_sequences": True},
        {"id": "pool", "type": "sequence_pool"}]})
    found = input_positions(spec)
    assert found["features"] == list(range(6))  # a slice of the features keeps the steps
    assert found["lstm"] is None and found["pool"] is None
