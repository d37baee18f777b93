"""Look inside a run's network: one route per view, thin over app.inspect. Views of one
input are POST (the input may be a sample index, an array or a drawn PNG); views of the
model or of a data split are GET. `epoch` picks the weights kept at an epoch's end;
without it the latest checkpoint is used."""

from __future__ import annotations

from typing import Annotated

import torch
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import InspectorDep
from app.api.schemas import ErrorOut, Responses
from app.inspect import (
    ActivationsOut,
    AttentionOut,
    ConfusionOut,
    EmbeddingOut,
    EpochHistograms,
    FiltersOut,
    InspectError,
    PredictOut,
    ReconstructionsOut,
    SaliencyOut,
    activations,
    attention,
    boundary,
    confusion,
    embedding,
    filters,
    predict,
    reconstructions,
    saliency,
)
from app.inspect.activations import MAX_CHANNELS
from app.inspect.boundary import MAX_RESOLUTION
from app.inspect.confusion import MAX_WRONG
from app.inspect.embedding import MAX_SAMPLES
from app.inspect.filters import MAX_FILTERS
from app.inspect.latent import MAX_GRID as LATENT_GRID
from app.inspect.latent import MAX_SAMPLES as LATENT_SAMPLES
from app.inspect.latent import MAX_STEPS as LATENT_STEPS
from app.inspect.latent import DecodedOut, LatentOut
from app.inspect.reconstruction import MAX_SHOWN, MAX_WORST
from app.inspect.saliency import MAX_STEPS
from app.inspect.sequences import MAX_LENGTH, PredictionsOut, predictions
from app.inspect.sequences import MAX_SAMPLES as SERIES_MAX
from app.inspect.step import MAX_BATCH, StepOut
from app.runs.inspection import Inspector, Split, Subject
from app.runs.service import RunStateError
from app.spec.arrays import EncodedArray
from app.spec.views import BoundaryGrid

router = APIRouter(prefix="/runs/{run_id}/inspect", tags=["inspect"])
ERRORS: Responses = {
    404: {"model": ErrorOut, "description": "No run has this id."},
    409: {"model": ErrorOut, "description": "The run has no weights yet."},
}
EpochQuery = Annotated[int | None, Query(ge=0, le=1_000_000, description=(
    "Use the weights kept at the end of this epoch (see /inspect/epochs); default: the "
    "latest checkpoint."))]
LayersQuery = Annotated[str | None, Query(max_length=4000, description=(
    "Comma-separated layer ids; default: every layer."))]


class InputIn(BaseModel):
    """One input: exactly one of a dataset sample, an array or a PNG image."""

    model_config = {"extra": "forbid"}
    sample: int | None = Field(default=None, ge=0, le=10_000_000,
                               description="Index of a sample in `split`.")
    split: Split = Field(default="test", description="Where `sample` is taken from.")
    array: EncodedArray | None = Field(default=None, description="An input shaped like the "
                                                                 "network's.")
    png: str | None = Field(default=None, max_length=8_000_000, description=(
        "A base64 PNG (or data URL), resized to the input; e.g. a drawn digit."))
    epoch: int | None = Field(default=None, ge=0, le=1_000_000,
                              description="Weights kept at this epoch's end; default: latest.")


class ActivationsIn(InputIn):
    layers: list[str] | None = Field(default=None, max_length=1024,
                                     description="Layer ids; default: every layer.")
    max_channels: int = Field(default=64, ge=1, le=MAX_CHANNELS,
                              description="Feature maps sent per layer.")


class SaliencyIn(InputIn):
    target: int | None = Field(default=None, ge=0, le=1_000_000,
                               description="Output unit to explain; default: the predicted "
                                           "class.")
    steps: int = Field(default=32, ge=1, le=MAX_STEPS, description="Integrated-gradient steps.")


