"""How a classifier errs: confusion matrix, per-class accuracy, its most confident mistakes."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import evaluating
from app.inspect.outputs import OutputKind, class_probabilities
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray
from app.spec.views import Split

Classes = tuple[torch.Tensor, torch.Tensor]
"""(predicted class, its probability) of every sample of a split."""
MAX_WRONG = 64
MAX_CELL = 64  # the samples of one cell sent at once
MAX_INPUT_VALUES = 4096  # a sample small enough to send with its mistake (28x28, 3x32x32 too)
BATCH = 1024


class WrongSample(BaseModel):
    index: int = Field(description="Index of the sample in the split that was scored.")
    label: int
    predicted: int
    confidence: float = Field(description="The probability given to the wrong class.")
    input: EncodedArray | None = Field(default=None, description=(
        f"The sample itself (float16), when it has at most {MAX_INPUT_VALUES} values."))


class ConfusionOut(BaseModel):
    split: Split = Field(description="The split that was scored.")
    samples: int
    accuracy: float
    class_names: list[str] | None
    matrix: list[list[int]] = Field(description="matrix[true][predicted] = count.")
    per_class_accuracy: list[float | None] = Field(
        description="Recall of each class; null for a class with no samples.")
    wrong: list[WrongSample] = Field(description="The most confidently wrong samples.")


@torch.no_grad()
def predict_classes(model: GraphNet, x: torch.Tensor, output: OutputKind,
                    max_batch: int = BATCH) -> Classes:
    """(predicted class, its probability) for every sample of `x`, in batches of at most
    `max_batch` samples."""
    device = next(model.parameters(), torch.empty(0)).device
    classes, confidence = [], []
    step = min(BATCH, max_batch)
    with evaluating(model):
        for start in range(0, len(x), step):
            probs = class_probabilities(model(x[start:start + step].to(device)).float(), output)
            best, cls = probs.max(dim=1)
            classes.append(cls.cpu())
            confidence.append(best.cpu())
    return torch.cat(classes), torch.cat(confidence)


def _check(output: OutputKind, x: torch.Tensor) -> None:
    if output not in ("classes", "binary"):
        raise InspectError(f"a confusion matrix needs a classifier, not a {output} output")
    if len(x) == 0:
        raise InspectError("there are no samples to score")


def _small(x: torch.Tensor) -> bool:
    """Whether a sample is small enough to send with its cell or mistake."""
    return x[0].numel() <= MAX_INPUT_VALUES


def confusion(model: GraphNet, x: torch.Tensor, y: torch.Tensor, output: OutputKind,
              num_classes: int, class_names: list[str] | None = None,
              top_wrong: int = 16, max_batch: int = BATCH, split: Split = "test",
              classes: Classes | None = None) -> ConfusionOut:
    """Score a classifier on (x, y), the `split` named: y holds class ids. `classes`
    are the predictions when they are known already."""
    _check(output, x)
    predicted, confidence = classes or predict_classes(model, x, output, max_batch)
    labels = y.reshape(len(y)).long().cpu()
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.long)
    matrix.index_put_((labels, predicted), torch.ones_like(labels), accumulate=True)
    totals = matrix.sum(dim=1)
    per_class = [None if t == 0 else matrix[i, i].item() / t
                 for i, t in enumerate(totals.tolist())]
    wrong_idx = (predicted != labels).nonzero().reshape(-1)
    order = confidence[wrong_idx].argsort(descending=True)[:min(top_wrong, MAX_WRONG)]
    small = _small(x)
    wrong = [WrongSample(index=i, label=int(labels[i]), predicted=int(predicted[i]),
                         confidence=float(confidence[i]),
                         input=encode(x[i].float()) if small else None)
             for i in wrong_idx[order].tolist()]
    return ConfusionOut(split=split, samples=len(labels),
                        accuracy=matrix.trace().item() / len(labels),
                        class_names=class_names, matrix=matrix.tolist(),
                        per_class_accuracy=per_class, wrong=wrong)


class CellSample(BaseModel):
    index: int = Field(description="Index of the sample in the split.")
    confidence: float = Field(description="The probability given to the predicted class.")
    input: EncodedArray | None = Field(default=None, description=(
        f"The sample itself (float16), when it has at most {MAX_INPUT_VALUES} values."))


class CellOut(BaseModel):
    """The samples of one cell of the confusion matrix: of class `label`, predicted as
    `predicted`, the most confident first."""

    split: Split
    label: int
    predicted: int
    count: int = Field(description="How many samples the cell holds.")
    samples: list[CellSample] = Field(description="Up to `limit` of them, from `offset`.")


def confusion_cell(x: torch.Tensor, y: torch.Tensor, classes: Classes, label: int,
                   predicted: int, split: Split, limit: int = MAX_CELL, offset: int = 0
                   ) -> CellOut:
    """The samples of (x, y) of class `label` that the network, whose predictions are
    `classes`, took for class `predicted`: the most confident first."""
    guess, confidence = classes
    labels = y.reshape(len(y)).long().cpu()
    inside = ((labels == label) & (guess == predicted)).nonzero().reshape(-1)
    order = confidence[inside].argsort(descending=True, stable=True)
    chosen = inside[order][offset:offset + min(limit, MAX_CELL)].tolist()
    small = _small(x)
    return CellOut(split=split, label=label, predicted=predicted, count=len(inside),
                   samples=[CellSample(index=i, confidence=float(confidence[i]),
                                       input=encode(x[i].float()) if small else None)
                            for i in chosen])
