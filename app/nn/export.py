"""Model export: a trained network as a file that other programs can load.

Four formats, each from the spec and a trained state_dict:

- pytorch: a zip of readable source (codegen), safetensors weights, the spec and a README;
- safetensors: the weights alone, with the spec in the header's metadata;
- onnx: the eval-mode graph with a dynamic batch dimension ("input" -> "output"),
  carrying its spec (app.nn.onnx_export);
- torchscript: a traced eval-mode module, for torch.jit.load or libtorch.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import torch
from safetensors.torch import save as save_safetensors

from app.nn.build import build_from_plan
from app.nn.codegen import class_name, render
from app.nn.export_warnings import known_warnings_ignored
from app.nn.graph_module import GraphNet
from app.nn.infer import Plan, trace
from app.nn.onnx_export import ONNX_OPSET, write_onnx
from app.spec import NetworkSpec, SpecLimits

ExportFormat = Literal["pytorch", "safetensors", "onnx", "torchscript"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)

EXAMPLE_BATCH = 2
"""The batch the ONNX and TorchScript exports trace; their batch dimension stays free."""


class WeightsMismatch(ValueError):
    """The weights given do not fit the network (another network's, or damaged)."""


class FormatError(ValueError):
    """This network cannot be written in the asked format (another format can)."""


@dataclass(frozen=True)
class Exported:
    """An exported model, ready to be sent as a download."""

    data: bytes
    media_type: str
    filename: str


def export_model(spec: NetworkSpec, state: dict[str, torch.Tensor], fmt: str,
                 name: str = "model", limits: SpecLimits | None = None,
                 training_note: str | None = None) -> Exported:
    """Export the network `spec` describes, with the trained weights `state`, as `fmt`.

    `name` becomes the file name once reduced to letters, digits, '_' and '-'.
    `training_note`: how training differed from the spec (it read the logits before the
    output's softmax, say), told in the pytorch export's README.
    Raises ValueError for an unknown format, WeightsMismatch for weights that do not fit
    the spec and FormatError when this network cannot be written as `fmt`.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: "
                         f"{', '.join(EXPORT_FORMATS)}")
    writer = _FORMATS[fmt]
    plan = trace(spec, limits)
    model = _trained_model(plan, state)
    data = (_write_pytorch(plan, model, training_note) if fmt == "pytorch"
            else writer.write(plan, model))
    return Exported(data, writer.media_type,
                    f"{safe_filename(name)}.{writer.extension}")


def safe_filename(name: str) -> str:
    """'../My net v2' -> 'My_net_v2': only [A-Za-z0-9_-], never empty, at most 64 long."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")[:64]
    return cleaned or "model"


def example_input(spec: NetworkSpec, batch: int, seed: int = 0) -> torch.Tensor:
    """A seeded batch that fits the spec: float noise, or int64 token ids below vocab_size."""
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, *spec.input.shape)
    if spec.input.dtype == "token":
        assert spec.input.vocab_size is not None  # the spec validator guarantees it
        return torch.randint(0, spec.input.vocab_size, shape, generator=generator)
    return torch.randn(shape, generator=generator)


def _trained_model(plan: Plan, state: dict[str, torch.Tensor]) -> GraphNet:
    with torch.random.fork_rng(devices=[]):  # the throwaway initialisation leaves no trace
        model = build_from_plan(plan)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise WeightsMismatch(f"the weights do not fit the network {plan.spec.name!r}: "
                              f"{exc}") from exc
    return model.eval()


def _weights(model: GraphNet) -> dict[str, torch.Tensor]:
    return {key: value.detach().cpu().contiguous() for key, value in model.state_dict().items()}


def _write_safetensors(plan: Plan, model: GraphNet) -> bytes:
    metadata = {"format": "pt", "spec": plan.spec.model_dump_json()}
    return save_safetensors(_weights(model), metadata=metadata)


