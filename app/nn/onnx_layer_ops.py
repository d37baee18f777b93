"""ONNX operators that are layers of their own: dense (Gemm, MatMul + Add), convolutions,
pooling, normalisation and activations."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from app.nn.onnx_core import (
    ACTIVATIONS,
    ConverterCore,
    Draft,
    Skip,
    one,
    sample_axis,
)


class LayerOps(ConverterCore):
    """Dense, convolution, pooling, normalisation and activation layers."""

    # -- dense ---------------------------------------------------------------------

    def _op_Gemm(self, index: int, node: onnx.NodeProto) -> None:
        if self._attr(node, "transA", 0) or self._attr(node, "alpha", 1.0) != 1.0 or (
                self._attr(node, "beta", 1.0) != 1.0):
            raise Skip("a Gemm with transA, alpha or beta is not a dense layer")
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
            raise Skip("only a computed tensor times a stored matrix is a dense layer")
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
            return one(kernel), 1, "same"
        if auto not in ("NOTSET", "VALID"):
            raise Skip(f"auto_pad {auto} with strides {strides}")
        if len(set(pads)) > 1:
            raise Skip(f"pads {pads} differ between sides or axes")
        return one(kernel), one(strides), pads[0] if pads else 0

    def _op_Conv(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        w = self._const(node, 1, "weight")
        if w.ndim not in (3, 4):
            raise Skip(f"a {w.ndim - 2}-D convolution")
        kernel, stride, pad = self._spatial(node, w.ndim - 2)
        kernel = kernel if kernel else one(list(w.shape[2:]))
        dilations = set(self._attr(node, "dilations", [1]))
        if len(dilations) != 1:
            raise Skip("dilations differ between axes")
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
            raise Skip("only a 2-D transposed convolution without groups or dilation")
        kernel, stride, pad = self._spatial(node, 2)
        extra = set(self._attr(node, "output_padding", [0]))
        if len(extra) != 1 or self._attr(node, "output_shape") is not None:
            raise Skip("output_padding differs between axes, or output_shape is set")
        weights = {"weight": w}
        bias = self.read.const(node, 2)
        if bias is not None:
            weights["bias"] = bias.astype(np.float32)
        params = {"filters": int(w.shape[1]), "kernel_size": kernel or one(list(w.shape[2:])),
                  "stride": stride, "padding": pad, "output_padding": extra.pop(),
                  "use_bias": bias is not None}
        draft = self.add(node, "conv_transpose2d", params, reads, weights)
        self._fuse_activation(draft, node)

    def _pool(self, node: onnx.NodeProto, kinds: dict[int, str]) -> None:
        reads = self._data(node)
        rank = len(self._attr(node, "kernel_shape", []))
        if rank not in kinds:
            raise Skip(f"a {rank}-D window")
        kernel, stride, pad = self._spatial(node, rank)
        if isinstance(kernel, list) or isinstance(stride, list):
            raise Skip("a window or stride that differs between axes")
        if self._attr(node, "ceil_mode", 0) or set(self._attr(node, "dilations", [1])) != {1}:
            raise Skip("ceil_mode or dilations")
        if node.op_type == "AveragePool" and pad and not self._attr(node, "count_include_pad", 0):
            raise Skip("an average that leaves the padding out of its count")
        self.add(node, kinds[rank], {"pool_size": kernel,
                                     "stride": None if stride == kernel else stride,
                                     "padding": pad}, reads)

    def _op_MaxPool(self, index: int, node: onnx.NodeProto) -> None:
        if len(node.output) > 1 and node.output[1]:
            raise Skip("its indices output is read")
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
            raise Skip("its output shape is unknown")
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
            raise Skip(f"a reduction over axes {axes} (only the two image axes are a pool)")
        self._global(index, node, kind, keeps=bool(self._attr(node, "keepdims", 1)))

    def _op_ReduceMean(self, index: int, node: onnx.NodeProto) -> None:
        self._reduce(index, node, "global_avgpool2d")

    def _op_ReduceMax(self, index: int, node: onnx.NodeProto) -> None:
        self._reduce(index, node, "global_maxpool2d")

    # -- normalisation -------------------------------------------------------------

    def _op_BatchNormalization(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        if self._attr(node, "training_mode", 0):
            raise Skip("a batch norm exported in training mode")
        weights = {"weight": self._const(node, 1, "scale"), "bias": self._const(node, 2, "bias"),
                   "running_mean": self._const(node, 3, "mean"),
                   "running_var": self._const(node, 4, "variance")}
        self.add(node, "batchnorm", {"eps": float(self._attr(node, "epsilon", 1e-5)),
                                     "momentum": round(1 - self._attr(node, "momentum", 0.9), 6)},
                 reads, weights)

    def _op_LayerNormalization(self, index: int, node: onnx.NodeProto) -> None:
        reads = self._data(node)
        if self._attr(node, "axis", -1) not in (-1, len(self.read.shapes.get(reads[0], ())) - 1):
            raise Skip("a layer norm over more than the last axis")
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
            raise Skip("an ELU with alpha other than 1")
        if node.op_type == "Gelu" and self._attr(node, "approximate", "none") != "none":
            raise Skip("the tanh approximation of GELU")
        if node.op_type in ("Softmax", "LogSoftmax"):
            params["axis"] = sample_axis(int(self._attr(node, "axis", -1)))
        self.add(node, "activation", params, self._data(node))

    _op_Relu = _op_Sigmoid = _op_Tanh = _op_LeakyRelu = _op_Elu = _activation
    _op_Selu = _op_Softplus = _op_Softmax = _op_LogSoftmax = _op_Gelu = _activation
