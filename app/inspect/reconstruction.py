"""How well an autoencoder rebuilds its inputs: the first samples of a split beside their
reconstructions, and the reconstruction error (mean squared error) of every sample, with
the worst rebuilt samples and a histogram of the errors."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import evaluating
from app.inspect.histograms import BINS, Histogram
from app.inspect.outputs import OutputKind
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_SHOWN = 64  # the first samples shown beside their reconstructions
MAX_WORST = 32
MAX_SCORED = 10_000  # samples whose error is measured (the first of the split)
MAX_INPUT_VALUES = 4096  # a sample small enough to send with its reconstruction
BATCH = 512


class ReconstructedSample(BaseModel):
    index: int = Field(description="Index of the sample in the split.")
    error: float = Field(description="Mean squared error between the input and its "
                                     "reconstruction.")
    input: EncodedArray | None = Field(default=None, description=(
        f"The sample (float16), when it has at most {MAX_INPUT_VALUES} values."))
    reconstruction: EncodedArray | None = Field(default=None, description=(
        "The network's output (float16), shaped like the input; sent with the input."))


class ReconstructionsOut(BaseModel):
    samples: int = Field(description="Samples whose error was measured.")
    mean_error: float = Field(description="Mean of the per-sample errors.")
    errors: EncodedArray = Field(description="(samples,) float32: each measured sample's "
                                             "mean squared error, in split order.")
    histogram: Histogram = Field(description=f"The per-sample errors in {BINS} bins.")
    shown: list[ReconstructedSample] = Field(description="The first samples of the split "
                                                         "with their reconstructions.")
    worst: list[ReconstructedSample] = Field(description="The samples rebuilt worst, the "
                                                         "largest error first.")
    cut: str | None = Field(default=None, description="What was left out, if anything.")


@torch.no_grad()
def reconstruct(model: GraphNet, x: torch.Tensor, logits: bool = False,
                max_batch: int = BATCH) -> torch.Tensor:
    """The network's output for every sample of `x` (on the CPU, float32), in batches of
    at most `max_batch`; through a sigmoid when the output is logits (a bce loss)."""
    device = next(model.parameters(), torch.empty(0)).device
    step = min(BATCH, max_batch)
    with evaluating(model):
        out = torch.cat([model(x[i:i + step].to(device=device, dtype=torch.float32))
                         .float().cpu() for i in range(0, len(x), step)])
    return torch.sigmoid(out) if logits else out


def _histogram(errors: torch.Tensor) -> Histogram:
    """The finite errors in BINS equal bins from the least to the largest."""
    values = errors[torch.isfinite(errors)]
    if len(values) == 0:
        return Histogram(low=0.0, high=0.0, counts=[0] * BINS, mean=0.0, std=0.0)
    low, high = float(values.min()), float(values.max())
    width = high - low if high > low else 1.0
    index = ((values - low) / width * BINS).long().clamp(0, BINS - 1)
    return Histogram(low=low, high=high, counts=torch.bincount(index, minlength=BINS).tolist(),
                     mean=float(values.mean()), std=float(values.std(correction=0)))


def reconstructions(model: GraphNet, x: torch.Tensor, output: OutputKind, samples: int = 16,
                    worst: int = 8, logits: bool = False,
                    max_batch: int = BATCH) -> ReconstructionsOut:
    """The first `samples` of `x` beside their reconstructions, and every sample's mean
    squared error (the first MAX_SCORED samples), with the `worst` largest. `logits`:
    the output is logits of the input's values (a bce loss), compared after a sigmoid."""
    if output != "reconstruction":
        raise InspectError(f"reconstructions need an autoencoder (a reconstruction task), "
                           f"not a {output} output")
    if model.spec.input.dtype == "token":
        raise InspectError("reconstructions need a network over numbers, not token ids")
    if len(x) == 0:
        raise InspectError("there are no samples to reconstruct")
    samples, worst = min(max(samples, 0), MAX_SHOWN), min(max(worst, 0), MAX_WORST)
    scored = x[:MAX_SCORED].float()
    rebuilt = reconstruct(model, scored, logits, max_batch)
    if rebuilt.shape[1:].numel() != scored.shape[1:].numel():
        raise InspectError(f"the network's output {tuple(rebuilt.shape[1:])} is not shaped "
                           f"like its input {tuple(scored.shape[1:])}")
    rebuilt = rebuilt.reshape(scored.shape)
    errors = (rebuilt - scored).pow(2).reshape(len(scored), -1).mean(dim=1)
    small = scored[0].numel() <= MAX_INPUT_VALUES

    def sample(i: int) -> ReconstructedSample:
        return ReconstructedSample(
            index=i, error=float(errors[i]),
            input=encode(scored[i]) if small else None,
            reconstruction=encode(rebuilt[i]) if small else None)

    order = errors.argsort(descending=True, stable=True)[:worst]
    cuts = []
    if len(x) > MAX_SCORED:
        cuts.append(f"errors of the first {MAX_SCORED} of {len(x)} samples")
    if not small:
        cuts.append(f"samples of {scored[0].numel()} values are not sent (at most "
                    f"{MAX_INPUT_VALUES})")
    return ReconstructionsOut(
        samples=len(scored), mean_error=float(errors.mean()), errors=encode(errors, "float32"),
        histogram=_histogram(errors), shown=[sample(i) for i in range(min(samples, len(scored)))],
        worst=[sample(i) for i in order.tolist()], cut="; ".join(cuts) or None)
