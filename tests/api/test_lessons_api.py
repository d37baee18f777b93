"""The lessons through the API: in English and in Spanish, each experiment with the
network and settings it runs."""

from __future__ import annotations

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
    assert {"metric": "test_accuracy", "op": "above", "value": 0.95, "than": None} in \
        hidden["checks"]
    ring = client.get(f"{API}/lessons/perceptron").json()["experiments"][1]
    assert ring["training_changes"] == {"dataset": {"name": "circle",
                                                    "options": {"n_samples": 400}}}
    assert ring["training"]["dataset"]["name"] == "circle" and ring["training"]["epochs"] == 30


def test_an_unknown_lesson_or_language_is_refused(client: TestClient) -> None:
    missing = client.get(f"{API}/lessons/nope")
    assert missing.status_code == 404
    assert "no lesson 'nope'; known: perceptron" in missing.json()["detail"]
    assert client.get(f"{API}/lessons", params={"lang": "fr"}).status_code == 422
