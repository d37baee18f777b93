"""Decision boundaries of 2-D models: the prediction over a grid of the input plane."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from app.datasets.plane import POINT, derive
from app.inspect.arrays import InspectError, encode
from app.inspect.capture import evaluating
from app.inspect.outputs import OutputKind, class_probabilities
from app.nn.graph_module import GraphNet
from app.spec.arrays import ArrayDType
from app.spec.views import BoundaryGrid

MAX_RESOLUTION = 200
MAX_POINTS = 2000
MARGIN = 0.1  # of the data's extent, on each side


def plane(points: torch.Tensor) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y ranges that hold every point with a margin."""
    low, high = points.min(dim=0).values, points.max(dim=0).values
    pad = (high - low).clamp_min(1e-6) * MARGIN
    (x0, y0), (x1, y1) = (low - pad).tolist(), (high + pad).tolist()
    return (x0, x1), (y0, y1)


@dataclass(frozen=True)
class Grid:
    """A resolution x resolution grid of points over the plane (row 0 at the lowest y)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int
    x: torch.Tensor  # (resolution, resolution): each grid point's x
    y: torch.Tensor

    @classmethod
    def around(cls, points: torch.Tensor, resolution: int) -> Grid:
        """The grid over the plane that `points` (N, 2) span, with a margin."""
        (x0, x1), (y0, y1) = plane(points)
        grid_y, grid_x = torch.meshgrid(torch.linspace(y0, y1, resolution),
                                        torch.linspace(x0, x1, resolution), indexing="ij")
        return cls((x0, x1), (y0, y1), resolution, grid_x, grid_y)

    def inputs(self, features: Sequence[str], device: torch.device) -> torch.Tensor:
        """(resolution², len(features)): what the network reads at each grid point."""
        points = torch.stack([self.x.reshape(-1), self.y.reshape(-1)], dim=1)
        return derive(points, features).to(device)


def check_plane(model: GraphNet, features: Sequence[str], what: str) -> None:
    """InspectError unless the network reads `features` of a point (one column each)."""
    shape = tuple(model.spec.input.shape)
    if shape != (len(features),) or model.spec.input.dtype != "float":
        raise InspectError(f"{what} needs a network over 2-D points (or {len(features)} "
                           f"features of them), not an input of shape {shape}; the "
                           "activations view shows any network")


@torch.no_grad()
def boundary(model: GraphNet, points: torch.Tensor, labels: torch.Tensor, output: OutputKind,
             resolution: int = 100, features: Sequence[str] = POINT) -> BoundaryGrid:
    """The model's prediction over a resolution x resolution grid spanning `points` (N, 2),
    with the points and their labels (the first MAX_POINTS); the network reads `features`
    of each grid point."""
    check_plane(model, features, "a decision boundary")
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise InspectError(f"resolution: 2 to {MAX_RESOLUTION}, not {resolution}")
    if output in ("reconstruction", "tokens"):
        raise InspectError(f"a decision boundary needs a classifier or regressor, not a "
                           f"{output} output")
    if len(points) == 0:
        raise InspectError("there are no points to draw the boundary around: pick a split "
                           "that has samples")
    grid = Grid.around(points, resolution)
    device = next(model.parameters(), torch.empty(0)).device
    with evaluating(model):
        out = model(grid.inputs(features, device)).float()
    shape = (resolution, resolution)
    label_dtype: ArrayDType
    if output == "value":
        predicted = encode(out[:, 0].reshape(shape) if out.dim() > 1 else out.reshape(shape))
        confidence = None
        label_dtype = "float16"
    else:
        probs = class_probabilities(out, output)
        best, cls = probs.max(dim=1)
        predicted = encode(cls.reshape(shape).to(torch.uint8), "uint8")
        confidence = encode((best * 255).round().reshape(shape).to(torch.uint8), "uint8")
        label_dtype = "uint8"
    shown = points[:MAX_POINTS]
    cut = f"first {MAX_POINTS} of {len(points)} points" if len(points) > MAX_POINTS else None
    shown_labels = labels[:MAX_POINTS].reshape(len(shown), -1)[:, 0]
    return BoundaryGrid(x_range=grid.x_range, y_range=grid.y_range, resolution=resolution,
                        predicted=predicted, confidence=confidence, points=encode(shown),
                        labels=encode(shown_labels, label_dtype), cut=cut)
