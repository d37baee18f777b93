"""A layer's view of the data: its activations over many samples, projected to 2-D."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import layer_ids, layer_outputs
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_SAMPLES = 2000
BATCH = 512


class EmbeddingOut(BaseModel):
    layer: str
    dimensions: int = Field(description="Size of the layer's output per sample.")
    points: EncodedArray = Field(description="(N, 2) float16: the first two principal "
                                             "components.")
    labels: EncodedArray = Field(description="(N,) the samples' labels.")
    explained: list[float] = Field(description="Variance share of each component.")


def embedding(model: GraphNet, layer: str, x: torch.Tensor, labels: torch.Tensor,
              max_batch: int = BATCH) -> EmbeddingOut:
    """PCA of `layer`'s outputs over the samples `x` (at most MAX_SAMPLES), run through
    the network `max_batch` samples at most at a time."""
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
    flat_labels = labels.reshape(len(labels), -1)[:, 0]
    return EmbeddingOut(layer=layer_id, dimensions=features.shape[1], points=encode(points),
                        labels=encode(flat_labels, "float16" if flat_labels.is_floating_point()
                                      else "int64"),
                        explained=explained)
