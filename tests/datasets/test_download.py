"""fetch(): mirrors in order, md5 checked, atomic, nothing partial left behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.datasets import DatasetError, data_dir, fetch, md5_of
from app.datasets import download as download_module

LABELS = "t10k-labels-idx1-ubyte.gz"
LABELS_MD5 = "ec29112dd5afa0611ce80d1b7f02629c"


def mirror(folder: Path) -> str:
    return folder.as_uri() + "/"


@pytest.fixture
def wrong_mirror(tmp_path: Path) -> Path:
    """A mirror whose copy of the labels file is not the real one."""
    folder = tmp_path / "wrong-mirror"
    folder.mkdir()
    (folder / LABELS).write_bytes(b"not the labels you are looking for")
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_from_a_file_mirror_into_the_cache(shared_mnist: Path) -> None:
    dest = data_dir() / "mnist" / LABELS
    got = fetch([mirror(shared_mnist) + LABELS], LABELS_MD5, dest)
    assert got == dest and md5_of(dest) == LABELS_MD5
    assert leftovers(dest.parent) == [LABELS]


def test_second_fetch_does_not_download_again(
    shared_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = data_dir() / "mnist" / LABELS
    fetch([mirror(shared_mnist) + LABELS], LABELS_MD5, dest)

    def no_download(*args: object) -> str:
        raise AssertionError("fetched again")

    monkeypatch.setattr(download_module, "_download", no_download)
    assert fetch([mirror(shared_mnist) + LABELS], LABELS_MD5, dest) == dest


def test_falls_back_to_the_next_mirror(shared_mnist: Path, wrong_mirror: Path) -> None:
    dest = data_dir() / "mnist" / LABELS
    missing = mirror(wrong_mirror.parent / "no-such-mirror") + LABELS
    fetch([missing, mirror(wrong_mirror) + LABELS, mirror(shared_mnist) + LABELS],
          LABELS_MD5, dest)
    assert md5_of(dest) == LABELS_MD5 and leftovers(dest.parent) == [LABELS]


def test_a_damaged_cached_copy_is_replaced(shared_mnist: Path) -> None:
    dest = data_dir() / "mnist" / LABELS
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"half a file")
    fetch([mirror(shared_mnist) + LABELS], LABELS_MD5, dest)
    assert md5_of(dest) == LABELS_MD5


def test_mismatch_everywhere_raises_and_leaves_nothing(wrong_mirror: Path) -> None:
    dest = data_dir() / "mnist" / LABELS
    wrong_md5 = md5_of(wrong_mirror / LABELS)
    with pytest.raises(DatasetError) as caught:
        fetch([mirror(wrong_mirror) + LABELS, mirror(wrong_mirror) + LABELS], LABELS_MD5, dest)
    message = str(caught.value)
    assert LABELS in message and LABELS_MD5 in message and wrong_md5 in message
    assert leftovers(dest.parent) == []


def test_unsupported_scheme_is_skipped(shared_mnist: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / LABELS
    with pytest.raises(DatasetError, match="unsupported URL scheme 'ftp'"):
        fetch(["ftp://example.invalid/" + LABELS], LABELS_MD5, dest)
    shutil.rmtree(dest.parent)
    fetch(["ftp://example.invalid/" + LABELS, mirror(shared_mnist) + LABELS], LABELS_MD5, dest)
    assert dest.is_file()
