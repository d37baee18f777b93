"""The network spec: pydantic models that describe a network as pure data (no torch)."""

from app.spec.base import NETWORK_INPUT, ActivationName, LayerSpecBase
from app.spec.errors import SpecError, SpecIssue
from app.spec.graph import resolve_inputs, topological_order
from app.spec.layers import LAYER_TYPES, LayerSpec
from app.spec.limits import SpecLimits
from app.spec.network import SPEC_VERSION, InputSpec, NetworkSpec, parse_network

__all__ = [
    "LAYER_TYPES",
    "NETWORK_INPUT",
    "SPEC_VERSION",
    "ActivationName",
    "InputSpec",
    "LayerSpec",
    "LayerSpecBase",
    "NetworkSpec",
    "SpecError",
    "SpecIssue",
    "SpecLimits",
    "parse_network",
    "resolve_inputs",
    "topological_order",
]
