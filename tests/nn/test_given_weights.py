"""Weights given in a convolution's spec: they initialise the built layer, the exported
code sets the same ones, they still train (unless frozen), and weights that do not fit
the layer are refused with a message naming the layer and the shape it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.nn import analyze, build
from app.nn.codegen import to_python
from app.nn.infer import _MEASURED, clear_shape_cache
from app.runs import run_local
from app.spec import NetworkSpec
from app.spec.layers.weights import MAX_KERNEL_VALUES
from app.spec.training import TrainingSpec
from app.train import CHECKPOINT_NAME
from app.train.checkpoint import load_latest

API = "/api/v1"
LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]


def conv_net(weights: dict[str, Any], channels: int = 1, filters: int = 1,
             **fields: Any) -> dict[str, Any]:
    return {"version": 1, "name": "Hand kernel", "input": {"shape": [channels, 7, 7]},
            "layers": [{"id": "edges", "type": "conv2d", "filters": filters, "kernel_size": 3,
                        "weights": weights, **fields},
                       {"id": "flat", "type": "flatten"}]}


def test_a_grid_sets_the_kernel_and_the_bias_starts_at_zero() -> None:
    model = build(NetworkSpec.model_validate(conv_net({"kernel": LAPLACIAN})))
    conv = model.layer("edges")
    assert conv.weight.tolist() == [[LAPLACIAN]]
    assert conv.bias.tolist() == [0.0]
    flat = torch.full((1, 1, 7, 7), 0.5)
    assert torch.equal(model(flat), torch.zeros(1, 25))  # the mask sees no change


def test_full_kernels_and_biases_set_every_filter() -> None:
    kernel = [[[[float(f + c)] * 3] * 3 for c in range(2)] for f in range(3)]  # (3, 2, 3, 3)
    model = build(NetworkSpec.model_validate(
        conv_net({"kernel": kernel, "bias": [1, 2, 3]}, channels=2, filters=3)))
    conv = model.layer("edges")
    assert conv.weight.tolist() == kernel
    assert conv.bias.tolist() == [1.0, 2.0, 3.0]


def test_exported_code_sets_the_same_weights() -> None:
    spec = NetworkSpec.model_validate(conv_net({"kernel": LAPLACIAN, "bias": [0.25]}))
    source = to_python(spec)
    assert "with_weights(nn.Conv2d(" in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace["HandKernel"]()
    x = torch.randn(2, 1, 7, 7)
    assert torch.equal(exported(x), build(spec)(x))


def test_given_weights_train_unless_the_layer_is_frozen() -> None:
    for trainable in (True, False):
        model = build(NetworkSpec.model_validate(
            conv_net({"kernel": LAPLACIAN}, trainable=trainable)))
        assert model.layer("edges").weight.requires_grad is trainable


def test_conv1d_takes_a_list_of_values() -> None:
    spec = NetworkSpec.model_validate({
        "version": 1, "name": "Edges 1d", "input": {"shape": [1, 8]},
        "layers": [{"id": "diff", "type": "conv1d", "filters": 1, "kernel_size": 3,
                    "use_bias": False, "weights": {"kernel": [-1, 0, 1]}}]})
    model = build(spec)
    assert model.layer("diff").weight.tolist() == [[[-1.0, 0.0, 1.0]]]
    ramp = torch.arange(8.0)[None, None]
    assert model(ramp).tolist() == [[[2.0] * 6]]


@pytest.mark.parametrize(("weights", "channels", "filters", "fields", "words"), [
    ({"kernel": [[1, 2], [3, 4]]}, 1, 1, {},
     "weights.kernel is 2x2 but this layer needs 1x1x3x3: filters x input channels x kernel "
     "height x width, or the 3x3 grid alone"),
    ({"kernel": LAPLACIAN}, 2, 1, {},
     "weights.kernel is 3x3 but this layer needs 1x2x3x3"),
    ({"kernel": [[LAPLACIAN] * 2] * 2}, 2, 2, {"groups": 2},
     "weights.kernel is 2x2x3x3 but this layer needs 2x1x3x3: filters x input channels / groups"),
    ({"kernel": LAPLACIAN, "bias": [1, 2]}, 1, 1, {},
     "weights.bias has 2 values but the layer has 1 filters"),
    ({"kernel": LAPLACIAN, "bias": [1]}, 1, 1, {"use_bias": False},
     "weights.bias is given but use_bias is false"),
])
def test_weights_that_do_not_fit_answer_422_naming_the_layer_and_shape(
        client: TestClient, weights: dict[str, Any], channels: int, filters: int,
        fields: dict[str, Any], words: str) -> None:
    response = client.post(f"{API}/specs/validate",
                           json=conv_net(weights, channels, filters, **fields))
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["layer_id"], error["field"]) == ("edges", "weights")
    assert words in error["message"]


@pytest.mark.parametrize(("kernel", "words"), [
    ([[1, 2, 3], [4, 5]], "every row of the kernel must have the same length"),
    ([[[[0.5] * 31] * 31] * 5], f"over the limit of {MAX_KERNEL_VALUES:,}"),
    ([[1, "2", 3]] * 3, "valid number"),
    ([[True, 0, 0]] * 3, "valid number"),
])
def test_malformed_or_huge_kernels_answer_422(client: TestClient, kernel: Any,
                                              words: str) -> None:
    response = client.post(f"{API}/specs/validate", json=conv_net({"kernel": kernel}))
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["layer_id"] == "edges"
    assert words in error["message"], error


def test_a_real_run_trains_given_weights_and_keeps_frozen_ones(tmp_path: Path) -> None:
    training = TrainingSpec.model_validate({
        "dataset": {"name": "digits", "options": {"layout": "image"}},
        "task": "classification", "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 64, "epochs": 1, "seed": 0})
    kernels = {}
    for trainable in (True, False):
        spec = NetworkSpec.model_validate({
            "version": 1, "name": "Digits edges", "input": {"shape": [1, 8, 8]},
            "layers": [{"id": "edges", "type": "conv2d", "filters": 1, "kernel_size": 3,
                        "trainable": trainable, "weights": {"kernel": LAPLACIAN}},
                       {"id": "flat", "type": "flatten"},
                       {"id": "out", "type": "dense", "units": 10}]})
        folder = tmp_path / str(trainable)
        final = run_local(spec, training, lambda event: None, checkpoint_dir=folder)
        assert final.status == "completed", final.reason
        state = load_latest(folder / CHECKPOINT_NAME).checkpoint.model
        kernels[trainable] = state["edges.weight"][0, 0].tolist()
    assert kernels[False] == LAPLACIAN  # frozen: exactly as given
    assert kernels[True] != LAPLACIAN  # trainable: started there, then learned
    diff = torch.tensor(kernels[True]) - torch.tensor(LAPLACIAN, dtype=torch.float32)
    assert 0 < diff.abs().max() < 1  # one epoch moves it a little from the hand-set start


def test_the_shape_cache_keeps_a_digest_of_a_hand_set_kernel_not_its_values() -> None:
    kernel = [[[[0.125 + f / 7 + c / 3] * 4] * 4 for c in range(16)] for f in range(16)]
    spec = NetworkSpec.model_validate({
        "version": 1, "name": "Big kernel", "input": {"shape": [16, 8, 8]},
        "layers": [{"id": "conv", "type": "conv2d", "filters": 16, "kernel_size": 4,
                    "weights": {"kernel": kernel}}]})
    clear_shape_cache()
    analyze(spec)
    assert [len(key[0]) for key in _MEASURED] == [64]  # a sha256, whatever the kernel's size