class StepIn(BaseModel):
    """Samples of a split for one training step: `count` of them from `sample` on."""

    model_config = {"extra": "forbid"}
    sample: int = Field(default=0, ge=0, le=10_000_000, description="The first sample.")
    count: int = Field(default=1, ge=1, le=MAX_BATCH, description="How many (a tiny batch).")
    split: Split = Field(default="train", description="Where the samples are taken from.")
    epoch: int | None = Field(default=None, ge=0, le=1_000_000,
                              description="Weights kept at this epoch's end; default: latest.")


class GenerateIn(BaseModel):
    model_config = {"extra": "forbid"}
    prompt: str = Field(default="", max_length=2000, description="Text to go on from.")
    length: int = Field(default=200, ge=1, le=MAX_LENGTH, description="Characters to write.")
    temperature: float = Field(default=0.8, ge=0.0, le=5.0, description=(
        "Below 1: safer, repetitive; above 1: wilder; 0: always the likeliest character."))
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    epoch: int | None = Field(default=None, ge=0, le=1_000_000,
                              description="Weights kept at this epoch's end; default: latest.")


class GeneratedOut(BaseModel):
    prompt: str
    text: str = Field(description="What the model wrote after the prompt.")


class InterpolateIn(BaseModel):
    model_config = {"extra": "forbid"}
    a: int = Field(ge=0, le=10_000_000, description="The sample to start from.")
    b: int = Field(ge=0, le=10_000_000, description="The sample to end at.")
    split: Split = Field(default="test", description="Where both samples are taken from.")
    steps: int = Field(default=10, ge=2, le=LATENT_STEPS, description="Images, ends included.")
    epoch: int | None = Field(default=None, ge=0, le=1_000_000,
                              description="Weights kept at this epoch's end; default: latest.")


class HistogramsOut(BaseModel):
    epochs: list[EpochHistograms]
    cut: str | None = None


class EpochsOut(BaseModel):
    epochs: list[int] = Field(description="Epochs whose end-of-epoch weights are kept.")


def _layers(value: str | None) -> list[str] | None:
    return [v for v in value.split(",") if v] if value else None


def _subject(inspector: Inspector, run_id: str, epoch: int | None) -> Subject:
    """The run's subject. Weights on disk that do not fit the run's network (a file
    replaced by another model's, or crafted) are the run's problem, a 409, not a 500."""
    try:
        return inspector.subject(run_id, epoch)
    except RuntimeError as exc:  # what load_state_dict raises; anything else stays a 500
        if "state_dict" not in str(exc):
            raise
        first = str(exc).strip().splitlines()[0]
        which = "its latest checkpoint" if epoch is None else f"epoch {epoch}"
        raise RunStateError(f"run {run_id}: the weights of {which} do not fit its network "
                            f"({first.rstrip(':')})") from None


def _open(inspector: Inspector, run_id: str, body: InputIn) -> tuple[Subject, torch.Tensor]:
    """The run's subject and the input the body names."""
    subject = _subject(inspector, run_id, body.epoch)
    return subject, inspector.input(subject, body.sample, body.split, body.array, body.png)


@router.post("/activations", responses=ERRORS)
def inspect_activations(run_id: str, body: ActivationsIn,
                        inspector: InspectorDep) -> ActivationsOut:
    """Every layer's output for one input: feature maps, vectors, sequences."""
    subject, x = _open(inspector, run_id, body)
    with subject.lock:
        return activations(subject.model, x, body.layers, body.max_channels)


@router.post("/attention", responses=ERRORS)
def inspect_attention(run_id: str, body: InputIn, inspector: InspectorDep) -> AttentionOut:
    """Per attention layer and head, the attention weights for one input sequence."""
    subject, x = _open(inspector, run_id, body)
    with subject.lock:
        return attention(subject.model, x, subject.class_names)


@router.post("/saliency", responses=ERRORS)
def inspect_saliency(run_id: str, body: SaliencyIn, inspector: InspectorDep) -> SaliencyOut:
    """Gradient x input and integrated gradients of one output unit for one input."""
    subject, x = _open(inspector, run_id, body)
    with subject.lock:
        return saliency(subject.model, x, subject.output, body.target, body.steps)


