"""Inspect views that trace one thing to what made it, over a real trained CNN: a
feature map to its kernel and input channels, a confusion cell to its samples, an
embedding point to its sample; and the answers kept with the weights."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from PIL import Image

from app.inspect import decode
from app.spec.arrays import EncodedArray

API = "/api/v1"
pytestmark = pytest.mark.slow
CNN: dict[str, Any] = {
    "model": {"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same",
         "activation": "relu"},
        {"id": "conv2", "type": "conv2d", "filters": 4, "kernel_size": 3, "stride": 2,
         "groups": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 10}]},
    "training": {"dataset": {"name": "digits", "options": {"layout": "image"}},
                 "epochs": 2, "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.01},
                 "validation_split": 0.0, "device": "cpu"},
}


def _array(value: dict[str, Any]) -> np.ndarray:
    return decode(EncodedArray.model_validate(value)).numpy()


@pytest.fixture(scope="module")
def cnn(client: TestClient) -> str:
    created = client.post(f"{API}/runs", json=CNN)
    assert created.status_code == 201, created.text
    run_id = str(created.json()["id"])
    deadline = time.monotonic() + 120
    while (status := client.get(f"{API}/runs/{run_id}").json()["status"]) not in (
            "completed", "failed", "diverged", "stopped"):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.1)
    assert status == "completed"
    return run_id


def _post(client: TestClient, run_id: str, view: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/runs/{run_id}/inspect/{view}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _get(client: TestClient, run_id: str, view: str, **query: Any) -> dict[str, Any]:
    response = client.get(f"{API}/runs/{run_id}/inspect/{view}", params=query)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_activations_give_the_label_the_prediction_and_any_page_of_channels(
        client: TestClient, cnn: str) -> None:
    sample = _get(client, cnn, "sample", split="test", index=3)
    first = _post(client, cnn, "activations", {"sample": 3, "max_channels": 2})
    assert first["label"] == sample["label"] and first["class_names"] is not None
    prediction = first["prediction"]
    assert prediction["output"] == "classes" and len(prediction["probabilities"]) == 10
    assert abs(sum(prediction["probabilities"]) - 1) < 1e-4
    layers = {a["id"]: a for a in first["layers"]}
    assert prediction["top"][0]["index"] == int(np.argmax(_array(layers["out"]["values"])))

    page = _post(client, cnn, "activations", {"sample": 3, "max_channels": 2, "first_channel": 2,
                                              "layers": ["conv"]})
    (conv,) = page["layers"]
    assert conv["first_channel"] == 2 and conv["cut"] == "channels 2 to 3 of 6"
    assert (conv["min"], conv["max"]) == (layers["conv"]["min"], layers["conv"]["max"])
    whole = _post(client, cnn, "activations", {"sample": 3, "layers": ["conv"]})["layers"][0]
    assert np.array_equal(_array(conv["values"]), _array(whole["values"])[2:4])
    # past the last channel: the last page
    last = _post(client, cnn, "activations", {"sample": 3, "max_channels": 4, "first_channel": 5,
                                              "layers": ["conv"]})["layers"][0]
    assert last["first_channel"] == 2 and np.array_equal(_array(last["values"]),
                                                         _array(whole["values"])[2:6])
    drawn = _post(client, cnn, "activations", {"array": sample["input"]})
    assert drawn["label"] is None and drawn["prediction"] == prediction


def test_a_feature_map_traces_to_its_kernel_and_input_channels(client: TestClient,
                                                                cnn: str) -> None:
    whole = _post(client, cnn, "activations", {"sample": 5, "layers": ["conv", "conv2"]})
    maps = {a["id"]: _array(a["values"]) for a in whole["layers"]}
    picture = _array(whole["input"])

    detail = _post(client, cnn, "activations/channel", {"sample": 5, "layer": "conv", "channel": 4})
    assert (detail["channels"], detail["type"]) == (6, "conv2d")
    assert np.array_equal(_array(detail["map"]), maps["conv"][4])
    made = detail["convolution"]
    assert made["input_channels"] == [0] and made["reads"] == 1 and made["cut"] is None
    assert (made["stride"], made["padding"], made["dilation"]) == ([1, 1], [1, 1], [1, 1])
    inputs, kernel = _array(made["inputs"]), _array(made["kernel"])
    assert inputs.shape == (1, 8, 8) and kernel.shape == (1, 3, 3)
    assert np.allclose(inputs, picture, atol=1e-3)
    # the sum it shows is the convolution of what it shows, and the map its relu
    summed = F.conv2d(torch.tensor(inputs)[None], torch.tensor(kernel)[None],
                      padding=1)[0, 0].numpy() + made["bias"]
    pre = _array(made["pre_activation"])
    assert np.allclose(pre, summed, atol=2e-2)
    assert np.allclose(np.maximum(pre, 0), _array(detail["map"]), atol=1e-2)

    grouped = _post(client, cnn, "activations/channel",
                    {"sample": 5, "layer": "conv2", "channel": 3})["convolution"]
    assert grouped["input_channels"] == [3, 4, 5] and grouped["reads"] == 3  # the second group
    assert grouped["stride"] == [2, 2] and grouped["padding"] == [0, 0]
    assert grouped["pre_activation"] is None  # a linear layer: the map is the sum
    assert np.allclose(_array(grouped["inputs"]), maps["conv"][3:6], atol=1e-2)


def test_a_feature_map_of_a_layer_without_maps_is_refused(client: TestClient, cnn: str) -> None:
    for body, words in (({"layer": "flat", "channel": 0}, "outputs a vector of 36"),
                        ({"layer": "conv", "channel": 6}, "has 6 channels (0 to 5), not 6"),
                        ({"layer": "nope", "channel": 0}, "no layer 'nope'")):
        response = client.post(f"{API}/runs/{cnn}/inspect/activations/channel",
                               json={"sample": 0, **body})
        assert response.status_code == 422 and words in response.json()["detail"], response.text


def test_a_confusion_cell_lists_its_samples_the_most_confident_first(client: TestClient,
                                                                     cnn: str) -> None:
    matrix = _get(client, cnn, "confusion")
    assert matrix["split"] == "test"  # the run holds no validation split out
    assert matrix["samples"] == sum(map(sum, matrix["matrix"]))
    label, predicted = max(((i, j) for i in range(10) for j in range(10) if i != j),
                           key=lambda cell: matrix["matrix"][cell[0]][cell[1]])
    count = matrix["matrix"][label][predicted]
    assert count > 0, "a two-epoch CNN errs somewhere"
    cell = _get(client, cnn, "confusion/cell", label=label, predicted=predicted)
    assert (cell["split"], cell["count"], len(cell["samples"])) == ("test", count, min(count, 24))
    confidences = [s["confidence"] for s in cell["samples"]]
    assert confidences == sorted(confidences, reverse=True)
    for entry in cell["samples"][:3]:
        sample = _get(client, cnn, "sample", index=entry["index"])
        assert sample["label"] == label
        assert np.array_equal(_array(entry["input"]), _array(sample["input"]))
        guess = _post(client, cnn, "predict", {"sample": entry["index"]})["top"][0]
        assert guess["index"] == predicted
        assert guess["probability"] == pytest.approx(entry["confidence"], abs=1e-5)
    right = _get(client, cnn, "confusion/cell", label=label, predicted=label, limit=2, offset=1)
    assert right["count"] == matrix["matrix"][label][label] and len(right["samples"]) == 2
    refused = client.get(f"{API}/runs/{cnn}/inspect/confusion/cell",
                         params={"label": 10, "predicted": 0})
    assert refused.status_code == 422 and "10 classes apart" in refused.json()["detail"]


def test_a_sample_comes_with_its_label_and_class_name(client: TestClient, cnn: str) -> None:
    sample = _get(client, cnn, "sample", split="train", index=0)
    assert _array(sample["input"]).shape == (1, 8, 8)
    assert sample["label_name"] == str(int(sample["label"])) or sample["label_name"] is None
    missing = client.get(f"{API}/runs/{cnn}/inspect/sample", params={"index": 10_000})
    assert missing.status_code == 422 and "not 10000" in missing.json()["detail"]


def test_an_embedding_by_tsne_places_every_sample(client: TestClient, cnn: str) -> None:
    pca = _get(client, cnn, "embedding", layer="flat", samples=60)
    tsne = _get(client, cnn, "embedding", layer="flat", samples=60, method="tsne")
    assert (pca["method"], tsne["method"]) == ("pca", "tsne")
    assert _array(tsne["points"]).shape == (60, 2) and tsne["explained"] == []
    assert np.array_equal(_array(tsne["labels"]), _array(pca["labels"]))
    assert np.isfinite(_array(tsne["points"])).all()
    assert _array(tsne["points"]).std(axis=0).min() > 0  # spread out, not one point


def _latest_kept(client: TestClient, run_id: str) -> tuple[Any, dict[str, Any]]:
    """The key and the answer (as JSON) the run's network keeps last."""
    subject = client.app.state.subjects.subject(run_id)  # type: ignore[attr-defined]
    key, answer = next(reversed(subject.answers.items()))
    return key, answer.model_dump(mode="json")


