"""MNIST and Fashion-MNIST from their original IDX files (gzip or raw).

Files come from the folder named by an environment variable when it is set
($LAYERLAB_MNIST_DIR, $LAYERLAB_FASHION_MNIST_DIR), else from the cache under
`data_dir()`, downloaded from the official mirrors when missing. Either way each
file's md5 is checked before it is parsed. No option names a path.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from app.datasets.base import (
    Dataset,
    DatasetError,
    DatasetInfo,
    DatasetOptions,
    TensorData,
    data_dir,
    register_dataset,
)
from app.datasets.download import fetch, md5_of
from app.datasets.prep import as_tensor_data

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
SMALL_TRAIN = 8000  # the *-10k sets: the first 8,000 t10k images train, the last 2,000 test


@dataclass
class IdxSource:
    """Where one family of IDX files lives. Mutable so tests can point `mirrors` elsewhere."""

    folder: str  # the cache folder under data_dir()
    env_var: str
    mirrors: tuple[str, ...]
    md5s: dict[str, str]
    class_names: tuple[str, ...]

    def directory(self) -> Path:
        """The folder the files are read from: the env variable's, else the cache."""
        custom = os.environ.get(self.env_var)
        return Path(custom) if custom else data_dir() / self.folder

    def missing(self, names: tuple[str, ...]) -> list[str]:
        """Files not yet on disk (they would have to be downloaded)."""
        return [name for name in names if not (self.directory() / name).is_file()]

    def path(self, name: str) -> Path:
        """A local, md5-checked copy of one file, downloaded into the cache if needed."""
        expected = self.md5s[name]
        if not os.environ.get(self.env_var):
            urls = [mirror + name for mirror in self.mirrors]
            return fetch(urls, expected, self.directory() / name)
        path = self.directory() / name
        if not path.is_file():
            raise DatasetError(f"{name} is missing from {path.parent} (set by ${self.env_var})")
        actual = md5_of(path)
        if actual != expected:
            raise DatasetError(f"{path} has md5 {actual}, expected {expected}: not the "
                               "official file, or a damaged copy")
        return path


