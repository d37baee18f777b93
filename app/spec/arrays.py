"""Arrays on the wire: shape, dtype and the raw bytes in base64, never long JSON float
lists. Inspection answers, boundary events and user inputs all use it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

ArrayDType = Literal["float16", "float32", "uint8", "int64"]


class EncodedArray(BaseModel):
    """An n-d array: base64 of its C-order little-endian bytes."""

    model_config = {"frozen": True}

    shape: list[Annotated[int, Field(ge=0, le=2**31)]] = Field(
        max_length=8, description="Dimensions, C order.")
    dtype: ArrayDType = Field(description="Element type of `data`.")
    data: str = Field(description="Base64 of the elements' little-endian bytes.")
