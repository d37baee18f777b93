"""Contract tests run against every registered dataset."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import torch

from app.datasets import (
    DATASETS,
    DatasetError,
    DatasetInfo,
    TensorData,
    describe_dataset,
    get_dataset,
    load_dataset,
    preview,
)

IRIS_LIKE_CSV = "a,b,colour,label\n" + "".join(
    f"{i * 0.5},{i % 7},{'red' if i % 3 else 'blue'},{'yes' if i % 2 else 'no'}\n"
    for i in range(30)
)


def example_options(name: str, upload: Callable[[str], str]) -> dict[str, Any]:
    """Options a dataset needs beyond its defaults."""
    if name == "csv":
        return {"upload_id": upload(IRIS_LIKE_CSV), "target": "label"}
    if name == "images":
        from app.datasets.image_zips import save_image_zip
        from tests.api.test_image_uploads import shapes_zip

        return {"upload_id": save_image_zip(shapes_zip()).id, "side": 12}
    return {}


def check_matches_info(data: TensorData, info: DatasetInfo) -> None:
    """Tensors agree with what `info` promised: sizes, shapes, dtypes, label ranges."""
    x_dtype = torch.int64 if info.dtype == "token" else torch.float32
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        n = info.splits[split]
        assert x.shape == (n, *info.input_shape), split
        assert x.dtype == x_dtype
        assert y.shape == (n, *info.target_shape), split
        if info.tasks[0] == "regression":
            assert y.dtype == torch.float32
        else:
            assert y.dtype == torch.int64
            assert info.num_classes is not None
            assert int(y.min()) >= 0 and int(y.max()) < info.num_classes
        if x.is_floating_point():
            assert torch.isfinite(x).all()
    if info.class_names is not None:
        assert len(info.class_names) == info.num_classes
    if info.vocab_size is not None:
        assert int(data.x_train.max()) < info.vocab_size


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_loads_as_its_info_says(
    name: str, mnist_dir_if_shared: None, csv_upload: Callable[[str], str]
) -> None:
    dataset = get_dataset(name)
    options = dataset.parse_options(example_options(name, csv_upload))
    missing: list[str] = getattr(dataset, "missing_files", lambda _: [])(options)
    if missing:
        pytest.skip(f"{name}: {', '.join(missing)} not available offline (would be downloaded)")
    info = dataset.info(options)
    assert info.name == name and info.tasks and info.description
    check_matches_info(dataset.load(options), info)


@pytest.mark.parametrize("name", sorted(set(DATASETS) - {"csv", "images"}))  # uploads
def test_info_needs_no_files(name: str) -> None:
    # The cache is empty and no download can happen: info must still answer.
    info = describe_dataset(name)
    assert info.splits["train"] > 0 and info.splits["test"] > 0


def test_task_kinds() -> None:
    assert describe_dataset("mnist").tasks == ("classification", "reconstruction")
    assert describe_dataset("circle").tasks == ("classification",)
    assert describe_dataset("sine").tasks == ("regression",)
    assert describe_dataset("chars").tasks == ("sequence",)


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="unknown dataset 'nope'") as caught:
        load_dataset("nope")
    assert "mnist-10k" in str(caught.value) and "circle" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "options", "field"),
    [
        ("circle", {"noise": 5}, "noise"),
        ("circle", {"n_samples": 3}, "n_samples"),
        ("circle", {"bogus": 1}, "bogus"),
        ("digits", {"layout": "cube"}, "layout"),
        ("chars", {"target": "previous"}, "target"),
        ("csv", {"upload_id": "../../etc/passwd", "target": "y"}, "upload_id"),
        ("mnist", {"path": "/tmp"}, "path"),
    ],
)
def test_bad_options_name_the_option(name: str, options: dict[str, Any], field: str) -> None:
    with pytest.raises(DatasetError, match=field):
        load_dataset(name, options)


def test_preview_is_json_ready() -> None:
    samples = preview("circle", {"seed": 3}, n=5)
    assert len(samples) == 5
    json.dumps(samples)
    first = samples[0]
    assert len(first["x"]) == 2 and first["y"] in (0, 1)
    assert all(round(v, 4) == v for v in first["x"])
    data = load_dataset("circle", {"seed": 3})
    assert first["x"] == pytest.approx(data.x_train[0].tolist(), abs=1e-4)


def test_preview_shapes_follow_the_dataset() -> None:
    (image,) = preview("digits", {"layout": "image"}, n=1)
    assert len(image["x"]) == 1 and len(image["x"][0]) == 8 and len(image["x"][0][0]) == 8
    (window,) = preview("chars", {"target": "shifted", "seq_len": 8}, n=1)
    assert len(window["x"]) == 8 and len(window["y"]) == 8
    assert isinstance(preview("sine", n=1)[0]["y"], list)


@pytest.mark.parametrize("n", [0, 65])
def test_preview_size_is_bounded(n: int) -> None:
    with pytest.raises(DatasetError, match="n: "):
        preview("circle", n=n)
