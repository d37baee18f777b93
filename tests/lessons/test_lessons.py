"""The guided lessons: every one loads in both languages, a missing translation or a
broken edit stops it loading, and every claim an experiment makes holds when it runs."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from pydantic import BaseModel

from app.runs import run_local
from app.runs.lesson_results import judge, weight_outcome
from app.runs.origins import match_into, save_start
from app.runs.worker import INIT_WEIGHTS
from app.spec import NetworkSpec
from app.spec.events import EpochEvent, MetricsEvent, TrainingEvent
from app.spec.lesson_checks import step_outcome
from app.spec.lessons import (
    LANGS,
    AttentionCheck,
    Check,
    ExperimentSpec,
    LayerEdit,
    LessonError,
    LessonSpec,
    Text,
    apply_experiment,
    edit_network,
    lesson_network,
    load_lessons,
    outcome,
)
from app.spec.presets import load_presets
from app.train import CHECKPOINT_NAME, Start
from app.train.checkpoint import load_latest

MODELS = Path(__file__).resolve().parents[2] / "models"
PRESETS = load_presets(MODELS)
LESSONS = load_lessons(MODELS / "lessons", PRESETS)
SHARED_MNIST = MODELS.parents[1] / "shared" / "data" / "mnist"


def texts(value: Any) -> list[Text]:
    """Every Text inside a lesson."""
    if isinstance(value, Text):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in texts(item)]
    if isinstance(value, BaseModel):
        return [t for name in type(value).model_fields for t in texts(getattr(value, name))]
    return []


def test_the_lessons_load_in_chapter_order_in_both_languages() -> None:
    assert list(LESSONS)[:2] == ["perceptron", "xor"]
    assert len(LESSONS) >= 6
    chapters = [lesson.chapter for lesson in LESSONS.values()]
    assert chapters == sorted(chapters) and len(set(chapters)) == len(chapters)
    for lesson in LESSONS.values():
        found = texts(lesson)
        assert len(found) == 2 + 3 * len(lesson.experiments)  # title, teaches; per experiment 3
        for text in found:
            assert all(text[lang].strip() for lang in LANGS)
            if len(text.en.split()) > 2:  # a name (AdaGrad) reads the same in both
                assert text.en != text.es, f"{lesson.id}: {text.en!r} is not translated"


def _copy(tmp_path: Path, change: Any) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    data = json.loads((MODELS / "lessons" / "02-xor.json").read_text(encoding="utf-8"))
    change(data)
    (folder / "02-xor.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_a_missing_translation_stops_the_lesson_loading(tmp_path: Path) -> None:
    folder = _copy(tmp_path, lambda data: data["experiments"][1]["expect"].pop("es"))
    with pytest.raises(ValueError, match=r"(?s)02-xor.json is invalid.*experiments\.1\.expect\.es"):
        load_lessons(folder, PRESETS)


def test_an_edit_of_no_layer_stops_the_lesson_loading(tmp_path: Path) -> None:
    def break_edit(data: dict[str, Any]) -> None:
        data["experiments"][1]["edits"][0]["layer"] = "nope"

    with pytest.raises(ValueError, match="add-a-hidden-layer: an edit names layer 'nope'"):
        load_lessons(_copy(tmp_path, break_edit), PRESETS)


def test_edits_set_insert_and_remove_layers() -> None:
    network = PRESETS["toy-mlp"]
    edited = edit_network(network, [
        LayerEdit(op="set", layer="hidden1", values={"activation": "relu", "units": 4}),
        LayerEdit(op="insert_after", layer="hidden1", values={"id": "drop", "type": "dropout",
                                                               "rate": 0.5}),
        LayerEdit(op="remove", layer="hidden2")])
    assert [layer.id for layer in edited.layers] == ["hidden1", "drop", "out"]
    first = edited.layer("hidden1")
    assert getattr(first, "activation") == "relu" and getattr(first, "units") == 4  # noqa: B009
    with pytest.raises(LessonError, match="invalid network"):
        edit_network(network, [LayerEdit(op="set", layer="out", values={"units": -1})])


def test_another_dataset_starts_without_the_lesson_s_dataset_options() -> None:
    lesson = LESSONS["recurrent"]
    characters = lesson.experiment("lstm-characters")
    assert lesson.training.dataset.options == {"n_samples": 600}
    training = apply_experiment(lesson_network(lesson, PRESETS), lesson.training, characters)[1]
    assert training.dataset.name == "chars"
    assert training.dataset.options == {"seq_len": 16, "stride": 4}
    assert training.optimizer == lesson.training.optimizer  # the rest still merges


def test_an_edit_sets_the_network_input_but_does_not_remove_it() -> None:
    network = PRESETS["lstm-sequence"]
    text = edit_network(network, [
        LayerEdit(op="set", layer="input", values={"shape": [16], "dtype": "token",
                                                   "vocab_size": 64}),
        LayerEdit(op="insert_after", layer="input", values={"id": "embed",
                                                            "type": "embedding", "dim": 8})])
    assert text.input.shape == [16] and text.input.vocab_size == 64
    assert [layer.id for layer in text.layers] == ["embed", "lstm", "out"]
    with pytest.raises(LessonError, match="input cannot be removed"):
        edit_network(network, [LayerEdit(op="remove", layer="input")])


def test_init_from_names_an_earlier_experiment(tmp_path: Path) -> None:
    def later(data: dict[str, Any]) -> None:
        data["experiments"][0]["init_from"] = "add-a-hidden-layer"

    with pytest.raises(ValueError, match="experiment perceptron-on-xor: init_from names "
                                         "'add-a-hidden-layer', not an experiment before it"):
        load_lessons(_copy(tmp_path, later), PRESETS)
    xor = LESSONS["xor"].model_dump(mode="json", exclude_none=True)
    xor["experiments"][1]["init_from"] = "perceptron-on-xor"
    lesson = LessonSpec.model_validate(xor)
    assert [e.id for e in experiments_to_run(lesson)] == ["perceptron-on-xor",
                                                          "add-a-hidden-layer"]


def test_only_the_runs_a_check_reads_are_trained() -> None:
    convolution = LESSONS["convolution-arithmetic"]
    trained = [e.id for e in experiments_to_run(convolution)]
    assert trained == [e.id for e in convolution.experiments if e.trains]


def test_a_margin_widens_a_comparison() -> None:
    check = Check(metric="test_accuracy", op="above", than="scratch", margin=0.05)
    assert check.holds(0.9, 0.8) and not check.holds(0.84, 0.8)
    below = Check(metric="test_mae", op="below", than="mse", margin=0.1)
    assert below.bound(0.5) == pytest.approx(0.4) and below.holds(0.3, 0.5)
    with pytest.raises(ValueError, match="a margin goes with than"):
        Check(metric="test_accuracy", op="above", value=0.9, margin=0.05)


def test_a_claim_reads_an_epoch_or_the_change_between_two() -> None:
    epochs = [{"train_loss": 2.0, "val_loss": 2.3, "grad_norm_ratio": 1e-4},
              {"train_loss": 1.0, "val_loss": 1.3, "grad_norm_ratio": 0.2},
              {"train_loss": 0.2, "val_loss": 0.5, "grad_norm_ratio": 0.4}]
    found = outcome(epochs, {"test_loss": 0.6})
    assert Check(metric="val_loss", op="below", value=1, epoch=2).measure(found) == 1.3
    assert Check(metric="gap", op="below", value=1, epoch=1).measure(found) == pytest.approx(0.3)
    fell = Check(metric="val_loss", op="below", value=-1.5, since=1)
    assert fell.measure(found) == pytest.approx(-1.8) and fell.reading == (
        "val_loss change from epoch 1 to the last")
    assert Check(metric="val_loss", op="below", value=0, since=1, epoch=2).measure(
        found) == pytest.approx(-1.0)
    assert Check(metric="val_loss", op="below", value=1, epoch=4).measure(found) is None
    assert Check(metric="grad_norm_ratio", op="above", value=0.3).measure(found) == 0.4
    with pytest.raises(ValueError, match="test_loss is measured once, at the end"):
        Check(metric="test_loss", op="below", value=1, epoch=2)
    with pytest.raises(ValueError, match=r"since \(3\) must be an epoch before epoch \(2\)"):
        Check(metric="val_loss", op="below", value=1, since=3, epoch=2)


def test_a_claim_at_an_epoch_compares_with_the_other_run_at_that_epoch() -> None:
    lesson = LESSONS["batchnorm-residual"]
    plain = outcome([{"val_loss": 2.3, "grad_norm_ratio": 2e-4},
                     {"val_loss": 2.3, "grad_norm_ratio": 0.0}], {})
    rescued = outcome([{"val_loss": 1.6, "grad_norm_ratio": 0.27},
                       {"val_loss": 0.9, "grad_norm_ratio": 0.6}], {})
    judged = {r.experiment: r for r in judge(lesson, lesson_network(lesson, PRESETS),
                                              {"plain": plain, "batchnorm": rescued})}
    checks = {c.claim.reading: c for c in judged["batchnorm"].checks
              if isinstance(c.claim, Check)}
    ratio, loss = checks["grad_norm_ratio at epoch 1"], checks["val_loss at epoch 2"]
    assert ratio.measured == 0.27 and ratio.against == pytest.approx(2e-4 + 0.1)
    assert ratio.holds is True
    assert loss.measured == 0.9 and loss.against == pytest.approx(2.3 - 1.0)
    assert loss.holds is True


@pytest.mark.parametrize(("layer", "message"), [
    ("nope", "reads the gradient norm of layer 'nope', not one of"),
    ("hidden", "reads the gradient norm of layer 'hidden', which is frozen")])
def test_a_gradient_claim_names_a_trainable_layer_of_the_network(
        tmp_path: Path, layer: str, message: str) -> None:
    def claim(data: dict[str, Any]) -> None:
        hidden = data["experiments"][1]
        hidden["edits"][0]["values"]["trainable"] = False
        hidden["checks"].append({"metric": f"grad_norm/{layer}", "op": "above", "value": 0})

    with pytest.raises(ValueError, match=f"add-a-hidden-layer: a check {message}"):
        load_lessons(_copy(tmp_path, claim), PRESETS)


def test_near_zero_weights_is_the_share_of_small_weights_biases_left_out() -> None:
    state = {"dense.weight": torch.tensor([[0.0, 0.005], [-0.009, 0.5]]),
             "dense.bias": torch.zeros(2),
             "conv.weight": torch.full((1, 1, 2, 2), -0.02)}
    assert weight_outcome(state) == {"near_zero_weights": pytest.approx(3 / 8)}
    assert weight_outcome({"dense.bias": torch.zeros(2)}) == {}
    assert LESSONS["overfitting"].reads_weights and not LESSONS["xor"].reads_weights


def test_the_step_losses_give_the_steps_per_epoch_their_noise_and_a_divergence() -> None:
    epochs = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    found = step_outcome(epochs, [2.3, 2.0, 1.8, 1.5, 1.0, 1.4, 1.0])
    assert found == {"steps_per_epoch": 4.0, "diverged": 0.0,
                     "loss_noise": pytest.approx(0.4 / (3.4 / 3))}  # the last epoch's
    smooth = step_outcome(epochs, [2.3, 2.0, 1.8, 1.5, 1.2, 1.2, 1.2])
    assert smooth["loss_noise"] == 0.0
    diverged = step_outcome([0.0, 0.0, 0.0], [2.3, 40.0, math.nan])
    assert diverged == {"steps_per_epoch": 3.0, "diverged": 1.0}  # no noise of a NaN
    assert step_outcome([0.0], [0.5]) == {"steps_per_epoch": 1.0, "diverged": 0.0}
    assert step_outcome([], []) == {}


def test_the_attention_example_states_the_softmax_it_claims() -> None:
    check = AttentionCheck(layer="block1", scores=[112, 96], d_k=64, weights=[0.88, 0.12])
    assert check.expected() == pytest.approx([0.8808, 0.1192], abs=1e-4)
    with pytest.raises(ValueError, match=r"softmax\(scores / sqrt\(16\)\) is \[0.9820, "
                                         r"0.0180\], not \[0.88, 0.12\]"):
        AttentionCheck(layer="block1", scores=[112, 96], d_k=16, weights=[0.88, 0.12])
    with pytest.raises(ValueError, match="2 scores need 2 weights, not 3"):
        AttentionCheck(layer="block1", scores=[112, 96], d_k=64, weights=[0.88, 0.12, 0])


def test_an_attention_check_names_an_attention_layer(tmp_path: Path) -> None:
    def on_dense(data: dict[str, Any]) -> None:
        data["experiments"][0]["checks"].append(
            {"layer": "out", "scores": [112, 96], "d_k": 64, "weights": [0.88, 0.12]})

    with pytest.raises(ValueError, match="attention check names layer 'out', a dense"):
        load_lessons(_copy(tmp_path, on_dense), PRESETS)


def _copy_convolution(tmp_path: Path, change: Any) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    name = "07-convolution-arithmetic.json"
    data = json.loads((MODELS / "lessons" / name).read_text(encoding="utf-8"))
    change(data["experiments"][4])
    (folder / name).write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_a_convolution_example_must_be_what_the_kernel_gives_by_hand(tmp_path: Path) -> None:
    def off_by_one(experiment: dict[str, Any]) -> None:
        experiment["checks"][0]["output"][2][2] = 4

    with pytest.raises(ValueError, match=r"claims \[\[3.0, 0.0, 2.0, 0.0, 3.0\], .* but the "
                                         r"kernel worked by hand gives \[\[3.0"):
        load_lessons(_copy_convolution(tmp_path, off_by_one), PRESETS)


def test_a_convolution_example_needs_a_kernel_set_by_hand(tmp_path: Path) -> None:
    def no_weights(experiment: dict[str, Any]) -> None:
        del experiment["edits"][0]["values"]["weights"]

    with pytest.raises(ValueError, match="layer 'conv' sets no weights"):
        load_lessons(_copy_convolution(tmp_path, no_weights), PRESETS)


def test_the_convolution_examples_are_worked_by_the_real_layer() -> None:
    lesson = LESSONS["convolution-arithmetic"]
    network = lesson_network(lesson, PRESETS)
    judged = {r.experiment: r for r in judge(lesson, network, {})}
    by_hand = judged["by-hand"].checks[0]
    assert by_hand.holds is True
    assert by_hand.measured == [3, 0, 2, 0, 3, 0, 3, 0, 3, 0, 2, 0, 5, 0, 2, 0, 3, 0, 3, 0,
                                3, 0, 2, 0, 3]
    flat, digit = judged["laplacian"].checks
    assert flat.holds is True and flat.measured == [0.0] * 9
    assert digit.holds is True and min(digit.measured or [0]) == pytest.approx(-2.0625)


def run_experiment(network: NetworkSpec, lesson: LessonSpec, experiment: ExperimentSpec,
                   folder: Path) -> dict[str, float]:
    """What the experiment's checks read once it has run (its metrics and its final
    weights), its checkpoint in `folder/<id>`.
    One with init_from starts, as the runs service starts a run, from the layers of the
    named experiment's final checkpoint that match by id and shape."""
    spec, training = apply_experiment(network, lesson.training, experiment)
    run_dir = folder / experiment.id
    start = None
    if experiment.init_from is not None:
        source = load_latest(folder / experiment.init_from / CHECKPOINT_NAME).checkpoint
        matched = match_into(spec, source.model, f"experiment {experiment.init_from}")
        save_start(run_dir, matched)
        start = Start(run_dir / INIT_WEIGHTS)
    epochs: list[dict[str, float]] = []
    steps: tuple[list[float], list[float]] = ([], [])  # each step's epoch and loss

    def keep(event: TrainingEvent) -> None:
        if isinstance(event, EpochEvent):
            epochs.append(event.metrics)
        if isinstance(event, MetricsEvent) and "train_loss" in event.values:
            steps[0].extend(map(float, event.epoch))
            steps[1].extend(event.values["train_loss"])

    final = run_local(spec, training, keep, checkpoint_dir=run_dir, start=start)
    found = outcome(epochs, final.metrics) | step_outcome(*steps)
    if final.status == "diverged" and any(isinstance(c, Check) and c.metric == "diverged"
                                          for c in experiment.checks):
        return found  # the claim is that it diverges: it leaves no final weights
    assert final.status == "completed", final.reason
    return found | weight_outcome(load_latest(run_dir / CHECKPOINT_NAME).checkpoint.model)