def _write_pytorch(plan: Plan, model: GraphNet, training_note: str | None = None) -> bytes:
    files: dict[str, str | bytes] = {
        "README.md": _readme(plan, training_note),
        "model.py": render(plan),
        "weights.safetensors": save_safetensors(_weights(model)),
        "spec.json": plan.spec.model_dump_json(indent=2) + "\n",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, content in files.items():
            # A fixed date makes the same model give the same bytes; 0o644 keeps the
            # files readable after `unzip` (no mode bits would mean mode 000).
            info = zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _readme(plan: Plan, training_note: str | None = None) -> str:
    spec, cls = plan.spec, class_name(plan.spec.name)
    sample = ", ".join(map(str, spec.input.shape))
    output = ", ".join(map(str, plan.summary.output_shape))
    if spec.input.dtype == "token":
        kind = f"int64 token ids in [0, {spec.input.vocab_size})"
        example = f"torch.randint(0, {spec.input.vocab_size}, (4, {sample}))"
    else:
        kind, example = "float32 values", f"torch.randn(4, {sample})"
    trained = (f"\n## How it was trained\n\n{training_note[:1].upper()}{training_note[1:]}.\n"
               if training_note else "")
    return README.format(title=spec.name, description=spec.description or spec.name, cls=cls,
                         kind=kind, sample=sample, output=output, example=example) + trained


README = """# {title}

{description}

Exported by LayerLab. It needs only PyTorch and safetensors (`pip install torch safetensors`).

- `model.py`: the network as a plain PyTorch module, class `{cls}`
- `weights.safetensors`: the trained weights
- `spec.json`: the LayerLab spec it was built from

## Load it

Run this next to the files:

```python
from model import {cls}
from safetensors.torch import load_file

m = {cls}()
m.load_state_dict(load_file("weights.safetensors"))
m.eval()
```

## Use it

Input: a batch of {kind}, shape (batch, {sample}).
Output: shape (batch, {output}).

```python
import torch

x = {example}
with torch.no_grad():
    y = m(x)  # (4, {output})
```
"""


def _write_onnx(plan: Plan, model: GraphNet) -> bytes:
    try:
        return write_onnx(plan.spec, model, example_input(plan.spec, EXAMPLE_BATCH))
    except RuntimeError as exc:  # torch.onnx.OnnxExporterError and tracer failures
        types = ", ".join(sorted({layer.type for layer in plan.spec.layers}))
        raise FormatError(f"ONNX export (opset {ONNX_OPSET}) failed for a network of "
                          f"{types}: {exc}") from exc


def _write_torchscript(plan: Plan, model: GraphNet) -> bytes:
    buffer = io.BytesIO()
    # Traced without autograd, so attention takes the same fused path as eager inference.
    with torch.no_grad(), known_warnings_ignored():
        traced = torch.jit.trace(model, (example_input(plan.spec, EXAMPLE_BATCH),),
                                check_trace=False)  # _check_torchscript does more
        torch.jit.save(traced, buffer)
        data = buffer.getvalue()
        _check_torchscript(plan, model, data)
    return data


def _check_torchscript(plan: Plan, model: GraphNet, data: bytes) -> None:
    """Reload the saved module and run it on another batch size: a trace records shapes,
    so this catches any layer whose batch dimension got frozen."""
    x = example_input(plan.spec, EXAMPLE_BATCH + 1, seed=1)
    reloaded = torch.jit.load(io.BytesIO(data))
    if not torch.allclose(reloaded(x), model(x), rtol=1e-5, atol=1e-5):
        raise FormatError("the TorchScript trace of this network does not reproduce it on "
                          "another batch size; use the pytorch or onnx export")


@dataclass(frozen=True)
class _Format:
    write: Callable[[Plan, GraphNet], bytes]
    media_type: str
    extension: str


_FORMATS: dict[str, _Format] = {
    "pytorch": _Format(_write_pytorch, "application/zip", "zip"),
    "safetensors": _Format(_write_safetensors, "application/octet-stream", "safetensors"),
    "onnx": _Format(_write_onnx, "application/octet-stream", "onnx"),
    "torchscript": _Format(_write_torchscript, "application/octet-stream", "pt"),
}
