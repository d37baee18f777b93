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

import onnx

from app.nn.onnx_core import (
    PASS_THROUGH,
    RECURRENT,
    Draft,
    Problem,
    Skip,
    UnsupportedModel,
    scopes,
    top_scope,
)
from app.nn.onnx_graph import OnnxGraph
from app.nn.onnx_layer_ops import LayerOps
from app.nn.onnx_shape_ops import ShapeOps

__all__ = ["Draft", "Problem", "UnsupportedModel", "convert", "scopes", "top_scope"]


def convert(read: OnnxGraph) -> list[Draft]:
    """The layer drafts in execution order; raises UnsupportedModel."""
    converter = _Converter(read)
    converter.run()
    return converter.drafts


class _Converter(LayerOps, ShapeOps):
    """Every operator's conversion, and the walk over the graph that calls them."""

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
            except Skip as skip:
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
            raise Skip(f"an operator of the domain {node.domain!r}")
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            if op in RECURRENT:
                self._recurrent(index, node)
                return
            raise Skip("no layer does this")
        handler(index, node)
