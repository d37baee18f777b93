"""ONNX files into the editor: a network spec and the weights to start it from.

A file LayerLab exported carries its spec and the initializer that holds each weight
(metadata `layerlab.spec` and `layerlab.weights`, written by app.nn.export): it comes back
as it was, with the dropout, sampling and attention layers an inference graph no longer
shows. Any other file is converted operator by operator (app.nn.onnx_convert).

Either way the network built is run beside the file, in ONNX Runtime, on a seeded batch:
an import whose outputs differ from the file's is refused, so what opens in the editor
computes what the file computes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from app.nn.build import build
from app.nn.graph_module import GraphNet
from app.nn.onnx_convert import Draft, UnsupportedModel, convert
from app.nn.onnx_graph import OnnxGraph, OnnxReadError, read_onnx
from app.spec import NetworkSpec, SpecLimits
from app.spec.base import NETWORK_INPUT
from app.spec.errors import SpecError
from app.spec.network import parse_network

SPEC_KEY = "layerlab.spec"
WEIGHTS_KEY = "layerlab.weights"
EXPORTER_KEY = "layerlab.exporter"
CHECK_BATCH = 2
ATOL, RTOL = 1e-4, 1e-3
"""How near the imported network's outputs must be to the file's (float32 sums in another
order differ in the last digits)."""

__all__ = ["Imported", "OnnxImportError", "OnnxReadError", "UnsupportedModel", "import_onnx"]


class OnnxImportError(ValueError):
    """The file reads, but no network here computes what it does (the message says why)."""


@dataclass(frozen=True)
class Imported:
    """A network and its weights from an ONNX file."""

    spec: NetworkSpec
    state: dict[str, torch.Tensor]
    carried: bool  # True: the file's own LayerLab spec; False: converted op by op
    fresh: list[str] = field(default_factory=list)  # layers the file holds no weights for
    max_error: float = 0.0  # the largest output difference from the file's on the check


def import_onnx(data: bytes, name: str = "Imported network", limits: SpecLimits | None = None,
                use_carried: bool = True) -> Imported:
    """The network in `data` (an ONNX file's bytes), checked against the file.

    Raises OnnxReadError (not ONNX), UnsupportedModel (operators no layer expresses, all
    named) or OnnxImportError (the layers do not make a valid network, or do not
    reproduce the file's outputs)."""
    read = read_onnx(data)
    carried = read.metadata.get(SPEC_KEY) if use_carried else None
    if carried is not None:
        spec = _parse(json.loads(carried), "its LayerLab spec")
        model = build(spec, limits)
        fresh = _carried_weights(read, model)
    else:
        drafts = convert(read)
        spec = _parse(_spec_data(read, drafts, name), "the converted layers")
        model = build(spec, limits)
        _converted_weights(model, drafts)
        fresh = []
    error = _check(data, read, spec, model)
    return Imported(spec, {k: v.detach().clone() for k, v in model.state_dict().items()},
                    carried is not None, fresh, error)


def _parse(data: dict[str, Any], what: str) -> NetworkSpec:
    try:
        return parse_network(data)
    except SpecError as exc:
        raise OnnxImportError(f"{what} do not make a valid network: {exc}") from exc


def _spec_data(read: OnnxGraph, drafts: list[Draft], name: str) -> dict[str, Any]:
    made = {read.input_name: NETWORK_INPUT}
    layers: list[dict[str, Any]] = []
    previous = NETWORK_INPUT
    for draft in drafts:
        reads = [made.get(tensor) for tensor in draft.reads]
        if None in reads:
            raise OnnxImportError(f"layer {draft.id} reads a tensor no layer computes")
        layer = {"id": draft.id, "type": draft.type, **draft.params}
        if reads != [previous]:
            layer["inputs"] = reads
        layers.append(layer)
        made[draft.output] = previous = draft.id
    source: dict[str, Any] = {"shape": list(read.input_shape)}
    if read.input_is_int:
        vocab = next((d.params["vocab_size"] for d in drafts if d.type == "embedding"), None)
        source |= {"dtype": "token", "vocab_size": vocab}
    return {"name": name[:120], "description": "Imported from an ONNX file.",
            "input": source, "layers": layers}


def _converted_weights(model: GraphNet, drafts: list[Draft]) -> None:
    state = model.state_dict()
    for draft in drafts:
        module = model.layer_names[draft.id]
        local = [key for key in state if key.startswith(f"{module}.")]
        for param, value in draft.weights.items():
            keys = [key for key in local if key.endswith(f".{param}")]
            if len(keys) != 1 or tuple(state[keys[0]].shape) != value.shape:
                raise OnnxImportError(f"layer {draft.id}: the file's {param} of shape "
                                      f"{list(value.shape)} does not fit it")
            state[keys[0]] = torch.from_numpy(np.array(value, dtype=np.float32))
    model.load_state_dict(state)


def _carried_weights(read: OnnxGraph, model: GraphNet) -> list[str]:
    """Each weight from the initializer the file names for it; the layers left with
    none (those that do not reach the output, as a VAE's log-variance) start fresh."""
    where: dict[str, str] = json.loads(read.metadata.get(WEIGHTS_KEY, "{}"))
    state, fresh = model.state_dict(), []
    ids = {module: layer_id for layer_id, module in model.layer_names.items()}
    for key, tensor in state.items():
        value = read.consts.get(where.get(key, ""))
        if value is not None and tuple(value.shape) == tuple(tensor.shape):
            state[key] = torch.from_numpy(np.array(value)).to(tensor.dtype)
        elif not key.endswith("num_batches_tracked"):
            layer = ids.get(key.split(".", 1)[0], key.split(".", 1)[0])
            if layer not in fresh:
                fresh.append(layer)
    model.load_state_dict(state)
    return fresh


def _check(data: bytes, read: OnnxGraph, spec: NetworkSpec, model: GraphNet) -> float:
    """Run the file and the network on one seeded batch; the largest difference."""
    import onnxruntime

    from app.nn.export import example_input

    x = example_input(spec, CHECK_BATCH, seed=7)
    feed = x.numpy().astype(np.int64 if read.input_is_int else np.float32)
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {read.input_name: feed})
    with torch.no_grad():
        got = model.eval()(x).numpy()
    if got.shape != expected.shape:
        raise OnnxImportError(f"the network gives outputs of shape {list(got.shape)}, the "
                              f"file {list(expected.shape)}")
    error = float(np.max(np.abs(got - expected))) if got.size else 0.0
    if not np.allclose(got, expected, atol=ATOL, rtol=RTOL):
        raise OnnxImportError(f"the network's outputs differ from the file's by up to "
                              f"{error:.3g}: an operator means something else here")
    return error
