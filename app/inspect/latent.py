"""A VAE's latent space: where samples land (the means its encoder gives), what a grid
over the latent plane decodes to, and the way from one sample to another. The decoder
runs alone by replacing the sampling layer's output with the codes asked for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from pydantic import BaseModel, Field
from torch import nn

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import evaluating
from app.nn.graph_module import GraphNet
from app.nn.modules import Sampling
from app.spec.arrays import EncodedArray

MAX_SAMPLES = 2000
MAX_GRID = 30
MAX_STEPS = 32
EVAL_BATCH = 1024


class LatentOut(BaseModel):
    layer: str = Field(description="The sampling layer.")
    points: EncodedArray = Field(description="(N, latent size) float32: each sample's mean.")
    labels: list[int] | None = Field(description="Class labels, when the data has them.")


class DecodedOut(BaseModel):
    """Decoded images, (N, *output shape) float16 in [0, 1] when `squashed`."""

    layer: str
    codes: EncodedArray = Field(description="(N, latent size) float32: the codes decoded.")
    images: EncodedArray
    squashed: bool = Field(description="True when a sigmoid turned logits into [0, 1].")


def sampling_layer(model: GraphNet) -> str:
    """The id of the network's (first) sampling layer."""
    for node in model.nodes:
        if isinstance(model.layer(node.layer_id), Sampling):
            return node.layer_id
    raise InspectError("this view needs a VAE: a network with a sampling layer")


@contextmanager
def _means(model: GraphNet, layer: str, kept: list[torch.Tensor]) -> Iterator[None]:
    def keep(_: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        kept.append(args[0].detach().float().cpu())

    handle = model.layer(layer).register_forward_pre_hook(keep)
    try:
        yield
    finally:
        handle.remove()


@torch.no_grad()
def encoder_means(model: GraphNet, x: torch.Tensor, max_batch: int = EVAL_BATCH
                  ) -> torch.Tensor:
    """(N, latent size): the mean the encoder gives each sample, `max_batch` at most at
    a time."""
    layer = sampling_layer(model)
    device = next(model.parameters()).device
    kept: list[torch.Tensor] = []
    with evaluating(model), _means(model, layer, kept):
        step = min(EVAL_BATCH, max_batch)
        for start in range(0, len(x), step):
            model(x[start:start + step].to(device))
    return torch.cat(kept).reshape(len(x), -1)


def latent_points(model: GraphNet, x: torch.Tensor, y: torch.Tensor | None,
                  samples: int = 1000, max_batch: int = EVAL_BATCH) -> LatentOut:
    """Where the first `samples` of x land in the latent space (the encoder's means)."""
    layer = sampling_layer(model)
    x = x[:min(samples, MAX_SAMPLES)]
    points = encoder_means(model, x, max_batch)
    labels = None
    if y is not None and y.dim() == 1 and not y.is_floating_point():
        labels = y[:len(x)].tolist()
    return LatentOut(layer=layer, points=encode(points, "float32"), labels=labels)


@torch.no_grad()
def decode_codes(model: GraphNet, codes: torch.Tensor, squash: bool) -> DecodedOut:
    """The network's output with the sampling layer's output replaced by `codes`."""
    layer = sampling_layer(model)
    device = next(model.parameters()).device
    dummy = torch.zeros(len(codes), *model.spec.input.shape, device=device)
    replaced = codes.to(device)

    def substitute(_: nn.Module, __: object, out: torch.Tensor) -> torch.Tensor:
        if out.shape[1:] != replaced.shape[1:]:
            raise InspectError(f"codes of shape {tuple(replaced.shape[1:])} do not fit the "
                               f"latent size {tuple(out.shape[1:])}")
        return replaced

    handle = model.layer(layer).register_forward_hook(substitute)
    try:
        with evaluating(model):
            images = model(dummy).float()
    finally:
        handle.remove()
    if squash:
        images = torch.sigmoid(images)
    return DecodedOut(layer=layer, codes=encode(codes.float().cpu(), "float32"),
                      images=encode(images.cpu()), squashed=squash)


def latent_size(model: GraphNet) -> int:
    return int(encoder_means(model, torch.zeros(1, *model.spec.input.shape)).shape[1])


def grid_codes(size: int, steps: int, extent: float) -> torch.Tensor:
    """A steps x steps grid over the first two latent dimensions (the rest at 0), row by
    row from the top left: dimension 0 across, dimension 1 down (high to low)."""
    if not 2 <= steps <= MAX_GRID:
        raise InspectError(f"steps: 2 to {MAX_GRID}")
    if size < 2:
        raise InspectError("a latent grid needs at least 2 latent dimensions")
    line = torch.linspace(-extent, extent, steps)
    codes = torch.zeros(steps * steps, size)
    codes[:, 0] = line.repeat(steps)
    codes[:, 1] = line.flip(0).repeat_interleave(steps)
    return codes


def interpolation_codes(start: torch.Tensor, end: torch.Tensor, steps: int) -> torch.Tensor:
    """`steps` codes on the straight line from `start` to `end`, both included."""
    if not 2 <= steps <= MAX_STEPS:
        raise InspectError(f"steps: 2 to {MAX_STEPS}")
    weights = torch.linspace(0, 1, steps)[:, None]
    return start[None] * (1 - weights) + end[None] * weights
