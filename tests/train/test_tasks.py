"""Task rules: a classifier trained with a regression loss reads the softmax of its
logits against one-hot targets, counts accuracy by the argmax, and its exported code
gives the logits the trainer read; losses that do not fit a task are refused."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from app.datasets import load_dataset
from app.datasets.base import DatasetInfo
from app.nn.export import export_model
from app.spec import parse_network
from app.train import TaskError, make_task
from app.train.evaluate import evaluate
from tests.train.conftest import MLP, TrainFn, circle_data, config

CIRCLE = circle_data().info


@pytest.mark.parametrize("loss", ["mse", "mae", "rmse", "huber"])
def test_a_regression_loss_reads_probabilities_against_one_hot_targets(loss: str) -> None:
    task = make_task(CIRCLE, "classification", loss, (2,), "out")  # type: ignore[arg-type]
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, -1.0]])
    labels = torch.tensor([0, 0, 0])
    out, target = task.outputs_and_targets(logits, torch.zeros(3, 2), labels)
    assert torch.allclose(out, torch.softmax(logits, dim=1))
    assert torch.equal(target, torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]))
    assert task.correct(out, target).item() == 2  # the argmax, as cross-entropy counts it
    if loss == "mse":
        assert torch.isclose(task.loss_fn(out, target),
                             F.mse_loss(torch.softmax(logits, 1), target))


def test_cross_entropy_still_reads_logits_and_class_ids() -> None:
    task = make_task(CIRCLE, "classification", None, (2,), "out")
    logits, labels = torch.tensor([[2.0, 0.0]]), torch.tensor([1])
    out, target = task.outputs_and_targets(logits, torch.zeros(1, 2), labels)
    assert out is logits and target is labels and not task.on_probabilities


def test_a_classifier_learns_with_mse(train: TrainFn) -> None:
    final, _, _ = train(config(epochs=20, loss="mse", optimizer={"lr": 0.03}))
    assert final.status == "completed"
    assert final.metrics["test_accuracy"] > 0.9


@pytest.mark.parametrize(("info_task", "loss", "shape", "words"), [
    ("classification", "mse", (1,), "end with a dense layer of 2 units; mse compares the "
                                    "softmax of one logit per class with one-hot targets"),
    ("sequence", "mae", (64,), r"mae is a regression loss: use cross_entropy \(or nll\)"),
    ("regression", "cross_entropy", (1,), "cross_entropy is a classification loss"),
])
def test_losses_that_do_not_fit_are_refused(info_task: str, loss: str,
                                            shape: tuple[int, ...], words: str) -> None:
    info = DatasetInfo("set", "", (info_task,), (2,), num_classes=2,  # type: ignore[arg-type]
                       vocab_size=64, target_shape=(1,))
    with pytest.raises(TaskError, match=words):
        make_task(info, None, loss, shape, "out")  # type: ignore[arg-type]


def _import_export(folder: Path, data: bytes) -> torch.nn.Module:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    module_spec = importlib.util.spec_from_file_location("mse_classifier_export",
                                                         folder / "model.py")
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules.pop("mse_classifier_export", None)
    module_spec.loader.exec_module(module)
    from safetensors.torch import load_file

    model = module.SmallMlp()
    model.load_state_dict(load_file(folder / "weights.safetensors"))
    return model.eval()


def test_the_exported_code_gives_the_logits_the_trainer_read(train: TrainFn,
                                                             tmp_path: Path) -> None:
    """The trainer's test loss and accuracy of an mse classifier, recomputed from the
    exported PyTorch code: softmax of its outputs against one-hot labels."""
    cfg = config(epochs=5, loss="mse")
    data = circle_data()
    final, _, model = train(cfg, data=data)
    spec = parse_network({**MLP, "name": "Small MLP"})
    exported = export_model(spec, model.state_dict(), "pytorch")
    plain = _import_export(tmp_path, exported.data)
    with torch.no_grad():
        probabilities = torch.softmax(plain(data.x_test), dim=1)
    one_hot = F.one_hot(data.y_test, 2).float()
    assert F.mse_loss(probabilities, one_hot).item() == pytest.approx(
        final.metrics["test_loss"], rel=1e-5)
    accuracy = (probabilities.argmax(1) == data.y_test).float().mean().item()
    assert accuracy == pytest.approx(final.metrics["test_accuracy"])
    task = make_task(data.info, "classification", "mse", (2,), "out")
    assert evaluate(plain, task, data.x_test, data.y_test, 64, "test") == pytest.approx(
        final.metrics)


def test_digits_train_with_mse_through_the_registry() -> None:
    data = load_dataset("digits")
    task = make_task(data.info, None, "mse", (10,), "out")
    out, target = task.outputs_and_targets(torch.zeros(4, 10), data.x_train[:4],
                                           data.y_train[:4])
    assert target.shape == (4, 10) and torch.allclose(out, torch.full((4, 10), 0.1))
