"""The training form as a newcomer reads it at 1280x800: what to train, then the
optimizer with only its own settings, then how long; regularisation, the schedule, early
stopping and the advanced settings folded. A task's own settings show for that task
alone, a hidden setting keeping its value; labels read as words in either language and
an empty loss or task says what it picks."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_playground, set_field

pytestmark = pytest.mark.slow


def shown_fields(page: Page) -> list[str]:
    """The training form's visible fields, top to bottom (an optimizer's as optimizer.*)."""
    fields = page.locator(".training-panel [data-field]")
    names: list[str] = fields.evaluate_all(
        "els => els.filter(el => el.checkVisibility()).map(el =>"
        " (el.closest('[data-testid=optimizer-settings]') ? 'optimizer.' : '') + el.dataset.field)")
    return names


def open_form(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    expect(page.locator("#dataset")).to_have_value("circle")


def test_the_form_reads_in_the_order_it_is_filled(page: Page) -> None:
    open_form(page)
    main = ["task", "loss", "optimizer.name", "optimizer.betas", "optimizer.weight_decay",
            "optimizer.lr", "batch_size", "epochs", "validation_split"]
    expect(page.locator("#field-optimizer-name")).to_have_value("adam")
    assert shown_fields(page) == main
    for group in ("regularisation", "schedule", "early_stopping", "advanced"):
        expect(page.get_by_test_id(f"{group}-settings")).not_to_have_attribute("open", "")
    page.get_by_test_id("advanced-settings").locator("summary").click()
    assert shown_fields(page)[len(main):] == [
        "seed", "device", "precision", "channels_last", "compile", "report_every"]

    set_field(page, "optimizer-name", "sgd")  # its own settings, none of Adam's
    expect(page.locator("#field-optimizer-betas")).to_have_count(0)
    assert shown_fields(page)[2:7] == ["optimizer.name", "optimizer.momentum", "optimizer.nesterov",
                                       "optimizer.weight_decay", "optimizer.lr"]
    set_field(page, "optimizer-name", "rmsprop")
    expect(page.locator("#field-optimizer-nesterov")).to_have_count(0)
    assert shown_fields(page)[2:7] == ["optimizer.name", "optimizer.alpha", "optimizer.momentum",
                                       "optimizer.weight_decay", "optimizer.lr"]
    page.screenshot(path="build/screenshots/training-form-order.png")


def test_a_tasks_own_settings_show_for_that_task_alone(page: Page) -> None:
    open_form(page)  # a classifier: nothing of a vae's, an autoencoder's or a gan's
    for field in ("beta", "input_noise"):
        expect(page.locator(f"#field-{field}")).to_have_count(0)
    expect(page.get_by_test_id("gan-settings")).to_have_count(0)

    set_field(page, "task", "reconstruction")
    expect(page.locator("#field-input_noise")).to_be_visible()
    expect(page.locator("#field-beta")).to_have_count(0)
    set_field(page, "input_noise", "0.2")
    set_field(page, "task", "vae")
    expect(page.locator("#field-beta")).to_be_visible()
    expect(page.locator("#field-input_noise")).to_have_value("0.2")
    set_field(page, "task", "gan")
    expect(page.get_by_test_id("gan-settings")).to_be_visible()
    expect(page.locator("#field-input_noise")).to_have_count(0)
    set_field(page, "task", "reconstruction")  # hidden, the setting kept its value
    expect(page.locator("#field-input_noise")).to_have_value("0.2")
    expect(page.get_by_test_id("gan-settings")).to_have_count(0)


def test_labels_read_as_words_and_auto_says_what_it_picks(page: Page) -> None:
    open_form(page)
    label = lambda field: page.locator(f".training-panel label[for='field-{field}']")  # noqa: E731
    auto = page.locator("#field-loss option[value='']")
    expect(label("optimizer-lr")).to_have_text("Learning rate")
    expect(label("batch_size")).to_have_text("Batch size")
    expect(label("validation_split")).to_have_text("Validation split")
    expect(page.locator("#field-task option[value='']")).to_have_text("auto: classification")
    expect(auto).to_have_text("auto: cross-entropy")
    set_field(page, "task", "regression")
    expect(auto).to_have_text("auto: mse")

    page.get_by_test_id("language").select_option("es")
    expect(label("optimizer-lr")).to_have_text("Tasa de aprendizaje")
    expect(label("batch_size")).to_have_text("Tamaño de lote")
    expect(auto).to_have_text("automático: mse")
    set_field(page, "task", "classification")
    expect(auto).to_have_text("automático: entropía cruzada")


def test_settings_the_chosen_optimizer_does_not_read_stay_in_the_form_not_in_the_run(
        page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page, "/")  # the first screen's network, ready to train
    set_field(page, "optimizer-name", "sgd")
    set_field(page, "optimizer-momentum", "0.9")
    page.locator("#field-optimizer-nesterov").check()
    set_field(page, "optimizer-name", "adam")  # Nesterov is SGD's alone: hidden, kept
    set_field(page, "epochs", "1")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=30_000)
    expect(page.get_by_test_id("train-error")).to_have_count(0)
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        newest = http.get("/api/v1/runs", params={"limit": 1}).json()["runs"][0]
        run = http.get(f"/api/v1/runs/{newest['id']}").json()
    optimizer = run["training"]["optimizer"]
    assert (optimizer["name"], optimizer["nesterov"], optimizer["momentum"]) == ("adam", False, 0.0)

    set_field(page, "optimizer-name", "sgd")  # back to SGD, its settings as they were
    expect(page.locator("#field-optimizer-momentum")).to_have_value("0.9")
    expect(page.locator("#field-optimizer-nesterov")).to_be_checked()
