"""An uploaded image folder as a dataset (app.datasets.image_zips stores it): each image
read with Pillow, turned grey or RGB, resized to a square side, scaled to [0, 1] and
split into train and test with a seed. The tensors of each (side, colour) are cached
beside the images, so a second run reads them at once."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from PIL import Image
from pydantic import Field

from app.datasets.base import Dataset, DatasetInfo, DatasetOptions, TensorData, register_dataset
from app.datasets.image_zips import ImageFolder, image_folder
from app.datasets.prep import SplitOptions, as_tensor_data, split_sizes, stratified_split
from app.datasets.uploads import UPLOAD_ID

DEFAULT_SIDES = (8, 64)  # the side taken from the data is kept within these


class ImageFolderOptions(SplitOptions):
    """Which upload, the images' side and colour, and the split."""

    upload_id: str = Field(pattern=UPLOAD_ID, description="The id the upload returned.",
                           json_schema_extra={"x-upload": "images"})
    side: int | None = Field(default=None, ge=4, le=256, description=(
        "Each image is resized to side x side pixels; default: the median shorter side of "
        "the images, within 8 to 64."))
    colour: Literal["auto", "grey", "rgb"] = Field(default="auto", description=(
        "grey: one channel; rgb: three; auto: rgb when any image is in colour."))


def _shape(folder: ImageFolder, options: ImageFolderOptions) -> tuple[int, int, int]:
    side = options.side or min(max(folder.side, DEFAULT_SIDES[0]), DEFAULT_SIDES[1])
    rgb = options.colour == "rgb" or (options.colour == "auto" and folder.colour)
    return (3 if rgb else 1, side, side)


@register_dataset
class Images(Dataset):
    name = "images"
    own = True
    description = ("Your own images, one folder per class (a zip of PNG or JPEG), resized "
                   "to a square.")
    Options: ClassVar[type[DatasetOptions]] = ImageFolderOptions

    def info(self, options: DatasetOptions) -> DatasetInfo:
        assert isinstance(options, ImageFolderOptions)
        folder = image_folder(options.upload_id)
        return DatasetInfo(
            name=self.name, description=self.description, tasks=("classification",),
            input_shape=_shape(folder, options), num_classes=len(folder.classes),
            class_names=folder.classes,
            splits=split_sizes(len(folder.images), options.test_fraction))

    def load(self, options: DatasetOptions) -> TensorData:
        assert isinstance(options, ImageFolderOptions)
        folder = image_folder(options.upload_id)
        info = self.info(options)
        x, y = _pixels(folder, info.input_shape)
        train, test = stratified_split(y, options.test_fraction, options.seed)
        return as_tensor_data(info, x[train], y[train], x[test], y[test])


def _pixels(folder: ImageFolder, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(N, C, side, side) float32 in [0, 1] and (N,) class ids, from the cache when it has
    them."""
    channels, side = shape[0], shape[1]
    cache = folder.folder / f"cache-{side}-{channels}.npz"
    if cache.is_file():
        with np.load(cache) as kept:
            return kept["x"], kept["y"]
    mode = "RGB" if channels == 3 else "L"
    x = np.empty((len(folder.images), channels, side, side), dtype=np.float32)
    for i, (_, name) in enumerate(folder.images):
        label = folder.images[i][0]
        with Image.open(folder.folder / str(label) / name) as image:
            pixels = np.asarray(image.convert(mode).resize((side, side), Image.Resampling.BILINEAR),
                                dtype=np.float32) / 255.0
        x[i] = pixels.reshape(side, side, channels).transpose(2, 0, 1)
    y = np.asarray([label for label, _ in folder.images], dtype=np.int64)
    part = cache.with_suffix(".part.npz")
    np.savez(part, x=x, y=y)
    part.replace(cache)
    return x, y
