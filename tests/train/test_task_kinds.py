"""The task-kind registry: one object per kind, the same kinds as the spec's TaskKind, and
each kind's defaults and checks consistent with the losses and datasets it takes."""

from __future__ import annotations

from typing import get_args

import pytest

from app.datasets import describe_dataset
from app.spec.training import LossName, TaskKind, TrainingSpec
from app.train import TASK_KINDS, TaskError, make_task
from app.train.losses import LOSSES
from app.train.task_kinds import TaskKindDef


def test_the_registry_and_the_spec_list_the_same_kinds() -> None:
    assert set(TASK_KINDS) == set(get_args(TaskKind))
    assert all(kind.name == name for name, kind in TASK_KINDS.items())


@pytest.mark.parametrize("kind", TASK_KINDS.values(), ids=lambda kind: kind.name)
def test_a_kind_takes_its_own_default_loss(kind: TaskKindDef) -> None:
    assert kind.default_loss in LOSSES and kind.default_loss in get_args(LossName)
    kind.check_loss(kind.default_loss)  # raises nothing
    assert kind.metrics[0] == "loss" and set(kind.terms) <= set(kind.metrics)
    assert kind.charts[0] == "loss"
    assert kind.output(kind.default_loss) in ("classes", "binary", "value", "reconstruction",
                                              "tokens")


def test_a_kind_is_supported_by_the_datasets_it_fits() -> None:
    digits = describe_dataset("digits", {"layout": "image"})
    chars = describe_dataset("chars")
    assert [k.name for k in TASK_KINDS.values() if k.supported_by(digits)] == [
        "classification", "reconstruction", "vae", "gan"]
    assert [k.name for k in TASK_KINDS.values() if k.supported_by(chars)] == ["sequence"]
    with pytest.raises(TaskError, match="supports classification, reconstruction, vae, gan, "
                                        "not regression"):
        make_task(digits, "regression", None, (1,), "out")


def test_the_kinds_that_read_noise_or_their_input_say_so() -> None:
    assert [k.name for k in TASK_KINDS.values() if not k.reads_samples] == ["gan"]
    assert [k.name for k in TASK_KINDS.values() if k.reconstructs] == ["reconstruction", "vae"]
    # the training settings only some kinds read, each a field of the training spec
    assert {k.name: k.settings for k in TASK_KINDS.values() if k.settings} == {
        "reconstruction": ("input_noise",), "vae": ("input_noise", "beta"), "gan": ("gan",)}
    assert {s for k in TASK_KINDS.values() for s in k.settings} <= set(TrainingSpec.model_fields)