def test_an_answer_is_kept_with_the_weights(client: TestClient, cnn: str) -> None:
    body = {"sample": 7, "layers": ["conv"]}
    first = _post(client, cnn, "activations", body)
    key, kept = _latest_kept(client, cnn)
    assert key[0] == "activations" and kept == first
    assert _post(client, cnn, "activations", body) == first
    assert _latest_kept(client, cnn)[0] == key  # asked again: the same one, moved last
    other = _post(client, cnn, "activations", {**body, "sample": 8})
    assert other != first and _latest_kept(client, cnn)[1] == other


def test_any_view_answers_as_a_png_figure(client: TestClient, cnn: str) -> None:
    base = f"{API}/runs/{cnn}/inspect"
    for response in (client.get(f"{base}/confusion", params={"format": "png"}),
                     client.get(f"{base}/embedding", params={"layer": "flat", "format": "png"}),
                     client.get(f"{base}/filters", params={"format": "png"}),
                     client.post(f"{base}/activations?format=png", json={"sample": 0})):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(response.content)) as figure:
            assert figure.width >= 600 and figure.height > 100
            assert len(figure.getcolors(1 << 20) or []) > 20  # drawn maps, not a blank page
    # the figure draws the numbers the JSON holds: the confusion matrix as one map
    assert client.get(f"{base}/confusion").headers["content-type"] == "application/json"
    refused = client.get(f"{base}/confusion", params={"format": "jpeg"})
    assert refused.status_code == 422


