"""CIFAR-10 from its binary version (never the pickled one).

Each .bin file is a run of 3,073-byte records: one label byte, then a 3x32x32 image
stored channels-first (1,024 red, 1,024 green, 1,024 blue bytes, row by row).
$LAYERLAB_CIFAR10_DIR may point at a folder holding the six .bin files; otherwise
the archive is downloaded into the cache, checked, and its six files extracted.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path

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
from app.datasets.download import fetch
from app.datasets.prep import as_tensor_data

ENV_VAR = "LAYERLAB_CIFAR10_DIR"
ARCHIVE_URLS = ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
ARCHIVE_DIR = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
ALL_FILES = (*TRAIN_FILES, TEST_FILE)
RECORD = 1 + 3 * 32 * 32
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def batches_dir() -> Path:
    """The folder holding the .bin files: $LAYERLAB_CIFAR10_DIR, else the cache."""
    custom = os.environ.get(ENV_VAR)
    return Path(custom) if custom else data_dir() / "cifar-10" / ARCHIVE_DIR


def _ensure_files() -> Path:
    """The folder of the six .bin files, downloading and extracting them when needed."""
    folder = batches_dir()
    missing = [name for name in ALL_FILES if not (folder / name).is_file()]
    if not missing:
        return folder
    if os.environ.get(ENV_VAR):
        raise DatasetError(f"{', '.join(missing)} missing from {folder} (set by ${ENV_VAR})")
    archive = fetch(list(ARCHIVE_URLS), ARCHIVE_MD5, folder.parent / "cifar-10-binary.tar.gz")
    # Extract beside the cache and move the folder in whole: an interrupted extraction
    # never leaves a half-written .bin where the next run would trust it.
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder.parent))
    try:
        extract(archive, staging)
        if folder.exists():
            shutil.rmtree(folder)  # an incomplete earlier copy in the cache
        os.replace(staging / ARCHIVE_DIR, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    archive.unlink()  # the .bin files came from the checked archive; they are all we read
    return folder


def extract(archive: Path, dest: Path) -> None:
    """Extract only the six expected regular files, with tarfile's "data" safety filter."""
    wanted = {f"{ARCHIVE_DIR}/{name}" for name in ALL_FILES}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
            missing = wanted - {m.name for m in members}
            if missing:
                raise DatasetError(f"{archive}: no {', '.join(sorted(missing))} inside")
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DatasetError(f"{archive}: cannot extract ({exc})") from None


@lru_cache(maxsize=6)
def _read_cached(path: str, size: int, mtime_ns: int) -> tuple[np.ndarray, np.ndarray]:
    p = Path(path)
    if size == 0 or size % RECORD:
        raise DatasetError(f"{p}: {size:,} bytes is not a whole number of {RECORD:,}-byte "
                           "CIFAR-10 records (is it truncated, or the pickled version?)")
    records = np.fromfile(p, dtype=np.uint8).reshape(-1, RECORD)  # (N, 1 + 3072)
    labels = records[:, 0].copy()
    if labels.max() > 9:
        raise DatasetError(f"{p}: label {labels.max()} is out of range 0..9")
    images = records[:, 1:].reshape(-1, 3, 32, 32)  # (N, C, H, W) exactly as stored
    images.setflags(write=False)  # shared by every later load
    labels.setflags(write=False)
    return images, labels


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) uint8 of one .bin file (cached)."""
    stat = path.stat()
    return _read_cached(str(path), stat.st_size, stat.st_mtime_ns)


def _read_all(folder: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    parts = [read_batch(folder / name) for name in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@register_dataset
class Cifar10(Dataset):
    """CIFAR-10: 60,000 colour images of 32x32 pixels in 10 classes."""

    name = "cifar10"

    def missing_files(self, options: DatasetOptions) -> list[str]:
        """The files that `load` would have to download."""
        return [name for name in ALL_FILES if not (batches_dir() / name).is_file()]

    def info(self, options: DatasetOptions) -> DatasetInfo:
        # Only file sizes are read, so a folder of smaller files reports its real counts.
        folder = batches_dir()
        counts = {}
        for split, names in (("train", TRAIN_FILES), ("test", (TEST_FILE,))):
            paths = [folder / name for name in names]
            if all(p.is_file() for p in paths):
                counts[split] = sum(p.stat().st_size // RECORD for p in paths)
            else:
                counts[split] = 10_000 * len(names)
        return DatasetInfo(
            name=self.name,
            description="CIFAR-10: 50,000 + 10,000 colour photos, 32x32, in 10 classes.",
            tasks=("classification", "reconstruction"), input_shape=(3, 32, 32),
            num_classes=10, class_names=CLASS_NAMES, splits=counts,
        )

    def load(self, options: DatasetOptions) -> TensorData:
        folder = _ensure_files()
        x_train, y_train = _read_all(folder, TRAIN_FILES)
        x_test, y_test = _read_all(folder, (TEST_FILE,))
        return as_tensor_data(
            self.info(options), x_train.astype(np.float32) / 255.0, y_train,
            x_test.astype(np.float32) / 255.0, y_test,
        )
