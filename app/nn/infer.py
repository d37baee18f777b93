"""Shape inference: build every layer on the meta device and run it, so shapes,
parameter counts and FLOPs come from PyTorch itself. Nothing real is allocated.

Validation must stay cheap whatever the spec: a layer's parameters are counted
(and, where the limits are enforced, refused over the limit) before it runs, and a
recurrent layer runs on one and two time steps whatever its sequence length, the rest
being computed. Nothing is allocated, so a network over the limit on parameters can
still be traced whole and shown; building or training it is refused."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import partial

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from app.nn import layers as _layers  # noqa: F401  (registers every builder)
from app.nn.bounds import SHOWN_OVER, limit_issues, over_limits, params_issue
from app.nn.errors import layer_error, shape_text
from app.nn.graph_module import GraphNode, attribute_names
from app.nn.recipe import Recipe
from app.nn.registry import BUILDERS, LayerContext
from app.spec import (
    NETWORK_INPUT,
    InputSpec,
    NetworkSpec,
    SpecError,
    SpecLimits,
    resolve_inputs,
    topological_order,
)
from app.spec.base import LayerSpecBase
from app.spec.errors import SpecIssue
from app.spec.graph import not_feeding_output


@dataclass(frozen=True)
class LayerSummary:
    id: str
    type: str
    input_shapes: list[tuple[int, ...]]
    output_shape: tuple[int, ...]
    params: int
    trainable_params: int
    flops: int
    attention_scores: int = 0  # heads x queries x keys values per sample
    activation_bytes: int = 0  # its output and attention scores, per sample


@dataclass
class NetworkSummary:
    """What validation reports: per-layer shapes, parameters and FLOPs (per sample).
    `activation_mb` counts every layer's output and attention's score matrices."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: list[LayerSummary]
    total_params: int
    trainable_params: int
    total_flops: int
    activation_mb: float
    warnings: list[str] = field(default_factory=list)
    # The limits it crosses (traced with enforce=False): too big to train here, one
    # issue per limit, naming the layer where the network crosses it and the setting.
    over_limits: list[SpecIssue] = field(default_factory=list)
    # The layers whose output never reaches the output layer (each also has a warning).
    disconnected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """Everything needed to build the network on a real device."""

    spec: NetworkSpec
    nodes: list[GraphNode]
    recipes: dict[str, Recipe]
    output: str
    summary: NetworkSummary


def trace(spec: NetworkSpec, limits: SpecLimits | None = None, *,
          enforce: bool = True) -> Plan:
    """Check a spec by running it on the meta device; raise SpecError naming the layer.
    With `enforce` false, a network over max_params is traced whole and its summary's
    `over_limits` says so (validation shows networks too big to train here); the other
    limits are enforced either way."""
    limits = limits or SpecLimits()
    issues = limits.structure_issues(spec.input.shape, len(spec.layers))
    if issues:
        raise SpecError(issues)
    by_id = {layer.id: layer for layer in spec.layers}
    names = attribute_names(by_id)
    inputs = resolve_inputs(spec.layers)
    dtype = torch.long if spec.input.dtype == "token" else torch.float32
    values = {NETWORK_INPUT: torch.zeros(1, *spec.input.shape, dtype=dtype, device="meta")}
    nodes, recipes, summaries = [], {}, []
    crossed: dict[str, SpecIssue] = {}  # limit name -> the issue where it was crossed
    total_params = trainable = flops = 0
    activation_bytes = values[NETWORK_INPUT].numel() * values[NETWORK_INPUT].element_size()
    for layer_id in topological_order(spec.layers):
        layer, in_ids = by_id[layer_id], inputs[layer_id]
        xs = [values[i] for i in in_ids]
        recipe, out, summary = trace_layer(spec.input, layer, in_ids, xs,
                                           (total_params, limits) if enforce else None)
        values[layer_id] = out
        total_params += summary.params
        trainable += summary.trainable_params
        flops += summary.flops
        summary = replace(summary, activation_bytes=out.numel() * out.element_size()
                          + summary.attention_scores * 4)
        activation_bytes += summary.activation_bytes
        for name, issue in limit_issues(summary, total_params, activation_bytes, limits):
            if enforce or name not in SHOWN_OVER:  # the layers after it need no trace
                raise SpecError([issue])
            crossed.setdefault(name, issue)
        nodes.append(GraphNode(layer_id, names[layer_id],
                               tuple(names.get(i, NETWORK_INPUT) for i in in_ids)))
        recipes[names[layer_id]] = recipe
        summaries.append(summary)
    activation_mb = activation_bytes / 2**20
    output_id = spec.layers[-1].id
    network = NetworkSummary(tuple(spec.input.shape), tuple(values[output_id].shape[1:]),
                             _in_spec_order(spec, summaries), total_params, trainable, flops,
                             round(activation_mb, 3), _unused_layer_warnings(spec, inputs),
                             over_limits(crossed, total_params, limits),
                             not_feeding_output(inputs))
    return Plan(spec, nodes, recipes, names[output_id], network)


