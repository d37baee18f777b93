"""Every unit of a small network over 2-D points, as TensorFlow Playground draws it: what
each unit of each dense layer outputs over the input plane (one batched forward of the
whole grid), and the weights (with their gradients on a training batch) that connect it
to the units before it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from pydantic import BaseModel, Field
from torch import nn

from app.datasets.plane import POINT
from app.inspect.arrays import InspectError, encode
from app.inspect.boundary import Grid, check_plane
from app.inspect.capture import evaluating, layer_outputs
from app.nn.graph_module import GraphNet
from app.spec import resolve_inputs
from app.spec.arrays import EncodedArray

MAX_UNITS = 16  # per dense layer: more would not read as a picture of units
MAX_RESOLUTION = 128
# Layers that keep a unit a unit: they act on each value (or mix none across units)
ELEMENTWISE = frozenset({"activation", "dropout"})
Loss = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


class UnitLayer(BaseModel):
    id: str = Field(description="The dense layer's id.")
    units: int
    activation: str | None = Field(description="Applied to its units: its own, or that of "
                                               "the activation layer after it.")
    shown: str = Field(description="The layer whose output the maps are (the dense layer "
                                   "or the activation after it).")
    maps: EncodedArray = Field(description="(units, resolution, resolution) float16: each "
                                           "unit's output over the plane, row 0 at the bottom.")
    low: float
    high: float
    weights: list[list[float]] = Field(description="weights[unit][source]: from each unit "
                                                   "(or input) of the layer before.")
    gradients: list[list[float]] | None = Field(description=(
        "dLoss/dweight on a batch of training samples at these weights (as a step from "
        "here would see them); null when there is no batch."))
    bias: list[float] | None


class UnitsOut(BaseModel):
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int
    inputs: list[str] = Field(description=(
        "What each input unit is of the point (x, y): x, y, x_squared, y_squared, "
        "x_times_y, sin_x or sin_y (a 2-D set's `features` option)."))
    input_maps: EncodedArray = Field(description="(inputs, resolution, resolution): each "
                                                 "input over the plane.")
    layers: list[UnitLayer]


def unit_layers(model: GraphNet, features: Sequence[str] = POINT) -> list[tuple[str, str]]:
    """(dense layer id, the layer whose output its units are) for each dense layer of a
    chain from an input of `features` of 2-D points; InspectError says why another
    network has no unit view."""
    spec = model.spec
    check_plane(model, features, "the unit view draws each unit over the plane: it")
    inputs = resolve_inputs(spec.layers)
    found: list[tuple[str, str]] = []
    previous = "input"
    for layer in spec.layers:
        if inputs[layer.id] != [previous]:
            raise InspectError(f"the unit view draws a chain of dense layers; {layer.id!r} "
                               "branches: the activations view shows any network")
        if layer.type == "dense":
            units = getattr(layer, "units", 0)
            if units > MAX_UNITS:
                raise InspectError(f"layer {layer.id!r} has {units} units: the unit view "
                                   f"draws at most {MAX_UNITS} per layer; the activations "
                                   "view shows any network")
            found.append((layer.id, layer.id))
        elif layer.type in ELEMENTWISE and found:
            found[-1] = (found[-1][0], layer.id)
        else:
            raise InspectError(f"the unit view draws dense layers (with activations and "
                               f"dropout between them), not {layer.type} ({layer.id!r}); "
                               "the activations view shows any network")
        previous = layer.id
    if not found:
        raise InspectError("the network has no dense layer")
    return found


def _activation(model: GraphNet, dense: str, shown: str) -> str | None:
    """The activation applied to a dense layer's units: an activation layer's after it
    (the last one before the next dense layer), else its own."""
    for layer_id in (shown, dense):
        name = getattr(model.spec.layer(layer_id), "activation", None)
        if name:
            return str(name)
    return None


def _linear(model: GraphNet, layer_id: str) -> nn.Linear:
    found = next((m for m in model.layer(layer_id).modules() if isinstance(m, nn.Linear)), None)
    assert found is not None, f"dense layer {layer_id!r} has no Linear"
    return found


def _gradients(model: GraphNet, ids: list[str], batch: tuple[torch.Tensor, torch.Tensor] | None,
               loss: Loss | None) -> dict[str, list[list[float]]] | None:
    """dLoss/dweight of each dense layer on `batch`, on the model's weights (left as
    they are: only .grad is touched, and put back)."""
    if batch is None or loss is None:
        return None
    x, y = batch
    linears = {i: _linear(model, i) for i in ids}
    kept = {i: linear.weight.grad for i, linear in linears.items()}
    try:
        for linear in linears.values():
            linear.weight.grad = None
        with evaluating(model), torch.enable_grad():
            loss(model, model(x), y).backward()
        return {i: (linear.weight.grad if linear.weight.grad is not None
                    else torch.zeros_like(linear.weight)).tolist()
                for i, linear in linears.items()}
    finally:
        for i, linear in linears.items():
            linear.weight.grad = kept[i]
        model.zero_grad(set_to_none=True)


@torch.no_grad()
def units(model: GraphNet, points: torch.Tensor, resolution: int = 64,
          batch: tuple[torch.Tensor, torch.Tensor] | None = None, loss: Loss | None = None,
          features: Sequence[str] = POINT) -> UnitsOut:
    """Every unit's output over a resolution x resolution grid of the plane around
    `points` (N, 2), in one forward pass of the grid (the network reads `features` of
    each grid point); the weights into each unit, with their gradients on `batch` under
    `loss` where given."""
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise InspectError(f"resolution: 2 to {MAX_RESOLUTION}, not {resolution}")
    layers = unit_layers(model, features)
    if len(points) == 0:
        raise InspectError("there are no points to span the plane: pick a split with samples")
    grid = Grid.around(points, resolution)
    device = next(model.parameters(), torch.empty(0)).device
    inputs = grid.inputs(features, device)
    _, outputs = layer_outputs(model, inputs, [shown for _, shown in layers])
    gradients = _gradients(model, [dense for dense, _ in layers], batch, loss)
    answer = []
    for dense, shown in layers:
        out = outputs[shown].float().T.reshape(-1, resolution, resolution)
        linear = _linear(model, dense)
        answer.append(UnitLayer(
            id=dense, units=out.shape[0], activation=_activation(model, dense, shown),
            shown=shown, maps=encode(out), low=float(out.min()), high=float(out.max()),
            weights=linear.weight.float().tolist(),
            gradients=gradients[dense] if gradients else None,
            bias=linear.bias.float().tolist() if linear.bias is not None else None))
    input_maps = inputs.float().T.reshape(-1, resolution, resolution)
    return UnitsOut(x_range=grid.x_range, y_range=grid.y_range, resolution=resolution,
                    inputs=list(features), input_maps=encode(input_maps), layers=answer)
