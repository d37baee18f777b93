"""Tensors to and from the wire: `EncodedArray` (base64 bytes) and PNG images."""

from __future__ import annotations

import base64
import io
import math
import warnings

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from app.spec.arrays import ArrayDType, EncodedArray

FLOAT16_MAX = 65504.0
MAX_INPUT_ELEMENTS = 4_000_000  # a user's input array or image, decoded


class InspectError(ValueError):
    """A view cannot be made as asked (bad layer, sample, input or option)."""


def encode(t: torch.Tensor, dtype: ArrayDType = "float16") -> EncodedArray:
    """`t` as an EncodedArray. float16 values are clamped to its range (NaN stays NaN)."""
    t = t.detach().to("cpu")
    if dtype == "float16":
        t = t.float().clamp(-FLOAT16_MAX, FLOAT16_MAX)
    array = t.numpy().astype(np.dtype(dtype).newbyteorder("<"), copy=False)
    return EncodedArray(shape=list(array.shape), dtype=dtype,
                        data=base64.b64encode(np.ascontiguousarray(array).tobytes()).decode())


def decode(array: EncodedArray, expected: tuple[int, ...] | None = None) -> torch.Tensor:
    """An EncodedArray as a float32 (or int64) tensor; raises InspectError when its shape
    is not `expected` (the network's input) or its bytes don't match its shape. The shape
    is checked before anything is decoded or allocated: a shape with a zero among huge
    dimensions holds no elements, yet numpy refuses to build it."""
    if expected is not None and tuple(array.shape) != expected:
        raise InspectError(f"array.shape: the array has shape {tuple(array.shape)} but the "
                           f"network takes {expected}")
    count = math.prod(array.shape)
    if count > MAX_INPUT_ELEMENTS:
        raise InspectError(f"array.shape: {count} elements; at most {MAX_INPUT_ELEMENTS}")
    kind = np.dtype(array.dtype).newbyteorder("<")
    needed = count * kind.itemsize
    if len(array.data) > 4 * (needed // 3 + 1) + 4:  # base64 of `needed` bytes, plus padding
        raise InspectError(f"array.data: longer than the {needed} bytes shape {array.shape} "
                           f"of {array.dtype} needs")
    try:
        raw = base64.b64decode(array.data, validate=True)
    except ValueError:
        raise InspectError("array.data: not valid base64") from None
    if len(raw) != needed:
        raise InspectError(f"array.data: {len(raw)} bytes, but shape {array.shape} of "
                           f"{array.dtype} needs {needed}")
    values = np.frombuffer(raw, dtype=kind).reshape(array.shape)
    if array.dtype == "int64":
        return torch.from_numpy(values.astype(np.int64))
    if not np.isfinite(values).all():
        raise InspectError("array.data: the array holds NaN or infinite values")
    return torch.from_numpy(values.astype(np.float32))


def to_png(image: torch.Tensor) -> str:
    """A (H, W) or (3, H, W) image with values in [0, 1] as base64 PNG."""
    pixels = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    if pixels.dim() == 3:
        pixels = pixels.permute(1, 2, 0)  # (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels.numpy()).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _open_png(data: str) -> Image.Image:
    """The decoded PNG of a base64 string (or data URL), loaded unless it is too large.
    Only PNG is read: the field says PNG, and every other format Pillow knows (GIF, JPEG,
    TIFF, BMP...) would widen what a request can make the server parse."""
    _, comma, payload = data.partition(",")
    try:
        raw = base64.b64decode(payload if comma else data, validate=True)
    except ValueError:
        raise InspectError("png: not a readable base64 PNG image") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw), formats=["PNG"])  # header only
            if image.width * image.height <= MAX_INPUT_ELEMENTS:
                image.load()
    except Image.DecompressionBombError:
        raise InspectError(f"png: too large; at most {MAX_INPUT_ELEMENTS} pixels") from None
    except UnidentifiedImageError:
        raise InspectError("png: not a readable PNG image; only PNG is accepted") from None
    except (ValueError, OSError):
        raise InspectError("png: not a readable PNG image") from None
    if image.format != "PNG":  # a second lock, should a plugin claim a PNG's bytes
        raise InspectError(f"png: a {image.format} image; only PNG is accepted")
    return image


def from_png(data: str, shape: tuple[int, ...]) -> torch.Tensor:
    """A base64 PNG (or data URL) as an input of `shape` = (C, H, W), values in [0, 1]:
    resized to HxW, grey for one channel (a transparent drawing counts as its ink)."""
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise InspectError(f"an image fits only an input shaped (1 or 3, H, W), not {shape}")
    image = _open_png(data)
    if image.width * image.height > MAX_INPUT_ELEMENTS:
        raise InspectError(f"png: {image.width}x{image.height} pixels is too large; at most "
                           f"{MAX_INPUT_ELEMENTS}")
    channels, height, width = shape
    if image.mode in ("RGBA", "LA"):  # ink drawn on a transparent canvas
        backdrop = Image.new("RGBA", image.size, (0, 0, 0, 255))
        image = Image.alpha_composite(backdrop, image.convert("RGBA"))
    image = image.convert("L" if channels == 1 else "RGB").resize((width, height),
                                                                  Image.Resampling.BILINEAR)
    values = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)
    return values[None] if channels == 1 else values.permute(2, 0, 1).contiguous()
