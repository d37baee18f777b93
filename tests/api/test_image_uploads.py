"""An image folder uploaded as a zip (made here: shapes drawn with Pillow, a folder a
class): it trains a small CNN, its views inspect it, and it is previewed and listed like
any dataset. A zip bomb, a path climbing out of the folders, a file that is not the image
its name says, one class alone and a quota overrun are each refused with a clear 4xx and
nothing written."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.api import create_app
from app.client import LayerLab
from app.settings import Settings

API = "/api/v1"
UPLOADS = f"{API}/datasets/images/uploads"
ZIP = {"content-type": "application/zip"}
CNN = {"input": {"shape": [1, 16, 16]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"id": "pool", "type": "maxpool2d", "pool_size": 2},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 3}]}


def shape(kind: str, i: int) -> bytes:
    """A 20x20 grey image of a square, a disc or a cross, a little moved each time."""
    image = Image.new("L", (20, 20), 0)
    draw, at = ImageDraw.Draw(image), 3 + i % 4
    if kind == "squares":
        draw.rectangle((at, at, at + 10, at + 10), fill=255)
    elif kind == "discs":
        draw.ellipse((at, at, at + 11, at + 11), fill=255)
    else:
        draw.line((at, at, at + 11, at + 11), fill=255, width=2)
        draw.line((at, at + 11, at + 11, at), fill=255, width=2)
    out = io.BytesIO()
    image.save(out, format="JPEG" if i % 3 == 0 else "PNG")
    return out.getvalue()


def archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def shapes_zip(top: str = "shapes/") -> bytes:
    return archive({f"{top}{kind}/{i}.{'jpg' if i % 3 == 0 else 'png'}": shape(kind, i)
                    for kind in ("squares", "discs", "crosses") for i in range(12)})


def zipfile_members(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [z.read(info) for info in z.infolist()]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    home = tmp_path_factory.mktemp("images") / "home"
    images = sum(len(data) for data in zipfile_members(shapes_zip()))
    settings = Settings(home=home, allowed_hosts=["testserver"],
                        upload_quota_bytes=images * 3 // 2)  # room for one upload, not two
    with TestClient(create_app(settings)) as client:
        yield client, home / "uploads"


def stored(uploads: Path) -> list[str]:
    """Every file under the uploads folder (what a refused upload must leave as it was)."""
    return sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*")) if uploads.exists() \
        else []


def wait(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"{API}/runs/{run_id}").json()
        if run["status"] in ("completed", "failed", "diverged", "stopped"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def test_an_uploaded_image_folder_trains_and_is_inspected(
        served: tuple[TestClient, Path]) -> None:
    client, _ = served
    answer = client.post(UPLOADS, content=shapes_zip(), headers=ZIP,
                         params={"name": "shapes.zip"})
    assert answer.status_code == 201, answer.text
    folder = answer.json()
    assert folder["classes"] == ["crosses", "discs", "squares"] and folder["images"] == 36
    listed = client.get(UPLOADS).json()
    assert [(f["upload_id"], f["name"]) for f in listed["folders"]] == [
        (folder["upload_id"], "shapes.zip")]
    assert 0 < listed["used_bytes"] <= listed["quota_bytes"]
    assert folder["colour"] is False and folder["side"] == 20
    options = {"upload_id": folder["upload_id"], "side": 16}
    detail = client.get(f"{API}/datasets/images", params={"options": f'{{"upload_id": '
                        f'"{folder["upload_id"]}", "side": 16}}'}).json()
    assert detail["input_shape"] == [1, 16, 16] and detail["class_names"] == folder["classes"]
    assert detail["splits"] == {"train": 29, "test": 7} and len(detail["preview"]) == 8
    created = client.post(f"{API}/runs", json={"model": CNN, "training": {
        "dataset": {"name": "images", "options": options}, "epochs": 8, "batch_size": 8,
        "optimizer": {"name": "adam", "lr": 0.01}, "device": "cpu"}})
    assert created.status_code == 201, created.text
    run = wait(client, created.json()["id"])
    assert run["status"] == "completed", run["error"]
    assert run["test_metrics"]["test_accuracy"] > 0.5  # three shapes, told apart
    activations = client.post(f"{API}/runs/{run['id']}/inspect/activations",
                              json={"sample": 0})
    assert activations.status_code == 200, activations.text
    views = {v["name"] for v in client.get(f"{API}/runs/{run['id']}/inspect").json()["views"]}
    assert {"confusion", "confusion/cell", "embedding", "saliency", "filters"} <= views
    confusion = client.get(f"{API}/runs/{run['id']}/inspect/confusion").json()
    assert confusion["class_names"] == folder["classes"]  # the class folders' names
    assert sum(map(sum, confusion["matrix"])) == confusion["samples"] > 0
    used = client.delete(f"{UPLOADS}/{folder['upload_id']}")
    assert used.status_code == 204  # the run is over: nothing holds it
    assert client.delete(f"{UPLOADS}/{folder['upload_id']}").status_code == 404
    assert client.get(UPLOADS).json()["folders"] == []
    again = LayerLab(http=client).upload_images(shapes_zip(""))  # the Python client's way
    assert again["classes"] == folder["classes"] and again["upload_id"] != folder["upload_id"]
    assert client.delete(f"{UPLOADS}/{again['upload_id']}").status_code == 204


def bomb(mib: int) -> bytes:
    """A zip whose first image is `mib` MiB of zeros: a few hundred KB packed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/big.png", b"\0" * (mib * 2**20))
        z.writestr("b/small.png", shape("discs", 1))
    return out.getvalue()


@pytest.mark.parametrize(("body", "status", "says"), [
    (lambda: bomb(300), 422, "the limit is 209,715,200"),  # in all, before anything is read
    (lambda: bomb(20), 422, "a/big.png unpacks to 20,971,520 bytes from"),  # one entry
    (lambda: archive({"a/1.png": shape("discs", 1), "../b/evil.png": shape("discs", 2)}),
     422, "outside the archive"),
    (lambda: archive({"a/1.png": shape("discs", 1), "b/notes.png": b"not an image"}),
     422, "b/notes.png is not a readable PNG"),
    (lambda: archive({"a/1.png": shape("discs", 1), "b/photo.png": shape("discs", 3)}),
     422, "b/photo.png is JPEG, not the PNG its name says"),
    (lambda: archive({"a/1.png": shape("discs", 1), "a/2.png": shape("discs", 2)}),
     422, "1 class folder"),
    (lambda: archive({"1.png": shape("discs", 1), "b/2.png": shape("discs", 2)}),
     422, "in its class's folder"),
    (lambda: b"PK not really", 422, "not a zip"),
    (lambda: shapes_zip("") * 1 + b"", 201, ""),  # fills most of the quota
    (lambda: shapes_zip(""), 413, "quota"),  # and the next goes over it
])
def test_what_is_refused_leaves_nothing_written(
        served: tuple[TestClient, Path], body: Any, status: int, says: str) -> None:
    client, uploads = served
    before = stored(uploads)
    answer = client.post(UPLOADS, content=body(), headers=ZIP)
    assert answer.status_code == status, answer.text
    assert says in answer.text
    if status != 201:
        assert stored(uploads) == before
