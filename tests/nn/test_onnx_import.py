"""ONNX files into networks. Every preset exported to ONNX imports back to the same spec
and the same outputs; every preset whose layers are all single operators also converts
operator by operator (the spec the file carries ignored) to the same outputs. Files
written by hand, as other tools write them, convert too; operators no layer expresses are
all named in one error, and a file that is not ONNX, or whose carried spec does not
compute what its graph does, is refused."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from app.nn import build
from app.nn.export import example_input
from app.nn.onnx_export import write_torchscript
from app.nn.onnx_import import (
    EXPORTER_KEY,
    SPEC_KEY,
    OnnxImportError,
    OnnxReadError,
    UnsupportedModel,
    import_onnx,
)
from app.spec import NetworkSpec, parse_network
from tests.conftest import MODELS_DIR, OVER_DEFAULT_LIMITS
from tests.nn.conftest import OnnxOf
from tests.nn.onnx_files import onnx_model
from tests.nn.trained_weights import random_batch, reference_model

PRESETS = sorted(p.stem for p in MODELS_DIR.glob("*.json") if p.stem not in OVER_DEFAULT_LIMITS)
ATTENTION = {"char-transformer", "translation-transformer"}
"""Attention is many operators in a file (MatMul of two computed tensors, Softmax, ...):
these come back through the spec LayerLab's file carries, not operator by operator."""
LAYERS_NOT_IN_A_GRAPH = {"dropout", "sampling"}  # identities at inference


