"""Views over a split of the run's data (GET): where samples land, what the network gets
right and wrong, how well it rebuilds or predicts them."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.datasets.plane import POINT
from app.inspect import (
    ConfusionOut,
    EmbeddingOut,
    InspectError,
    ReconstructionsOut,
    boundary,
    confusion,
    embedding,
    reconstructions,
)
from app.inspect.arrays import encode
from app.inspect.boundary import MAX_RESOLUTION
from app.inspect.confusion import (
    MAX_CELL,
    MAX_WRONG,
    CellOut,
    Classes,
    confusion_cell,
    predict_classes,
)
from app.inspect.embedding import MAX_SAMPLES, Projection
from app.inspect.latent import MAX_GRID as LATENT_GRID
from app.inspect.latent import MAX_SAMPLES as LATENT_SAMPLES
from app.inspect.latent import MAX_STEPS as LATENT_STEPS
from app.inspect.latent import (
    DecodedOut,
    LatentOut,
    decode_codes,
    encoder_means,
    grid_codes,
    interpolation_codes,
    latent_points,
    latent_size,
)
from app.inspect.reconstruction import MAX_SHOWN, MAX_WORST
from app.inspect.sequences import MAX_SAMPLES as SERIES_MAX
from app.inspect.sequences import PredictionsOut, predictions
from app.runs.inspection import Split
from app.runs.views.registry import AtEpoch, BodyIn, Look, fed, view
from app.spec.arrays import EncodedArray
from app.spec.views import BoundaryGrid

MAX_SAMPLE_VALUES = 65_536  # a sample sent whole (an image up to 1x256x256)


class SplitSampleIn(BaseModel):
    model_config = {"extra": "forbid"}
    split: Split = "test"
    index: int = Field(ge=0, le=10_000_000, description="The sample's index in the split.")


class SplitSampleOut(BaseModel):
    split: Split
    index: int
    input: EncodedArray | None = Field(description=(
        f"The sample (float16, or int64 token ids), when it has at most {MAX_SAMPLE_VALUES} "
        "values."))
    label: float | None = Field(description="Its label: a class id or a value (none for a "
                                            "label of many values).")
    label_name: str | None = Field(description="The class's name, where the dataset names "
                                               "its classes.")
    text: str | None = Field(description="A token input spelled out with the vocabulary.")


@view("sample", "Sample", applies=fed)
def _sample(look: Look, params: SplitSampleIn) -> SplitSampleOut:
    """One sample of a split as the dataset holds it, with its label: what a point of
    the embedding or a cell of the confusion matrix stands for."""
    x, y = look.split(params.split)
    if not params.index < len(x):
        raise InspectError(f"index: the {params.split} split has {len(x)} samples (0 to "
                           f"{len(x) - 1}), not {params.index}")
    sample, target = x[params.index], y[params.index].reshape(-1)
    label = float(target[0]) if target.numel() == 1 else None
    info = look.cache.data(look.run).info
    names = list(info.class_names or [])
    token = not sample.is_floating_point()
    text = None
    if token and names:
        text = "".join(names[i] if 0 <= i < len(names) else "?" for i in sample.tolist())
    return SplitSampleOut(
        split=params.split, index=params.index, label=label,
        input=(encode(sample, "int64" if token else "float16")
               if sample.numel() <= MAX_SAMPLE_VALUES else None),
        label_name=names[int(label)] if label is not None and label.is_integer()
        and 0 <= label < len(names) else None, text=text)


class EmbeddingIn(AtEpoch):
    layer: str = Field(min_length=1, max_length=64, description="The layer whose outputs "
                                                                "are projected.")
    split: Split = "test"
    samples: int = Field(default=500, ge=3, le=MAX_SAMPLES)
    method: Projection = Field(default="pca", description=(
        "pca: the two directions of most variance (fast, linear); tsne: t-SNE, which keeps "
        "neighbours together (slower: seconds for a thousand samples)."))


@view("embedding", "Embedding", applies=fed)
def _embedding(look: Look, params: EmbeddingIn) -> EmbeddingOut:
    """A layer's activations over samples of a split, projected to 2-D by PCA or
    t-SNE: point i is sample i of the split."""
    x, y = look.split(params.split)
    if len(x) < 3:
        raise InspectError(f"the {params.split} split has {len(x)} samples; an embedding "
                           "needs 3")
    return embedding(look.subject.model, params.layer, x[:params.samples], y[:params.samples],
                     look.subject.batch, params.method, look.subject.class_names)


class ConfusionIn(AtEpoch):
    split: Split | None = Field(default=None, description=(
        "Default: the validation split, or test when the run has none."))
    top_wrong: int = Field(default=16, ge=0, le=MAX_WRONG)


def _scored_split(look: Look, split: Split | None) -> Split:
    return split or ("val" if look.run.training.validation_split > 0 else "test")


def _classes(look: Look, split: Split, x: torch.Tensor) -> Classes:
    """The classes predicted for a split, worked out once per weights (the matrix and
    each of its cells read them)."""
    subject = look.subject
    key = ("classes", split)
    if key not in subject.memo:
        if subject.output not in ("classes", "binary"):
            raise InspectError(f"a confusion matrix needs a classifier, not a "
                               f"{subject.output} output")
        subject.memo[key] = predict_classes(subject.model, x, subject.output, subject.batch)
    classes: Classes = subject.memo[key]
    return classes


@view("confusion", "Confusion", own=True)
def _confusion(look: Look, params: ConfusionIn) -> ConfusionOut:
    """Confusion matrix, per-class accuracy and the most confidently wrong samples, of
    the split it names."""
    split = _scored_split(look, params.split)
    x, y = look.split(split)
    subject = look.subject
    classes = _classes(look, split, x) if len(x) else None
    return confusion(subject.model, x, y, subject.output, subject.info.num_classes or 2,
                     subject.class_names, params.top_wrong, subject.batch, split, classes)


class CellIn(AtEpoch):
    split: Split | None = Field(default=None, description=(
        "Default: the split the confusion matrix scores."))
    label: int = Field(ge=0, le=100_000, description="The true class (the matrix's row).")
    predicted: int = Field(ge=0, le=100_000, description="The predicted class (its column).")
    limit: int = Field(default=24, ge=1, le=MAX_CELL)
    offset: int = Field(default=0, ge=0, le=10_000_000)


@view("confusion/cell", "Confusion cell", applies=lambda facts: "confusion" in facts.kind.views)
def _confusion_cell(look: Look, params: CellIn) -> CellOut:
    """The samples in one cell of the confusion matrix (of class `label`, predicted as
    `predicted`), the most confident first, with the probability given to the
    prediction."""
    split = _scored_split(look, params.split)
    x, y = look.split(split)
    if not len(x):
        raise InspectError(f"the {split} split has no samples")
    classes = look.subject.info.num_classes or 2
    for name, value in (("label", params.label), ("predicted", params.predicted)):
        if value >= classes:
            raise InspectError(f"{name}: the network tells {classes} classes apart (0 to "
                               f"{classes - 1}), not {value}")
    return confusion_cell(x, y, _classes(look, split, x), params.label, params.predicted,
                          split, params.limit, params.offset)


class PredictionsIn(AtEpoch):
    split: Split = "test"
    samples: int = Field(default=500, ge=1, le=SERIES_MAX)


@view("predictions", "Predictions", own=True)
def _predictions(look: Look, params: PredictionsIn) -> PredictionsOut:
    """A regression's predictions next to the truth for the first samples of a split, in
    order: a forecaster's consecutive test windows trace the series."""
    x, y = look.split(params.split)
    return predictions(look.subject.model, x, y, look.subject.output, params.samples,
                       look.subject.batch)


