"""A network as an ONNX file, with its LayerLab spec carried inside.

The file is written by PyTorch's current exporter (`torch.onnx.export(..., dynamo=True)`,
torch.export and onnxscript). Where that exporter fails, the TorchScript-based one
writes it instead: of the presets, only the autoencoder, whose layer named `code` clashes
with torch.fx's GraphModule.code. The model's `layerlab.exporter` metadata says which
wrote a file.

Either way the file carries the spec and, for each weight, the initializer that holds it
(`layerlab.spec`, `layerlab.weights`): app.nn.onnx_import opens it as it was, with the
dropout, sampling and attention layers that an inference graph no longer shows.
"""

from __future__ import annotations

import io
import json
from typing import Literal

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from app.nn.export_warnings import known_warnings_ignored
from app.nn.graph_module import GraphNet
from app.nn.onnx_import import EXPORTER_KEY, SPEC_KEY, WEIGHTS_KEY
from app.spec import NetworkSpec

ONNX_OPSET = 18
"""The torch.export-based exporter's own opset; LayerNormalization is one op in it, and
every current ONNX runtime runs it."""

Exporter = Literal["dynamo", "torchscript"]


def write_onnx(spec: NetworkSpec, model: GraphNet, example: torch.Tensor) -> bytes:
    """The eval-mode graph of `model` with a free batch dimension ("input" -> "output").
    Raises RuntimeError (torch.onnx.OnnxExporterError) when neither exporter can."""
    exporter: Exporter = "dynamo"
    try:
        data = _dynamo(model, example)
    except (RuntimeError, ImportError):  # an exporter failure, or onnxscript not installed
        exporter, data = "torchscript", write_torchscript(model, example)
    return carry_spec(data, spec, {k: v.detach().cpu() for k, v in model.state_dict().items()},
                      exporter)


def _dynamo(model: GraphNet, example: torch.Tensor) -> bytes:
    batch = torch.export.Dim("batch", min=1)
    with known_warnings_ignored(every=True):
        # Unoptimised, as the TorchScript export is left unfolded: each weight stays an
        # initializer of its own (the optimiser merges batch norms into convolutions and
        # re-packs recurrent gates); ONNX Runtime optimises the graph when it loads it.
        program = torch.onnx.export(
            model, (example,), dynamo=True, opset_version=ONNX_OPSET, verbose=False,
            optimize=False, input_names=["input"], output_names=["output"],
            dynamic_shapes=({0: batch},))
    assert program is not None  # returned whenever no file is given
    data: bytes = program.model_proto.SerializeToString()
    return data


def write_torchscript(model: GraphNet, example: torch.Tensor) -> bytes:
    # Constants left unfolded, for the same reason.
    buffer = io.BytesIO()
    batch_axis = {0: "batch"}
    # Not under no_grad: there attention takes a fused path that ONNX has no op for.
    with known_warnings_ignored():
        torch.onnx.export(
            model, (example,), buffer,  # type: ignore[arg-type]  # the stub says paths only
            dynamo=False, opset_version=ONNX_OPSET, do_constant_folding=False,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": batch_axis, "output": batch_axis})
    return buffer.getvalue()


def carry_spec(data: bytes, spec: NetworkSpec, state: dict[str, torch.Tensor],
               exporter: Exporter) -> bytes:
    """The ONNX file with its LayerLab spec and, for each weight, the initializer that
    holds it (an exporter merges equal tensors, so a name may hold several), in the
    model's metadata."""
    model = onnx.load_model_from_string(data)
    stored = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    by_shape: dict[tuple[int, ...], list[str]] = {}
    for name, value in stored.items():
        by_shape.setdefault(tuple(value.shape), []).append(name)
    where: dict[str, str] = {}
    for key, tensor in state.items():
        value = tensor.numpy()
        if key in stored and np.array_equal(stored[key], value):
            where[key] = key
            continue
        found = next((name for name in by_shape.get(tuple(value.shape), [])
                      if np.array_equal(stored[name], value)), None)
        if found is not None:
            where[key] = found
    for key, text in ((SPEC_KEY, spec.model_dump_json()),
                      (WEIGHTS_KEY, json.dumps(where, separators=(",", ":"))),
                      (EXPORTER_KEY, exporter)):
        model.metadata_props.add(key=key, value=text)
    return model.SerializeToString()