def trace_layer(network_input: InputSpec, layer: LayerSpecBase, in_ids: list[str],
                xs: list[torch.Tensor], budget: tuple[int, SpecLimits] | None
                ) -> tuple[Recipe, torch.Tensor, LayerSummary]:
    """Measure one layer on its inputs `xs` (meta tensors); `budget` is the parameters
    before it and the limits in force (None: the limits are not enforced)."""
    kind = str(getattr(layer, "type"))  # noqa: B009  (every concrete spec has one)
    in_shapes = [tuple(x.shape[1:]) for x in xs]
    ctx = LayerContext(layer.id, in_ids, in_shapes, [x.dtype for x in xs], network_input)
    recipe = BUILDERS[kind](layer, ctx)
    # a digest: a recipe may carry a hand-set kernel of thousands of values
    source = hashlib.sha256(recipe.to_source().encode()).hexdigest()
    key = (source, tuple((x.shape, x.dtype) for x in xs))
    measured = _MEASURED.get(key)
    if measured is None:
        try:
            measured = _measure(recipe, xs,
                                None if budget is None else budget[1].max_params - budget[0])
        except _OverBudget as over:
            assert budget is not None
            raise SpecError([params_issue(layer.id, budget[0] + over.params,
                                           budget[1])]) from None
        except (RuntimeError, ValueError, IndexError, TypeError) as exc:
            text = str(exc).strip()
            first_line = text.splitlines()[0] if text else type(exc).__name__
            shapes = ", ".join(shape_text(s) for s in in_shapes)
            raise layer_error(layer.id, f"cannot take its input {shapes}: {first_line}", None,
                              "input_not_accepted",
                              {"shapes": in_shapes, "reason": first_line}) from None
        if len(_MEASURED) >= _MEASURED_MAX:
            _MEASURED.clear()
        _MEASURED[key] = measured
    out_shape, out_dtype, params, flops, scores = measured
    summary = LayerSummary(layer.id, kind, in_shapes, out_shape[1:], params,
                           params if layer.trainable else 0, flops, scores)
    return recipe, torch.empty(out_shape, dtype=out_dtype, device="meta"), summary


# Output shape and dtype, parameters, FLOPs and attention scores of one sample.
Measured = tuple[tuple[int, ...], torch.dtype, int, int, int]
# A module's output shape, parameters and FLOPs depend only on its recipe and input
# shapes, so repeated blocks and re-validation after an edit skip the meta run.
_MEASURED: dict[tuple[str, tuple[tuple[torch.Size, torch.dtype], ...]], Measured] = {}
_MEASURED_MAX = 4096


def clear_shape_cache() -> None:
    """Forget measured layers (benchmarks use it to time a first validation)."""
    _MEASURED.clear()


class _OverBudget(Exception):  # a signal caught in trace_layer, never shown
    """A layer's own parameters exceed what the limit still allows: refused unrun."""

    def __init__(self, params: int) -> None:
        super().__init__(params)
        self.params = params


