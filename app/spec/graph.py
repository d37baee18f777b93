"""The layer graph: who reads whom, in what order. Pure data, no torch."""

from __future__ import annotations

from collections.abc import Sequence
from graphlib import CycleError, TopologicalSorter

from app.spec.base import NETWORK_INPUT, LayerSpecBase
from app.spec.errors import SpecIssue


def resolve_inputs(layers: Sequence[LayerSpecBase]) -> dict[str, list[str]]:
    """Each layer's input ids, with the default (the previous layer) filled in."""
    resolved: dict[str, list[str]] = {}
    previous = NETWORK_INPUT
    for layer in layers:
        resolved[layer.id] = list(layer.inputs) if layer.inputs is not None else [previous]
        previous = layer.id
    return resolved


def graph_issues(layers: Sequence[LayerSpecBase]) -> list[SpecIssue]:
    """Duplicate or reserved ids, unknown inputs, wrong input counts and cycles."""
    issues: list[SpecIssue] = []
    seen: set[str] = set()
    for layer in layers:
        if layer.id == NETWORK_INPUT:
            issues.append(SpecIssue(f"'{NETWORK_INPUT}' names the network input; pick another id",
                                    layer.id, "id"))
        elif layer.id in seen:
            issues.append(SpecIssue(f"duplicate id '{layer.id}': layer ids must be unique",
                                    layer.id, "id", "duplicate_id", {"id": layer.id}))
        seen.add(layer.id)
    if issues:
        return issues
    inputs = resolve_inputs(layers)
    for layer in layers:
        issues.extend(_input_issues(layer, inputs[layer.id], seen))
    if not issues:
        cycle = find_cycle(inputs)
        if cycle:
            path = " -> ".join(cycle)
            issues.append(SpecIssue(f"the layers form a cycle ({path}); a layer may not read "
                                    "its own output", cycle[0], "inputs", "cycle",
                                    {"path": cycle}))
    return issues


def _input_issues(layer: LayerSpecBase, inputs: list[str], ids: set[str]) -> list[SpecIssue]:
    issues = [
        SpecIssue(f"unknown input '{name}': use a layer id or '{NETWORK_INPUT}'",
                  layer.id, "inputs", "unknown_input", {"name": name})
        for name in inputs
        if name != NETWORK_INPUT and name not in ids
    ]
    kind = type(layer).model_fields["type"].default
    if len(inputs) < layer.min_inputs:
        issues.append(SpecIssue(f"{kind} needs at least {layer.min_inputs} inputs: list their "
                                "ids in 'inputs'", layer.id, "inputs"))
    elif len(inputs) > layer.max_inputs:
        issues.append(SpecIssue(f"{kind} takes at most {layer.max_inputs} input(s), "
                                f"got {len(inputs)}", layer.id, "inputs"))
    if len(set(inputs)) != len(inputs) and layer.max_inputs == 1:
        issues.append(SpecIssue("an input is listed twice", layer.id, "inputs"))
    return issues


def find_cycle(inputs: dict[str, list[str]]) -> list[str] | None:
    """A cycle as a list of ids (first id repeated last), or None."""
    graph = {node: [i for i in deps if i in inputs] for node, deps in inputs.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle: list[str] = list(reversed(exc.args[1]))
        return cycle
    return None


def topological_order(layers: Sequence[LayerSpecBase]) -> list[str]:
    """Layer ids in an order where each layer comes after all its inputs.

    Ties keep the spec's own order, so a sequential net runs top to bottom.
    """
    inputs = resolve_inputs(layers)
    position = {layer.id: i for i, layer in enumerate(layers)}
    sorter = TopologicalSorter({k: [i for i in v if i in inputs] for k, v in inputs.items()})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def not_feeding_output(inputs: dict[str, list[str]]) -> list[str]:
    """The layers (ids in `inputs`' order) whose output never reaches the output layer,
    the last one: dead ends, computed for nothing."""
    if not inputs:
        return []
    reached: set[str] = set()
    stack = [list(inputs)[-1]]
    while stack:
        current = stack.pop()
        if current in reached or current not in inputs:
            continue
        reached.add(current)
        stack.extend(inputs[current])
    return [layer_id for layer_id in inputs if layer_id not in reached]
