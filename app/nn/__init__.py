"""The builder: network specs become PyTorch modules."""

from app.nn.build import analyze, build, build_from_plan
from app.nn.graph_module import GraphNet
from app.nn.infer import LayerSummary, NetworkSummary, Plan, trace
from app.nn.registry import BUILDERS, register_layer

__all__ = [
    "BUILDERS",
    "GraphNet",
    "LayerSummary",
    "NetworkSummary",
    "Plan",
    "analyze",
    "build",
    "build_from_plan",
    "register_layer",
    "trace",
]
