"""Data augmentation of image batches, each image drawn its own change: a left-right flip,
a shift of whole pixels, a rotation, as one affine resampling of the batch on its device.

Plain torch rather than torchvision.transforms.v2: v2's batch transforms draw one change
for the whole batch, and per-image draws would mean a Python loop per image; torchvision
also needs a build matching the installed torch. Draws come from torch's generator, which
the run's seed sets."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from app.spec.training import AugmentSpec


def augmented(x: torch.Tensor, spec: AugmentSpec) -> torch.Tensor:
    """A batch (N, C, H, W) with each image changed as `spec` allows, drawn anew."""
    n, _, height, width = x.shape
    if spec.flip:
        flipped = torch.rand(n, device=x.device) < 0.5
        x = torch.where(flipped[:, None, None, None], x.flip(-1), x)
    if not spec.shift and not spec.rotate:
        return x
    angle = (torch.rand(n, device=x.device) * 2 - 1) * math.radians(spec.rotate)
    shift = torch.randint(-spec.shift, spec.shift + 1, (n, 2), device=x.device).to(x.dtype)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    theta = torch.stack([  # where each output pixel reads from, in [-1, 1] coordinates
        torch.stack([cos, -sin, -2 * shift[:, 0] / width], dim=1),
        torch.stack([sin, cos, -2 * shift[:, 1] / height], dim=1)], dim=1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    mode = "nearest" if not spec.rotate else "bilinear"  # whole-pixel shifts stay exact
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
