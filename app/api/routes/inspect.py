"""Look inside a run's network. One route per inspect view, built from the view registry
(app.runs.views): views of one input are POST (the input may be a sample index, an array
or a drawn PNG), views of the model or of a data split are GET with their parameters in
the query. `epoch` picks the weights kept at an epoch's end; without it the latest
checkpoint is used. GET /runs/{id}/inspect lists the views that apply to a run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from inspect import Parameter, Signature
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, create_model

from app.api.deps import SubjectsDep
from app.api.schemas import ErrorOut, Responses
from app.inspect import InspectError
from app.inspect.figure import figure_png
from app.runs.artifacts import saved_epochs
from app.runs.views import VIEWS, RunFacts, View, views_for
from app.runs.views.inputs import GenerateIn, written
from app.spec.training import TaskKind

router = APIRouter(prefix="/runs/{run_id}/inspect", tags=["inspect"])
ERRORS: Responses = {
    404: {"model": ErrorOut, "description": "No run has this id."},
    409: {"model": ErrorOut, "description": "The run has no weights yet."},
}


class ViewOut(BaseModel):
    """One inspect view that applies to the run."""

    name: str = Field(description="The view's id: its path under /runs/{id}/inspect/.")
    title: str
    description: str
    method: Literal["GET", "POST"] = Field(description=(
        "GET views take their parameters in the query, POST views in the body."))
    path: str = Field(description="Its URL path under the API root, for this run.")
    params: dict[str, Any] = Field(description="The JSON schema of its parameters.")


class ViewsOut(BaseModel):
    task: TaskKind = Field(description="The task the run trains (its dataset's first when "
                                       "its settings name none).")
    views: list[ViewOut]


class EpochsOut(BaseModel):
    epochs: list[int] = Field(description="Epochs whose end-of-epoch weights are kept.")


@router.get("", responses={404: ERRORS[404]})
def inspect_views(run_id: str, subjects: SubjectsDep) -> ViewsOut:
    """The inspect views that apply to a run (its task, input and layers decide), each
    with its parameters' schema."""
    run = subjects.runs.get(run_id)
    facts = RunFacts.of(run.spec, run.training)
    return ViewsOut(task=facts.kind.name, views=[ViewOut(
        name=v.name, title=v.title, description=v.description, method=v.method,
        path=f"/runs/{run.id}/inspect/{v.name}", params=v.params.model_json_schema(),
    ) for v in views_for(facts)])


@router.get("/epochs", responses={404: ERRORS[404]})
def inspect_epochs(run_id: str, subjects: SubjectsDep) -> EpochsOut:
    """Epochs whose weights are kept for inspection (thinned evenly when there are many)."""
    return EpochsOut(epochs=saved_epochs(subjects.run_dir(subjects.runs.get(run_id))))


STREAM_RESPONSES: Responses = {**ERRORS, 200: {
    "description": "One JSON object per line: {\"text\": the next characters} as they are "
                   "written, then {\"done\": true}.",
    "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}}


@router.post("/generate/stream", responses=STREAM_RESPONSES, response_class=StreamingResponse)
def inspect_generate_stream(run_id: str, params: GenerateIn,
                            subjects: SubjectsDep) -> StreamingResponse:
    """What /inspect/generate writes, sent character by character as it is written, so
    the text appears as it grows; closing the connection stops the writing."""
    subject = subjects.subject(run_id, params.epoch)
    facts = RunFacts.of(subject.run.spec, subject.run.training)
    if not VIEWS["generate"].fits(facts):
        raise InspectError("text generation needs a next-token model over characters "
                           "(e.g. the chars dataset)")
    characters = written(subject, params, subject.lock)  # checks the prompt now: a 422

    def lines() -> Iterator[bytes]:
        for character in characters:
            yield json.dumps({"text": character}).encode() + b"\n"
        yield b'{"done": true}\n'

    return StreamingResponse(lines(), media_type="application/x-ndjson")


Format = Literal["json", "png"]
FORMAT_TEXT = "json: the answer's numbers; png: a figure of its arrays, for a slide or a report."
FORMAT = Query(description=FORMAT_TEXT)
PNG: Responses = {200: {"content": {"image/png": {}},
                        "description": "The answer, or with format=png a figure of it."}}


def _add_route(view: View[Any, Any]) -> None:
    """The view's own operation, typed by its parameters and answer models."""

    def answer(run_id: str, params: Any, subjects: Any, format: Format) -> Any:
        answer = view.answer_for(subjects, run_id, params)
        if format == "png":
            return Response(figure_png(answer, f"{view.title}: run {run_id}"),
                            media_type="image/png")
        return answer

    where = Parameter.POSITIONAL_OR_KEYWORD
    common = [Parameter("run_id", where, annotation=str),
              Parameter("subjects", where, annotation=SubjectsDep)]
    if view.method == "POST":  # the body holds the parameters, the query the format
        def endpoint(run_id: str, params: Any, subjects: Any, format: Format = "json") -> Any:
            return answer(run_id, params, subjects, format)

        extra = [Parameter("params", where, annotation=view.params),
                 Parameter("format", where, annotation=Annotated[Format, FORMAT],
                           default="json")]
    else:  # one query model (which forbids what it does not know): the format joins it
        query = create_model(view.params.__name__ + "Query", __base__=view.params,
                             format=(Format, Field(default="json", description=FORMAT_TEXT)))

        def endpoint(run_id: str, params: Any, subjects: Any) -> Any:  # type: ignore[misc]
            asked = view.params.model_validate(params.model_dump(exclude={"format"}))
            return answer(run_id, asked, subjects, params.format)

        extra = [Parameter("params", where, annotation=Annotated[query, Query()])]
    endpoint.__signature__ = Signature(  # type: ignore[attr-defined]
        [common[0], *extra[:1], common[1], *extra[1:]], return_annotation=view.answer)
    router.add_api_route(f"/{view.name}", endpoint, methods=[view.method], name=view.operation,
                         response_model=view.answer, responses={**ERRORS, **PNG},
                         summary=view.title, description=view.description)


for _view in VIEWS.values():
    _add_route(_view)