def experiments_to_run(lesson: LessonSpec) -> list[ExperimentSpec]:
    """The experiments whose runs a check reads (its own, or another's it compares with)
    and those they start from, in the lesson's order."""
    needed = {e.id for e in lesson.experiments if e.trains}
    needed |= {c.than for e in lesson.experiments for c in e.checks
               if isinstance(c, Check) and c.than is not None}
    for experiment in reversed(lesson.experiments):  # a source comes before its user
        if experiment.id in needed and experiment.init_from is not None:
            needed.add(experiment.init_from)
    return [e for e in lesson.experiments if e.id in needed]


def _shown(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Lessons train small networks, which one thread trains faster than several that
    fight over the cores of a shared machine (a transformer lesson: 7 s against 130 s
    on two busy cores); the claims do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", list(LESSONS))
@pytest.mark.usefixtures("one_thread")
def test_every_claim_of_a_lesson_holds(lesson_id: str, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path, record_property: Any) -> None:
    if SHARED_MNIST.exists():  # mnist-10k reads the shared real digits
        monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(SHARED_MNIST))
    lesson = LESSONS[lesson_id]
    network = lesson_network(lesson, PRESETS)
    results = {e.id: run_experiment(network, lesson, e, tmp_path)
               for e in experiments_to_run(lesson)}
    judged_all = judge(lesson, network, results)
    record_property("detail", "; ".join(
        f"{judged.experiment} {check.claim.reading} {_shown(check.measured)} "
        f"{check.claim.op} {_shown(check.against)}"
        for judged in judged_all for check in judged.checks if isinstance(check.claim, Check)))
    for experiment, judged in zip(lesson.experiments, judged_all, strict=True):
        for check in judged.checks:
            assert check.holds is True, (
                f"{lesson_id}/{experiment.id}: {check.claim.model_dump(exclude_none=True)} "
                f"measured {check.measured} against {check.against}; it claims: "
                f"{experiment.expect.en}")
