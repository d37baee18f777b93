"""A layer's view of the data: its activations over many samples, projected to 2-D."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import layer_ids, layer_outputs
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_SAMPLES = 2000
BATCH = 512
Projection = Literal["pca", "tsne"]


class EmbeddingOut(BaseModel):
    layer: str
    method: Projection
    dimensions: int = Field(description="Size of the layer's output per sample.")
    points: EncodedArray = Field(description=(
        "(N, 2) float16: point i is sample i of the split, at its first two principal "
        "components (pca) or where t-SNE placed it (tsne)."))
    labels: EncodedArray = Field(description="(N,) the samples' labels.")
    class_names: list[str] | None = Field(default=None, description="The classes' names, "
                                                                    "where labels are classes.")
    explained: list[float] = Field(description="Variance share of each principal "
                                               "component (pca only).")


def tsne(features: torch.Tensor) -> torch.Tensor:
    """A 2-D t-SNE of the rows of `features` (scikit-learn's, seeded: the same answer
    each time), started from their PCA as scikit-learn advises."""
    from sklearn.manifold import TSNE  # imported when asked: it takes a second to load

    perplexity = min(30.0, (len(features) - 1) / 3)
    placed = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
                  random_state=0).fit_transform(features.double().numpy())
    return torch.from_numpy(placed).float()


def embedding(model: GraphNet, layer: str, x: torch.Tensor, labels: torch.Tensor,
              max_batch: int = BATCH, method: Projection = "pca",
              class_names: list[str] | None = None) -> EmbeddingOut:
    """PCA (or t-SNE) of `layer`'s outputs over the samples `x` (at most MAX_SAMPLES),
    run through the network `max_batch` samples at most at a time."""
    (layer_id,) = layer_ids(model, [layer])
    if len(x) < 3:
        raise InspectError("an embedding needs at least 3 samples")
    x, labels = x[:MAX_SAMPLES], labels[:MAX_SAMPLES]
    device = next(model.parameters(), torch.empty(0)).device
    rows = []
    step = min(BATCH, max_batch)
    for start in range(0, len(x), step):
        _, outputs = layer_outputs(model, x[start:start + step].to(device), [layer_id])
        rows.append(outputs[layer_id].float().reshape(len(outputs[layer_id]), -1).cpu())
    features = torch.cat(rows)
    flat_labels = labels.reshape(len(labels), -1)[:, 0]
    encoded_labels = encode(flat_labels, "float16" if flat_labels.is_floating_point()
                            else "int64")
    if method == "tsne":
        return EmbeddingOut(layer=layer_id, method="tsne", dimensions=features.shape[1],
                            points=encode(tsne(features)), labels=encoded_labels,
                            class_names=class_names, explained=[])
    centred = features - features.mean(dim=0)
    if min(centred.shape) > 64:  # wide layers: a randomized SVD finds the top components
        with torch.random.fork_rng(devices=[]):  # the same answer each time, no side effect
            torch.manual_seed(0)
            _, singular, v = torch.svd_lowrank(centred, q=6, niter=4)
        components = v[:, :2]
    else:
        _, singular, vh = torch.linalg.svd(centred, full_matrices=False)
        components = vh[:2].T
    points = centred @ components
    if points.shape[1] < 2:  # a one-unit layer: the second axis is flat
        points = torch.cat([points, torch.zeros(len(points), 1)], dim=1)
    total = centred.pow(2).sum().clamp_min(1e-12)
    explained = (singular[:2].pow(2) / total).tolist()
    return EmbeddingOut(layer=layer_id, method="pca", dimensions=features.shape[1],
                        points=encode(points),
                        labels=encoded_labels, class_names=class_names, explained=explained)
