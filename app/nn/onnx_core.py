"""What converting an ONNX graph needs throughout: a layer draft, a node that cannot be
expressed and the error naming them all, the modules an exporter ran a node in, and the
converter's state and helpers (app.nn.onnx_convert puts the operators on top)."""

from __future__ import annotations

import ast
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import helper

from app.nn.onnx_graph import OnnxGraph
from app.spec.base import LAYER_ID_PATTERN, NETWORK_INPUT

PASS_THROUGH = frozenset({"Identity", "Dropout"})
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "LeakyRelu": "leaky_relu",
               "Elu": "elu", "Selu": "selu", "Softplus": "softplus", "Softmax": "softmax",
               "LogSoftmax": "log_softmax", "Gelu": "gelu"}
RECURRENT = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}


@dataclass
class Draft:
    """One layer to be: its id, type, settings, the tensors it reads and writes, and its
    weights by PyTorch parameter name ('weight', 'bias_hh_l0', ...)."""

    id: str
    type: str
    params: dict[str, Any]
    reads: list[str]
    output: str
    weights: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    op: str
    node: str
    why: str

    def __str__(self) -> str:
        return f"{self.op} ({self.node}): {self.why}"


class UnsupportedModel(ValueError):
    """Operators of the file that no layer expresses, all of them named."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(map(str, problems[:20]))
        more = f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} node(s) of the file have no LayerLab layer: "
                         f"{shown}{more}. Nothing was imported.")


class Skip(Exception):
    """This node cannot be expressed (the message says why)."""


NAME_SCOPES = "pkg.torch.onnx.name_scopes"
"""Where PyTorch's torch.export-based exporter writes a node's module path."""


def scopes(node: onnx.NodeProto) -> list[str]:
    """The modules a node ran in, outermost first: ['block1', 'block1.attention'] from
    the TorchScript exporter's name '/block1/block1.attention/MatMul' or the current
    exporter's metadata "['', 'block1', 'block1.attention', 'matmul']"."""
    if node.name.startswith("/"):
        return [part for part in node.name.split("/")[1:-1] if part]
    for prop in node.metadata_props:
        if prop.key == NAME_SCOPES:
            with contextlib.suppress(ValueError, SyntaxError):
                names = ast.literal_eval(prop.value)
                if isinstance(names, list):
                    return [str(name) for name in names[1:-1] if name]
    return []


def top_scope(node: onnx.NodeProto) -> str | None:
    """The outermost module an exporter ran the node in ('block1'), if it says."""
    found = scopes(node)
    return found[0] if found else None


class ConverterCore:
    """A conversion's state (drafts, problems, aliases, nodes joined into a layer) and the
    helpers every operator's conversion uses."""

    def __init__(self, read: OnnxGraph) -> None:
        self.read = read
        self.drafts: list[Draft] = []
        self.problems: list[Problem] = []
        self.alias: dict[str, str] = {}
        self.absorbed: set[int] = set()
        self.ids: set[str] = {NETWORK_INPUT}
        self.counts: dict[str, int] = {}
        self.index = {id(node): i for i, node in enumerate(read.nodes)}
        self.tried: set[str | None] = set()  # recurrent modules converted (or refused) once

    # -- helpers -------------------------------------------------------------------

    def source(self, tensor: str) -> str:
        while tensor in self.alias:
            tensor = self.alias[tensor]
        return tensor

    def _attr(self, node: onnx.NodeProto, name: str, default: Any = None) -> Any:
        for attr in node.attribute:
            if attr.name == name:
                value = helper.get_attribute_value(attr)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def _data(self, node: onnx.NodeProto, count: int = 1) -> list[str]:
        reads = [self.source(name) for name in self.read.data_inputs(node)]
        if len(reads) != count:
            raise Skip(f"reads {len(reads)} computed tensors, where its layer reads {count}")
        return reads

    def _const(self, node: onnx.NodeProto, index: int, what: str) -> np.ndarray:
        value = self.read.const(node, index)
        if value is None:
            raise Skip(f"its {what} is computed, not stored in the file")
        return value.astype(np.float32) if value.dtype.kind == "f" else value

    def _id(self, node: onnx.NodeProto, kind: str) -> str:
        for candidate in self._names(node):
            if re.match(LAYER_ID_PATTERN, candidate) and candidate not in self.ids:
                self.ids.add(candidate)
                return candidate
        while True:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            candidate = f"{kind}{self.counts[kind]}"
            if candidate not in self.ids:
                self.ids.add(candidate)
                return candidate

    def _names(self, node: onnx.NodeProto) -> list[str]:
        parts = scopes(node)
        return [re.sub(r"[^A-Za-z0-9_-]", "_", p)[:64] for p in (parts[:1] + parts[-1:])]

    def add(self, node: onnx.NodeProto, kind: str, params: dict[str, Any], reads: list[str],
            weights: dict[str, np.ndarray] | None = None, output: str | None = None) -> Draft:
        draft = Draft(self._id(node, kind), kind, params, reads, output or node.output[0],
                      weights or {})
        self.drafts.append(draft)
        return draft

    def only_reader(self, tensor: str) -> tuple[int, onnx.NodeProto] | None:
        readers = self.read.consumers.get(tensor, [])
        if len(readers) != 1 or tensor == self.read.output_name:
            return None
        return self.index[id(readers[0])], readers[0]

    def _fuse_activation(self, draft: Draft, node: onnx.NodeProto) -> None:
        """Join the activation that alone reads this layer's result, in its module."""
        found = self.only_reader(draft.output)
        if found is None:
            return
        index, reader = found
        name = ACTIVATIONS.get(reader.op_type)
        if name is None or top_scope(reader) != top_scope(node):
            return
        if reader.op_type == "LeakyRelu" and not np.isclose(self._attr(reader, "alpha", 0.01),
                                                             0.01):
            return
        if reader.op_type == "Elu" and self._attr(reader, "alpha", 1.0) != 1.0:
            return
        if name in ("softmax", "log_softmax") and self._attr(reader, "axis", -1) not in (
                -1, len(self.read.shapes.get(reader.output[0], ())) - 1):
            return
        if reader.op_type == "Gelu" and self._attr(reader, "approximate", "none") != "none":
            return
        draft.params["activation"] = name
        draft.output = reader.output[0]
        self.absorbed.add(index)


def one(values: list[int]) -> Any:
    """[3, 3] -> 3; [3, 5] -> [3, 5]; [] -> []."""
    return values[0] if values and len(set(values)) == 1 else values


def sample_axis(axis: int) -> int:
    """An ONNX axis (batch first) as a sample axis (no batch); negatives stay."""
    return axis - 1 if axis > 0 else axis
