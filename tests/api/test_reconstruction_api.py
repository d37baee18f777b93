"""GET /runs/{id}/inspect/reconstructions over real trained runs: a small dense
autoencoder on the 8x8 digits (mse, and bce whose outputs are logits) and a classifier,
which has no reconstructions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.datasets.base import load_dataset
from app.inspect import decode
from app.inspect.reconstruction import MAX_SHOWN, MAX_WORST
from app.spec.arrays import EncodedArray
from tests.api.test_inspect_api import _create, _wait

API = "/api/v1"
pytestmark = pytest.mark.slow
FINAL = ("completed", "failed", "diverged", "stopped", "paused")
DIGITS = {"name": "digits", "options": {"layout": "image"}}
DIGITS_TEST = round(1797 * 0.2)  # 359
DIGITS_VAL = int((1797 - DIGITS_TEST) * 0.2)  # 287


def _autoencoder(loss: str, output: str | None) -> dict[str, Any]:
    return {
        "model": {"input": {"shape": [1, 8, 8]}, "layers": [
            {"id": "flat", "type": "flatten"},
            {"id": "code", "type": "dense", "units": 12, "activation": "relu"},
            {"id": "decode", "type": "dense", "units": 64, "activation": output},
            {"id": "out", "type": "reshape", "shape": [1, 8, 8]}]},
        "training": {"dataset": DIGITS, "task": "reconstruction", "loss": loss, "epochs": 2,
                     "batch_size": 64, "validation_split": 0.2,
                     "optimizer": {"name": "adam", "lr": 0.01}, "device": "cpu"},
    }


CLASSIFIER: dict[str, Any] = {
    "model": {"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}]},
    "training": {"dataset": DIGITS, "epochs": 1, "batch_size": 64, "device": "cpu"},
}


@dataclass
class Runs:
    mse: str
    bce: str
    classifier: str


@pytest.fixture(scope="module")
def runs(client: TestClient) -> Runs:
    made = Runs(mse=_create(client, _autoencoder("mse", "sigmoid")),
                bce=_create(client, _autoencoder("bce", None)),
                classifier=_create(client, CLASSIFIER))
    for run_id in (made.mse, made.bce, made.classifier):
        finished = _wait(client, run_id)
        assert finished["status"] == "completed", finished
    return made


def _get(client: TestClient, run_id: str, status: int = 200, **query: Any) -> Any:
    response = client.get(f"{API}/runs/{run_id}/inspect/reconstructions", params=query)
    assert response.status_code == status, response.text
    return response.json()


def _array(data: Any) -> torch.Tensor:
    encoded = EncodedArray.model_validate(data)
    values = decode(encoded)
    assert list(values.shape) == encoded.shape
    return values


def _check_samples(samples: list[dict[str, Any]], errors: torch.Tensor) -> None:
    """Each sample's error is its index's in `errors`, and the mean square of the
    difference between the input and the reconstruction it was sent with."""
    for sample in samples:
        x, rebuilt = _array(sample["input"]), _array(sample["reconstruction"])
        assert list(x.shape) == list(rebuilt.shape) == [1, 8, 8]
        assert sample["error"] == pytest.approx(float(errors[sample["index"]]), rel=1e-5)
        assert sample["error"] == pytest.approx(float((rebuilt - x).pow(2).mean()), abs=2e-3)


def test_the_first_samples_beside_their_reconstructions(client: TestClient, runs: Runs
                                                        ) -> None:
    answer = _get(client, runs.mse)
    errors = _array(answer["errors"])
    assert answer["samples"] == DIGITS_TEST and errors.shape == (DIGITS_TEST,)
    assert answer["mean_error"] == pytest.approx(float(errors.mean()), rel=1e-5)
    assert 0 < answer["mean_error"] < 0.2  # two epochs: rough, but far from noise
    assert answer["cut"] is None
    assert [s["index"] for s in answer["shown"]] == list(range(16))
    x_test = load_dataset("digits", {"layout": "image"}).x_test
    for sample in answer["shown"]:
        assert torch.allclose(_array(sample["input"]), x_test[sample["index"]], atol=1e-3)
    _check_samples(answer["shown"], errors)
    histogram = answer["histogram"]
    assert sum(histogram["counts"]) == DIGITS_TEST and len(histogram["counts"]) == 32
    assert histogram["low"] == pytest.approx(float(errors.min()), rel=1e-5)
    assert histogram["high"] == pytest.approx(float(errors.max()), rel=1e-5)


def test_the_worst_samples_have_the_largest_errors(client: TestClient, runs: Runs) -> None:
    answer = _get(client, runs.mse, worst=5, samples=0)
    errors = _array(answer["errors"])
    assert answer["shown"] == [] and len(answer["worst"]) == 5
    top = errors.sort(descending=True).values[:5].tolist()
    assert [s["error"] for s in answer["worst"]] == pytest.approx(top, rel=1e-5)
    assert answer["worst"][0]["error"] == pytest.approx(answer["histogram"]["high"], rel=1e-5)
    _check_samples(answer["worst"], errors)


def test_other_splits_and_kept_epochs(client: TestClient, runs: Runs) -> None:
    val = _get(client, runs.mse, split="val", samples=2, worst=1)
    assert val["samples"] == DIGITS_VAL and len(val["shown"]) == 2
    train = _get(client, runs.mse, split="train", samples=1, worst=0)
    assert train["samples"] == 1797 - DIGITS_TEST - DIGITS_VAL
    first = _get(client, runs.mse, epoch=0, samples=1, worst=0)
    last = _get(client, runs.mse, epoch=1, samples=1, worst=0)
    assert first["mean_error"] != last["mean_error"]
    assert last["mean_error"] == pytest.approx(_get(client, runs.mse)["mean_error"])


def test_a_bce_autoencoders_logits_pass_through_a_sigmoid(client: TestClient, runs: Runs
                                                          ) -> None:
    answer = _get(client, runs.bce, samples=4, worst=4)
    errors = _array(answer["errors"])
    for sample in answer["shown"] + answer["worst"]:
        rebuilt = _array(sample["reconstruction"])
        assert rebuilt.min() >= 0 and rebuilt.max() <= 1
    _check_samples(answer["shown"] + answer["worst"], errors)
    assert answer["mean_error"] < 0.2


def test_the_largest_answer_is_bounded(client: TestClient, runs: Runs) -> None:
    answer = _get(client, runs.mse, samples=MAX_SHOWN, worst=MAX_WORST)
    assert len(answer["shown"]) == MAX_SHOWN and len(answer["worst"]) == MAX_WORST


@pytest.mark.parametrize("query", [
    {"samples": MAX_SHOWN + 1}, {"samples": -1}, {"worst": MAX_WORST + 1}, {"worst": -1},
    {"split": "everything"}, {"epoch": -1}, {"samples": "many"}])
def test_bad_parameters_are_422(client: TestClient, runs: Runs, query: dict[str, Any]) -> None:
    _get(client, runs.mse, status=422, **query)


def test_what_cannot_be_reconstructed(client: TestClient, runs: Runs) -> None:
    answer = _get(client, runs.classifier, status=422)
    assert "autoencoder" in answer["detail"] and "classes" in answer["detail"]
    answer = _get(client, runs.mse, status=422, epoch=7)
    assert "no weights kept for epoch 7" in answer["detail"]
    answer = _get(client, "0" * 32, status=404)
    assert "0" * 32 in answer["detail"]
