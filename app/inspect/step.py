"""One training step laid bare, on a copy of the network: each layer's inputs and output,
the loss, each parameter's gradient and the update the optimizer makes of it. The
forward and backward lesson of a course, on the user's own network."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from pydantic import BaseModel, Field
from torch import nn

from app.inspect.arrays import encode
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_VALUES = 65_536  # values sent per tensor; a bigger one is summarised, not sent
MAX_BATCH = 16

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
"""(model, x, y) -> the training loss, as the trainer computes it (penalties included)."""
OptimizerFn = Callable[[nn.Module], torch.optim.Optimizer]


class TensorView(BaseModel):
    """A tensor's values (when small enough to send) and its summary."""

    shape: list[int]
    values: EncodedArray | None = Field(description=f"None when over {MAX_VALUES:,} values.")
    norm: float
    min: float
    max: float


class ParamStep(BaseModel):
    name: str = Field(description="The parameter's name in its layer, e.g. 'weight'.")
    key: str = Field(description="Its key in the network's state dict (and exports).")
    before: TensorView
    grad: TensorView | None = Field(description="None for a frozen parameter.")
    update: TensorView = Field(description="after - before: what the optimizer changed.")
    after: TensorView


class LayerStep(BaseModel):
    layer: str
    inputs: list[TensorView]
    output: TensorView
    params: list[ParamStep]


class StepOut(BaseModel):
    """One step on a batch: forward (layers in execution order), loss, backward, update."""

    loss: float
    output: TensorView
    target: TensorView
    layers: list[LayerStep]
    optimizer: str
    lr: float = Field(description="The base learning rate (layers may scale it).")
    note: str = Field(description="What the numbers are of, e.g. a fresh optimizer state.")


def view(tensor: torch.Tensor, limit: int = MAX_VALUES) -> TensorView:
    t = tensor.detach().float().cpu()
    return TensorView(shape=list(t.shape),
                      values=encode(t, "float32") if t.numel() <= limit else None,
                      norm=float(t.norm()) if t.numel() else 0.0,
                      min=float(t.min()) if t.numel() else 0.0,
                      max=float(t.max()) if t.numel() else 0.0)


def training_step(model: GraphNet, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn,
                  optimizer_fn: OptimizerFn, seed: int = 0) -> StepOut:
    """One optimizer step of a copy of `model` on the batch (x, y), in training mode
    (dropout drawn with `seed`, batch norm on the batch's statistics); `model` itself
    is not touched."""
    student = copy.deepcopy(model)
    student.train()
    optimizer = optimizer_fn(student)
    inputs: dict[str, list[torch.Tensor]] = {}
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for node in student.nodes:
        layer = student.layer(node.layer_id)

        def before(_: nn.Module, args: tuple[torch.Tensor, ...], layer_id: str = node.layer_id
                   ) -> None:
            inputs[layer_id] = [a.detach().clone() for a in args]

        def after(_: nn.Module, __: object, out: torch.Tensor, layer_id: str = node.layer_id
                  ) -> None:
            outputs[layer_id] = out.detach().clone()

        handles += [layer.register_forward_pre_hook(before), layer.register_forward_hook(after)]
    params = {name: p.detach().clone() for name, p in student.named_parameters()}
    torch.manual_seed(seed)
    try:
        optimizer.zero_grad(set_to_none=True)
        out = student(x)
        loss = loss_fn(student, out, y)
        loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    grads = {name: None if p.grad is None else p.grad.detach().clone()
             for name, p in student.named_parameters()}
    optimizer.step()
    layers = []
    for node in student.nodes:
        steps = []
        for name, param in student.layer(node.layer_id).named_parameters():
            full = f"{node.layer_id}.{name}"
            gradient = grads[full]
            steps.append(ParamStep(
                name=name.removeprefix("0."), key=full, before=view(params[full]),
                grad=None if gradient is None else view(gradient),
                update=view(param.detach() - params[full]), after=view(param)))
        layers.append(LayerStep(layer=node.layer_id,
                                inputs=[view(t) for t in inputs.get(node.layer_id, [])],
                                output=view(outputs[node.layer_id]), params=steps))
    group = optimizer.param_groups[0]
    return StepOut(loss=float(loss.detach()), output=view(out), target=view(y), layers=layers,
                   optimizer=type(optimizer).__name__, lr=float(group["lr"]),
                   note="one step from a fresh optimizer state (no momentum or running "
                        "averages yet), in training mode; the run's weights are unchanged")
