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
        self._logits = False  # see output_logits
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

    def output_logits(self) -> None:
        """From now on the network gives the logits its output layer's final softmax or
        sigmoid reads (app.nn.logits): the output layer runs without its last module.
        The weights stay the same: the squash has none."""
        module = self._modules[self._output]
        last = module[-1] if isinstance(module, nn.Sequential) else module
        if not isinstance(last, nn.Softmax | nn.Sigmoid):
            raise ValueError(f"the output layer ends in {type(last).__name__}, not in a "
                             "softmax or sigmoid")
        self._logits = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)

    def run(self, x: torch.Tensor, *, after: str | None = None,
            until: str | None = None) -> torch.Tensor:
        """Walk part of the graph: from the network input, or with `x` standing for the
        output of layer `after` (only the layers after it in execution order run); up to
        layer `until` (default: the output). A GAN runs its generator and its
        discriminator this way. Layers past `after` must not read anything before it."""
        nodes, start = self._nodes, NETWORK_INPUT
        if after is not None:
            start = self._layer_names[after]
            index = next(i for i, node in enumerate(nodes) if node.name == start)
            nodes = nodes[index + 1:]
        stop = self._output if until is None else self._layer_names[until]
        values: dict[str, torch.Tensor] = {start: x}
        if start == stop:
            return x
        for node in nodes:
            module = self._modules[node.name]
            assert module is not None
            inputs = [values[i] for i in node.inputs]
            if self._logits and node.name == self._output:
                values[node.name] = _before_squash(module, inputs[0])
            else:
                values[node.name] = module(*inputs)
            if node.name == stop:
                break
        return values[stop]


def _before_squash(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """An output layer's value before its final softmax or sigmoid: a layer with an
    activation runs every part but the last; an activation layer gives its input."""
    if isinstance(module, nn.Sequential):
        for part in list(module)[:-1]:
            x = part(x)
    return x
