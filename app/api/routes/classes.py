"""Classes, assignments, submissions and the teacher's dashboard (with the marks as
CSV). Only on a server with accounts (404 without)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.api.deps import PresetsDep, RunsDep
from app.api.routes.runs import resolve_model, resolve_training
from app.api.schemas import ErrorOut, PresetRef
from app.api.viewer import SignedIn, get_classroom, guard_path
from app.classroom import grading
from app.classroom.marking import LockedField
from app.classroom.models import (
    AssignmentIn,
    AssignmentOut,
    AssignmentSpec,
    ClassOut,
    Dashboard,
    SubmissionOut,
    UserOut,
)
from app.classroom.service import Classroom, ClassroomError, Forbidden, NotFound

ClassroomDep = Annotated[Classroom, Depends(get_classroom)]
T = TypeVar("T")
router = APIRouter(tags=["classroom"], dependencies=[Depends(guard_path)], responses={
    401: {"model": ErrorOut, "description": "Not signed in."},
    403: {"model": ErrorOut, "description": "Not the teacher's, or not a student's, to do."},
    404: {"model": ErrorOut, "description": "No such thing in your classes (or this server "
                                            "has no accounts)."}})


class ClassIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)


class JoinIn(BaseModel):
    code: str = Field(min_length=4, max_length=32, description="The class's invite code.")


class SubmitIn(BaseModel):
    run_id: str = Field(min_length=1, max_length=64)


def _answer(call: Callable[[], T]) -> T:
    """The classroom's refusals as HTTP errors."""
    try:
        return call()
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
    except (ClassroomError, LockedField) as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/classes", status_code=201)
def create_class(body: ClassIn, viewer: SignedIn, classroom: ClassroomDep) -> ClassOut:
    """A teacher's new class, with the invite code its students join with."""
    return _answer(lambda: classroom.create_class(viewer.user, body.name))


@router.get("/classes")
def list_classes(viewer: SignedIn, classroom: ClassroomDep) -> list[ClassOut]:
    """The classes the user teaches or has joined."""
    return classroom.classes(viewer.user)


@router.post("/classes/join")
def join_class(body: JoinIn, viewer: SignedIn, classroom: ClassroomDep) -> ClassOut:
    """A student joins a class with its invite code."""
    return _answer(lambda: classroom.join(viewer.user, body.code))


@router.get("/classes/{class_id}/students")
def class_students(class_id: str, viewer: SignedIn, classroom: ClassroomDep) -> list[UserOut]:
    """A class's students (its teacher only)."""
    students = _answer(lambda: classroom.students(viewer.user, class_id))
    return [UserOut(id=s.id, name=s.name, role=s.role) for s in students]


@router.post("/classes/{class_id}/assignments", status_code=201, responses={
    422: {"model": ErrorOut, "description": "A preset that does not exist, settings "
                                            "missing, or a criterion that does not parse."}})
def create_assignment(class_id: str, body: AssignmentIn, viewer: SignedIn,
                      classroom: ClassroomDep, presets: PresetsDep) -> AssignmentOut:
    """Set an assignment: a preset's (or the teacher's own) network and settings, the
    fields students may not change, the controls their editor hides, and the criteria
    their run is marked by."""
    if (body.preset is None) == (body.network is None):
        raise HTTPException(422, "an assignment starts from a preset or a network: one")
    model = PresetRef(preset=body.preset) if body.preset is not None else body.network
    assert model is not None
    network = resolve_model(model, presets)
    training = resolve_training(model, body.training, presets)
    spec = AssignmentSpec(network=network, training=training,
                          **body.model_dump(exclude={"preset", "network", "training"}))
    return _answer(lambda: classroom.set_assignment(viewer.user, class_id, spec))


@router.get("/assignments")
def list_assignments(viewer: SignedIn, classroom: ClassroomDep) -> list[AssignmentOut]:
    """The assignments of every class the user teaches or has joined, oldest first."""
    return classroom.assignments(viewer.user)


@router.get("/assignments/{assignment_id}")
def get_assignment(assignment_id: str, viewer: SignedIn, classroom: ClassroomDep
                   ) -> AssignmentOut:
    return _answer(lambda: classroom.assignment(viewer.user, assignment_id))


@router.post("/assignments/{assignment_id}/submissions", status_code=201, responses={
    422: {"model": ErrorOut, "description": "The run changes a locked field."}})
def submit(assignment_id: str, body: SubmitIn, viewer: SignedIn, classroom: ClassroomDep,
           runs: RunsDep) -> SubmissionOut:
    """Hand in one of your runs: marked by the criteria once it has ended (at once if
    it has)."""
    return _answer(lambda: grading.submit(classroom, runs, viewer.user, assignment_id,
                                          body.run_id))


@router.get("/assignments/{assignment_id}/submissions")
def list_submissions(assignment_id: str, viewer: SignedIn, classroom: ClassroomDep,
                     runs: RunsDep) -> list[SubmissionOut]:
    """A student's own submissions, with their marks; every student's for the teacher."""
    return _answer(lambda: grading.submissions(classroom, runs, viewer.user, assignment_id))


@router.get("/assignments/{assignment_id}/dashboard")
def assignment_dashboard(assignment_id: str, viewer: SignedIn, classroom: ClassroomDep,
                         runs: RunsDep) -> Dashboard:
    """The teacher's view: per student, the status (not started, training, submitted,
    passed), the best submission's score and run, the last activity, and the runs that
    diverged, failed or are stuck."""
    return _answer(lambda: grading.dashboard(classroom, runs, viewer.user, assignment_id))


@router.get("/assignments/{assignment_id}/marks.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "One line a student."}})
def export_marks(assignment_id: str, viewer: SignedIn, classroom: ClassroomDep,
                 runs: RunsDep) -> Response:
    """The dashboard as CSV, for a spreadsheet or a grade book."""
    board = _answer(lambda: grading.dashboard(classroom, runs, viewer.user, assignment_id))
    return Response(grading.marks_csv(board), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="marks-{assignment_id[:8]}.csv"'})
