"""Writing a GAN's samples for `layerlab runs samples`: images tiled into one PNG, points
as CSV."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

SCALE = 4  # pixels per sample pixel: MNIST's 28x28 would be tiny in an image viewer


def tile(samples: np.ndarray, gap: int = 2) -> np.ndarray:
    """(N, C, H, W) samples in a square-ish grid, values clipped to [0, 1]:
    (rows * (H + gap), cols * (W + gap), C), the gaps black."""
    n, channels, height, width = samples.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (height + gap), cols * (width + gap), channels), np.float32)
    for i, sample in enumerate(np.clip(samples.astype(np.float32), 0.0, 1.0)):
        top, left = (i // cols) * (height + gap), (i % cols) * (width + gap)
        grid[top:top + height, left:left + width] = sample.transpose(1, 2, 0)  # (H, W, C)
    return grid


def write_samples(samples: np.ndarray, output: Path) -> None:
    """Images (N, 1 or 3, H, W) to a PNG grid; points (N, 2) to a CSV of x,y. Raises
    ValueError when the file type does not fit the samples."""
    suffix = output.suffix.lower()
    if samples.ndim == 4 and samples.shape[1] in (1, 3):
        if suffix != ".png":
            raise ValueError(f"image samples are written as .png, not {suffix or output.name}")
        pixels = (tile(samples) * 255).round().astype(np.uint8)
        image = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
        image.resize((image.width * SCALE, image.height * SCALE), Image.Resampling.NEAREST
                     ).save(output)
    elif samples.ndim == 2:
        if suffix != ".csv":
            raise ValueError(f"samples of {samples.shape[1]} values are written as .csv, not "
                             f"{suffix or output.name}")
        header = ",".join(f"x{i}" for i in range(samples.shape[1]))
        np.savetxt(output, samples.astype(np.float32), delimiter=",", header=header,
                   comments="", fmt="%.6g")
    else:
        raise ValueError(f"samples shaped {tuple(samples.shape[1:])} are neither images nor "
                         "points")
