"""MNIST-family loading from IDX files: local folders, the download path, corrupt files."""

from __future__ import annotations

import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from app.datasets import DatasetError, data_dir, describe_dataset, idx, load_dataset, md5_of
from app.datasets.idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, parse_idx


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    """Write a uint8 array in IDX format (gzip unless told otherwise)."""
    raw = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def test_mnist_10k_from_the_shared_folder(
    shared_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(shared_mnist))
    data = load_dataset("mnist-10k")
    assert data.x_train.shape == (8000, 1, 28, 28) and data.x_test.shape == (2000, 1, 28, 28)
    assert data.y_train.shape == (8000,) and data.y_test.shape == (2000,)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    for labels, n in ((data.y_train, 8000), (data.y_test, 2000)):
        counts = torch.bincount(labels, minlength=10)
        assert len(counts) == 10 and counts.min() > 0.07 * n and counts.max() < 0.13 * n
    info = data.info
    assert info.class_names == tuple("0123456789") and info.splits == {"train": 8000, "test": 2000}
    assert not (data_dir() / "mnist").exists()  # a local folder is read in place


def test_mnist_10k_downloads_through_its_mirrors(
    shared_mnist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken-mirror"
    broken.mkdir()
    (broken / TEST_LABELS).write_bytes(b"wrong")
    monkeypatch.setattr(idx.MNIST, "mirrors", (broken.as_uri() + "/", shared_mnist.as_uri() + "/"))
    data = load_dataset("mnist-10k")
    assert len(data.x_train) == 8000
    cached = data_dir() / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == [TEST_IMAGES, TEST_LABELS]
    assert md5_of(cached / TEST_LABELS) == idx.MNIST.md5s[TEST_LABELS]


def test_full_mnist_loader_reads_train_and_test_files(
    shared_mnist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real 60k files are not available offline: serve small stand-ins whose md5s
    # replace the official ones, beside the real t10k files.
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    rng = np.random.default_rng(0)
    write_idx(mirror / TRAIN_IMAGES, rng.integers(0, 256, (30, 28, 28)))
    write_idx(mirror / TRAIN_LABELS, np.arange(30) % 10)
    for name in (TEST_IMAGES, TEST_LABELS):
        shutil.copy(shared_mnist / name, mirror / name)
    md5s = {**idx.MNIST.md5s, TRAIN_IMAGES: md5_of(mirror / TRAIN_IMAGES),
            TRAIN_LABELS: md5_of(mirror / TRAIN_LABELS)}
    monkeypatch.setattr(idx.MNIST, "md5s", md5s)
    monkeypatch.setattr(idx.MNIST, "mirrors", (mirror.as_uri() + "/",))
    data = load_dataset("mnist")
    assert data.x_train.shape == (30, 1, 28, 28) and data.x_test.shape == (10_000, 1, 28, 28)
    assert data.y_train.tolist() == [i % 10 for i in range(30)]
    assert describe_dataset("mnist").splits == {"train": 60_000, "test": 10_000}


def test_fashion_mnist_knows_its_classes() -> None:
    info = describe_dataset("fashion-mnist-10k")
    assert info.class_names is not None and info.class_names[0] == "T-shirt/top"
    assert info.class_names[-1] == "Ankle boot" and len(info.class_names) == 10


def test_a_wrong_file_in_the_local_folder_is_refused(
    shared_mnist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(shared_mnist / TEST_LABELS, tmp_path / TEST_LABELS)
    raw = (shared_mnist / TEST_IMAGES).read_bytes()
    (tmp_path / TEST_IMAGES).write_bytes(raw[: len(raw) // 2])  # truncated
    monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match=f"{TEST_IMAGES} has md5"):
        load_dataset("mnist-10k")
    (tmp_path / TEST_IMAGES).unlink()
    with pytest.raises(DatasetError, match=f"{TEST_IMAGES} is missing .*LAYERLAB_MNIST_DIR"):
        load_dataset("mnist-10k")


def test_parse_gzip_and_raw(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for compress in (True, False):
        path = write_idx(tmp_path / f"a{compress}", array, compress)
        assert np.array_equal(parse_idx(path), array)


def test_truncated_gzip_names_the_file(shared_mnist: Path, tmp_path: Path) -> None:
    raw = (shared_mnist / TEST_LABELS).read_bytes()
    path = tmp_path / TEST_LABELS
    path.write_bytes(raw[:-100])
    with pytest.raises(DatasetError, match=TEST_LABELS):
        parse_idx(path)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"", "not an IDX file"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00" * 4, "not an IDX file"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 5), "truncated inside the IDX header"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x01" * 7, "truncated or corrupt"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x01" * 9, "truncated or corrupt"),
    ],
)
def test_corrupt_idx_raises(tmp_path: Path, payload: bytes, problem: str) -> None:
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(payload)
    with pytest.raises(DatasetError, match=problem) as caught:
        parse_idx(path)
    assert "broken-idx1-ubyte" in str(caught.value)


def test_mismatched_images_and_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_idx(tmp_path / TEST_IMAGES, np.zeros((10, 28, 28)))
    write_idx(tmp_path / TEST_LABELS, np.zeros(9))
    md5s = {name: md5_of(tmp_path / name) for name in (TEST_IMAGES, TEST_LABELS)}
    monkeypatch.setattr(idx.MNIST, "md5s", {**idx.MNIST.md5s, **md5s})
    monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match=r"\(9,\) labels for 10 images"):
        load_dataset("mnist-10k")


def test_a_gzip_file_is_kept_unpacked_and_unpacked_again_when_replaced(
        tmp_path: Path) -> None:
    path = write_idx(tmp_path / "digits-idx3-ubyte.gz", np.arange(24).reshape(2, 3, 4))
    first = parse_idx(path)
    unpacked = idx.unpacked_path(path)
    assert unpacked.parent == data_dir() / "unpacked" and unpacked.is_file()
    assert np.array_equal(parse_idx(path), first)  # read from the unpacked copy
    write_idx(path, np.full((1, 2, 2), 7))  # another file in its place
    assert idx.unpacked_path(path) != unpacked
    assert parse_idx(path).tolist() == [[[7, 7], [7, 7]]]


def test_a_folder_that_cannot_keep_the_copy_only_unpacks_each_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(blocked))
    path = write_idx(tmp_path / "digits-idx3-ubyte.gz", np.ones((1, 2, 2)))
    assert parse_idx(path).tolist() == [[[1, 1], [1, 1]]]
    assert parse_idx(path).tolist() == [[[1, 1], [1, 1]]]
