"""ONNX files written by hand, as other tools write them, for the import tests: a graph
of the nodes given, input x and output y with a free batch dimension."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def onnx_model(nodes: list[onnx.NodeProto], weights: dict[str, np.ndarray], in_shape: list[int],
           out_shape: list[int]) -> bytes:
    graph = helper.make_graph(
        nodes, "foreign",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        initializer=[numpy_helper.from_array(v.astype(np.float32), k)
                     for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def wave_model() -> bytes:
    """A file of one operator no layer expresses: Sin, in the module `wave`."""
    return onnx_model([helper.make_node("Sin", ["x"], ["y"], name="/wave/Sin")], {}, [2], [2])
