"""Your own images in the browser: pick the images dataset, choose a zip of class folders,
see what arrived (its classes, thumbnails by class), train a small CNN on it; a zip the
server refuses shows its reason, naming the file at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.api.test_image_uploads import archive, shape, shapes_zip
from tests.ui.test_playground import node, open_playground, set_field, shared_url

pytestmark = pytest.mark.slow
CNN = {"version": 1, "name": "Shapes CNN", "input": {"shape": [1, 20, 20]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"id": "pool", "type": "maxpool2d", "pool_size": 2},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 3}]}


def test_an_image_folder_uploads_in_the_playground_and_trains(page: Page, tmp_path: Path) -> None:
    refused = tmp_path / "bad.zip"
    refused.write_bytes(archive({"a/1.png": shape("discs", 1), "b/photo.png": shape("discs", 3)}))
    good = tmp_path / "shapes.zip"
    good.write_bytes(shapes_zip())
    open_playground(page, shared_url(CNN))
    expect(node(page, "conv")).to_be_visible()
    page.locator("#dataset").select_option("images")
    chooser = page.get_by_test_id("upload-file")
    chooser.set_input_files(str(refused))
    expect(page.get_by_test_id("upload-field").get_by_role("alert")).to_contain_text(
        "b/photo.png is JPEG, not the PNG its name says")
    chooser.set_input_files(str(good))
    expect(page.get_by_test_id("upload-done")).to_have_text(
        "36 images in 3 classes: crosses, discs, squares")
    expect(page.get_by_test_id("dataset-preview")).to_contain_text("squares")
    set_field(page, "epochs", "6")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    stored = page.get_by_test_id("upload-stored")  # kept for later, by the zip's name
    expect(stored.locator("option:checked")).to_have_text("shapes.zip · 36 images, 3 classes")
    page.get_by_test_id("language").select_option("es")
    expect(page.get_by_test_id("upload-field")).to_contain_text("Tus imágenes")
    expect(page.get_by_test_id("upload-done")).to_have_text(
        "36 imágenes en 3 clases: crosses, discs, squares")
    expect(stored.locator("option:checked")).to_have_text(
        "shapes.zip · 36 imágenes, 3 clases")
    page.get_by_test_id("upload-delete").click()  # the run is over: nothing holds it
    expect(stored).to_have_count(0)
    task = page.get_by_label("Tarea", exact=True)  # no data: its task is told once it is here
    expect(task.locator("option:checked")).to_have_text("automático: según los datos")
    expect(page.get_by_test_id("train-why")).to_have_text(
        "Elige primero los datos del conjunto (sube un archivo o elige uno que ya subiste)")
