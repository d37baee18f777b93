"""A dataset's preview shows its data as it is: a 2-D set's points, text as text, class
ids by their names."""

from __future__ import annotations

import json
import os

import pytest
from fastapi.testclient import TestClient

from app.datasets import load_dataset

API = "/api/v1/datasets"
MNIST = "/work/shared/data/mnist"


@pytest.mark.parametrize(("name", "options", "count"), [
    ("spiral", {}, 500),  # 800 training points: 500 spread over them
    ("moons", {"n_samples": 300}, 240),  # fewer: all of them
])
def test_a_2d_set_sends_its_points(client: TestClient, record_property: pytest.RecordProperty,
                                   name: str, options: dict[str, int], count: int) -> None:
    sent = client.get(f"{API}/{name}", params={"options": json.dumps(options)}).json()["points"]
    assert len(sent) == count
    data = load_dataset(name, options)
    assert {c for _, _, c in sent} == set(data.y_train.tolist()) == {0, 1}
    train = {(round(a, 4), round(b, 4)) for a, b in data.x_train.tolist()}
    assert all((a, b) in train for a, b, _ in sent)  # real points, not made up
    record_property("detail", f"{name}: {len(sent)} of {len(data.x_train)} training points, "
                              f"classes {sorted({c for _, _, c in sent})}")


def test_options_shape_the_preview(client: TestClient) -> None:
    detail = client.get(f"{API}/chars", params={"options": '{"seq_len": 8}'}).json()
    assert detail["input_shape"] == [8] and len(detail["preview"][0]["x"]) == 8
    for bad, says in [('{"seq_len": 2}', "seq_len"), ("[1]", "JSON object"), ("{", "not JSON")]:
        answer = client.get(f"{API}/chars", params={"options": bad})
        assert answer.status_code == 422 and says in answer.json()["detail"], answer.text


def test_other_datasets_send_no_points(client: TestClient) -> None:
    assert client.get(f"{API}/digits?samples=1").json()["points"] is None
    assert client.get(f"{API}/chars?samples=1").json()["points"] is None


def test_text_datasets_send_their_samples_as_text(client: TestClient,
                                                  record_property: pytest.RecordProperty) -> None:
    chars = client.get(f"{API}/chars?samples=2").json()["preview"]
    vocab = client.get(f"{API}/chars").json()["class_names"]
    assert chars[0]["text"] == "".join(vocab[i] for i in chars[0]["x"])
    assert chars[0]["text"].startswith("i\n\nfrom fairest creatures")
    assert chars[0]["label"] == vocab[chars[0]["y"]]
    words = client.get(f"{API}/number-words?samples=1").json()["preview"][0]
    # the source alone (the decoder's input after it repeats the target), padding dropped
    assert words["text"] == "seven thousand eight hundred and thirty five"
    assert words["label"] == "7835"
    record_property("detail", f"chars {chars[0]['text']!r}; number-words {words['text']!r} "
                              f"-> {words['label']!r}")


def test_classes_are_named(client: TestClient) -> None:
    iris = client.get(f"{API}/iris?samples=2").json()["preview"]
    assert [s["label"] for s in iris] == ["setosa", "virginica"]
    assert client.get(f"{API}/sine?samples=1").json()["preview"][0]["label"] is None


@pytest.mark.skipif(not os.path.isdir(MNIST), reason="the shared MNIST files are absent")
def test_image_samples_carry_their_class_names(client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERLAB_MNIST_DIR", MNIST)
    samples = client.get(f"{API}/mnist-10k?samples=3").json()["preview"]
    assert [s["label"] for s in samples] == ["7", "2", "1"]
    assert samples[0]["text"] is None and len(samples[0]["x"][0]) == 28
