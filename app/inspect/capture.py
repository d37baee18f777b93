"""Running a built network for a look inside: every layer's output through forward hooks
(registered only for the call that asks), attention maps, and the model's own mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from app.inspect.arrays import InspectError
from app.nn.graph_module import GraphNet
from app.nn.modules import Attention, TransformerDecoderBlock

AttentionPart = tuple[str, str, Attention]
"""(layer id, 'self' or 'cross', the module): a decoder block has one of each."""


@contextmanager
def evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode for the block (dropout off, batch norm on running stats), then back."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def batch_of(model: GraphNet, x: torch.Tensor) -> torch.Tensor:
    """One sample (the input's shape) as a batch of one on the model's device."""
    expected = tuple(model.spec.input.shape)
    if tuple(x.shape) != expected:
        raise InspectError(f"the input has shape {tuple(x.shape)} but the network takes "
                           f"{expected}")
    device = next(model.parameters(), torch.empty(0)).device
    if model.spec.input.dtype != "token":
        return x.to(device=device, dtype=torch.float32)[None]
    vocab = model.spec.input.vocab_size or 0
    if x.is_floating_point() and not torch.equal(x, x.round()):
        raise InspectError("the network takes token ids: whole numbers, not fractions")
    if x.numel() and (x.min() < 0 or x.max() >= vocab):
        raise InspectError(f"token ids must be 0 to {vocab - 1} (the vocabulary has {vocab})")
    return x.to(device=device, dtype=torch.long)[None]


def layer_ids(model: GraphNet, wanted: list[str] | None) -> list[str]:
    """The layers asked for (all when None), in execution order; unknown ids are errors."""
    known = [node.layer_id for node in model.nodes]
    if wanted is None:
        return known
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise InspectError(f"no layer {', '.join(map(repr, unknown))}; layers: "
                           f"{', '.join(known)}")
    return [i for i in known if i in wanted]


@torch.no_grad()
def layer_outputs(model: GraphNet, batch: torch.Tensor, ids: list[str]
                  ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The network's output and the outputs of the layers `ids` for `batch`."""
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for layer_id in ids:
        def keep(_: nn.Module, __: object, out: torch.Tensor, layer_id: str = layer_id) -> None:
            outputs[layer_id] = out.detach()
        handles.append(model.layer(layer_id).register_forward_hook(keep))
    try:
        with evaluating(model):
            result = model(batch)
    finally:
        for handle in handles:
            handle.remove()
    return result, outputs


def attention_modules(model: GraphNet) -> dict[str, Attention]:
    """Layer id -> its attention module, for every layer that has one."""
    found: dict[str, Attention] = {}
    for node in model.nodes:
        for module in model.layer(node.layer_id).modules():
            if isinstance(module, Attention):
                found[node.layer_id] = module
                break
    return found


def attention_parts(model: GraphNet) -> list[AttentionPart]:
    """Every attention of the network in execution order: a decoder block's masked
    self-attention, then its cross-attention; a multihead_attention layer with a second
    input attends across to it."""
    parts: list[AttentionPart] = []
    for node in model.nodes:
        layer = model.layer(node.layer_id)
        if isinstance(layer, TransformerDecoderBlock):
            parts += [(node.layer_id, "self", layer.self_attention),
                      (node.layer_id, "cross", layer.cross_attention)]
            continue
        module = next((m for m in layer.modules() if isinstance(m, Attention)), None)
        if module is not None:
            parts.append((node.layer_id, "cross" if len(node.inputs) > 1 else "self", module))
    return parts


@torch.no_grad()
def attention_maps(model: GraphNet, batch: torch.Tensor
                   ) -> list[tuple[str, str, torch.Tensor]]:
    """(layer id, 'self' or 'cross', (batch, heads, queries, keys) weights) of every
    attention of the network for `batch`, in execution order."""
    parts = attention_parts(model)
    if not parts:
        raise InspectError("the network has no multihead_attention or transformer block")
    for _, _, module in parts:
        module.keep_weights = True
    try:
        with evaluating(model):
            model(batch)
        return [(layer_id, part, module.weights) for layer_id, part, module in parts
                if module.weights is not None]
    finally:
        for _, _, module in parts:
            module.keep_weights, module.weights = False, None
