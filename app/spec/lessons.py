"""Guided lessons: content, not code. A lesson is a network (a preset or its own spec), a
dataset and training settings, and two to six experiments; an experiment is an edit of
the network or the settings, what to watch, what should happen and the checks that claim
it, and may start from the weights another experiment of the lesson ends with. Every
text is in each of LANGS; a lesson file that lacks one does not load."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from app.spec.base import NETWORK_INPUT, ActivationName, LayerId, SpecModel
from app.spec.errors import describe_validation
from app.spec.layers.conv import Conv2dSpec
from app.spec.lesson_checks import (
    ATTENTION_LAYERS,
    NEAR_ZERO,
    SLUG,
    WORKED,
    AnyCheck,
    AttentionCheck,
    Check,
    ConvolutionCheck,
    ShapeCheck,
    outcome,
    worked_by_hand,
)
from app.spec.network import NetworkSpec
from app.spec.training import TrainingSpec, lay_over

LANGS = ("en", "es")
Lang = Literal["en", "es"]
View = Literal["loss", "accuracy", "boundary", "histograms", "filters", "feature maps",
               "confusion", "reconstructions", "latent space", "samples", "attention",
               "runs", "units"]


class Text(SpecModel):
    """One text in every language the lessons are written in."""

    en: str = Field(min_length=1, max_length=4000)
    es: str = Field(min_length=1, max_length=4000)

    def __getitem__(self, lang: str) -> str:
        return str(getattr(self, lang))


class LayerEdit(SpecModel):
    """One change to the lesson's network."""

    op: Literal["set", "insert_after", "remove"] = Field(description=(
        "set: change fields of `layer` ('input': of the network input, e.g. its shape); "
        "insert_after: put the layer in `values` after `layer` ('input': first); remove: "
        "drop `layer`."))
    layer: LayerId | Literal["input"] = Field(description="The layer the edit is about.")
    values: dict[str, Any] = Field(default_factory=dict, description=(
        "set: the fields and their new values; insert_after: the new layer's spec."))


class ExperimentSpec(SpecModel):
    """Something to try: a change, what to watch, and what should happen."""

    id: str = Field(pattern=SLUG, max_length=64)
    title: Text
    change: Text = Field(description="What the experiment changes, in words.")
    edits: list[LayerEdit] = Field(default_factory=list, max_length=32)
    training: dict[str, Any] = Field(default_factory=dict, description=(
        "Training settings merged into the lesson's (nested groups merge key by key; "
        "naming another dataset starts from none of the lesson's dataset options)."))
    init_from: str | None = Field(default=None, pattern=SLUG, description=(
        "Start from the weights that this earlier experiment of the lesson ends with "
        "(every layer whose id and shapes match, as a run's init_from), e.g. to fine-tune "
        "a head on a feature extractor trained there; that experiment runs first."))
    watch: View = Field(description="The chart or view that shows the outcome.")
    expect: Text = Field(description="What should happen.")
    checks: list[AnyCheck] = Field(min_length=1, max_length=8, description=(
        "The claims of `expect`, checked by running the experiment (or, for shapes and "
        "the worked examples, on its network without training)."))

    @property
    def trains(self) -> bool:
        """Whether a check needs the experiment's run (the others read its network)."""
        return any(isinstance(check, Check) for check in self.checks)


class LessonSpec(SpecModel):
    """One chapter of the course as experiments to run."""

    id: str = Field(pattern=SLUG, max_length=64)
    chapter: int = Field(ge=1, le=100)
    title: Text
    teaches: Text = Field(description="What the lesson teaches.")
    preset: str | None = Field(default=None, pattern=SLUG, description="A preset network.")
    network: NetworkSpec | None = Field(default=None, description="Or a network of its own.")
    training: TrainingSpec
    experiments: list[ExperimentSpec] = Field(min_length=2, max_length=6)
    activations: list[ActivationName] = Field(default_factory=list, max_length=6, description=(
        "Activation functions the lesson compares: each is drawn, f and f', beside it."))

    @model_validator(mode="after")
    def _one_network(self) -> LessonSpec:
        if (self.preset is None) == (self.network is None):
            raise ValueError("a lesson names a preset or gives a network, one of them")
        if len(set(self.activations)) != len(self.activations):
            raise ValueError(f"activations repeat: {self.activations}")
        ids = [experiment.id for experiment in self.experiments]
        if len(set(ids)) != len(ids):
            raise ValueError(f"experiment ids repeat: {ids}")
        for at, experiment in enumerate(self.experiments):
            for check in experiment.checks:
                if isinstance(check, Check) and check.than is not None and check.than not in ids:
                    raise ValueError(f"experiment {experiment.id}: a check compares with "
                                     f"{check.than!r}, not an experiment of this lesson")
            if experiment.init_from is not None and experiment.init_from not in ids[:at]:
                raise ValueError(f"experiment {experiment.id}: init_from names "
                                 f"{experiment.init_from!r}, not an experiment before it "
                                 f"(before it: {ids[:at] or 'none'})")
        return self

    @property
    def reads_weights(self) -> bool:
        """Whether a claim reads the final weights of a run (not only its metrics)."""
        return any(isinstance(check, Check) and check.metric == NEAR_ZERO
                   for experiment in self.experiments for check in experiment.checks)

    def experiment(self, experiment_id: str) -> ExperimentSpec:
        return next(e for e in self.experiments if e.id == experiment_id)


class LessonError(ValueError):
    """A lesson or an experiment that does not apply."""


