"""Guided lessons, in the language asked for: the course chapter by chapter, each with
the network, settings and experiments to run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from app.api.deps import LessonsDep, PresetsDep
from app.api.schemas import ErrorOut
from app.inspect import WorkedAttention, worked_attention
from app.nn import build
from app.spec import ActivationName, NetworkSpec
from app.spec.lessons import (
    AnyCheck,
    AttentionCheck,
    ExperimentSpec,
    Lang,
    LessonSpec,
    apply_experiment,
    lesson_network,
)
from app.spec.presets import networks
from app.spec.training import TrainingSpec

router = APIRouter(prefix="/lessons", tags=["lessons"])
LangQuery = Annotated[Lang, Query(description="The language of the texts: en or es.")]


class LessonSummaryOut(BaseModel):
    id: str
    chapter: int
    title: str
    teaches: str
    experiments: int


class ExperimentOut(BaseModel):
    id: str
    title: str
    change: str = Field(description="What the experiment changes, in words.")
    edits: list[dict[str, Any]] = Field(description="The edits of the network.")
    training_changes: dict[str, Any] = Field(description="The settings it changes.")
    init_from: str | None = Field(description=(
        "The earlier experiment whose run's weights it starts from (every layer whose id "
        "and shapes match: a run's init_from), or null for fresh weights."))
    watch: str = Field(description="The chart or view that shows the outcome.")
    expect: str = Field(description="What should happen.")
    checks: list[AnyCheck] = Field(description="The claims a test verifies.")
    worked: list[WorkedAttention] = Field(description=(
        "Each attention check worked out by the real layer it names, in the experiment's "
        "network: the vectors fed, the dot products and the weights the layer computed."))
    network: NetworkSpec = Field(description="The network the experiment trains.")
    training: TrainingSpec = Field(description="The settings it trains with.")


class LessonOut(BaseModel):
    id: str
    chapter: int
    title: str
    teaches: str = Field(description="What the lesson teaches.")
    preset: str | None = Field(description="The preset its network is, if it is one.")
    network: NetworkSpec
    training: TrainingSpec
    experiments: list[ExperimentOut]
    activations: list[ActivationName] = Field(description=(
        "The activation functions it compares, to draw (f and f') from /activations."))


def _summary(lesson: LessonSpec, lang: Lang) -> LessonSummaryOut:
    return LessonSummaryOut(id=lesson.id, chapter=lesson.chapter, title=lesson.title[lang],
                            teaches=lesson.teaches[lang], experiments=len(lesson.experiments))


@router.get("")
def list_lessons(lessons: LessonsDep, lang: LangQuery = "en") -> list[LessonSummaryOut]:
    """The lessons in the course's order."""
    return [_summary(lesson, lang) for lesson in lessons.values()]


@router.get("/{lesson_id}", responses={404: {"model": ErrorOut, "description": "No such lesson."}})
def get_lesson(lesson_id: str, lessons: LessonsDep, presets: PresetsDep,
               lang: LangQuery = "en") -> LessonOut:
    """One lesson: its network and settings, and each experiment with what it runs."""
    if lesson_id not in lessons:
        raise HTTPException(404, f"no lesson {lesson_id!r}; known: {', '.join(lessons)}")
    lesson = lessons[lesson_id]
    network = lesson_network(lesson, networks(presets))
    experiments = []
    for experiment in lesson.experiments:
        spec, training = apply_experiment(network, lesson.training, experiment)
        experiments.append(ExperimentOut(
            id=experiment.id, title=experiment.title[lang], change=experiment.change[lang],
            edits=[edit.model_dump(mode="json") for edit in experiment.edits],
            training_changes=experiment.training, init_from=experiment.init_from,
            watch=experiment.watch, expect=experiment.expect[lang], checks=experiment.checks,
            worked=_worked(spec, experiment), network=spec, training=training))
    return LessonOut(id=lesson.id, chapter=lesson.chapter, title=lesson.title[lang],
                     teaches=lesson.teaches[lang], preset=lesson.preset, network=network,
                     training=lesson.training, experiments=experiments,
                     activations=lesson.activations)


def _worked(spec: NetworkSpec, experiment: ExperimentSpec) -> list[WorkedAttention]:
    claims = [c for c in experiment.checks if isinstance(c, AttentionCheck)]
    if not claims:
        return []
    model = build(spec, device="cpu")
    return [worked_attention(model, claim.layer, claim.scores) for claim in claims]