def _outputs(spec: NetworkSpec, state: dict[str, torch.Tensor], x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return reference_model(spec, state)(x).numpy()




@pytest.mark.parametrize("name", PRESETS)
def test_a_preset_comes_back_from_its_onnx_file(name: str, presets: dict[str, NetworkSpec],
                                                onnx_of: OnnxOf) -> None:
    spec = presets[name]
    exported, state = onnx_of(spec)
    data = exported.data
    imported = import_onnx(data)
    assert imported.carried and imported.spec == spec
    # The current exporter writes every preset but the one whose layer `code` clashes
    # with torch.fx's GraphModule.code: the TorchScript-based one writes that.
    written_by = {p.key: p.value for p in onnx.load_model_from_string(data).metadata_props}
    assert written_by[EXPORTER_KEY] == ("torchscript" if name == "mnist-autoencoder"
                                        else "dynamo")
    # A VAE's log-variance does not reach an inference graph's output: it starts fresh.
    assert imported.fresh == (["z_log_var"] if name == "mnist-vae" else [])
    x = random_batch(spec, 4, seed=10)
    kept = {k: v for k, v in imported.state.items() if not k.startswith("z_log_var")}
    assert all(torch.equal(kept[k], state[k]) for k in kept)
    np.testing.assert_allclose(_outputs(imported.spec, imported.state, x),
                               _outputs(spec, state, x), atol=1e-5, rtol=0)


def _torchscript_export(spec: NetworkSpec, state: dict[str, torch.Tensor]) -> bytes:
    """The file the TorchScript-based exporter writes (older PyTorch's default): node
    names are module paths, weights stay unfolded."""
    return write_torchscript(reference_model(spec, state), example_input(spec, 2))


BY_BOTH = [(name, "dynamo") for name in sorted(set(PRESETS) - ATTENTION)] + [
    (name, "torchscript") for name in ("char-lstm", "gru-sequence", "mnist-dcgan", "resnet18",
                                       "inception-block", "lenet5", "mnist-vae")]
"""Every preset from the current exporter; from the TorchScript one (older PyTorch's
files), one of each kind of layer it writes differently: recurrent, transposed
convolutions and norms, residual and inception merges, pooling, reshapes."""


@pytest.mark.parametrize(("name", "exporter"), BY_BOTH)
def test_a_preset_converts_operator_by_operator(name: str, exporter: str,
                                                presets: dict[str, NetworkSpec],
                                                onnx_of: OnnxOf) -> None:
    spec = presets[name]
    exported, state = onnx_of(spec)
    data = exported.data
    if exporter == "torchscript":
        data = _torchscript_export(spec, state)
    imported = import_onnx(data, use_carried=False)
    assert not imported.carried
    kept = [layer for layer in spec.layers if layer.type not in LAYERS_NOT_IN_A_GRAPH]
    converted = {layer.id: layer.type for layer in imported.spec.layers}
    # The layers are the preset's, named after the modules the file's nodes ran in; a
    # VAE's encoder head that does not reach the output is not in the file at all.
    assert set(converted.items()) <= {(layer.id, layer.type) for layer in kept}
    assert len(converted) >= len(kept) - (1 if name == "mnist-vae" else 0)
    x = random_batch(spec, 4, seed=11)
    np.testing.assert_allclose(_outputs(imported.spec, imported.state, x),
                               _outputs(spec, state, x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", sorted(ATTENTION))
def test_attention_without_its_spec_names_the_nodes_it_cannot_express(
        name: str, presets: dict[str, NetworkSpec], onnx_of: OnnxOf) -> None:
    exported, state = onnx_of(presets[name])
    data = exported.data
    for file in (data, _torchscript_export(presets[name], state)):
        with pytest.raises(UnsupportedModel) as refused:
            import_onnx(file, use_carried=False)
        assert "MatMul" in {problem.op for problem in refused.value.problems}
        assert "Nothing was imported" in str(refused.value)


def _ort(data: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_a_file_from_another_tool_converts_and_computes_what_it_does() -> None:
    """As a Keras or hand-written export reads: a MatMul by a stored matrix plus a bias, a
    separate ReLU, a Gemm whose weight is not transposed, a softmax; no module names."""
    rng = np.random.default_rng(0)
    data = onnx_model([
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="dense_1/MatMul"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="dense_1/BiasAdd"),
        helper.make_node("Relu", ["h1"], ["h2"], name="dense_1/Relu"),
        helper.make_node("Gemm", ["h2", "w2", "b2"], ["h3"], name="dense_2/Gemm"),
        helper.make_node("Softmax", ["h3"], ["y"], axis=-1, name="dense_2/Softmax"),
    ], {"w1": rng.normal(size=(4, 8)), "b1": rng.normal(size=8), "w2": rng.normal(size=(8, 3)),
        "b2": rng.normal(size=3)}, [4], [3])
    imported = import_onnx(data, name="foreign")
    assert [(layer.type, getattr(layer, "activation", None)) for layer in imported.spec.layers] \
        == [("dense", "relu"), ("dense", "softmax")]
    x = rng.normal(size=(5, 4)).astype(np.float32)
    with torch.no_grad():
        model = build(imported.spec)
        model.load_state_dict(imported.state)
        got = model.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, _ort(data, x), atol=1e-5, rtol=0)


def test_every_operator_no_layer_expresses_is_named_and_nothing_is_imported() -> None:
    rng = np.random.default_rng(1)
    data = onnx_model([
        helper.make_node("Conv", ["x", "k"], ["c"], pads=[0, 0, 1, 1], name="/stem/Conv"),
        helper.make_node("Sin", ["c"], ["s"], name="/wave/Sin"),
        helper.make_node("Flatten", ["s"], ["f"], name="/flat/Flatten"),
        helper.make_node("Hardmax", ["f"], ["y"], name="/pick/Hardmax"),
    ], {"k": rng.normal(size=(2, 1, 3, 3))}, [1, 6, 6], [2 * 5 * 5])
    with pytest.raises(UnsupportedModel) as refused:
        import_onnx(data)
    problems = [(p.op, p.node) for p in refused.value.problems]
    assert problems == [("Conv", "/stem/Conv"), ("Sin", "/wave/Sin"),
                        ("Hardmax", "/pick/Hardmax")]
    assert "pads [0, 0, 1, 1]" in str(refused.value)


def test_bytes_that_are_not_onnx_are_refused() -> None:
    with pytest.raises(OnnxReadError, match="not a valid ONNX model"):
        import_onnx(b"PK\x03\x04 a zip, not a model")


def test_a_carried_spec_that_computes_something_else_is_refused(
        presets: dict[str, NetworkSpec], onnx_of: OnnxOf) -> None:
    spec = presets["toy-mlp"]
    data = onnx_of(spec)[0].data
    model = onnx.load_model_from_string(data)
    other = spec.model_dump(mode="json")
    other["layers"][0]["activation"] = "relu"  # the graph has tanh there
    for prop in model.metadata_props:
        if prop.key == SPEC_KEY:
            prop.value = json.dumps(other)
    with pytest.raises(OnnxImportError, match="differ from the file's"):
        import_onnx(model.SerializeToString())
    assert parse_network(other) != spec


def test_a_file_that_points_outside_itself_or_folds_into_a_bomb_is_refused() -> None:
    """A tensor kept in an external file is refused before anything is read (its path is
    the file's to choose); a constant a billion values large is never made."""
    outside = onnx_model([helper.make_node("MatMul", ["x", "w"], ["y"], name="/fc/MatMul")],
                     {"w": np.ones((2, 2))}, [2], [2])
    model = onnx.load_model_from_string(outside)
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    weight.external_data.add(key="location", value="/etc/passwd")
    with pytest.raises(OnnxReadError, match="external files"):
        import_onnx(model.SerializeToString())
    shape = numpy_helper.from_array(np.array([10**9], np.int64), "shape")
    bomb = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["shape"], ["zeros"], name="/big/ConstantOfShape"),
         helper.make_node("Add", ["x", "zeros"], ["y"], name="/add/Add")], "bomb",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [shape])
    big = helper.make_model(bomb, opset_imports=[helper.make_opsetid("", 17)])
    big.ir_version = 8
    with pytest.raises(UnsupportedModel):
        import_onnx(big.SerializeToString())
