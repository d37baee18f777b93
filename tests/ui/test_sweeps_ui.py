"""A sweep of the network in the editor, in a real browser: a bad path answered in plain
words, then a grid over the learning rate and a layer's width, its trials ranked in a
table, drawn as parallel coordinates and as overlaid curves, the best one opened."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_preset, set_field

pytestmark = pytest.mark.slow


def test_a_grid_sweep_ranks_its_trials_and_opens_the_best(page: Page, live_server: str) -> None:
    open_preset(page, "toy-mlp", "hidden2", "xor")
    page.get_by_text("Dataset options").click()
    set_field(page, "n_samples", "200")
    set_field(page, "epochs", "3")
    page.get_by_role("tab", name="Sweeps").click()
    form = page.get_by_test_id("sweep-form")
    expect(form.locator("#sweep-paths option[value='layers.hidden1.units']")).to_have_count(1)
    expect(form.locator("#sweep-paths option[value='optimizer.lr']")).to_have_count(1)

    # a layer the network lacks: nothing is queued, the server's reason is shown
    page.get_by_label("parameter 1 path").fill("layers.nope.units")
    page.get_by_label("parameter 1 values").fill("4, 8")
    expect(page.get_by_test_id("sweep-count")).to_have_attribute("data-runs", "2")
    page.get_by_role("button", name="Start sweep").click()
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("trial 1")
    expect(alert).to_contain_text("layers.nope.units")
    expect(alert).to_contain_text("hidden1")  # the layers it could name

    page.get_by_label("parameter 1 path").fill("optimizer.lr")
    page.get_by_label("parameter 1 values").fill("0.01, 0.1")
    page.get_by_role("button", name="Add a parameter").click()
    page.get_by_label("parameter 2 path").fill("layers.hidden1.units")
    page.get_by_label("parameter 2 values").fill("4, 8")
    expect(page.get_by_test_id("sweep-count")).to_have_attribute("data-runs", "4")
    # what was typed is still there after leaving the tab (which closes the form)
    page.get_by_role("tab", name="Runs").click()
    expect(form).to_have_count(0)
    page.get_by_role("tab", name="Sweeps").click()
    expect(page.get_by_label("parameter 2 path")).to_have_value("layers.hidden1.units")
    expect(page.get_by_test_id("sweep-count")).to_have_attribute("data-runs", "4")
    page.get_by_role("button", name="Start sweep").click()

    view = page.get_by_test_id("sweep-view")
    table = view.get_by_test_id("trials-table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(1)).to_contain_text("0.01")  # trial 2: the first lr, the second width
    expect(rows.nth(1)).to_contain_text("8")
    expect(view).to_have_attribute("data-status", "finished", timeout=90_000)
    expect(table.get_by_test_id("trial-status")).to_have_text(["completed"] * 4)
    expect(page.get_by_test_id("sweeps-table").locator("tbody tr")).to_have_count(1)

    # the best run, as the server ranks it, carries the star
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        (summary,) = http.get("/api/v1/sweeps").json()["sweeps"]
        sweep = http.get(f"/api/v1/sweeps/{summary['id']}").json()
    (best_trial,) = [t for t in sweep["trials"] if t["run_id"] == sweep["best_run_id"]]
    best = table.locator("tbody tr[data-best]")
    expect(best).to_have_count(1)
    expect(best).to_have_attribute("data-trial", str(best_trial["number"]))
    expect(best).to_contain_text("\u2605")
    # sorted by score (val_loss: lower is better), the best comes first
    table.get_by_role("button", name="val_loss").click()
    expect(rows.first).to_have_attribute("data-best", "true")

    # one line per trial across the two parameters' axes and the score's
    plot = page.get_by_test_id("parallel-coordinates")
    expect(plot.locator("polyline[data-trial]")).to_have_count(4)
    expect(plot.locator("[data-axis]")).to_have_count(3)
    expect(plot.locator("[data-axis='optimizer.lr']")).to_have_attribute("data-scale", "linear")
    line, row = plot.locator("polyline[data-trial='3']"), table.locator("tr[data-trial='3']")
    line.scroll_into_view_if_needed()
    x, y = line.evaluate("""l => {  // the middle of its first segment, on the page
        const m = l.getScreenCTM(), [a, b] = [l.points[0], l.points[1]];
        const p = new DOMPoint((a.x + b.x) / 2, (a.y + b.y) / 2).matrixTransform(m);
        return [p.x, p.y];
    }""")
    page.mouse.move(x, y)  # hovering lights the trial's row
    expect(row).to_have_attribute("data-lit", "true")
    page.mouse.move(1, 1)  # off the plot and the table
    expect(row).to_have_attribute("data-lit", "false")
    page.mouse.click(x, y)  # a click keeps it lit
    page.mouse.move(1, 1)  # off the plot and the table
    expect(row).to_have_attribute("data-lit", "true")
    expect(line).to_have_attribute("data-lit", "true")
    # every trial's validation loss at each of its 3 epochs, overlaid
    expect(page.get_by_test_id("sweep-curves")).to_have_attribute("data-points", "12")
    # each trial in its own colour, the same in its row and its curve's legend
    swatches = table.locator(".trial-swatch").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(swatches)) == len(swatches) == 4, swatches
    markers = page.get_by_test_id("sweep-curves").locator(
        ".u-legend tr.u-series", has_text="trial").locator(".u-marker")
    assert set(markers.evaluate_all("els => els.map(e => getComputedStyle(e).borderColor)")) == set(
        swatches)
    # the lit trial's curve is drawn in full, the others faded (uPlot fades their legend too)
    legend = page.get_by_test_id("sweep-curves").locator(".u-legend tr.u-series")
    expect(legend.filter(has_text="trial 3")).to_have_css("opacity", "1")
    expect(legend.filter(has_text="trial 1")).to_have_css("opacity", "0.3")

    best.get_by_role("button", name="Open").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=30_000)
    lr = best_trial["params"]["optimizer.lr"]
    expect(page.locator("#field-optimizer-lr")).to_have_value(str(lr))
    page.get_by_role("tab", name="Runs").click()
    current = page.locator("tr.current td[data-column=name]")
    expect(current).to_have_attribute("title", sweep["best_run_id"])

    # back on the tab, the sweep is still shown; deleting it (asked twice) removes its runs
    page.get_by_role("tab", name="Sweeps").click()
    expect(view).to_have_attribute("data-status", "finished")
    view.get_by_role("button", name="Delete", exact=True).click()
    view.get_by_role("button", name="Delete the sweep and its runs (4)").click()
    expect(page.get_by_test_id("sweeps-table")).to_have_count(0)
    expect(page.get_by_test_id("sweep-form")).to_be_visible()
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        assert http.get(f"/api/v1/runs/{sweep['best_run_id']}").status_code == 404


def test_a_tpe_sweep_stops_a_lagging_trial_and_says_what_mattered(page: Page) -> None:
    """Seed 8 draws learning rates 0.061, 0.2, 0.058, 8.1e-4, 1.9e-5 (TPE's first trials
    are drawn at random); two train at once, so the fifth starts once the first ones have
    ended and is judged against them."""
    open_preset(page, "toy-mlp", "hidden2", "circle")
    page.get_by_text("Dataset options").click()
    set_field(page, "n_samples", "400")
    set_field(page, "epochs", "30")  # long enough for a stop to reach a lagging trial
    page.get_by_role("tab", name="Sweeps").click()
    form = page.get_by_test_id("sweep-form")
    form.get_by_role("combobox", name="Method").select_option("tpe")
    form.get_by_role("spinbutton", name="Trials").fill("5")
    form.get_by_role("spinbutton", name="Seed", exact=True).fill("8")
    form.get_by_role("combobox", name="Stop lagging trials").select_option("median")
    page.get_by_label("parameter 1 path").fill("optimizer.lr")
    page.get_by_label("parameter 1 kind").select_option("range")
    page.get_by_label("parameter 1 low").fill("0.000001")
    page.get_by_label("parameter 1 high").fill("0.3")
    form.get_by_text("log scale").click()
    expect(page.get_by_test_id("sweep-count")).to_contain_text("one after another")
    page.get_by_role("button", name="Start sweep").click()

    view = page.get_by_test_id("sweep-view")
    expect(view).to_have_attribute("data-status", "finished", timeout=120_000)
    rows = view.get_by_test_id("trials-table").locator("tbody tr")
    expect(rows).to_have_count(5)
    statuses = view.get_by_test_id("trial-status")
    expect(statuses.filter(has_text="stopped early")).not_to_have_count(0)
    expect(view.locator(".pc-line[data-pruned='true']")).not_to_have_count(0)  # dashed
    bars = view.get_by_test_id("importances").locator("li")
    expect(bars).to_have_count(1)
    expect(bars.first).to_have_attribute("data-path", "optimizer.lr")
    page.get_by_test_id("language").select_option("es")
    expect(view.get_by_test_id("importances")).to_contain_text("Lo que importó")
    expect(statuses.filter(has_text="detenida pronto")).not_to_have_count(0)
