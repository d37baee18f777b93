"""The built network: a module whose forward walks the layer graph in topological order."""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from app.spec import NETWORK_INPUT, NetworkSpec

_RESERVED = {"self", NETWORK_INPUT} | set(dir(nn.Module))


@dataclass(frozen=True)
class GraphNode:
    """One layer in execution order: its spec id, attribute name and input names."""

    layer_id: str
    name: str
    inputs: tuple[str, ...]


def attribute_names(layer_ids: Iterable[str]) -> dict[str, str]:
    """Layer id -> a Python identifier usable as a submodule name (and in exported code)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for layer_id in layer_ids:
        base = layer_id.replace("-", "_")
        if keyword.iskeyword(base) or base in _RESERVED:
            base += "_"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        names[layer_id] = name
        taken.add(name)
    return names


class GraphNet(nn.Module):
    """A network built from a NetworkSpec. Submodules are named after the layer ids."""

    def __init__(self, spec: NetworkSpec, nodes: Sequence[GraphNode],
                 layers: dict[str, nn.Module], output: str) -> None:
        super().__init__()
        self.spec = spec
        self.nodes = tuple(nodes)
        self.output = output
        for node in self.nodes:
            self.add_module(node.name, layers[node.name])
        self.layer_names = {node.layer_id: node.name for node in self.nodes}

    def layer(self, layer_id: str) -> nn.Module:
        """The submodule built for a layer id."""
        return self.get_submodule(self.layer_names[layer_id])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {NETWORK_INPUT: x}
        for node in self.nodes:
            module = self._modules[node.name]
            assert module is not None
            values[node.name] = module(*(values[i] for i in node.inputs))
        return values[self.output]