def edit_network(network: NetworkSpec, edits: list[LayerEdit]) -> NetworkSpec:
    """The network after the edits, validated again; a LessonError names a bad edit."""
    data = network.model_dump(mode="json", exclude_none=True)
    layers: list[dict[str, Any]] = data["layers"]
    for edit in edits:
        ids = [layer["id"] for layer in layers]
        if edit.layer != NETWORK_INPUT and edit.layer not in ids:
            raise LessonError(f"an edit names layer {edit.layer!r}, not one of {ids}")
        at = -1 if edit.layer == NETWORK_INPUT else ids.index(edit.layer)
        if edit.layer == NETWORK_INPUT and edit.op != "insert_after":
            if edit.op == "remove":
                raise LessonError("the network input cannot be removed")
            data["input"] = {**data["input"], **edit.values}
        elif edit.op == "set":
            layers[at] = {**layers[at], **edit.values}
        elif edit.op == "insert_after":
            layers.insert(at + 1, dict(edit.values))
        else:
            layers.pop(at)
    try:
        return NetworkSpec.model_validate(data)
    except ValidationError as exc:
        raise LessonError(f"the edits give an invalid network: "
                          f"{describe_validation(exc, data)}") from None


def apply_experiment(network: NetworkSpec, training: TrainingSpec,
                     experiment: ExperimentSpec) -> tuple[NetworkSpec, TrainingSpec]:
    """The network and settings an experiment runs with."""
    changed = lay_over(training, experiment.training)
    try:
        settings = TrainingSpec.model_validate(changed)
    except ValidationError as exc:
        raise LessonError(f"experiment {experiment.id!r} gives invalid settings: "
                          f"{describe_validation(exc, changed)}") from None
    return edit_network(network, experiment.edits), settings


def load_lessons(folder: Path, presets: Mapping[str, NetworkSpec]) -> dict[str, LessonSpec]:
    """Every `*.json` in folder by lesson id, in chapter order. A lesson that does not load,
    names an unknown preset, or has an experiment that does not apply is an error."""
    lessons: list[LessonSpec] = []
    for path in sorted(folder.glob("*.json")):
        try:
            lesson = LessonSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"lesson {path.name} is invalid: {exc}") from exc
        if lesson.preset is not None and lesson.preset not in presets:
            raise ValueError(f"lesson {path.name} names preset {lesson.preset!r}, which "
                             "does not exist")
        network = lesson_network(lesson, presets)
        for experiment in lesson.experiments:
            try:
                spec = apply_experiment(network, lesson.training, experiment)[0]
                check_layers(spec, experiment)
            except LessonError as exc:
                raise ValueError(f"lesson {path.name}, experiment {experiment.id}: {exc}") \
                    from None
        lessons.append(lesson)
    ids = [lesson.id for lesson in lessons]
    if len(set(ids)) != len(ids):
        raise ValueError(f"lesson ids repeat: {ids}")
    return {lesson.id: lesson for lesson in sorted(lessons, key=lambda item: item.chapter)}


def check_layers(spec: NetworkSpec, experiment: ExperimentSpec) -> None:
    """The layers that shape, gradient-norm and worked-example checks name are in the
    experiment's network (a gradient norm's trainable; an attention check's of an
    attention kind; a convolution check's a conv2d whose kernel, worked by hand over the
    image, gives the output claimed)."""
    kinds = {layer.id: layer.type for layer in spec.layers}
    for check in experiment.checks:
        if isinstance(check, Check) and check.gradient_layer is not None:
            _check_gradient_layer(spec, check.gradient_layer)
        if isinstance(check, (ShapeCheck, *WORKED)) and check.layer not in kinds:
            raise LessonError(f"a check names layer {check.layer!r}, not one of {list(kinds)}")
        if isinstance(check, AttentionCheck) and kinds[check.layer] not in ATTENTION_LAYERS:
            raise LessonError(f"the attention check names layer {check.layer!r}, a "
                              f"{kinds[check.layer]}: name a {' or '.join(ATTENTION_LAYERS)}")
        if isinstance(check, ConvolutionCheck):
            _check_by_hand(spec, check)


def _check_gradient_layer(spec: NetworkSpec, layer_id: str) -> None:
    ids = [layer.id for layer in spec.layers]
    if layer_id not in ids:
        raise LessonError(f"a check reads the gradient norm of layer {layer_id!r}, not one "
                          f"of {ids}")
    if not spec.layer(layer_id).trainable:
        raise LessonError(f"a check reads the gradient norm of layer {layer_id!r}, which "
                          "is frozen (trainable false): it has no gradient")


def _check_by_hand(spec: NetworkSpec, check: ConvolutionCheck) -> None:
    layer = spec.layer(check.layer)
    if not isinstance(layer, Conv2dSpec):
        raise LessonError(f"the convolution check names layer {check.layer!r}, a "
                          f"{layer.type}: name a conv2d")
    try:
        by_hand = worked_by_hand(layer, check)
    except ValueError as exc:
        raise LessonError(f"the convolution check: {exc}") from None
    if not check.holds(by_hand):
        raise LessonError(f"the convolution check on {check.layer!r} claims {check.output}, "
                          f"but the kernel worked by hand gives {by_hand}")


def lesson_network(lesson: LessonSpec, presets: Mapping[str, NetworkSpec]) -> NetworkSpec:
    if lesson.network is not None:
        return lesson.network
    assert lesson.preset is not None
    return presets[lesson.preset]


__all__ = ["LANGS", "AnyCheck", "AttentionCheck", "Check", "ConvolutionCheck", "ExperimentSpec",
           "LayerEdit",
           "LessonError", "LessonSpec", "ShapeCheck", "Text", "apply_experiment",
           "check_layers", "edit_network", "lesson_network", "load_lessons",
           "outcome"]