class ReconstructionsIn(AtEpoch):
    split: Split = "test"
    samples: int = Field(default=16, ge=0, le=MAX_SHOWN, description=(
        "The first samples shown beside their reconstructions."))
    worst: int = Field(default=8, ge=0, le=MAX_WORST, description=(
        "The samples with the largest error sent with theirs."))


def _logits(look: Look) -> bool:
    """A bce-trained decoder gives logits of the values: shown through a sigmoid."""
    return look.subject.task.loss_name == "bce"


@view("reconstructions", "Reconstructions", own=True)
def _reconstructions(look: Look, params: ReconstructionsIn) -> ReconstructionsOut:
    """An autoencoder's reconstructions of the first samples of a split, and the mean
    squared error of every sample: the worst rebuilt and a histogram of the errors."""
    x, _ = look.split(params.split)
    return reconstructions(look.subject.model, x, look.subject.output, params.samples,
                           params.worst, _logits(look), look.subject.batch)


class LatentIn(AtEpoch):
    split: Split = "test"
    samples: int = Field(default=1000, ge=1, le=LATENT_SAMPLES)


@view("latent", "Latent space", own=True)
def _latent(look: Look, params: LatentIn) -> LatentOut:
    """A VAE's latent space: where each sample lands (its encoder mean), with labels."""
    x, y = look.split(params.split)
    return latent_points(look.subject.model, x, y, params.samples, look.subject.batch)


class LatentGridIn(AtEpoch):
    steps: int = Field(default=15, ge=2, le=LATENT_GRID)
    extent: float = Field(default=3.0, gt=0, le=10)


@view("latent/grid", "Latent grid", own=True)
def _latent_grid(look: Look, params: LatentGridIn) -> DecodedOut:
    """What a steps x steps grid over the latent plane ([-extent, extent] on the first
    two dimensions, the rest 0) decodes to, row by row from the top left."""
    model = look.subject.model
    codes = grid_codes(latent_size(model), params.steps, params.extent)
    return decode_codes(model, codes, _logits(look))


class InterpolateIn(BodyIn):
    a: int = Field(ge=0, le=10_000_000, description="The sample to start from.")
    b: int = Field(ge=0, le=10_000_000, description="The sample to end at.")
    split: Split = Field(default="test", description="Where both samples are taken from.")
    steps: int = Field(default=10, ge=2, le=LATENT_STEPS, description="Images, ends included.")


@view("latent/interpolate", "Latent path", method="POST", own=True,
      operation="inspect_interpolate")
def _interpolate(look: Look, params: InterpolateIn) -> DecodedOut:
    """Decoded images on the straight latent line from sample a to sample b."""
    x, _ = look.split(params.split)
    for name, index in (("a", params.a), ("b", params.b)):
        if not 0 <= index < len(x):
            raise InspectError(f"{name}: the {params.split} split has {len(x)} samples (0 to "
                               f"{len(x) - 1}), not {index}")
    model = look.subject.model
    start, end = encoder_means(model, x[[params.a, params.b]])
    return decode_codes(model, interpolation_codes(start, end, params.steps), _logits(look))


class BoundaryIn(AtEpoch):
    resolution: int = Field(default=100, ge=2, le=MAX_RESOLUTION)
    split: Split = "train"


@view("boundary", "Decision boundary", applies=lambda facts: facts.plane)
def _boundary(look: Look, params: BoundaryIn) -> BoundaryGrid:
    """A 2-D model's prediction over a grid of the plane, with the split's points."""
    points, y = look.points(params.split)
    return boundary(look.subject.model, points, y, look.subject.output, params.resolution,
                    look.subject.info.plane or POINT)
