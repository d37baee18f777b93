"""How a learner's runs of a lesson came out: each experiment's claims, measured on the
runs the browser trained them as."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from app.api.deps import LessonsDep, PresetsDep, RunsDep
from app.api.schemas import ErrorOut
from app.api.viewer import OptionalViewer, visible
from app.runs.lesson_results import ExperimentResult, judge_runs
from app.spec.lessons import lesson_network
from app.spec.presets import networks

router = APIRouter(prefix="/lessons", tags=["lessons"])


class ResultsIn(BaseModel):
    runs: dict[str, str] = Field(max_length=8, description=(
        "Experiment id -> the run that trained it (experiments not named have no run)."))


@router.post("/{lesson_id}/results", responses={
    404: {"model": ErrorOut, "description": "No such lesson."},
    422: {"model": ErrorOut, "description": "An experiment the lesson does not have."}})
def lesson_results(lesson_id: str, body: ResultsIn, lessons: LessonsDep, presets: PresetsDep,
                   runs: RunsDep, request: Request, viewer: OptionalViewer
                   ) -> list[ExperimentResult]:
    """Each experiment's claims with the value its run measured and whether it holds. A
    claim is unknown (null) until its run completes or diverges; a run that is gone counts
    as none."""
    if lesson_id not in lessons:
        raise HTTPException(404, f"no lesson {lesson_id!r}; known: {', '.join(lessons)}")
    lesson = lessons[lesson_id]
    experiments = {experiment.id: experiment for experiment in lesson.experiments}
    unknown = sorted(set(body.runs) - set(experiments))
    if unknown:
        raise HTTPException(422, f"lesson {lesson_id!r} has no experiment {', '.join(unknown)}; "
                                 f"its experiments: {', '.join(experiments)}")
    seen = {run.id for run in runs.existing(list(body.runs.values()))
            if visible(request, viewer, run.owner)}  # another user's run counts as none
    mine = {experiment: run_id for experiment, run_id in body.runs.items() if run_id in seen}
    return judge_runs(runs, lesson, lesson_network(lesson, networks(presets)), mine)
