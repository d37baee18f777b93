"""An ONNX file read for conversion: its constants folded, its tensors sorted into data
(computed from the network input), shape (computed from tensor shapes only) and constant,
and every data tensor's shape without the batch dimension.

Folding runs each node whose inputs are all constant once, with onnx's reference
evaluator, so a weight that a file transposes or reshapes at run time (exporters that do
not fold constants write that) reaches the converter as the tensor it is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator

MAX_ONNX_BYTES = 512 * 1024 * 1024
"""The largest file read (a protobuf message cannot pass 2 GB; an upload is bounded
below that by the server's body limit)."""

RANDOM_OPS = frozenset({"RandomNormal", "RandomNormalLike", "RandomUniform",
                        "RandomUniformLike", "Multinomial", "Bernoulli"})
"""Never folded: a run-time draw is not a constant."""

Kind = Literal["data", "shape", "const"]


class OnnxReadError(ValueError):
    """The bytes are not an ONNX model this reader can take (damaged, or not ONNX)."""


@dataclass
class OnnxGraph:
    """One model's main graph, ready for conversion."""

    model: onnx.ModelProto
    input_name: str
    input_shape: tuple[int, ...]  # without the batch dimension
    input_is_int: bool
    output_name: str
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    sequences: dict[str, list[np.ndarray]] = field(default_factory=dict)
    kinds: dict[str, Kind] = field(default_factory=dict)
    shapes: dict[str, tuple[int | None, ...]] = field(default_factory=dict)
    consumers: dict[str, list[onnx.NodeProto]] = field(default_factory=dict)

    @property
    def nodes(self) -> list[onnx.NodeProto]:
        return list(self.model.graph.node)

    @property
    def metadata(self) -> dict[str, str]:
        return {prop.key: prop.value for prop in self.model.metadata_props}

    def kind(self, name: str) -> Kind:
        return self.kinds.get(name, "const" if name == "" else "data")

    def data_inputs(self, node: onnx.NodeProto) -> list[str]:
        return [name for name in node.input if name and self.kind(name) == "data"]

    def const(self, node: onnx.NodeProto, index: int) -> np.ndarray | None:
        """The node's index-th input if it is a constant (None if absent or computed)."""
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.consts.get(node.input[index])

    def sample_shape(self, name: str) -> tuple[int, ...] | None:
        """A data tensor's shape without its batch dimension; None where unknown."""
        shape = self.shapes.get(name)
        if shape is None or len(shape) < 1 or any(d is None for d in shape[1:]):
            return None
        return tuple(int(d) for d in shape[1:])  # type: ignore[arg-type]


def read_onnx(data: bytes) -> OnnxGraph:
    """Parse, check and prepare a model with one input and one output."""
    if len(data) > MAX_ONNX_BYTES:
        raise OnnxReadError(f"the file is {len(data):,} bytes; at most {MAX_ONNX_BYTES:,} "
                            "are read")
    try:
        model = onnx.load_model_from_string(data)
        if _external(model):
            raise OnnxReadError("the file keeps tensors in external files: save it with its "
                                "weights inside (onnx.save_model(..., "
                                "save_as_external_data=False))")
        onnx.checker.check_model(model)
    except OnnxReadError:
        raise
    except Exception as exc:  # DecodeError, ValidationError: both say what is wrong
        raise OnnxReadError(f"not a valid ONNX model: {str(exc).splitlines()[0][:300]}"
                            ) from exc
    graph = model.graph
    initializers = {init.name for init in graph.initializer}
    inputs = [value for value in graph.input if value.name not in initializers]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise OnnxReadError(f"the model has {len(inputs)} inputs and {len(graph.output)} "
                            "outputs; a network here has one of each")
    with contextlib.suppress(Exception):  # it fails on custom domains: go on without it
        model = shape_inference.infer_shapes(model, data_prop=True)
    source = inputs[0]
    dims = _dims(source.type)
    if not dims or any(d is None for d in dims[1:]):
        raise OnnxReadError(f"the input {source.name!r} needs a fixed shape after its batch "
                            f"dimension (it is {_shown(dims)})")
    elem = source.type.tensor_type.elem_type
    read = OnnxGraph(model=model, input_name=source.name,
                     input_shape=tuple(int(d) for d in dims[1:]),  # type: ignore[arg-type]
                     input_is_int=elem in (onnx.TensorProto.INT64, onnx.TensorProto.INT32),
                     output_name=graph.output[0].name)
    _collect_shapes(read)
    _fold(read)
    _observe_shapes(read)
    for node in read.model.graph.node:
        for name in node.input:
            read.consumers.setdefault(name, []).append(node)
    return read


def _external(model: onnx.ModelProto) -> bool:
    """Whether any tensor points at data outside the file (which a server must never
    read: the path is the file's to choose)."""
    tensors = [*model.graph.initializer, *(s.values for s in model.graph.sparse_initializer)]
    for node in model.graph.node:
        for attr in node.attribute:
            tensors.extend([attr.t] if attr.HasField("t") else [])
            tensors.extend(attr.tensors)
    return any(tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data
               for tensor in tensors)


def _dims(tensor_type: onnx.TypeProto) -> tuple[int | None, ...]:
    shape = tensor_type.tensor_type.shape
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in shape.dim)


