"""Uploaded CSV tables: storage, encoding, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from app.datasets import DatasetError, describe_dataset, load_dataset, save_upload
from app.datasets.uploads import uploads_dir

Upload = Callable[[str], str]

HOUSES = "size,rooms,city,price\n" + "".join(
    f"{50 + 10 * i},{1 + i % 4},{('paris', 'lyon', 'nice')[i % 3]},{100 + 25 * i}\n"
    for i in range(40)
)


def test_upload_is_stored_under_a_new_id(csv_upload: Upload, tmp_path: Path) -> None:
    first, second = csv_upload(HOUSES), csv_upload(HOUSES)
    assert first != second and len(first) == 32 and int(first, 16) >= 0
    stored = uploads_dir() / f"{first}.csv"
    assert stored.parent == tmp_path / "home" / "uploads"  # $LAYERLAB_HOME without a server
    assert stored.read_text() == HOUSES
    assert sorted(p.name for p in stored.parent.iterdir()) == sorted(
        [f"{first}.csv", f"{second}.csv"])


def test_classification_one_hot_and_standardised(csv_upload: Upload) -> None:
    upload_id = csv_upload(HOUSES)
    options = {"upload_id": upload_id, "target": "city"}
    info = describe_dataset("csv", options)
    data = load_dataset("csv", options)
    assert info.class_names == ("lyon", "nice", "paris") and info.num_classes == 3
    assert info.input_shape == (3,) and info.splits == {"train": 32, "test": 8}
    assert data.x_train.shape == (32, 3) and data.y_train.dtype == torch.int64
    # size, rooms and price are numeric: zero mean, unit std on the training rows
    assert torch.allclose(data.x_train.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(data.x_train.std(0, unbiased=False), torch.ones(3), atol=1e-5)


def test_categorical_features_are_one_hot(csv_upload: Upload) -> None:
    upload_id = csv_upload(HOUSES)
    info = describe_dataset("csv", {"upload_id": upload_id, "target": "price",
                                    "task": "regression"})
    assert info.input_shape == (5,)  # size, rooms, city=lyon, city=nice, city=paris
    data = load_dataset("csv", {"upload_id": upload_id, "target": "price",
                                "task": "regression"})
    one_hot = data.x_train[:, 2:]
    assert set(one_hot.flatten().tolist()) == {0.0, 1.0}
    assert torch.equal(one_hot.sum(1), torch.ones(len(one_hot)))


def test_regression_target(csv_upload: Upload) -> None:
    options = {"upload_id": csv_upload(HOUSES), "target": "price", "task": "regression",
               "test_fraction": 0.25}
    info = describe_dataset("csv", options)
    data = load_dataset("csv", options)
    assert info.tasks == ("regression",) and info.target_shape == (1,)
    assert info.num_classes is None and info.splits == {"train": 30, "test": 10}
    assert data.y_train.shape == (30, 1) and data.y_train.dtype == torch.float32
    prices = sorted(torch.cat([data.y_train, data.y_test]).flatten().tolist())
    assert prices == [100 + 25 * i for i in range(40)]  # targets are used as they are


def test_empty_numeric_cell_gets_the_training_mean(csv_upload: Upload) -> None:
    text = "x,y\n" + "".join(f"{i},{i}\n" for i in range(9)) + ",99\n"
    data = load_dataset("csv", {"upload_id": csv_upload(text), "target": "y",
                                "task": "regression", "test_fraction": 0.5})
    x = torch.cat([data.x_train, data.x_test])[:, 0]
    y = torch.cat([data.y_train, data.y_test])[:, 0]
    assert x[y == 99].item() == 0.0  # the mean, standardised


def test_numeric_class_labels_sort_as_numbers(csv_upload: Upload) -> None:
    text = "f,grade\n" + "".join(f"{i},{(2, 10, 1)[i % 3]}\n" for i in range(12))
    info = describe_dataset("csv", {"upload_id": csv_upload(text), "target": "grade"})
    assert info.class_names == ("1", "2", "10")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b" \n", "empty"),
        (b"a,b\n\xff\xfe,1\n", "not UTF-8"),
        (b"x" * 101, "101 bytes; the limit is 100"),
    ],
)
def test_save_upload_refuses(data: bytes, problem: str) -> None:
    with pytest.raises(DatasetError, match=problem):
        save_upload(data, max_bytes=100)
    assert not uploads_dir().exists()


@pytest.mark.parametrize(
    ("text", "options", "problem"),
    [
        ("a,b\n", {"target": "b"}, "no data rows"),
        ("a,b\n1,x\n2,y\n", {"target": "c"}, "no column 'c'; the columns are a, b"),
        ("a,b\n1,x\n2,y\n", {"target": "b", "task": "regression"},
         "line 2: target 'b' is 'x', not a number"),
        ("a,b\n1,x\n2,x\n", {"target": "b"}, "single class 'x'"),
        ("a,b\n1,x\n2,\n", {"target": "b"}, "line 3: the target column 'b' is empty"),
        ("a,c,b\n1,u,x\n2,,y\n", {"target": "b"}, "line 3: column 'c' is empty"),
        ("a,b\n1,x\n2,y,3\n", {"target": "b"}, "line 3 has 3 fields; the header has 2"),
        ("a,a\n1,x\n2,y\n", {"target": "a"}, "distinct, non-empty column names"),
        ("b\nx\ny\n", {"target": "b"}, "at least one feature column"),
        ("a,b\n1,x\n", {"target": "b"}, "at least two data rows"),
        ("a,b\n,x\n,y\n", {"target": "b"}, "column 'a' has no values"),
        ("a,b\n" + "".join(f"v{i},{i % 2}\n" for i in range(60)), {"target": "b"},
         "column 'a' has 60 distinct text values"),
    ],
)
def test_table_errors(
    csv_upload: Upload, text: str, options: dict[str, str], problem: str
) -> None:
    upload_id = csv_upload(text)
    with pytest.raises(DatasetError, match=problem):
        load_dataset("csv", {"upload_id": upload_id, **options})


def test_two_rows_one_class_each_split(csv_upload: Upload) -> None:
    data = load_dataset("csv", {"upload_id": csv_upload("a,b\n1,x\n2,y\n"), "target": "b"})
    assert len(data.x_train) == 1 and len(data.x_test) == 1


def test_unknown_upload_id() -> None:
    with pytest.raises(DatasetError, match="upload_id: no uploaded table"):
        load_dataset("csv", {"upload_id": "0" * 32, "target": "y"})


@pytest.mark.parametrize("bad_id", ["../secrets", "A" * 32, "0" * 31, "0" * 32 + "/x"])
def test_upload_id_must_be_32_hex_digits(bad_id: str) -> None:
    with pytest.raises(DatasetError, match="upload_id"):
        load_dataset("csv", {"upload_id": bad_id, "target": "y"})
