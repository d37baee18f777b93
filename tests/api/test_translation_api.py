"""A translation run through the real server: the translation-transformer preset trained
on number-words (task seq2seq), then its greedy decoding (/inspect/translate) and its
attention maps, the decoder's cross-attention labelled with target and source tokens."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.datasets.translation import SOURCE_LEN, TARGET_LEN, VOCAB, in_words
from tests.api.test_inspect_api import _array, _create, _inspect, _wait

API = "/api/v1"
pytestmark = pytest.mark.slow
TRANSLATION: dict[str, Any] = {
    "model": {"preset": "translation-transformer"},
    "training": {"dataset": {"name": "number-words", "options": {"train_size": 4000}},
                 "task": "seq2seq", "epochs": 2, "batch_size": 64, "device": "cpu",
                 "optimizer": {"name": "adam", "lr": 0.003}},
}


@pytest.fixture(scope="module")
def translator(client: TestClient) -> tuple[str, dict[str, Any]]:
    run_id = _create(client, TRANSLATION)
    run = _wait(client, run_id, timeout=900)
    assert run["status"] == "completed", run
    return run_id, run


def test_the_run_reports_token_accuracy(translator: tuple[str, dict[str, Any]],
                                        record_property: Any) -> None:
    _, run = translator
    metrics = run["test_metrics"]
    assert metrics["test_accuracy"] > 0.9, metrics
    record_property("detail", f"test token accuracy {metrics['test_accuracy']:.3f} "
                              "(teacher forcing, 4,000 samples, 2 epochs)")


def test_greedy_decoding_translates_a_typed_source_and_the_test_split(
        client: TestClient, translator: tuple[str, dict[str, Any]],
        record_property: Any) -> None:
    run_id, _ = translator
    answer = _inspect(client, run_id, "translate",
                      {"source": "Three hundred and forty-two", "examples": 5})
    assert answer["source_tokens"] == ["three", "hundred", "and", "forty", "two", "<pad>",
                                       "<pad>"]
    assert answer["translation"] == "0342"
    assert answer["test_samples"] == 1000 and len(answer["examples"]) == 5
    assert answer["test_exact"] > 0.7
    assert answer["test_token_accuracy"] >= answer["test_exact"]
    for example in answer["examples"]:
        assert example["target"] == f"{int(example['target']):04d}"
        assert in_words(int(example["target"])) == example["source"]
        assert example["right"] == (example["output"] == example["target"])
    record_property("detail", f"greedy decoding of the 1,000 test numbers: "
                              f"{answer['test_exact']:.3f} exactly right, "
                              f"{answer['test_token_accuracy']:.3f} of the digits")


@pytest.mark.parametrize(("source", "words"), [
    ("three hundred and dozen", "'dozen' not in the model's vocabulary"),
    ("one two three four five six seven eight", "1 to 7 words, not 8"),
    ("<s> one", "'<s>' not in the model's vocabulary"),
])
def test_a_source_the_model_cannot_read_is_a_422(
        client: TestClient, translator: tuple[str, dict[str, Any]], source: str,
        words: str) -> None:
    run_id, _ = translator
    answer = _inspect(client, run_id, "translate", {"source": source}, status=422)
    assert words in answer["detail"]


def test_the_attention_view_gives_the_decoders_cross_attention(
        client: TestClient, translator: tuple[str, dict[str, Any]]) -> None:
    run_id, _ = translator
    answer = _inspect(client, run_id, "attention", {"sample": 0})
    tokens = answer["tokens"]
    assert len(tokens) == SOURCE_LEN + TARGET_LEN and set(tokens) <= set(VOCAB)
    source, target = tokens[:SOURCE_LEN], tokens[SOURCE_LEN:]
    assert target[0] == "<s>"
    parts = [(layer["id"], layer["part"]) for layer in answer["layers"]]
    assert parts == [("encoder", "self"), ("decoder", "self"), ("decoder", "cross")]
    encoder, masked, cross = answer["layers"]
    assert encoder["query_tokens"] == encoder["key_tokens"] == source
    assert masked["query_tokens"] == masked["key_tokens"] == target
    assert (cross["type"], cross["queries"], cross["keys"]) == (
        "transformer_decoder_block", TARGET_LEN, SOURCE_LEN)
    assert cross["query_tokens"] == target and cross["key_tokens"] == source
    weights = _array(cross["weights"])  # (heads, T queries, S keys)
    assert weights.shape == (4, TARGET_LEN, SOURCE_LEN)
    assert torch.allclose(weights.float().sum(dim=-1), torch.ones(4, TARGET_LEN), atol=1e-2)
    future = torch.triu(torch.ones(TARGET_LEN, TARGET_LEN, dtype=torch.bool), diagonal=1)
    assert (_array(masked["weights"])[:, future] == 0).all()  # no digit sees a later one


def test_a_translation_run_lists_translate_and_attention(
        client: TestClient, translator: tuple[str, dict[str, Any]]) -> None:
    run_id, _ = translator
    listed = client.get(f"{API}/runs/{run_id}/inspect").json()
    assert listed["task"] == "seq2seq"
    names = {view["name"] for view in listed["views"]}
    assert {"translate", "attention", "predict", "activations"} <= names
    assert "generate" not in names


@pytest.mark.parametrize(("layers", "field", "words"), [
    ([{"id": "dec", "type": "transformer_decoder_block", "num_heads": 2}],
     "inputs", "needs at least 2 inputs"),
    ([{"id": "mem", "type": "sequence_pool"},
      {"id": "dec", "type": "transformer_decoder_block", "num_heads": 2,
       "inputs": ["input", "mem"]}],
     "inputs", "not the encoder's (time, features) sequence"),
    ([{"id": "mem", "type": "dense", "units": 6},
      {"id": "dec", "type": "transformer_decoder_block", "num_heads": 3,
       "inputs": ["input", "mem"]}],
     "num_heads", "num_heads 3 must divide the width 8"),
], ids=["one-input", "memory-not-a-sequence", "heads"])
def test_a_decoder_that_cannot_be_built_is_a_422_naming_the_field(
        client: TestClient, layers: list[dict[str, Any]], field: str, words: str) -> None:
    response = client.post(f"{API}/specs/validate",
                           json={"input": {"shape": [6, 8]}, "layers": layers})
    assert response.status_code == 422, response.text
    issue = response.json()["errors"][0]
    assert (issue["layer_id"], issue["field"]) == ("dec", field)
    assert words in issue["message"]
