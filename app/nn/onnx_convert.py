"""ONNX operators as LayerLab layers: each data node of a read graph (app.nn.onnx_graph)
becomes a layer draft with its settings and its weights in PyTorch's layout.

Patterns are joined where a layer holds them: MatMul + Add is one dense layer, an
activation right after a dense or convolution layer joins it (when it is that layer's
only reader and in its module, as an exporter names nodes), and the nodes of one module
around an LSTM, GRU or RNN node (the batch-first transposes, the last-step pick) are one
recurrent layer. Every node that cannot be expressed is collected, so one error names
them all.
"""

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
FUSABLE = frozenset({"dense", "conv1d", "conv2d", "conv_transpose2d"})
_LSTM_GATES = [0, 2, 3, 1]  # ONNX i, o, f, c -> PyTorch i, f, g, o
_GRU_GATES = [1, 0, 2]  # ONNX z, r, h -> PyTorch r, z, n


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


class _Skip(Exception):
    """This node cannot be expressed (the message says why)."""


def convert(read: OnnxGraph) -> list[Draft]:
    """The layer drafts in execution order; raises UnsupportedModel."""
    converter = _Converter(read)
    converter.run()
    return converter.drafts


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


class _Converter:
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

    # -- the walk ------------------------------------------------------------------

    def run(self) -> None:
        nodes = self.read.nodes
        recurrent: dict[str | None, int] = {}  # module -> first recurrent node: one layer
        for index, node in enumerate(nodes):
            if node.op_type in RECURRENT and top_scope(node) is not None:
                recurrent.setdefault(top_scope(node), index)
        for index, node in enumerate(nodes):
            if index in self.absorbed or not any(
                    self.read.kind(out) == "data" for out in node.output):
                continue
            scope = top_scope(node)
            if scope in recurrent:
                if scope in self.tried:
                    continue
                self.tried.add(scope)
                index = recurrent[scope]
                node = nodes[index]
            try:
                self._node(index, node)
            except _Skip as skip:
                self.problems.append(Problem(node.op_type, node.name or f"#{index}", str(skip)))
        if not self.problems and self.drafts:
            last = self.source(self.read.output_name)
            if last != self.drafts[-1].output:
                self.problems.append(Problem("output", self.read.output_name,
                                             "the output is not the last layer's result"))
        if not self.drafts and not self.problems:
            self.problems.append(Problem("graph", "main", "no layer reads the input"))
        if self.problems:
            raise UnsupportedModel(self.problems)

    def _node(self, index: int, node: onnx.NodeProto) -> None:
        op = node.op_type
        if op in PASS_THROUGH or (op == "Cast" and self._attr(node, "to") == 1):
            self.alias[node.output[0]] = self.source(node.input[0])
            return
        if node.domain not in ("", "ai.onnx"):
            raise _Skip(f"an operator of the domain {node.domain!r}")
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            if op in RECURRENT:
                self._recurrent(index, node)
                return
            raise _Skip("no layer does this")
        handler(index, node)

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
            raise _Skip(f"reads {len(reads)} computed tensors, where its layer reads {count}")
        return reads

    def _const(self, node: onnx.NodeProto, index: int, what: str) -> np.ndarray:
        value = self.read.const(node, index)
        if value is None:
            raise _Skip(f"its {what} is computed, not stored in the file")
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

    # -- dense ---------------------------------------------------------------------

    def _op_Gemm(self, index: int, node: onnx.NodeProto) -> None:
        if self._attr(node, "transA", 0) or self._attr(node, "alpha", 1.0) != 1.0 or (
                self._attr(node, "beta", 1.0) != 1.0):
            raise _Skip("a Gemm with transA, alpha or beta is not a dense layer")
        reads = self._data(node)
        w = self._const(node, 1, "weight")
        weight = w if self._attr(node, "transB", 0) else w.T
        weights = {"weight": np.ascontiguousarray(weight)}
        bias = self.read.const(node, 2)
        if bias is not None:
            weights["bias"] = np.broadcast_to(bias.astype(np.float32), (weight.shape[0],)).copy()
        draft = self.add(node, "dense", {"units": int(weight.shape[0]),
                                         "use_bias": bias is not None}, reads, weights)
        self._fuse_activation(draft, node)

    def _op_MatMul(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        w = self._const(node, 1, "weight (a product of two computed tensors, as in "
                              "attention, is not one layer)")
        if w.ndim != 2 or self.read.kind(node.input[0]) != "data":
            raise _Skip("only a computed tensor times a stored matrix is a dense layer")
        weights = {"weight": np.ascontiguousarray(w.T)}
        draft = self.add(node, "dense", {"units": int(w.shape[1]), "use_bias": False}, reads,
                         weights)
        found = self.only_reader(node.output[0])
        if found is not None and found[1].op_type == "Add":
            add_index, add = found
            bias = next((self.read.consts[name] for name in add.input
                         if name in self.read.consts), None)
            if bias is not None and bias.size == w.shape[1]:
                weights["bias"] = bias.reshape(-1).astype(np.float32)
                draft.params["use_bias"] = True
                draft.output = add.output[0]
                self.absorbed.add(add_index)
        self._fuse_activation(draft, node)

    # -- convolution and pooling ---------------------------------------------------

    def _spatial(self, node: onnx.NodeProto, rank: int) -> tuple[Any, Any, Any]:
        """kernel, stride and symmetric padding as the spec writes them."""
        kernel = list(self._attr(node, "kernel_shape", []))
        strides = list(self._attr(node, "strides", [1] * rank))
        pads = list(self._attr(node, "pads", [0] * 2 * rank))
        auto = self._attr(node, "auto_pad", "NOTSET")
        if auto == "SAME_UPPER" and set(strides) == {1}:
            return _one(kernel), 1, "same"
        if auto not in ("NOTSET", "VALID"):
            raise _Skip(f"auto_pad {auto} with strides {strides}")
        if len(set(pads)) > 1:
            raise _Skip(f"pads {pads} differ between sides or axes")
        return _one(kernel), _one(strides), pads[0] if pads else 0

    def _op_Conv(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        w = self._const(node, 1, "weight")
        if w.ndim not in (3, 4):
            raise _Skip(f"a {w.ndim - 2}-D convolution")
        kernel, stride, pad = self._spatial(node, w.ndim - 2)
        kernel = kernel if kernel else _one(list(w.shape[2:]))
        dilations = set(self._attr(node, "dilations", [1]))
        if len(dilations) != 1:
            raise _Skip("dilations differ between axes")
        weights = {"weight": w}
        bias = self.read.const(node, 2)
        if bias is not None:
            weights["bias"] = bias.astype(np.float32)
        params = {"filters": int(w.shape[0]), "kernel_size": kernel, "stride": stride,
                  "padding": pad, "dilation": dilations.pop(),
                  "groups": int(self._attr(node, "group", 1)), "use_bias": bias is not None}
        draft = self.add(node, "conv2d" if w.ndim == 4 else "conv1d", params, reads, weights)
        self._fuse_activation(draft, node)

    def _op_ConvTranspose(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        w = self._const(node, 1, "weight")
        if w.ndim != 4 or self._attr(node, "group", 1) != 1 or set(
                self._attr(node, "dilations", [1])) != {1}:
            raise _Skip("only a 2-D transposed convolution without groups or dilation")
        kernel, stride, pad = self._spatial(node, 2)
        extra = set(self._attr(node, "output_padding", [0]))
        if len(extra) != 1 or self._attr(node, "output_shape") is not None:
            raise _Skip("output_padding differs between axes, or output_shape is set")
        weights = {"weight": w}
        bias = self.read.const(node, 2)
        if bias is not None:
            weights["bias"] = bias.astype(np.float32)
        params = {"filters": int(w.shape[1]), "kernel_size": kernel or _one(list(w.shape[2:])),
                  "stride": stride, "padding": pad, "output_padding": extra.pop(),
                  "use_bias": bias is not None}
        draft = self.add(node, "conv_transpose2d", params, reads, weights)
        self._fuse_activation(draft, node)

    def _pool(self, node: onnx.NodeProto, kinds: dict[int, str]) -> None:
        reads = self._data(node)
        rank = len(self._attr(node, "kernel_shape", []))
        if rank not in kinds:
            raise _Skip(f"a {rank}-D window")
        kernel, stride, pad = self._spatial(node, rank)
        if isinstance(kernel, list) or isinstance(stride, list):
            raise _Skip("a window or stride that differs between axes")
        if self._attr(node, "ceil_mode", 0) or set(self._attr(node, "dilations", [1])) != {1}:
            raise _Skip("ceil_mode or dilations")
        if node.op_type == "AveragePool" and pad and not self._attr(node, "count_include_pad", 0):
            raise _Skip("an average that leaves the padding out of its count")
        self.add(node, kinds[rank], {"pool_size": kernel,
                                     "stride": None if stride == kernel else stride,
                                     "padding": pad}, reads)

    def _op_MaxPool(self, index: int, node: onnx.NodeProto) -> None:
        if len(node.output) > 1 and node.output[1]:
            raise _Skip("its indices output is read")
        self._pool(node, {1: "maxpool1d", 2: "maxpool2d"})

    def _op_AveragePool(self, index: int, node: onnx.NodeProto) -> None:
        self._pool(node, {2: "avgpool2d"})

    def _global(self, index: int, node: onnx.NodeProto, kind: str, keeps: bool) -> None:
        reads = self._data(node)
        draft = self.add(node, kind, {}, reads)
        if not keeps:
            return
        found = self.only_reader(node.output[0])
        if found is not None and found[1].op_type in ("Flatten", "Reshape", "Squeeze") and (
                self.read.sample_shape(found[1].output[0]) is not None
                and len(self.read.sample_shape(found[1].output[0]) or ()) == 1):
            draft.output = found[1].output[0]
            self.absorbed.add(found[0])
            return
        shape = self.read.sample_shape(node.output[0])
        if shape is None:
            raise _Skip("its output shape is unknown")
        draft.output = f"{node.output[0]}#pooled"  # the layer gives (N, C); the file (N, C, 1, 1)
        self.drafts.append(Draft(self._id(node, "reshape"), "reshape", {"shape": list(shape)},
                                 [draft.output], node.output[0]))

    def _op_GlobalAveragePool(self, index: int, node: onnx.NodeProto) -> None:
        self._global(index, node, "global_avgpool2d", keeps=True)

    def _op_GlobalMaxPool(self, index: int, node: onnx.NodeProto) -> None:
        self._global(index, node, "global_maxpool2d", keeps=True)

    def _reduce(self, index: int, node: onnx.NodeProto, kind: str) -> None:
        axes = self._attr(node, "axes")
        if axes is None:
            axes_value = self.read.const(node, 1)
            axes = None if axes_value is None else axes_value.tolist()
        rank = len(self.read.shapes.get(node.input[0], ()))
        if rank != 4 or sorted(a % 4 for a in (axes or [])) != [2, 3]:
            raise _Skip(f"a reduction over axes {axes} (only the two image axes are a pool)")
        self._global(index, node, kind, keeps=bool(self._attr(node, "keepdims", 1)))

    def _op_ReduceMean(self, index: int, node: onnx.NodeProto) -> None:
        self._reduce(index, node, "global_avgpool2d")

    def _op_ReduceMax(self, index: int, node: onnx.NodeProto) -> None:
        self._reduce(index, node, "global_maxpool2d")

    # -- normalisation -------------------------------------------------------------

    def _op_BatchNormalization(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        if self._attr(node, "training_mode", 0):
            raise _Skip("a batch norm exported in training mode")
        weights = {"weight": self._const(node, 1, "scale"), "bias": self._const(node, 2, "bias"),
                   "running_mean": self._const(node, 3, "mean"),
                   "running_var": self._const(node, 4, "variance")}
        self.add(node, "batchnorm", {"eps": float(self._attr(node, "epsilon", 1e-5)),
                                     "momentum": round(1 - self._attr(node, "momentum", 0.9), 6)},
                 reads, weights)

    def _op_LayerNormalization(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        if self._attr(node, "axis", -1) not in (-1, len(self.read.shapes.get(reads[0], ())) - 1):
            raise _Skip("a layer norm over more than the last axis")
        scale = self._const(node, 1, "scale")
        bias = self.read.const(node, 2)
        weights = {"weight": scale,
                   "bias": np.zeros_like(scale) if bias is None else bias.astype(np.float32)}
        self.add(node, "layernorm", {"eps": float(self._attr(node, "epsilon", 1e-5))}, reads,
                 weights)

    def _op_LRN(self, index: int, node: onnx.NodeProto) -> None:
        params = {"size": int(self._attr(node, "size")),
                  "alpha": float(self._attr(node, "alpha", 1e-4)),
                  "beta": float(self._attr(node, "beta", 0.75)),
                  "k": float(self._attr(node, "bias", 1.0))}
        self.add(node, "local_response_norm", params, self._data(node))

    # -- activations ---------------------------------------------------------------

    def _activation(self, index: int, node: onnx.NodeProto) -> None:
        params: dict[str, Any] = {"activation": ACTIVATIONS[node.op_type]}
        if node.op_type == "LeakyRelu":
            params["negative_slope"] = float(self._attr(node, "alpha", 0.01))
        if node.op_type == "Elu" and self._attr(node, "alpha", 1.0) != 1.0:
            raise _Skip("an ELU with alpha other than 1")
        if node.op_type == "Gelu" and self._attr(node, "approximate", "none") != "none":
            raise _Skip("the tanh approximation of GELU")
        if node.op_type in ("Softmax", "LogSoftmax"):
            params["axis"] = _sample_axis(int(self._attr(node, "axis", -1)))
        self.add(node, "activation", params, self._data(node))

    _op_Relu = _op_Sigmoid = _op_Tanh = _op_LeakyRelu = _op_Elu = _activation
    _op_Selu = _op_Softplus = _op_Softmax = _op_LogSoftmax = _op_Gelu = _activation

    # -- shapes --------------------------------------------------------------------

    def _op_Flatten(self, index: int, node: onnx.NodeProto) -> None:
        if self._attr(node, "axis", 1) == 1:
            self.add(node, "flatten", {}, self._data(node))
        else:
            self._op_Reshape(index, node)

    def _op_Reshape(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        shape = self.read.sample_shape(node.output[0])
        before = self.read.shapes.get(node.input[0], (None,))
        after = self.read.shapes.get(node.output[0], (None,))
        if shape is None or (before[:1] != after[:1]):
            raise _Skip("its result's shape is not known after the batch dimension")
        if len(shape) == 1 and len(before) > 2:  # (N, C, H, W) -> (N, C*H*W)
            self.add(node, "flatten", {}, reads)
        else:
            self.add(node, "reshape", {"shape": list(shape)}, reads)

    _op_Squeeze = _op_Unsqueeze = _op_Reshape

    def _op_Transpose(self, index: int, node: onnx.NodeProto) -> None:
        perm = list(self._attr(node, "perm", []))
        if not perm or perm[0] != 0:
            raise _Skip(f"perm {perm} moves the batch dimension")
        self.add(node, "permute", {"dims": [p - 1 for p in perm[1:]]}, self._data(node))

    def _op_Slice(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        starts, ends = self._const(node, 1, "starts"), self._const(node, 2, "ends")
        axes = self.read.const(node, 3)
        steps = self.read.const(node, 4)
        axes_list = list(range(len(starts))) if axes is None else axes.tolist()
        if len(axes_list) != 1 or (steps is not None and steps.tolist() != [1]):
            raise _Skip("a slice of more than one axis, or with a step")
        rank = len(self.read.shapes.get(node.input[0], ()))
        axis = axes_list[0] % rank if rank else axes_list[0]
        start, stop = int(starts[0]), int(ends[0])
        if axis == 0 or start < 0 or stop < 0:
            raise _Skip("a slice of the batch, or from the end")
        size = self.read.shapes.get(node.input[0], ())[axis] if rank else None
        self.add(node, "slice", {"start": start,
                                 "stop": None if size is not None and stop >= size else stop,
                                 "axis": axis - 1}, reads)

    # -- merges and embeddings -----------------------------------------------------

    def _merge(self, index: int, node: onnx.NodeProto, kind: str) -> None:
        reads = [self.source(name) for name in self.read.data_inputs(node)]
        if len(reads) != len([n for n in node.input if n]):
            raise _Skip("one of its inputs is a stored constant; no layer adds or multiplies "
                        "one")
        params = {"axis": _sample_axis(int(self._attr(node, "axis", 1)))} if kind == "concat" \
            else {}
        self.add(node, kind, params, reads)

    def _op_Add(self, index: int, node: onnx.NodeProto) -> None:
        self._merge(index, node, "add")

    def _op_Mul(self, index: int, node: onnx.NodeProto) -> None:
        self._merge(index, node, "multiply")

    def _op_Concat(self, index: int, node: onnx.NodeProto) -> None:
        self._merge(index, node, "concat")

    def _op_Gather(self, index: int, node: onnx.NodeProto) -> None:
        table = self.read.const(node, 0)
        if table is None or table.ndim != 2 or self._attr(node, "axis", 0) != 0:
            raise _Skip("only a lookup of rows of a stored table is an embedding")
        reads = [self.source(node.input[1])]
        self.add(node, "embedding", {"dim": int(table.shape[1]),
                                     "vocab_size": int(table.shape[0])},
                 reads, {"weight": table.astype(np.float32)})

    # -- recurrent layers ----------------------------------------------------------

    def _recurrent(self, index: int, node: onnx.NodeProto) -> None:
        scope = top_scope(node)
        if scope is None:
            raise _Skip("a recurrent node outside a named module (its transposes and state "
                        "outputs cannot be told apart)")
        nodes = self.read.nodes
        group = [i for i, n in enumerate(nodes) if top_scope(n) == scope and i not in
                 self.absorbed and any(self.read.kind(o) == "data" for o in n.output)]
        inside = {out for i in group for out in nodes[i].output}
        reads = {self.source(name) for i in group for name in self.read.data_inputs(nodes[i])
                 if name not in inside}
        leaving = [out for i in group for out in nodes[i].output if out in inside and (
            out == self.read.output_name or any(
                top_scope(reader) != scope for reader in self.read.consumers.get(out, [])))]
        cells = [nodes[i] for i in group if nodes[i].op_type == node.op_type]
        if len(reads) != 1 or len(leaving) != 1:
            raise _Skip(f"its module {scope!r} reads {len(reads)} and gives {len(leaving)} "
                        "tensors; a recurrent layer reads and gives one")
        shape = self.read.sample_shape(leaving[0])
        hidden = int(self._attr(node, "hidden_size"))
        directions = 2 if self._attr(node, "direction", "forward") == "bidirectional" else 1
        if shape is None or shape[-1] != hidden * directions or len(shape) not in (1, 2):
            raise _Skip(f"its module gives a tensor of shape {shape}, not a batch-first "
                        f"sequence or last step of {hidden * directions} features")
        weights: dict[str, np.ndarray] = {}
        for layer, cell in enumerate(cells):
            weights |= self._cell_weights(cell, layer, directions)
        self.absorbed.update(group)
        self.add(node, RECURRENT[node.op_type], {
            "hidden_size": hidden, "num_layers": len(cells), "bidirectional": directions == 2,
            "return_sequences": len(shape) == 2}, [reads.pop()], weights, output=leaving[0])

    def _cell_weights(self, cell: onnx.NodeProto, layer: int, directions: int
                      ) -> dict[str, np.ndarray]:
        op = cell.op_type
        if op == "GRU" and not self._attr(cell, "linear_before_reset", 0):
            raise _Skip("a GRU with linear_before_reset 0 (PyTorch's GRU applies it)")
        if op == "RNN" and [a for a in self._attr(cell, "activations", []) if a != "Tanh"]:
            raise _Skip("an RNN with an activation other than tanh")
        if self._attr(cell, "clip") is not None or (len(cell.input) > 7 and cell.input[7]):
            raise _Skip("clipping or peepholes")
        for state in cell.input[5:7]:
            if state and self.read.kind(state) == "data":
                raise _Skip("its initial state is computed from the data")
        w, r = self._const(cell, 1, "W"), self._const(cell, 2, "R")
        hidden = int(self._attr(cell, "hidden_size"))
        gates = {"LSTM": _LSTM_GATES, "GRU": _GRU_GATES, "RNN": [0]}[op]
        b = self.read.const(cell, 3)
        if b is None:
            b = np.zeros((directions, 2 * len(gates) * hidden), np.float32)
        out: dict[str, np.ndarray] = {}
        for d in range(directions):
            suffix = f"l{layer}" + ("_reverse" if d else "")
            bias_in, bias_hidden = np.split(b[d].astype(np.float32), 2)
            out |= {f"weight_ih_{suffix}": _gates(w[d], gates, hidden),
                    f"weight_hh_{suffix}": _gates(r[d], gates, hidden),
                    f"bias_ih_{suffix}": _gates(bias_in, gates, hidden),
                    f"bias_hh_{suffix}": _gates(bias_hidden, gates, hidden)}
        return out


def _gates(value: np.ndarray, order: list[int], hidden: int) -> np.ndarray:
    chunks = [value[i * hidden:(i + 1) * hidden] for i in range(len(order))]
    return np.ascontiguousarray(np.concatenate([chunks[i] for i in order]))


def _one(values: list[int]) -> Any:
    """[3, 3] -> 3; [3, 5] -> [3, 5]; [] -> []."""
    return values[0] if values and len(set(values)) == 1 else values


def _sample_axis(axis: int) -> int:
    """An ONNX axis (batch first) as a sample axis (no batch); negatives stay."""
    return axis - 1 if axis > 0 else axis
