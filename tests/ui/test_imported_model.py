"""A model from elsewhere in the browser: Import takes an ONNX file as it takes a spec;
the network opens in the editor, the next run starts from its weights (the transfer
picker says so, in both languages), and a file with operators no layer expresses is
refused naming them."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from playwright.sync_api import Page, expect

from app.nn.export import export_model
from app.spec import NetworkSpec
from tests.nn.onnx_files import wave_model
from tests.nn.trained_weights import trained_state
from tests.ui.test_playground import node, open_playground

pytestmark = pytest.mark.slow


def _unsupported(path: Path) -> Path:
    path.write_bytes(wave_model())
    return path


def test_an_onnx_file_opens_in_the_editor_and_trains_from_its_weights(
        page: Page, live_server: str, tmp_path: Path, presets: dict[str, NetworkSpec]) -> None:
    spec = presets["toy-mlp"]
    good = tmp_path / "toy.onnx"
    good.write_bytes(export_model(spec, trained_state(spec), "onnx").data)
    open_playground(page)
    chooser = page.locator("input[type=file][accept*='.onnx']")
    chooser.set_input_files(str(_unsupported(tmp_path / "wave.onnx")))
    message = page.get_by_test_id("top-message")
    expect(message).to_contain_text("That ONNX file could not be imported")
    expect(message).to_contain_text("Sin (/wave/Sin): no layer does this")
    chooser.set_input_files(str(good))
    expect(message).to_contain_text("“toy” is back as LayerLab exported it (3 layers)")
    for layer in ("hidden1", "hidden2", "out"):
        expect(node(page, layer)).to_be_visible()
    picker = page.locator("#init-from")
    expect(picker).to_have_value(f"import:{_newest_import(live_server)['id']}")
    expect(picker.locator("optgroup")).to_have_attribute("label", "Imported networks")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    newest = httpx2.get(f"{live_server}/api/v1/runs", params={"limit": 1}).json()["runs"][0]
    run = httpx2.get(f"{live_server}/api/v1/runs/{newest['id']}").json()
    assert (run["origin"]["kind"], run["origin"]["loaded"]) == (
        "import", ["hidden1", "hidden2", "out"])
    origin = page.get_by_test_id("run-origin")
    expect(origin).to_contain_text("Starts from the weights of imported network")
    page.get_by_test_id("language").select_option("es")
    expect(picker.locator("optgroup")).to_have_attribute("label", "Redes importadas")
    expect(origin).to_contain_text("Parte de los pesos de la red importada")


def _newest_import(url: str) -> dict[str, str]:
    imports: list[dict[str, str]] = httpx2.get(f"{url}/api/v1/imports").json()
    return imports[0]
