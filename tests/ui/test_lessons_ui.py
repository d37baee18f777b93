"""A lesson in a real browser: open lesson 2 (XOR), train its experiments as they are, see
the decision boundary change when a hidden layer is added, and read the same lesson in
Spanish, with the language and the progress remembered across a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import node, open_lesson, open_playground

pytestmark = pytest.mark.slow


def train_experiment(page: Page, experiment: str, claims: int) -> None:
    """Train one experiment as the lesson gives it and see each of its claims hold on the
    run."""
    card = page.get_by_test_id(f"experiment-{experiment}")
    card.get_by_role("button", name="Train this experiment").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    expect(card.locator(".done")).to_be_visible()
    expect(card.get_by_test_id("claims").locator("li")).to_have_count(claims)
    expect(card.get_by_test_id("claims").locator("[data-holds=holds]")).to_have_count(claims)


def boundary(page: Page) -> str:
    """The decision boundary the dashboard shows, as an image."""
    return str(page.get_by_test_id("boundary").evaluate("c => c.toDataURL()"))


def test_lesson_two_applies_trains_and_reads_in_spanish(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("lessons-toggle").click()
    lessons = page.get_by_test_id("lessons")
    expect(lessons.get_by_test_id("lesson-xor")).to_contain_text("XOR needs a hidden layer")
    lessons.get_by_test_id("lesson-xor").click()
    heading = lessons.get_by_test_id("lesson").get_by_role("heading", level=2)
    expect(heading).to_contain_text("XOR needs a hidden layer")

    train_experiment(page, "perceptron-on-xor", claims=2)
    expect(page.get_by_test_id("run-device")).to_contain_text("on cpu (")  # and its threads
    expect(page.get_by_test_id("run-memory")).to_contain_text(" MB peak")  # the run's peak RSS
    perceptron = boundary(page)

    # the experiment's change, as a diff of the network, applied to the editor in one click
    hidden = page.get_by_test_id("experiment-add-a-hidden-layer")
    diff = hidden.get_by_role("table", name="What the experiment changes")
    expect(diff.get_by_role("row", name="layers.hidden.units")).to_contain_text("8")
    expect(diff.get_by_role("row", name="layers.hidden.activation")).to_contain_text('"tanh"')
    expect(node(page, "hidden")).to_have_count(0)
    hidden.get_by_role("button", name="Apply").click()
    expect(node(page, "hidden")).to_have_count(1)

    train_experiment(page, "add-a-hidden-layer", claims=3)
    bent = boundary(page)
    assert bent != perceptron, "the boundary did not change with a hidden layer"

    # what to watch opens from the lesson: the boundary is on the training dashboard
    page.get_by_role("tab", name="Runs").click()
    expect(page.get_by_test_id("boundary")).to_have_count(0)
    hidden.get_by_role("button", name="open").click()
    expect(page.get_by_test_id("boundary")).to_be_visible()

    lessons.get_by_role("button", name="← All lessons").click()
    expect(lessons.get_by_test_id("lesson-xor").locator("xpath=..")).to_contain_text("2/2")

    page.get_by_test_id("language").select_option("es")
    expect(page.get_by_role("button", name="Entrenar", exact=True)).to_be_visible()
    expect(lessons.get_by_test_id("lesson-xor")).to_contain_text("XOR necesita una capa oculta")
    lessons.get_by_test_id("lesson-xor").click()
    expect(heading).to_contain_text("XOR necesita una capa oculta")
    expect(hidden.get_by_role("button", name="Entrenar este experimento")).to_be_visible()
    expect(hidden).to_contain_text("Inserta una capa densa de 8 unidades tanh")
    expect(hidden.get_by_test_id("claims")).to_contain_text("Lo que midió tu ejecución")

    page.reload()  # the language, the open lesson and the progress are remembered
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("lesson").get_by_role("heading", level=2)).to_contain_text(
        "XOR necesita una capa oculta")
    expect(page.get_by_test_id("experiment-add-a-hidden-layer").locator(".done")).to_be_visible()


def test_an_experiment_starts_from_the_weights_of_the_one_it_names(page: Page) -> None:
    """Transfer learning: fine-tuning the head waits for the pretraining run, then starts
    from its weights, and its claims hold on the learner's run."""
    open_lesson(page, "transfer-learning")
    fine_tune = page.get_by_test_id("experiment-fine-tune-head")
    expect(fine_tune).to_contain_text("Train the experiment “Learn to read the digits” first")
    expect(fine_tune.get_by_role("button", name="Train this experiment")).to_be_disabled()

    train_experiment(page, "pretrain", claims=1)
    train_experiment(page, "scratch", claims=3)
    expect(fine_tune.get_by_role("button", name="Train this experiment")).to_be_enabled()
    train_experiment(page, "fine-tune-head", claims=3)
    expect(page.get_by_test_id("dashboard")).to_contain_text("Starts from the weights of run")


def test_lesson_three_claims_the_vanishing_gradient_the_chart_draws(page: Page) -> None:
    """The sigmoid network's first layer gets a gradient far smaller than its last: the
    gradient chart draws a line per dense layer, and the claims on the gradient norms
    (one after the first epoch, compared with the sigmoid run) hold on the runs."""
    open_lesson(page, "activations")
    train_experiment(page, "sigmoid", claims=2)
    chart = page.get_by_test_id("gradient-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-points", str(7 * 40))  # 7 dense layers, 40 epochs
    expect(chart.locator(".u-legend")).to_contain_text("h1")
    sigmoid = page.get_by_test_id("experiment-sigmoid").get_by_test_id("claims")
    expect(sigmoid).to_contain_text("grad_norm_ratio")

    relu = page.get_by_test_id("experiment-relu")
    relu.get_by_role("button", name="Apply").click()
    train_experiment(page, "relu", claims=4)
    expect(relu.get_by_test_id("claims")).to_contain_text("grad_norm_ratio after epoch 1")


def test_an_experiment_that_claims_divergence_is_done_when_its_run_diverges(
        page: Page) -> None:
    """Too large a learning rate: the run stops as diverged, which is what the experiment
    claims, so its claims hold on the run and the experiment counts as done."""
    open_lesson(page, "learning-rate")
    card = page.get_by_test_id("experiment-too-large")
    card.get_by_role("button", name="Train this experiment").click()
    expect(page.get_by_test_id("run-status")).to_have_text("diverged", timeout=120_000)
    expect(card.locator(".done")).to_be_visible()
    expect(card.get_by_test_id("attempt")).to_contain_text("diverged")
    expect(card.get_by_test_id("claims").locator("[data-holds=holds]")).to_have_count(2)
    page.get_by_role("button", name="← All lessons").click()
    expect(page.get_by_test_id("lesson-learning-rate").locator("xpath=..")).to_contain_text("1/6")