MNIST = IdxSource(
    folder="mnist",
    env_var="LAYERLAB_MNIST_DIR",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    md5s={TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
          TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
          TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
          TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c"},
    class_names=tuple(str(d) for d in range(10)),
)
FASHION_MNIST = IdxSource(
    folder="fashion-mnist",
    env_var="LAYERLAB_FASHION_MNIST_DIR",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    md5s={TRAIN_IMAGES: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
          TRAIN_LABELS: "25c81989df183df01b3e8a0aad5dffbe",
          TEST_IMAGES: "bef4ecab320f06d8554ea6380940ec79",
          TEST_LABELS: "bb300cfdad3c16e7a12a480ee83cd310"},
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"),
)


def unpacked_path(path: Path) -> Path:
    """Where a gzip file's content is kept unpacked, named by the file, its size and its
    modification time (a file replaced by another is unpacked again)."""
    stat = path.stat()
    return (data_dir() / "unpacked"
            / f"{path.name.removesuffix('.gz')}-{stat.st_size}-{stat.st_mtime_ns}")


def _read_bytes(path: Path) -> bytes:
    """The IDX bytes of a file, gzip or raw. A gzip file's are kept unpacked under
    data_dir() after the first read: a worker process reads the digits in a few
    milliseconds instead of the 25 ms gzip takes (each run's worker is a new process)."""
    with contextlib.suppress(OSError):
        return unpacked_path(path).read_bytes()
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # not gzip: a raw IDX file
        return raw
    try:
        content = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{path}: damaged gzip data ({exc})") from None
    _keep_unpacked(path, content)
    return content


def _keep_unpacked(path: Path, content: bytes) -> None:
    """Write the unpacked copy (whole or not at all); a folder that cannot take it (full,
    read-only) only means the next read unpacks again."""
    target = unpacked_path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(content)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def parse_idx(path: Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (gzip or raw) into a read-only uint8 array.

    The header is magic 0x0000 0x08 <ndim>, then ndim big-endian uint32 sizes; the
    payload must hold exactly their product of bytes.
    """
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or not 1 <= raw[3] <= 4:
        raise DatasetError(f"{path}: not an IDX file of unsigned bytes "
                           f"(starts with {raw[:4].hex() or 'nothing'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated inside the IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected, actual = math.prod(dims), len(raw) - header
    if actual != expected:
        raise DatasetError(f"{path}: the header announces {expected:,} values {dims} but "
                           f"{actual:,} follow; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


@lru_cache(maxsize=8)
def _parse_pair(images: str, labels: str, md5s: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) and labels (N,) as uint8. Cached: the md5s in the key pin the content."""
    x, y = parse_idx(Path(images)), parse_idx(Path(labels))
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DatasetError(f"{images}: expected 28x28 images, found shape {x.shape}")
    if y.ndim != 1 or len(y) != len(x):
        raise DatasetError(f"{labels}: {y.shape} labels for {len(x):,} images in {images}")
    if len(y) and y.max() > 9:
        raise DatasetError(f"{labels}: label {y.max()} is out of range 0..9")
    return x, y


class _IdxDataset(Dataset):
    """One of the IDX image sets: full (60k/10k files) or small (t10k only, 8k/2k)."""

    source: ClassVar[IdxSource]
    small: ClassVar[bool]
    description: ClassVar[str]

    def files(self) -> tuple[str, ...]:
        both = (TEST_IMAGES, TEST_LABELS)
        return both if self.small else (TRAIN_IMAGES, TRAIN_LABELS, *both)

    def missing_files(self, options: DatasetOptions) -> list[str]:
        """The files that `load` would have to download."""
        return self.source.missing(self.files())

    def info(self, options: DatasetOptions) -> DatasetInfo:
        splits = {"train": SMALL_TRAIN, "test": 10_000 - SMALL_TRAIN} if self.small else {
            "train": 60_000, "test": 10_000}
        return DatasetInfo(
            name=self.name, description=self.description,
            tasks=("classification", "reconstruction"), input_shape=(1, 28, 28),
            num_classes=10, class_names=self.source.class_names, splits=splits,
        )

    def _split(self, images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
        paths = [self.source.path(images), self.source.path(labels)]
        md5s = (self.source.md5s[images], self.source.md5s[labels])
        return _parse_pair(str(paths[0]), str(paths[1]), md5s)

    def load(self, options: DatasetOptions) -> TensorData:
        x_test, y_test = self._split(TEST_IMAGES, TEST_LABELS)
        if self.small:
            x_train, y_train = x_test[:SMALL_TRAIN], y_test[:SMALL_TRAIN]
            x_test, y_test = x_test[SMALL_TRAIN:], y_test[SMALL_TRAIN:]
        else:
            x_train, y_train = self._split(TRAIN_IMAGES, TRAIN_LABELS)

        def images(x: np.ndarray) -> np.ndarray:
            return (x.astype(np.float32) / 255.0)[:, None]  # (N, 28, 28) -> (N, 1, 28, 28)

        return as_tensor_data(self.info(options), images(x_train), y_train, images(x_test),
                              y_test)


@register_dataset
class Mnist(_IdxDataset):
    name = "mnist"
    description = "MNIST handwritten digits: 60,000 train and 10,000 test images, 28x28."
    source = MNIST
    small = False


@register_dataset
class Mnist10k(_IdxDataset):
    name = "mnist-10k"
    description = "The 10,000 MNIST test digits alone: the first 8,000 train, the last 2,000 test."
    source = MNIST
    small = True


@register_dataset
class FashionMnist(_IdxDataset):
    name = "fashion-mnist"
    description = "Zalando's Fashion-MNIST: 10 kinds of clothing, 60,000 + 10,000 images, 28x28."
    source = FASHION_MNIST
    small = False


@register_dataset
class FashionMnist10k(_IdxDataset):
    name = "fashion-mnist-10k"
    description = "The 10,000 Fashion-MNIST test images alone: 8,000 train, 2,000 test."
    source = FASHION_MNIST
    small = True
