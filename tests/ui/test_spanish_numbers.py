"""Numbers written the way Spanish writes them: with the UI switched to Spanish, a small
run's dashboard, the runs table and an Inspect view write decimal commas ("85,0 %"),
name metrics in words rather than by the server's keys (test_loss) and say where the run
trained in Spanish, at the smallest screen served (1280x800)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.conftest import ROOT, SCREENSHOTS
from tests.ui.test_playground import open_preset, set_field, settled

pytestmark = pytest.mark.slow

CATALOGS = ROOT / "static" / "src" / "i18n" / "es"
COMMON = json.loads((CATALOGS / "common.json").read_text(encoding="utf-8"))
TRAIN = json.loads((CATALOGS / "train.json").read_text(encoding="utf-8"))
INSPECT = json.loads((CATALOGS / "inspect.json").read_text(encoding="utf-8"))

#: A number written with a decimal point (English), a decimal comma (Spanish), and a
#: metric's key as the server names it.
POINT = re.compile(r"\d\.\d")
COMMA = re.compile(r"\d,\d")
RAW_METRIC = re.compile(r"\b(?:train|val|test)_[a-z_]+\b")
#: The device line: the thread count in Spanish words.
DEVICE = re.compile(r"^en CPU \(\d+ hilos?\)$")


def spanish_numbers(part: Locator, name: str) -> str:
    """The part's text, checked: decimal commas, no decimal point, no raw metric key."""
    text = part.inner_text()
    assert COMMA.search(text), f"{name} writes no decimal comma: {text!r}"
    points = POINT.findall(text)
    assert not points, f"{name} writes a decimal point: {points} in {text!r}"
    assert not RAW_METRIC.search(text), f"{name} shows a metric's key: {RAW_METRIC.findall(text)}"
    return text


def keep(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"es-numbers-{name}.png")


def test_spanish_writes_decimal_commas_metric_names_and_its_device_line(
        page: Page, record_property: pytest.RecordProperty) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_preset(page, "toy-mlp", "hidden1", "xor")
    page.get_by_test_id("language").select_option("es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    settled(page)
    set_field(page, "epochs", "3")
    page.get_by_role("button", name=COMMON["topBar"]["train"], exact=True).click()
    status = page.get_by_test_id("run-status")
    expect(status).to_have_text(TRAIN["status"]["completed"], timeout=120_000)
    # the dashboard: its test metrics (loss and accuracy) and the device it trained on
    metrics = page.get_by_test_id("run-metrics")
    expect(metrics).to_contain_text(TRAIN["metrics"]["test_accuracy"].split(" ")[0])
    dashboard = spanish_numbers(metrics, "the dashboard")
    assert re.search(r"\d+,\d\s%", dashboard), dashboard  # a percent: "85,0 %"
    device = page.get_by_test_id("run-device").inner_text()
    assert DEVICE.match(device), f"the device line is not Spanish: {device!r}"
    keep(page, "dashboard")
    # the runs table: the run's score and test metric, its duration's device (on its row:
    # the table lists every run of the server)
    page.get_by_role("tab", name=COMMON["tabs"]["runs"]).click()
    current = page.locator(".runs-table tbody tr.current")
    expect(current).to_have_count(1)
    row = spanish_numbers(current, "the run's row")
    assert "thread" not in row and re.search(r"CPU \(\d+ hilos?\)", row), row
    # the comparison beside it: final metrics in words and numbers
    expect(page.get_by_test_id("overlay-chart")).not_to_have_attribute("data-points", "0")
    # (only its own numbers: other runs' names are the users' words, "lr 0.05" among them)
    spanish_numbers(page.get_by_test_id("runs-finals"), "the final metrics")
    keep(page, "runs")
    # an Inspect view: a test sample's values and its class probabilities
    page.get_by_role("tab", name=COMMON["tabs"]["inspect"]).click()
    page.get_by_role("tab", name=INSPECT["views"]["activations"], exact=True).click()
    view = page.get_by_test_id("activations-view")
    expect(view.locator(".probabilities tr")).to_have_count(2)
    inspected = spanish_numbers(view, "the activations view")
    assert re.search(r"\d+,\d\s%", inspected), inspected
    keep(page, "inspect")
    record_property("detail", f"dashboard {dashboard!r}; device {device!r}")