def _shown(dims: tuple[int | None, ...]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def _collect_shapes(read: OnnxGraph) -> None:
    graph = read.model.graph
    for value in (*graph.input, *graph.value_info, *graph.output):
        if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape"):
            read.shapes[value.name] = _dims(value.type)


def _fold(read: OnnxGraph) -> None:
    """Constants in, kinds of every tensor out: each node is data if any input is data,
    shape if it reads a Shape (and no data), else constant and evaluated once. A shape
    tensor whose value does not depend on the batch size (a layer's width read from a
    shape, as exporters write gate slices) is a constant too."""
    for init in read.model.graph.initializer:
        read.consts[init.name] = numpy_helper.to_array(init)
        read.kinds[init.name] = "const"
    read.kinds[read.input_name] = "data"
    _classify(read)
    if _pin_shapes(read):
        _classify(read)


def _classify(read: OnnxGraph) -> None:
    for node in read.model.graph.node:
        if node.output and all(name in read.consts or name in read.sequences
                               for name in node.output if name):
            continue
        # CastLike reads its second input for its type alone
        inputs = node.input[:1] if node.op_type == "CastLike" else node.input
        kinds = [read.kind(name) for name in inputs if name]
        if node.op_type == "Shape" or node.op_type in RANDOM_OPS:
            kind: Kind = "shape" if node.op_type == "Shape" else "data"
        elif "data" in kinds:
            kind = "data"
        elif "shape" in kinds:
            kind = "shape"
        else:
            kind = "const"
        if node.op_type == "Shape" and node.input and read.kind(node.input[0]) == "const":
            kind = "const"
        for name in node.output:
            read.kinds[name] = kind
        if kind == "const":
            _evaluate(read, node)


MAX_FOLDED = 64 * 2**20
"""The most values one folded constant may hold (a file could ask for a billion zeros)."""
SIZED_BY_INPUT = {"ConstantOfShape": 0, "Expand": 1, "Reshape": 1}
UNFOLDED = frozenset({"Tile", "Range", "Resize", "Upsample", "If", "Loop", "Scan"})
"""Left computed: their size or their work follows their values (a loop's trip count)."""


def _folds_too_much(node: onnx.NodeProto, feeds: Mapping[str, object]) -> bool:
    """Whether evaluating the node would make a tensor over MAX_FOLDED values."""
    if node.op_type in SIZED_BY_INPUT:
        index = SIZED_BY_INPUT[node.op_type]
        shape = feeds.get(node.input[index]) if index < len(node.input) else None
        size = np.prod(np.abs(np.asarray(shape, np.float64))) if shape is not None else 0
        return bool(size > MAX_FOLDED)
    if node.op_type in UNFOLDED:
        return True
    return any(isinstance(value, np.ndarray) and value.size > MAX_FOLDED
               for value in feeds.values())


PINNED_BATCHES = (3, 5)


def _pin_shapes(read: OnnxGraph) -> bool:
    """Run the file at two batch sizes with every shape tensor that feeds a non-data
    node as an output; those equal at both are constants. Whether any was found."""
    wanted = {name for node in read.model.graph.node for name in node.input
              if read.kinds.get(name) == "shape"}
    if not wanted:
        return False
    values = [_run(read, sorted(wanted), batch) for batch in PINNED_BATCHES]
    if any(v is None for v in values):
        return False
    first, second = values
    assert first is not None and second is not None
    pinned = False
    for name in sorted(wanted):
        a, b = first[name], second[name]
        if np.shape(a) == np.shape(b) and np.array_equal(a, b):
            read.consts[name], read.kinds[name] = np.asarray(a), "const"
            pinned = True
    return pinned


def _run(read: OnnxGraph, names: list[str], batch: int) -> dict[str, np.ndarray] | None:
    """The tensors `names` of one run of the file on a batch of zeros (None if it fails)."""
    import onnxruntime

    probe = onnx.ModelProto()
    probe.CopyFrom(read.model)
    probe.graph.output.extend(onnx.ValueInfoProto(name=name) for name in names)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # its graph optimiser's notes are not ours to show
    feed = np.zeros((batch, *read.input_shape), np.int64 if read.input_is_int else np.float32)
    try:
        session = onnxruntime.InferenceSession(probe.SerializeToString(), options,
                                               providers=["CPUExecutionProvider"])
        values = session.run(names, {read.input_name: feed})
    except Exception:  # the converter names what stays computed
        return None
    return dict(zip(names, values, strict=True))


def _evaluate(read: OnnxGraph, node: onnx.NodeProto) -> None:
    if node.op_type == "Constant":
        value = onnx.helper.get_attribute_value(node.attribute[0])
        read.consts[node.output[0]] = (numpy_helper.to_array(value)
                                       if isinstance(value, onnx.TensorProto) else np.array(value))
        return
    if node.op_type == "CastLike":  # its target may be data: only its type is read
        target = read.consts.get(node.input[1], np.zeros((), np.float32))
        read.consts[node.output[0]] = read.consts[node.input[0]].astype(target.dtype)
        return
    feeds = {name: read.consts[name] if name in read.consts else read.sequences[name]
             for name in node.input if name}
    if _folds_too_much(node, feeds):  # left computed: the converter names it
        for name in node.output:
            read.kinds[name] = "data"
        return
    try:
        results = ReferenceEvaluator(node).run(None, feeds)
    except Exception:  # an op the evaluator lacks: leave it computed
        for name in node.output:
            read.kinds[name] = "data"
        return
    for name, value in zip(node.output, results, strict=False):
        if isinstance(value, list):  # a sequence (SplitToSequence): kept for its readers
            read.sequences[name] = value
        else:
            read.consts[name] = np.asarray(value)


OBSERVED_BATCH = 3
"""The batch a run that measures unknown shapes feeds (an odd size, so it is told apart)."""


def _observe_shapes(read: OnnxGraph) -> None:
    """The shapes inference left open (a reshape to a computed shape, say), measured by
    running the file once in ONNX Runtime with every such tensor as an output."""
    unknown = [name for node in read.model.graph.node for name in node.output
               if name and read.kinds.get(name) == "data" and read.sample_shape(name) is None]
    values = _run(read, unknown, OBSERVED_BATCH) if unknown else None
    for name, value in (values or {}).items():
        shape = np.shape(value)
        if shape and shape[0] == OBSERVED_BATCH:
            read.shapes[name] = (None, *shape[1:])