def _measure(recipe: Recipe, xs: list[torch.Tensor], params_left: int | None) -> Measured:
    # Building on meta allocates nothing, whatever the sizes; the parameter count is
    # checked before the forward pass, so a refused layer never runs.
    with torch.device("meta"):
        module = recipe.instantiate().eval()
    params = _count(module.parameters())
    if params_left is not None and params > params_left:
        raise _OverBudget(params)
    steps = _sequence_steps(module, xs)
    scores: list[int] = []
    hooks = [m.register_forward_pre_hook(partial(_count_scores, scores))
             for m in module.modules() if isinstance(m, nn.MultiheadAttention)]
    try:
        out_shape, out_dtype, flops = (_forward(module, xs) if steps is None
                                       else _extrapolated(module, xs[0], steps))
    finally:
        for hook in hooks:
            hook.remove()
    return out_shape, out_dtype, params, flops, sum(scores)


def _count_scores(scores: list[int], mha: nn.MultiheadAttention,
                  args: tuple[torch.Tensor, ...]) -> None:
    """Attention's (heads, queries, keys) score matrix of one sample: kept for the
    backward pass, and quadratic in the sequence where the outputs are linear."""
    query, key = args[0], args[1]
    axis = 1 if mha.batch_first else 0  # (B, T, D) or (T, B, D)
    scores.append(mha.num_heads * query.shape[axis] * key.shape[axis])


def _forward(module: nn.Module, xs: list[torch.Tensor]) -> tuple[tuple[int, ...], torch.dtype, int]:
    counter = FlopCounterMode(display=False) if _has_flops(module) else None
    with counter or nullcontext():
        out = module(*xs)
    flops = counter.get_total_flops() if counter else 0
    return tuple(out.shape), out.dtype, flops


# Recurrent modules step through time one op at a time, even on meta: tracing 65,536
# steps took minutes. Every step costs the same FLOPs, and each output dimension is a
# line in the number of steps, so they run on one and two steps and the rest is computed.
_STEPPING_MODULES = (nn.RNNBase,)
_SHORT_STEPS = (1, 2)


def _sequence_steps(module: nn.Module, xs: list[torch.Tensor]) -> int | None:
    """The time steps of a stepping module's (B, T, D) input, when too many to trace."""
    if len(xs) != 1 or xs[0].dim() != 3 or xs[0].shape[1] <= _SHORT_STEPS[-1]:
        return None
    if not any(isinstance(m, _STEPPING_MODULES) for m in module.modules()):
        return None
    return int(xs[0].shape[1])


def _extrapolated(module: nn.Module, x: torch.Tensor,
                  steps: int) -> tuple[tuple[int, ...], torch.dtype, int]:
    first, second = _SHORT_STEPS
    one_shape, dtype, one_flops = _forward(module, [x[:, :first]])
    # Counting FLOPs is most of a trace's cost: the second run only gives the shape.
    two_shape = tuple(module(x[:, :second]).shape)
    shape = tuple(a + (b - a) * (steps - first) // (second - first)
                  for a, b in zip(one_shape, two_shape, strict=True))
    return shape, dtype, one_flops * steps // first


# FlopCounterMode counts matrix products and convolutions only, and it is slow on the
# others (it decomposes batch norm, for one); a layer without these modules has 0 FLOPs.
_FLOP_MODULES = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase,
                 nn.MultiheadAttention)


def _has_flops(module: nn.Module) -> bool:
    return any(isinstance(m, _FLOP_MODULES) for m in module.modules())


def _count(parameters: object) -> int:
    return sum(p.numel() for p in parameters)  # type: ignore[attr-defined]


def _in_spec_order(spec: NetworkSpec, summaries: list[LayerSummary]) -> list[LayerSummary]:
    position = {layer.id: i for i, layer in enumerate(spec.layers)}
    return sorted(summaries, key=lambda s: position[s.id])


def _unused_layer_warnings(spec: NetworkSpec, inputs: dict[str, list[str]]) -> list[str]:
    return [f"{layer_id}: does not feed the output layer '{spec.layers[-1].id}' and is "
            "computed for nothing" for layer_id in not_feeding_output(inputs)]