def test_a_figure_draws_each_array_of_the_answer() -> None:
    from app.inspect.confusion import ConfusionOut
    from app.inspect.figure import panels

    answer = ConfusionOut(split="test", samples=4, accuracy=0.5, class_names=None,
                          matrix=[[1, 1], [1, 1]], per_class_accuracy=[0.5, 0.5], wrong=[])
    (matrix,) = panels(answer)
    assert matrix.caption == "matrix" and len(matrix.tiles) == 1
    assert matrix.tiles[0].size == (96, 96)


def test_an_answer_too_big_to_keep_is_worked_out_again(client: TestClient, cnn: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from app.inspect import ActivationsOut
    from app.runs.views import registry

    one = _post(client, cnn, "activations", {"sample": 12, "layers": ["conv"], "max_channels": 1})
    bound = registry.text_size(ActivationsOut.model_validate(one)) + 100
    monkeypatch.setattr(registry, "ANSWER_MAX_BYTES", bound)
    small = _post(client, cnn, "activations",
                  {"sample": 13, "layers": ["conv"], "max_channels": 1})
    assert _latest_kept(client, cnn)[1] == small  # under the bound: kept
    big = _post(client, cnn, "activations", {"sample": 13, "layers": ["conv"], "max_channels": 6})
    assert _latest_kept(client, cnn)[1] == small != big  # six maps: over it, not kept
