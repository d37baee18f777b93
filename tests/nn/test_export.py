"""Exported models load in other programs and reproduce the built network: onnxruntime
for ONNX, a fresh import of the zipped source for the pytorch export, torch.jit.load
for TorchScript. Every preset, with random trained-looking weights."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load as load_safetensors

from app.datasets import load_dataset
from app.nn import analyze
from app.nn.codegen import class_name
from app.nn.export import EXPORT_FORMATS, export_model
from app.spec import NetworkSpec, parse_network
from tests.conftest import MODELS_DIR, OVER_DEFAULT_LIMITS
from tests.nn.conftest import OnnxOf
from tests.nn.trained_weights import random_batch, reference_model, trained_state

# A preset over the default limits is refused an export (tests/nn/test_codegen.py).
PRESETS = sorted(p.stem for p in MODELS_DIR.glob("*.json") if p.stem not in OVER_DEFAULT_LIMITS)
SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
MNIST_SHAPE = [1, 28, 28]
ZIP_FILES = {"README.md", "model.py", "weights.safetensors", "spec.json"}



@pytest.fixture(scope="module")
def mnist_images() -> torch.Tensor:
    """The first 4 images of the real MNIST test set: (4, 1, 28, 28), pixels in [0, 1]."""
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"the real MNIST files are not in {SHARED_MNIST}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAYERLAB_MNIST_DIR", str(SHARED_MNIST))
        data = load_dataset("mnist-10k")
    return data.x_train[:4]  # mnist-10k trains on the first 8,000 test images, in order


def _inputs(spec: NetworkSpec, request: pytest.FixtureRequest) -> list[torch.Tensor]:
    """Batches of 4 and 1 (the exports trace a batch of 2): real digits where they fit."""
    if spec.input.shape == MNIST_SHAPE and spec.input.dtype == "float":
        images = request.getfixturevalue("mnist_images")
        return [images, images[:1]]
    return [random_batch(spec, 4, seed=10), random_batch(spec, 1, seed=11)]


@pytest.mark.parametrize("name", PRESETS)
def test_onnx_runs_in_onnxruntime_like_torch(
    name: str, presets: dict[str, NetworkSpec], request: pytest.FixtureRequest,
    onnx_of: OnnxOf,
) -> None:
    spec = presets[name]
    exported, state = onnx_of(spec)
    assert exported.filename.endswith(".onnx")
    session = ort.InferenceSession(exported.data, providers=["CPUExecutionProvider"])
    (graph_input,), (graph_output,) = session.get_inputs(), session.get_outputs()
    assert (graph_input.name, graph_output.name) == ("input", "output")
    assert graph_input.shape == ["batch", *spec.input.shape]
    assert graph_input.type == ("tensor(int64)" if spec.input.dtype == "token" else
                                "tensor(float)")
    model = reference_model(spec, state)
    for x in _inputs(spec, request):
        (got,) = session.run(["output"], {"input": x.numpy()})
        with torch.no_grad():
            want = model(x).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


@pytest.mark.parametrize("name", PRESETS)
def test_pytorch_zip_loads_as_its_readme_says(
    name: str, presets: dict[str, NetworkSpec], request: pytest.FixtureRequest,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = presets[name]
    state = trained_state(spec)
    exported = export_model(spec, state, "pytorch", name=name)
    assert (exported.filename, exported.media_type) == (f"{name}.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        assert set(archive.namelist()) == ZIP_FILES
        archive.extractall(tmp_path)
    assert parse_network(json.loads((tmp_path / "spec.json").read_text())) == spec
    readme = (tmp_path / "README.md").read_text()
    assert f"from model import {class_name(spec.name)}" in readme
    load, use = _python_blocks(readme)

    # model.py imported from its file; the README's own lines do the rest, from tmp_path.
    module_spec = importlib.util.spec_from_file_location("model", tmp_path / "model.py")
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "model", module)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(load, namespace)
    exec(use, namespace)  # the usage example runs too, with the shapes it announces
    output = namespace["y"]
    assert isinstance(output, torch.Tensor)
    assert output.shape == (4, *analyze(spec).output_shape)
    loaded = namespace["m"]
    assert isinstance(loaded, torch.nn.Module) and not loaded.training

    model = reference_model(spec, state)
    with torch.no_grad():
        for x in _inputs(spec, request):
            torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("name", PRESETS)
def test_safetensors_holds_the_weights_and_the_spec(
    name: str, presets: dict[str, NetworkSpec], tmp_path: Path
) -> None:
    spec = presets[name]
    state = trained_state(spec)
    exported = export_model(spec, state, "safetensors", name=name)
    loaded = load_safetensors(exported.data)
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0)
    path = tmp_path / exported.filename
    path.write_bytes(exported.data)
    with safe_open(path, "pt") as weights:
        metadata = weights.metadata()
    assert parse_network(json.loads(metadata["spec"])) == spec


@pytest.mark.parametrize("name", PRESETS)
# the test loads the file itself: torch's own loader warns that it is deprecated
@pytest.mark.filterwarnings(r"ignore:`torch\.jit\.load` is deprecated:DeprecationWarning")
def test_torchscript_reloads_and_matches_eager(
    name: str, presets: dict[str, NetworkSpec], request: pytest.FixtureRequest
) -> None:
    spec = presets[name]
    state = trained_state(spec)
    exported = export_model(spec, state, "torchscript", name=name)
    assert exported.filename == f"{name}.pt"
    loaded = torch.jit.load(io.BytesIO(exported.data))
    model = reference_model(spec, state)
    with torch.no_grad():
        for x in _inputs(spec, request):
            torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_format_names_its_file(fmt: str, presets: dict[str, NetworkSpec]) -> None:
    spec = presets["perceptron"]
    exported = export_model(spec, trained_state(spec), fmt, name="../../etc/passwd")
    extension = {"pytorch": "zip", "safetensors": "safetensors", "onnx": "onnx",
                 "torchscript": "pt"}[fmt]
    assert exported.filename == f"etc_passwd.{extension}"
    assert exported.media_type in {"application/zip", "application/octet-stream"}
    assert exported.data


@pytest.mark.parametrize(("name", "filename"), [
    ("My net v2!", "My_net_v2"),
    ("..\\..\\windows", "windows"),
    ("-rf /", "rf"),
    ("", "model"),
    ("///", "model"),
    ("ü" * 10 + "x", "x"),
    ("a" * 100, "a" * 64),
])
def test_names_are_sanitised(name: str, filename: str, presets: dict[str, NetworkSpec]) -> None:
    spec = presets["perceptron"]
    exported = export_model(spec, trained_state(spec), "safetensors", name=name)
    assert exported.filename == f"{filename}.safetensors"


def test_unknown_format_is_refused(presets: dict[str, NetworkSpec]) -> None:
    spec = presets["perceptron"]
    with pytest.raises(ValueError, match="pytorch, safetensors, onnx, torchscript"):
        export_model(spec, trained_state(spec), "keras")


def test_weights_of_another_network_are_refused(presets: dict[str, NetworkSpec]) -> None:
    with pytest.raises(ValueError, match="do not fit the network"):
        export_model(presets["toy-mlp"], trained_state(presets["digits-mlp"]), "onnx")


def test_onnx_failures_are_value_errors(
    presets: dict[str, NetworkSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*args: object, **kwargs: object) -> None:
        raise torch.onnx.errors.OnnxExporterError("no symbolic function for aten::foo")

    monkeypatch.setattr(torch.onnx, "export", unsupported)
    spec = presets["perceptron"]
    with pytest.raises(ValueError, match=r"opset 18\) failed for a network of dense: .*foo"):
        export_model(spec, trained_state(spec), "onnx")


def test_pytorch_zip_is_reproducible_and_leaves_the_rng_alone(
    presets: dict[str, NetworkSpec]
) -> None:
    spec = presets["lenet5"]
    state = trained_state(spec)
    torch.manual_seed(7)
    first = export_model(spec, state, "pytorch").data
    after_export = torch.rand(3)
    torch.manual_seed(7)
    assert torch.equal(torch.rand(3), after_export)
    assert export_model(spec, state, "pytorch").data == first