@router.post("/predict", responses=ERRORS)
def inspect_predict(run_id: str, body: InputIn, inspector: InspectorDep) -> PredictOut:
    """The network's answer for one input: class probabilities, a value or a reconstruction."""
    subject, x = _open(inspector, run_id, body)
    with subject.lock:
        return predict(subject.model, x, subject.output, subject.class_names)


@router.post("/step", responses=ERRORS)
def inspect_step(run_id: str, body: StepIn, inspector: InspectorDep) -> StepOut:
    """One training step laid bare on a few samples: each layer's inputs and output, the
    loss, each parameter's gradient and the update the run's optimizer makes (from a
    fresh optimizer state, on a copy: the run's weights do not change)."""
    subject = _subject(inspector, run_id, body.epoch)
    return inspector.step(subject, body.sample, body.split, body.count)


@router.post("/generate", responses=ERRORS)
def inspect_generate(run_id: str, body: GenerateIn, inspector: InspectorDep) -> GeneratedOut:
    """A character model writes on from a prompt, one character at a time."""
    subject = _subject(inspector, run_id, body.epoch)
    text = inspector.generate(subject, body.prompt, body.length, body.temperature, body.seed)
    return GeneratedOut(prompt=body.prompt, text=text)


@router.get("/predictions", responses=ERRORS)
def inspect_predictions(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                        split: Split = "test",
                        samples: Annotated[int, Query(ge=1, le=SERIES_MAX)] = 500
                        ) -> PredictionsOut:
    """A regression's predictions next to the truth for the first samples of a split, in
    order: a forecaster's consecutive test windows trace the series."""
    subject = _subject(inspector, run_id, epoch)
    x, y = inspector.split(subject.run, split)
    with subject.lock:
        return predictions(subject.model, x, y, subject.output, samples)


@router.get("/latent", responses=ERRORS)
def inspect_latent(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                   split: Split = "test",
                   samples: Annotated[int, Query(ge=1, le=LATENT_SAMPLES)] = 1000
                   ) -> LatentOut:
    """A VAE's latent space: where each sample lands (its encoder mean), with labels."""
    return inspector.latent(_subject(inspector, run_id, epoch), split, samples)


@router.get("/latent/grid", responses=ERRORS)
def inspect_latent_grid(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                        steps: Annotated[int, Query(ge=2, le=LATENT_GRID)] = 15,
                        extent: Annotated[float, Query(gt=0, le=10)] = 3.0) -> DecodedOut:
    """What a steps x steps grid over the latent plane ([-extent, extent] on the first
    two dimensions, the rest 0) decodes to, row by row from the top left."""
    return inspector.latent_grid(_subject(inspector, run_id, epoch), steps, extent)


@router.post("/latent/interpolate", responses=ERRORS)
def inspect_interpolate(run_id: str, body: InterpolateIn, inspector: InspectorDep
                        ) -> DecodedOut:
    """Decoded images on the straight latent line from sample a to sample b."""
    subject = _subject(inspector, run_id, body.epoch)
    return inspector.interpolate(subject, body.a, body.b, body.split, body.steps)


@router.get("/filters", responses=ERRORS)
def inspect_filters(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                    layers: LayersQuery = None,
                    max_filters: Annotated[int, Query(ge=1, le=MAX_FILTERS)] = 64) -> FiltersOut:
    """Convolution kernels; a first layer's RGB kernels also as a colour PNG grid."""
    subject = _subject(inspector, run_id, epoch)
    with subject.lock:
        return filters(subject.model, _layers(layers), max_filters)


