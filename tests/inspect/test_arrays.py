"""Arrays and images on the wire: exact round trips and clear refusals."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from app.inspect import InspectError, decode, encode, from_png
from app.inspect.arrays import to_png
from app.spec.arrays import EncodedArray


@pytest.mark.parametrize("dtype", ["float16", "float32", "uint8", "int64"])
def test_round_trip(dtype: str) -> None:
    t = torch.arange(24).reshape(2, 3, 4)
    array = encode(t, dtype)  # type: ignore[arg-type]
    assert array.shape == [2, 3, 4] and array.dtype == dtype
    assert torch.equal(decode(array).long(), t)


def test_float16_saturates_instead_of_overflowing() -> None:
    array = encode(torch.tensor([1e9, -1e9, float("nan"), 0.5]))
    values = np.frombuffer(base64.b64decode(array.data), dtype="<f2")
    assert values[:2].tolist() == [65504.0, -65504.0]
    assert np.isnan(values[2]) and values[3] == 0.5
    with pytest.raises(InspectError, match="NaN"):  # an input must be finite
        decode(array)


def test_bad_arrays_are_refused() -> None:
    good = encode(torch.zeros(4))
    with pytest.raises(InspectError, match="8 bytes, but shape \\[2, 4\\] of float16 needs 16"):
        decode(good.model_copy(update={"shape": [2, 4]}))
    with pytest.raises(InspectError, match="base64"):
        decode(EncodedArray(shape=[1], dtype="uint8", data="***"))
    with pytest.raises(InspectError, match="elements"):
        decode(EncodedArray(shape=[10_000, 10_000], dtype="uint8", data=""))


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_drawn_digit_becomes_an_input() -> None:
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))  # transparent, white ink
    for x in range(120, 160):
        for y in range(40, 240):
            canvas.putpixel((x, y), (255, 255, 255, 255))
    x = from_png("data:image/png;base64," + _png(canvas), (1, 28, 28))
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert x[0, 14, 14] > 0.9 and x[0, 14, 2] == 0 and x.max() <= 1


def test_png_round_trip_and_refusals() -> None:
    image = torch.rand(3, 5, 7)
    decoded = from_png(to_png(image), (3, 5, 7))
    assert torch.allclose(decoded, image, atol=1 / 255)
    with pytest.raises(InspectError, match="not a readable"):
        from_png(base64.b64encode(b"not a png").decode(), (1, 28, 28))
    with pytest.raises(InspectError, match="input shaped"):
        from_png(to_png(image), (2,))
