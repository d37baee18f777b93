"""The guided lessons: every one loads in both languages, a missing translation or a
broken edit stops it loading, and every claim an experiment makes holds when it runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from app.nn import analyze
from app.runs import run_local
from app.spec import NetworkSpec
from app.spec.events import EpochEvent, TrainingEvent
from app.spec.lessons import (
    LANGS,
    LayerEdit,
    LessonError,
    LessonSpec,
    ShapeCheck,
    Text,
    apply_experiment,
    edit_network,
    lesson_network,
    load_lessons,
    outcome,
)
from app.spec.presets import load_presets

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


def run_experiment(network: NetworkSpec, lesson: LessonSpec,
                   experiment_id: str) -> dict[str, float]:
    """What the experiment's checks read once it has run."""
    experiment = next(e for e in lesson.experiments if e.id == experiment_id)
    spec, training = apply_experiment(network, lesson.training, experiment)
    epochs: list[dict[str, float]] = []

    def keep(event: TrainingEvent) -> None:
        if isinstance(event, EpochEvent):
            epochs.append(event.metrics)

    final = run_local(spec, training, keep)
    assert final.status == "completed", final.reason
    return outcome(epochs, final.metrics)


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_claim_of_a_lesson_holds(lesson_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if SHARED_MNIST.exists():  # mnist-10k reads the shared real digits
        monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(SHARED_MNIST))
    lesson = LESSONS[lesson_id]
    network = lesson_network(lesson, PRESETS)
    results = {e.id: run_experiment(network, lesson, e.id) for e in lesson.experiments}
    for experiment in lesson.experiments:
        spec = apply_experiment(network, lesson.training, experiment)[0]
        shapes = {layer.id: list(layer.output_shape) for layer in analyze(spec).layers}
        for check in experiment.checks:
            if isinstance(check, ShapeCheck):
                assert shapes[check.layer] == check.shape, (
                    f"{lesson_id}/{experiment.id}: '{check.layer}' gives {shapes[check.layer]}, "
                    f"not {check.shape}; it claims: {experiment.expect.en}")
                continue
            mine = results[experiment.id][check.metric]
            other = results[check.than][check.metric] if check.than else None
            assert check.holds(mine, other), (
                f"{lesson_id}/{experiment.id}: {check.metric} = {mine:.4g} is not {check.op} "
                f"{check.value if other is None else other:.4g}; it claims: {experiment.expect.en}")
