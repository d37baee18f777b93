"""The lessons through the API: in English and in Spanish, each experiment with the
network and settings it runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

API = "/api/v1"


def test_the_lessons_list_in_either_language(client: TestClient) -> None:
    english = client.get(f"{API}/lessons").json()
    spanish = client.get(f"{API}/lessons", params={"lang": "es"}).json()
    assert [lesson["id"] for lesson in english] == [lesson["id"] for lesson in spanish]
    assert english[1]["title"] == "XOR needs a hidden layer"
    assert spanish[1]["title"] == "XOR necesita una capa oculta"
    assert [lesson["chapter"] for lesson in english][:2] == [1, 2]


def test_a_lesson_gives_each_experiment_its_network_and_settings(client: TestClient) -> None:
    lesson = client.get(f"{API}/lessons/xor", params={"lang": "es"}).json()
    assert lesson["preset"] == "perceptron" and lesson["training"]["dataset"]["name"] == "xor"
    assert [layer["id"] for layer in lesson["network"]["layers"]] == ["out"]
    plain, hidden = lesson["experiments"]
    assert plain["network"] == lesson["network"]
    assert [layer["id"] for layer in hidden["network"]["layers"]] == ["hidden", "out"]
    assert hidden["edits"][0]["op"] == "insert_after" and hidden["watch"] == "boundary"
    assert hidden["expect"].startswith("La frontera se curva")
    assert {"metric": "test_accuracy", "op": "above", "value": 0.95, "than": None,
            "margin": 0.0, "epoch": None, "since": None} in hidden["checks"]
    assert hidden["init_from"] is None and hidden["worked"] == []
    ring = client.get(f"{API}/lessons/perceptron").json()["experiments"][1]
    assert ring["training_changes"] == {"dataset": {"name": "circle",
                                                    "options": {"n_samples": 400}}}
    assert ring["training"]["dataset"]["name"] == "circle" and ring["training"]["epochs"] == 30


def test_the_attention_example_comes_worked_out_by_the_real_layer(client: TestClient) -> None:
    lesson = client.get(f"{API}/lessons/attention", params={"lang": "es"}).json()
    example = lesson["experiments"][0]
    assert example["checks"] == [{"layer": "block1", "scores": [112.0, 96.0], "d_k": 64,
                                  "weights": [0.88, 0.12], "tolerance": 0.005}]
    (worked,) = example["worked"]
    assert (worked["layer"], worked["heads"], worked["d_k"]) == ("block1", 1, 64)
    assert worked["scores"] == pytest.approx([112, 96])
    assert worked["weights"] == pytest.approx([0.8808, 0.1192], abs=1e-4)
    assert len(worked["query"]) == 64 and len(worked["keys"]) == 2
    assert example["expect"].startswith("La capa divide las puntuaciones por √64 = 8")
    assert [e["worked"] for e in lesson["experiments"][1:]] == [[], []]


def test_an_experiment_names_the_one_whose_weights_it_starts_from(client: TestClient) -> None:
    lesson = client.get(f"{API}/lessons/transfer-learning").json()
    pretrain, scratch, head = lesson["experiments"]
    assert [pretrain["init_from"], scratch["init_from"], head["init_from"]] == [
        None, None, "pretrain"]
    layers = {layer["id"]: layer for layer in head["network"]["layers"]}
    assert [layer["id"] for layer in head["network"]["layers"]] == ["h1", "h2", "head"]
    assert layers["h1"]["trainable"] is False and layers["head"]["trainable"] is True
    assert head["training"]["dataset"]["options"] == {"target": "parity", "train_samples": 10}


def test_an_unknown_lesson_or_language_is_refused(client: TestClient) -> None:
    missing = client.get(f"{API}/lessons/nope")
    assert missing.status_code == 404
    assert "no lesson 'nope'; known: perceptron" in missing.json()["detail"]
    assert client.get(f"{API}/lessons", params={"lang": "fr"}).status_code == 422
