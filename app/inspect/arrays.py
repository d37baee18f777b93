"""Tensors to and from the wire: `EncodedArray` (base64 bytes) and PNG images."""

from __future__ import annotations

import base64
import io
import math
import warnings

import numpy as np
import torch
from PIL import Image

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


def decode(array: EncodedArray) -> torch.Tensor:
    """An EncodedArray as a float32 (or int64) tensor; raises InspectError when its
    bytes don't match its shape."""
    count = math.prod(array.shape)
    if count > MAX_INPUT_ELEMENTS:
        raise InspectError(f"the array has {count} elements; at most {MAX_INPUT_ELEMENTS}")
    try:
        raw = base64.b64decode(array.data, validate=True)
    except ValueError:
        raise InspectError("data: not valid base64") from None
    kind = np.dtype(array.dtype).newbyteorder("<")
    if len(raw) != count * kind.itemsize:
        raise InspectError(f"data: {len(raw)} bytes, but shape {array.shape} of {array.dtype} "
                           f"needs {count * kind.itemsize}")
    values = np.frombuffer(raw, dtype=kind).reshape(array.shape)
    if array.dtype == "int64":
        return torch.from_numpy(values.astype(np.int64))
    if not np.isfinite(values).all():
        raise InspectError("data: the array holds NaN or infinite values")
    return torch.from_numpy(values.astype(np.float32))


def to_png(image: torch.Tensor) -> str:
    """A (H, W) or (3, H, W) image with values in [0, 1] as base64 PNG."""
    pixels = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    if pixels.dim() == 3:
        pixels = pixels.permute(1, 2, 0)  # (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels.numpy()).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def from_png(data: str, shape: tuple[int, ...]) -> torch.Tensor:
    """A base64 PNG (or data URL) as an input of `shape` = (C, H, W), values in [0, 1]:
    resized to HxW, grey for one channel (a transparent drawing counts as its ink)."""
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise InspectError(f"an image fits only an input shaped (1 or 3, H, W), not {shape}")
    _, comma, payload = data.partition(",")
    try:
        raw = base64.b64decode(payload if comma else data, validate=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw))  # reads the header only
            pixels = image.width * image.height
            if pixels <= MAX_INPUT_ELEMENTS:
                image.load()
    except Image.DecompressionBombError:
        raise InspectError(f"png: too large; at most {MAX_INPUT_ELEMENTS} pixels") from None
    except (ValueError, OSError):
        raise InspectError("png: not a readable base64 PNG image") from None
    if pixels > MAX_INPUT_ELEMENTS:
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
