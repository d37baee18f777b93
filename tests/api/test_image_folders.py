"""An image folder already on the server, named instead of uploaded: allowed only under
the folder LAYERLAB_IMAGE_FOLDERS_ROOT names, checked as a zip is, copied into the uploads
(a dataset like an uploaded one); a path or a link leading out of the root, a folder that
is not there, a file that is not its image, and a server without the setting are each
refused with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.client import LayerLab
from app.settings import Settings
from tests.api.test_image_uploads import API, shape, stored

FOLDERS = f"{API}/datasets/images/folders"


def _shapes(folder: Path) -> Path:
    for kind in ("squares", "discs", "crosses"):
        (folder / kind).mkdir(parents=True)
        for i in range(6):
            suffix = "jpg" if i % 3 == 0 else "png"
            (folder / kind / f"{i}.{suffix}").write_bytes(shape(kind, i))
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, Path]]:
    base = tmp_path_factory.mktemp("folders")
    root = base / "shared"
    _shapes(root / "class" / "shapes")
    outside = _shapes(base / "private")
    (root / "class" / "escape").symlink_to(outside, target_is_directory=True)
    (root / "class" / "broken" / "a").mkdir(parents=True)
    (root / "class" / "broken" / "a" / "1.png").write_bytes(shape("discs", 1))
    (root / "class" / "broken" / "b").mkdir()
    (root / "class" / "broken" / "b" / "2.png").write_bytes(b"not an image")
    settings = Settings(home=base / "home", allowed_hosts=["testserver"],
                        image_folders_root=root)
    with TestClient(create_app(settings)) as client:
        yield client, base / "home" / "uploads", root


def test_a_folder_on_the_server_becomes_an_image_dataset(
        served: tuple[TestClient, Path, Path]) -> None:
    client, uploads, _ = served
    made = client.post(FOLDERS, json={"path": "class/shapes"})
    assert made.status_code == 201, made.text
    folder = made.json()
    assert folder["classes"] == ["crosses", "discs", "squares"] and folder["images"] == 18
    assert any(name.startswith(f"images/{folder['upload_id']}/") for name in stored(uploads))
    detail = client.get(f"{API}/datasets/images",
                        params={"options": f'{{"upload_id": "{folder["upload_id"]}"}}'})
    assert detail.json()["class_names"] == folder["classes"]
    again = LayerLab(http=client).copy_image_folder("class/shapes")  # the Python client's way
    assert again["classes"] == folder["classes"] and again["upload_id"] != folder["upload_id"]


@pytest.mark.parametrize(("path", "status", "says"), [
    ("../private", 422, "without '..'"),
    ("/etc", 422, "as a relative path"),
    ("class/escape", 422, "leads outside the server's image folders"),
    ("class/missing", 422, "no such folder"),
    ("class/broken", 422, "class/broken/b/2.png is not a readable PNG"),
    ("class", 422, "in its class's folder"),
])
def test_what_is_refused_leaves_nothing_written(
        served: tuple[TestClient, Path, Path], path: str, status: int, says: str) -> None:
    client, uploads, _ = served
    before = stored(uploads)
    answer = client.post(FOLDERS, json={"path": path})
    assert (answer.status_code, says in answer.text) == (status, True), answer.text
    assert stored(uploads) == before


def test_a_server_without_the_setting_takes_no_folders(client: TestClient) -> None:
    answer = client.post(FOLDERS, json={"path": "anything"})
    assert answer.status_code == 403
    assert "LAYERLAB_IMAGE_FOLDERS_ROOT" in answer.json()["detail"]
