"""Any inspect view's answer as one PNG figure (`?format=png`): every array in it drawn as
heatmaps (a (C, H, W) array as C maps, a filter bank as one tile per kernel, a matrix as
one map), a list of 2-D points as a scatter coloured by its labels, each panel captioned
with where it sits in the answer. Signed values use the diverging blue-white-orange
scale centred on zero, others viridis, as the browser's views do."""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel

from app.spec.arrays import EncodedArray

TILE = 96  # the longer side of one map, in pixels
MOST_TILES = 64  # maps drawn per array
ROW_WIDTH = 1200  # panels wrap past this width
PAD = 8
CAPTION = 14
VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98],
                    [253, 231, 37]], dtype=np.float64)
BLUE, WHITE, ORANGE = (np.array(c, dtype=np.float64) for c in
                       ([37, 99, 235], [255, 255, 255], [234, 88, 12]))


@dataclass
class Panel:
    caption: str
    tiles: list[Image.Image]


def _values(array: EncodedArray) -> np.ndarray:
    raw = base64.b64decode(array.data)
    kind = np.dtype(array.dtype).newbyteorder("<")
    return np.frombuffer(raw, dtype=kind).reshape(array.shape).astype(np.float64)


def _colours(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """(…, 3) uint8 colours of `values` on the scale their range calls for."""
    values = np.nan_to_num(values)
    if low < 0:
        extent = max(abs(low), abs(high)) or 1.0
        t = np.clip(values / extent, -1, 1)[..., None]
        rgb = np.where(t < 0, WHITE + (BLUE - WHITE) * -t, WHITE + (ORANGE - WHITE) * t)
    else:
        t = np.clip((values - low) / ((high - low) or 1.0), 0, 1) * (len(VIRIDIS) - 1)
        index = np.minimum(t.astype(int), len(VIRIDIS) - 2)
        rgb = VIRIDIS[index] + (VIRIDIS[index + 1] - VIRIDIS[index]) * (t - index)[..., None]
    return rgb.astype(np.uint8)


def _map(plane: np.ndarray, low: float, high: float) -> Image.Image:
    """One 2-D array as an image whose longer side is TILE pixels (nearest neighbour)."""
    image = Image.fromarray(_colours(plane, low, high), "RGB")
    rows, cols = plane.shape
    scale = TILE / max(rows, cols)
    return image.resize((max(1, round(cols * scale)), max(1, round(rows * scale))),
                        Image.Resampling.NEAREST)


def _scatter(points: np.ndarray, labels: np.ndarray | None) -> Image.Image:
    side = 3 * TILE
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high - low > 0, high - low, 1)
    placed = 6 + (points - low) / span * (side - 12)
    hues = labels if labels is not None else np.zeros(len(points))
    for (x, y), hue in zip(placed, hues, strict=True):
        r, g, b = _colours(np.array([hue]), float(hues.min()), float(hues.max()) + 1e-9)[0]
        draw.ellipse((x - 2, side - y - 2, x + 2, side - y + 2), fill=(int(r), int(g), int(b)))
    return image


def _panels_of(array: np.ndarray, caption: str) -> Panel | None:
    """An array's panel: maps for 2-D and up, a strip for 1-D."""
    if array.size == 0:
        return None
    low, high = float(np.nanmin(array)), float(np.nanmax(array))
    if array.ndim == 1:
        return Panel(caption, [_map(array[None], low, high)])
    if array.ndim == 2:
        return Panel(caption, [_map(array, low, high)])
    planes = array.reshape(-1, *array.shape[-2:])
    shown = planes[:MOST_TILES]
    note = f" (first {len(shown)} of {len(planes)} maps)" if len(planes) > len(shown) else ""
    return Panel(caption + note, [_map(p, low, high) for p in shown])


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of every array and matrix in an answer, in field order."""
    if isinstance(value, EncodedArray):
        yield path, value
    elif isinstance(value, BaseModel):
        label = getattr(value, "id", None) or getattr(value, "layer", None)
        named = f"{path} ({label})" if isinstance(label, str) and path else path
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), f"{named}.{name}" if named else name)
    elif isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        if all(isinstance(x, int | float) for row in value for x in row):
            yield path, np.array(value, dtype=np.float64)
    elif isinstance(value, list):
        for index, item in enumerate(value[:MOST_TILES]):
            yield from _walk(item, f"{path}[{index}]")


def panels(answer: BaseModel) -> list[Panel]:
    """The answer's arrays as captioned panels; (N, 2) points with a `labels` array
    beside them as a scatter."""
    found = list(_walk(answer, ""))
    arrays = {path: _values(v) if isinstance(v, EncodedArray) else v for path, v in found}
    labels = next((a for path, a in arrays.items() if path.endswith("labels")), None)
    drawn = []
    for path, array in arrays.items():
        if path.endswith("points") and array.ndim == 2 and array.shape[1] == 2:
            kept = labels if labels is not None and len(labels) == len(array) else None
            drawn.append(Panel(path, [_scatter(array, kept)]))
        elif not path.endswith("labels"):
            panel = _panels_of(array, path)
            if panel is not None:
                drawn.append(panel)
    return _merged(drawn)


def _merged(drawn: list[Panel]) -> list[Panel]:
    """Runs of one-tile panels from the items of one list (`wrong[0].input`,
    `wrong[1].input`, ...) as one panel of tiles side by side."""
    merged: list[Panel] = []
    keys: list[str] = []
    for panel in drawn:
        key = re.sub(r"\[\d+\]", "[]", panel.caption)
        single = len(panel.tiles) == 1 and key != panel.caption
        if single and merged and keys[-1] == key:
            merged[-1].tiles.append(panel.tiles[0])
            merged[-1].caption = key.replace("[]", f"[0 to {len(merged[-1].tiles) - 1}]", 1)
            continue
        merged.append(Panel(panel.caption, list(panel.tiles)))
        keys.append(key if single else "")
    return merged


def _layout(panel: Panel) -> tuple[int, int, list[tuple[int, int]]]:
    """A panel's width, height and each tile's place in it: a grid of tiles."""
    per_row = max(1, min(len(panel.tiles), ROW_WIDTH // (TILE + 2)))
    width = max(t.width for t in panel.tiles) + 2
    height = max(t.height for t in panel.tiles) + 2
    places = [((i % per_row) * width, CAPTION + (i // per_row) * height)
              for i in range(len(panel.tiles))]
    rows = math.ceil(len(panel.tiles) / per_row)
    return per_row * width, CAPTION + rows * height, places


def figure_png(answer: BaseModel, title: str) -> bytes:
    """The answer's panels, one under the other, under `title`, as PNG bytes."""
    drawn = panels(answer)
    font = ImageFont.load_default()
    laid = [_layout(p) for p in drawn]
    width = max([ROW_WIDTH // 2, *(w for w, _, _ in laid)]) + 2 * PAD
    height = 2 * PAD + 2 * CAPTION + sum(h + PAD for _, h, _ in laid)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), title, fill="black", font=font)
    if not drawn:
        draw.text((PAD, PAD + CAPTION), "this view holds no arrays to draw: see its JSON",
                  fill="dimgray", font=font)
    top = PAD + 2 * CAPTION
    for panel, (_, panel_height, places) in zip(drawn, laid, strict=True):
        draw.text((PAD, top), panel.caption, fill="dimgray", font=font)
        for tile, (x, y) in zip(panel.tiles, places, strict=True):
            image.paste(tile, (PAD + x, top + y))
        top += panel_height + PAD
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
