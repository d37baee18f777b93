"""CIFAR-10 binary records: round trip, size checks, and the archive path."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from app.datasets import DatasetError, cifar, data_dir, describe_dataset, load_dataset, md5_of

PER_FILE = 20


def write_batches(folder: Path, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Six small .bin files of PER_FILE records each; returns what went into each."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name in cifar.ALL_FILES:
        labels = rng.integers(0, 10, PER_FILE, dtype=np.uint8)
        images = rng.integers(0, 256, (PER_FILE, 3, 32, 32), dtype=np.uint8)
        records = np.concatenate([labels[:, None], images.reshape(PER_FILE, -1)], axis=1)
        (folder / name).write_bytes(records.tobytes())
        written[name] = (images, labels)
    return written


def test_round_trip_from_a_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = write_batches(tmp_path / "bins")
    monkeypatch.setenv("LAYERLAB_CIFAR10_DIR", str(tmp_path / "bins"))
    info = describe_dataset("cifar10")
    assert info.splits == {"train": 5 * PER_FILE, "test": PER_FILE}
    data = load_dataset("cifar10")
    assert data.x_train.shape == (5 * PER_FILE, 3, 32, 32) and data.x_train.dtype == torch.float32
    first_images, first_labels = written["data_batch_1.bin"]
    assert torch.equal(data.x_train[:PER_FILE] * 255, torch.from_numpy(first_images).float())
    assert data.y_train[:PER_FILE].tolist() == first_labels.tolist()
    test_images, test_labels = written["test_batch.bin"]
    assert torch.equal(data.x_test * 255, torch.from_numpy(test_images).float())
    assert data.y_test.tolist() == test_labels.tolist()
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    assert info.class_names is not None and info.class_names[0] == "airplane"


def test_wrong_size_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_batches(tmp_path)
    with (tmp_path / "data_batch_3.bin").open("ab") as stream:
        stream.write(b"\x00" * 5)
    monkeypatch.setenv("LAYERLAB_CIFAR10_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match=r"data_batch_3\.bin: 61,465 bytes is not a whole"):
        load_dataset("cifar10")


def test_bad_label_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_batches(tmp_path)
    raw = bytearray((tmp_path / "test_batch.bin").read_bytes())
    raw[cifar.RECORD] = 12  # the second record's label
    (tmp_path / "test_batch.bin").write_bytes(bytes(raw))
    monkeypatch.setenv("LAYERLAB_CIFAR10_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="label 12 is out of range"):
        load_dataset("cifar10")


def test_missing_files_in_a_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_batches(tmp_path)
    (tmp_path / "data_batch_5.bin").unlink()
    monkeypatch.setenv("LAYERLAB_CIFAR10_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match=r"data_batch_5\.bin missing .*LAYERLAB_CIFAR10_DIR"):
        load_dataset("cifar10")


def make_archive(path: Path, source: Path, extra: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name in cifar.ALL_FILES:
            tar.add(source / name, arcname=f"{cifar.ARCHIVE_DIR}/{name}")
        for name, payload in extra.items():
            member = tarfile.TarInfo(name)
            member.size = len(payload)
            tar.addfile(member, io.BytesIO(payload))
    return path


def test_download_extracts_only_the_expected_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batches(tmp_path / "src")
    extra = {f"{cifar.ARCHIVE_DIR}/readme.html": b"<html/>", "../escape.txt": b"x"}
    archive = make_archive(tmp_path / "cifar.tar.gz", tmp_path / "src", extra)
    monkeypatch.setattr(cifar, "ARCHIVE_URLS", [archive.as_uri()])
    monkeypatch.setattr(cifar, "ARCHIVE_MD5", md5_of(archive))
    data = load_dataset("cifar10")
    assert len(data.x_train) == 5 * PER_FILE
    cache = data_dir() / "cifar-10"
    assert sorted(p.name for p in cache.iterdir()) == [cifar.ARCHIVE_DIR]
    assert sorted(p.name for p in (cache / cifar.ARCHIVE_DIR).iterdir()) == sorted(
        cifar.ALL_FILES)
    assert not (data_dir() / "escape.txt").exists()


def test_an_archive_without_the_batches_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "empty.tar.gz"
    with tarfile.open(archive, "w:gz"):
        pass
    monkeypatch.setattr(cifar, "ARCHIVE_URLS", [archive.as_uri()])
    monkeypatch.setattr(cifar, "ARCHIVE_MD5", md5_of(archive))
    with pytest.raises(DatasetError, match=r"no cifar-10-batches-bin/data_batch_1\.bin"):
        load_dataset("cifar10")


def test_wrong_archive_checksum_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "other.tar.gz"
    archive.write_bytes(b"not an archive")
    monkeypatch.setattr(cifar, "ARCHIVE_URLS", [archive.as_uri()])
    with pytest.raises(DatasetError, match=cifar.ARCHIVE_MD5):
        load_dataset("cifar10")
