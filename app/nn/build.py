"""Spec -> torch.nn.Module."""

from __future__ import annotations

import torch

from app.nn.graph_module import GraphNet
from app.nn.infer import NetworkSummary, Plan, trace
from app.spec import NetworkSpec, SpecLimits


def build(spec: NetworkSpec, limits: SpecLimits | None = None,
          device: torch.device | str | None = None) -> GraphNet:
    """Build the network a spec describes (after checking it on the meta device)."""
    return build_from_plan(trace(spec, limits), device)


def build_from_plan(plan: Plan, device: torch.device | str | None = None) -> GraphNet:
    with torch.device(device or "cpu"):
        modules = {node.name: plan.recipes[node.name].instantiate() for node in plan.nodes}
    for node in plan.nodes:
        if not plan.spec.layer(node.layer_id).trainable:
            modules[node.name].requires_grad_(False)
    return GraphNet(plan.spec, plan.nodes, modules, plan.output)


def analyze(spec: NetworkSpec, limits: SpecLimits | None = None, *,
            enforce: bool = True) -> NetworkSummary:
    """Shapes, parameters and FLOPs per layer, without building anything real; with
    `enforce` false a network too big to train is reported, its `over_limits` saying why."""
    return trace(spec, limits, enforce=enforce).summary