@router.get("/boundary", responses=ERRORS)
def inspect_boundary(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                     resolution: Annotated[int, Query(ge=2, le=MAX_RESOLUTION)] = 100,
                     split: Split = "train") -> BoundaryGrid:
    """A 2-D model's prediction over a grid of the plane, with the split's points."""
    subject = _subject(inspector, run_id, epoch)
    x, y = inspector.split(subject.run, split)
    with subject.lock:
        return boundary(subject.model, x, y, subject.output, resolution)


@router.get("/confusion", responses=ERRORS)
def inspect_confusion(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                      split: Annotated[Split | None, Query(description=(
                          "Default: the validation split, or test when the run has none."
                      ))] = None,
                      top_wrong: Annotated[int, Query(ge=0, le=MAX_WRONG)] = 16
                      ) -> ConfusionOut:
    """Confusion matrix, per-class accuracy and the most confidently wrong samples."""
    subject = _subject(inspector, run_id, epoch)
    if split is None:
        split = "val" if subject.run.training.validation_split > 0 else "test"
    x, y = inspector.split(subject.run, split)
    classes = subject.info.num_classes or 2
    with subject.lock:
        return confusion(subject.model, x, y, subject.output, classes, subject.class_names,
                         top_wrong)


@router.get("/reconstructions", responses=ERRORS)
def inspect_reconstructions(run_id: str, inspector: InspectorDep, epoch: EpochQuery = None,
                            split: Split = "test",
                            samples: Annotated[int, Query(ge=0, le=MAX_SHOWN, description=(
                                "The first samples shown beside their reconstructions."
                            ))] = 16,
                            worst: Annotated[int, Query(ge=0, le=MAX_WORST, description=(
                                "The samples with the largest error sent with theirs."
                            ))] = 8) -> ReconstructionsOut:
    """An autoencoder's reconstructions of the first samples of a split, and the mean
    squared error of every sample: the worst rebuilt and a histogram of the errors."""
    subject = _subject(inspector, run_id, epoch)
    x, _ = inspector.split(subject.run, split)
    logits = subject.run.training.loss == "bce"  # the output is logits of the values
    with subject.lock:
        return reconstructions(subject.model, x, subject.output, samples, worst, logits)


@router.get("/embedding", responses=ERRORS)
def inspect_embedding(run_id: str, inspector: InspectorDep,
                      layer: Annotated[str, Query(min_length=1, max_length=64)],
                      epoch: EpochQuery = None, split: Split = "test",
                      samples: Annotated[int, Query(ge=3, le=MAX_SAMPLES)] = 500
                      ) -> EmbeddingOut:
    """A layer's activations over samples of a split, projected to 2-D by PCA."""
    subject = _subject(inspector, run_id, epoch)
    x, y = inspector.split(subject.run, split)
    if len(x) < 3:
        raise InspectError(f"the {split} split has {len(x)} samples; an embedding needs 3")
    with subject.lock:
        return embedding(subject.model, layer, x[:samples], y[:samples])


@router.get("/histograms", responses=ERRORS)
def inspect_histograms(run_id: str, inspector: InspectorDep,
                       max_epochs: Annotated[int, Query(ge=2, le=1000, description=(
                           "At most this many epochs, spread evenly (the first and the "
                           "last always)."))] = 100) -> HistogramsOut:
    """Weight and gradient histograms per parameter, recorded at every epoch's end."""
    recorded = inspector.histograms(run_id)
    if len(recorded) <= max_epochs:
        return HistogramsOut(epochs=recorded)
    picks = sorted({round(i * (len(recorded) - 1) / (max_epochs - 1))
                    for i in range(max_epochs)})
    return HistogramsOut(epochs=[recorded[i] for i in picks],
                         cut=f"{len(picks)} of {len(recorded)} epochs, spread evenly")


@router.get("/epochs", responses={404: ERRORS[404]})
def inspect_epochs(run_id: str, inspector: InspectorDep) -> EpochsOut:
    """Epochs whose weights are kept for inspection (thinned evenly when there are many)."""
    return EpochsOut(epochs=inspector.epochs(run_id))
