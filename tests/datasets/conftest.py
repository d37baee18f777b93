"""Every dataset test runs against an empty cache folder and no local-folder variables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
FOLDER_VARS = ("LAYERLAB_MNIST_DIR", "LAYERLAB_FASHION_MNIST_DIR", "LAYERLAB_CIFAR10_DIR")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(cache))
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))  # uploads outside a server
    monkeypatch.setattr("app.datasets.uploads._process_folder", None)
    for var in FOLDER_VARS:
        monkeypatch.delenv(var, raising=False)
    return cache


@pytest.fixture
def shared_mnist() -> Path:
    """The real MNIST t10k files shipped in ../shared/data/mnist (skip when absent)."""
    names = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    if not all((SHARED_MNIST / name).is_file() for name in names):
        pytest.skip(f"the real MNIST t10k files are not in {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture
def mnist_dir_if_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point $LAYERLAB_MNIST_DIR at the shared real files when they are there."""
    if SHARED_MNIST.is_dir():
        monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(SHARED_MNIST))


@pytest.fixture
def csv_upload() -> Callable[[str], str]:
    """Store CSV text as an upload in the isolated cache and return its id."""
    from app.datasets import save_upload

    def upload(text: str) -> str:
        return save_upload(text.encode("utf-8"))

    return upload
