"""Convolution, pooling and upsampling layers (channels-first shapes)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from app.spec.base import ActivationName, Category, LayerSpecBase, Pair
from app.spec.layers.weights import Conv1dWeights, Conv2dWeights

Kernel = Annotated[int, Field(ge=1, le=31)]
Stride = Annotated[int, Field(ge=1, le=16)]
Pad = Annotated[int, Field(ge=0, le=64)]
Kernel2d = Kernel | Pair[Kernel]
Stride2d = Stride | Pair[Stride]
Padding = Literal["valid", "same"] | Pad

_PADDING_DOC = (
    "'valid' (no padding), 'same' (output keeps the input size, divided by the stride) "
    "or a number of zeros added on each side."
)


class _ConvBase(LayerSpecBase):
    category: ClassVar[Category] = "convolution"
    filters: int = Field(ge=1, le=4096, description="Number of output channels (filters).")
    padding: Padding = Field(default="valid", description=_PADDING_DOC)
    dilation: Stride = Field(default=1, description="Spacing between kernel taps.")
    groups: int = Field(
        default=1, ge=1, le=4096, description="Channel groups; in and out channels must divide."
    )
    activation: ActivationName | None = Field(
        default=None, description="Activation applied to the output; none means linear."
    )
    use_bias: bool = Field(default=True, description="Add a learned bias per filter.")


class Conv1dSpec(_ConvBase):
    """1-D convolution over (channels, length) inputs."""

    type: Literal["conv1d"] = "conv1d"
    kernel_size: Kernel = Field(default=3, description="Kernel length.")
    stride: Stride = Field(default=1, description="Step between kernel positions.")
    weights: Conv1dWeights | None = Field(default=None, description=(
        "Start from these values instead of random ones (they still train unless "
        "trainable is false)."))


class Conv2dSpec(_ConvBase):
    """2-D convolution over (channels, height, width) images."""

    type: Literal["conv2d"] = "conv2d"
    kernel_size: Kernel2d = Field(default=3, description="Kernel size: k or [kh, kw].")
    stride: Stride2d = Field(default=1, description="Step between kernel positions.")
    weights: Conv2dWeights | None = Field(default=None, description=(
        "Start from these values instead of random ones, e.g. a kernel set by hand (they "
        "still train unless trainable is false)."))


class ConvTranspose2dSpec(LayerSpecBase):
    """Transposed ("up") convolution: grows the image, as in decoders and GANs."""

    category: ClassVar[Category] = "convolution"
    type: Literal["conv_transpose2d"] = "conv_transpose2d"
    filters: int = Field(ge=1, le=4096, description="Number of output channels.")
    kernel_size: Kernel2d = Field(default=3, description="Kernel size: k or [kh, kw].")
    stride: Stride2d = Field(default=1, description="Upsampling factor.")
    padding: Pad = Field(default=0, description="Zeros removed from each side of the output.")
    output_padding: Annotated[int, Field(ge=0, le=15)] = Field(
        default=0, description="Extra rows/columns added on one side (must be < stride)."
    )
    activation: ActivationName | None = Field(
        default=None, description="Activation applied to the output; none means linear."
    )
    use_bias: bool = Field(default=True, description="Add a learned bias per filter.")


class _PoolBase(LayerSpecBase):
    category: ClassVar[Category] = "convolution"
    pool_size: Kernel = Field(default=2, description="Window size.")
    stride: Stride | None = Field(default=None, description="Window step; default: pool_size.")
    padding: Pad = Field(default=0, description="Zeros added on each side.")


class MaxPool1dSpec(_PoolBase):
    """Keeps the largest value in each window along the length."""

    type: Literal["maxpool1d"] = "maxpool1d"


class MaxPool2dSpec(_PoolBase):
    """Keeps the largest value in each 2-D window: halves the image with size 2."""

    type: Literal["maxpool2d"] = "maxpool2d"


class AvgPool2dSpec(_PoolBase):
    """Averages each 2-D window."""

    type: Literal["avgpool2d"] = "avgpool2d"


class GlobalAvgPool2dSpec(LayerSpecBase):
    """Averages each channel over the whole image: (C, H, W) to (C,)."""

    category: ClassVar[Category] = "convolution"
    type: Literal["global_avgpool2d"] = "global_avgpool2d"


class GlobalMaxPool2dSpec(LayerSpecBase):
    """Keeps each channel's largest value over the whole image: (C, H, W) to (C,)."""

    category: ClassVar[Category] = "convolution"
    type: Literal["global_maxpool2d"] = "global_maxpool2d"


class Upsample2dSpec(LayerSpecBase):
    """Enlarges the image by repeating (nearest) or interpolating (bilinear) pixels."""

    category: ClassVar[Category] = "convolution"
    type: Literal["upsample2d"] = "upsample2d"
    scale_factor: Annotated[int, Field(ge=1, le=16)] = Field(
        default=2, description="How many times larger each side gets."
    )
    mode: Literal["nearest", "bilinear"] = Field(
        default="nearest", description="How new pixels are filled."
    )
