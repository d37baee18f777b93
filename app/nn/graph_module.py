"""The built network: a module whose forward walks the layer graph in topological order."""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from app.spec import NETWORK_INPUT, NetworkSpec


@dataclass(frozen=True)
class GraphNode:
    """One layer in execution order: its spec id, attribute name and input names."""

    layer_id: str
    name: str
    inputs: tuple[str, ...]


def attribute_names(layer_ids: Iterable[str]) -> dict[str, str]:
    """Layer id -> a Python identifier usable as a submodule name (and in exported code)."""
    # Python keywords, `self`, and anything a GraphNet instance already has as attribute.
    reserved = {"self", NETWORK_INPUT} | set(dir(GraphNet)) | set(vars(nn.Module()))
    names: dict[str, str] = {}
    taken: set[str] = set()
    for layer_id in layer_ids:
        base = layer_id.replace("-", "_")
        if keyword.iskeyword(base) or base in reserved:
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
        # Underscore names: layer ids start with a letter, so they can never clash.
        self._spec = spec
        self._nodes = tuple(nodes)
        self._output = output
        self._layer_names = {node.layer_id: node.name for node in self._nodes}
        for node in self._nodes:
            self.add_module(node.name, layers[node.name])

    @property
    def spec(self) -> NetworkSpec:
        """The validated spec this network was built from."""
        return self._spec

    @property
    def nodes(self) -> tuple[GraphNode, ...]:
        """The layers in execution order."""
        return self._nodes

    @property
    def layer_names(self) -> dict[str, str]:
        """Layer id -> submodule name (ids with '-' or reserved words are renamed)."""
        return self._layer_names

    def layer(self, layer_id: str) -> nn.Module:
        """The submodule built for a layer id."""
        return self.get_submodule(self._layer_names[layer_id])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {NETWORK_INPUT: x}
        for node in self._nodes:
            module = self._modules[node.name]
            assert module is not None
            values[node.name] = module(*(values[i] for i in node.inputs))
        return values[self._output]
