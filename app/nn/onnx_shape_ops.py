"""ONNX operators that move, join or look up values: reshapes, transposes, slices,
merges, embeddings, and the modules around an LSTM, GRU or RNN node as one layer."""

from __future__ import annotations

import numpy as np
import onnx

from app.nn.onnx_core import (
    RECURRENT,
    ConverterCore,
    Skip,
    sample_axis,
    top_scope,
)

LSTM_GATES = [0, 2, 3, 1]  # ONNX i, o, f, c -> PyTorch i, f, g, o
GRU_GATES = [1, 0, 2]  # ONNX z, r, h -> PyTorch r, z, n


class ShapeOps(ConverterCore):
    """Reshapes, transposes and slices; merges and embeddings; recurrent modules."""

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
            raise Skip("its result's shape is not known after the batch dimension")
        if len(shape) == 1 and len(before) > 2:  # (N, C, H, W) -> (N, C*H*W)
            self.add(node, "flatten", {}, reads)
        else:
            self.add(node, "reshape", {"shape": list(shape)}, reads)

    _op_Squeeze = _op_Unsqueeze = _op_Reshape

    def _op_Transpose(self, index: int, node: onnx.NodeProto) -> None:
        perm = list(self._attr(node, "perm", []))
        if not perm or perm[0] != 0:
            raise Skip(f"perm {perm} moves the batch dimension")
        self.add(node, "permute", {"dims": [p - 1 for p in perm[1:]]}, self._data(node))

    def _op_Slice(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        starts, ends = self._const(node, 1, "starts"), self._const(node, 2, "ends")
        axes = self.read.const(node, 3)
        steps = self.read.const(node, 4)
        axes_list = list(range(len(starts))) if axes is None else axes.tolist()
        if len(axes_list) != 1 or (steps is not None and steps.tolist() != [1]):
            raise Skip("a slice of more than one axis, or with a step")
        rank = len(self.read.shapes.get(node.input[0], ()))
        axis = axes_list[0] % rank if rank else axes_list[0]
        start, stop = int(starts[0]), int(ends[0])
        if axis == 0 or start < 0 or stop < 0:
            raise Skip("a slice of the batch, or from the end")
        size = self.read.shapes.get(node.input[0], ())[axis] if rank else None
        self.add(node, "slice", {"start": start,
                                 "stop": None if size is not None and stop >= size else stop,
                                 "axis": axis - 1}, reads)

    # -- merges and embeddings -----------------------------------------------------

    def _merge(self, index: int, node: onnx.NodeProto, kind: str) -> None:
        reads = [self.source(name) for name in self.read.data_inputs(node)]
        if len(reads) != len([n for n in node.input if n]):
            raise Skip("one of its inputs is a stored constant; no layer adds or multiplies "
                        "one")
        params = {"axis": sample_axis(int(self._attr(node, "axis", 1)))} if kind == "concat" \
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
            raise Skip("only a lookup of rows of a stored table is an embedding")
        reads = [self.source(node.input[1])]
        self.add(node, "embedding", {"dim": int(table.shape[1]),
                                     "vocab_size": int(table.shape[0])},
                 reads, {"weight": table.astype(np.float32)})

    # -- recurrent layers ----------------------------------------------------------

    def _recurrent(self, index: int, node: onnx.NodeProto) -> None:
        scope = top_scope(node)
        if scope is None:
            raise Skip("a recurrent node outside a named module (its transposes and state "
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
            raise Skip(f"its module {scope!r} reads {len(reads)} and gives {len(leaving)} "
                        "tensors; a recurrent layer reads and gives one")
        shape = self.read.sample_shape(leaving[0])
        hidden = int(self._attr(node, "hidden_size"))
        directions = 2 if self._attr(node, "direction", "forward") == "bidirectional" else 1
        if shape is None or shape[-1] != hidden * directions or len(shape) not in (1, 2):
            raise Skip(f"its module gives a tensor of shape {shape}, not a batch-first "
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
            raise Skip("a GRU with linear_before_reset 0 (PyTorch's GRU applies it)")
        if op == "RNN" and [a for a in self._attr(cell, "activations", []) if a != "Tanh"]:
            raise Skip("an RNN with an activation other than tanh")
        if self._attr(cell, "clip") is not None or (len(cell.input) > 7 and cell.input[7]):
            raise Skip("clipping or peepholes")
        for state in cell.input[5:7]:
            if state and self.read.kind(state) == "data":
                raise Skip("its initial state is computed from the data")
        w, r = self._const(cell, 1, "W"), self._const(cell, 2, "R")
        hidden = int(self._attr(cell, "hidden_size"))
        gates = {"LSTM": LSTM_GATES, "GRU": GRU_GATES, "RNN": [0]}[op]
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
