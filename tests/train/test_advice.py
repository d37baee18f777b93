"""Learning-rate advice from the first epochs: a loss that rises, or stays flat at the
level of an answer that ignores the input, is told once with the rate to try."""

from __future__ import annotations

import math

import pytest

from app.nn import analyze
from app.spec import parse_network
from app.spec.events import NoteEvent
from app.train import make_task
from app.train.advice import LearningRateWatch, constant_baseline
from tests.train.conftest import MLP, TrainFn, circle_data, config, line_data

AE_BASELINE = 0.0665  # mnist-10k's pixels: always giving the average image


def notes(lr: float, baseline: float | None, losses: list[float]) -> list[tuple[int, str]]:
    watch = LearningRateWatch(lr, baseline)
    return [(i, note) for i, loss in enumerate(losses)
            if (note := watch.after_epoch(loss)) is not None]


def test_the_course_autoencoder_at_adam_0_1_is_told_its_rate_is_too_high() -> None:
    """Epoch losses measured on mnist-10k: flat from the second epoch at lr 0.1, still
    falling at 0.001 (though near the average image's loss in epoch 3)."""
    ((epoch, note),) = notes(0.1, AE_BASELINE, [0.1136, 0.1115, 0.1115, 0.1115])
    assert epoch == 2 and "too high" in note and "try 0.01" in note
    assert notes(0.001, AE_BASELINE, [0.1367, 0.0679, 0.0643, 0.0602]) == []


def test_a_rise_a_standstill_and_a_converged_loss() -> None:
    ((epoch, rose),) = notes(5.0, None, [8.39, 3.54, 2.12, 2.83])
    assert epoch == 3 and "rose from 2.12 to 2.83" in rose and "try 0.5" in rose
    ((_, still),) = notes(1e-4, 0.678, [0.790, 0.788, 0.788])
    assert "barely moved" in still and "too low; try 0.001" in still
    assert notes(0.01, 0.693, [0.20, 0.05, 0.0499, 0.0498]) == []  # learned, then flat
    assert notes(0.01, None, [0.7, 0.7, 0.7]) == []  # no baseline: a flat loss says nothing
    assert len(notes(5.0, None, [1.0, 2.0, 3.0, 4.0])) == 1  # told once


def test_constant_baselines_are_the_losses_of_an_answer_that_ignores_the_input() -> None:
    data = circle_data()
    spec = parse_network(MLP)
    task = make_task(data.info, None, None, analyze(spec).output_shape, "out")
    share = data.y_train.float().mean().item()
    entropy = -(share * math.log(share) + (1 - share) * math.log(1 - share))
    assert constant_baseline(task, data.x_train, data.y_train) == pytest.approx(entropy)
    line = line_data()
    regression = make_task(line.info, None, None, (1,), "out")
    assert constant_baseline(regression, line.x_train, line.y_train) == pytest.approx(
        line.y_train.var(unbiased=False).item(), rel=1e-5)
    mae = make_task(line.info, None, "mae", (1,), "out")
    assert constant_baseline(mae, line.x_train, line.y_train) is None


@pytest.mark.parametrize(("optimizer", "told"), [
    ({"name": "sgd", "lr": 1e-4}, "too low"),
    ({"name": "adam", "lr": 0.01}, None),
])
def test_a_run_tells_its_note_as_an_event(train: TrainFn, optimizer: dict[str, object],
                                          told: str | None) -> None:
    final, events, _ = train(config(optimizer=optimizer, epochs=4))
    assert final.status == "completed"  # advice, not an error
    texts = [e.text for e in events if isinstance(e, NoteEvent)]
    assert texts == [] if told is None else (len(texts) == 1 and told in texts[0])
